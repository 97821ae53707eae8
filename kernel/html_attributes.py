"""WTForms' HTML attributes written without ``Markup.format`` (same HTML, a fraction of the work).

Every rendered field, label and checkbox goes through ``wtforms.widgets.html_params``. WTForms 3.2+
builds each attribute with ``Markup('{k}="{v}"').format(...)``, which runs Python's pure-Python
``string.Formatter`` machinery for every attribute: on the own-profile page (27 calls, ~80
attributes) that was about 1 ms of a 6 ms request (issue 25.5). ``html_params`` below produces
byte-for-byte the same output — key escaped, value escaped with a literal ``"`` of a Markup value
turned into ``&quot;``, ``True`` as a bare attribute, ``False`` left out, keys sorted —
and tests/kernel/test_html_attributes.py compares it with WTForms' own function on every case, so a
WTForms upgrade that changes the rules fails there, not silently in a page.
"""
from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from wtforms.widgets.core import clean_key

_str_replace = str.replace  # on a Markup, str's own replace returns a plain str (no re-escaping of arguments)


def html_params(**kwargs: Any) -> Markup:
    """``wtforms.widgets.html_params`` with the same output, joined as plain strings."""
    params: list[str] = []
    for key, value in sorted(kwargs.items()):
        name = str(escape(clean_key(key)))
        if value is True:
            params.append(name)
        elif value is False:
            continue
        else:
            params.append(f'{name}="{_str_replace(escape(value), chr(34), "&quot;")}"')
    return Markup(" ".join(params))


_installed: dict[str, Any] = {}


def install() -> None:
    """Use ``html_params`` above wherever WTForms calls its own (module functions and widget classes).

    Idempotent. WTForms looks the function up at call time (module globals and the ``html_params``
    staticmethod of its input widgets), so replacing those names is all it takes.
    """
    import wtforms.widgets
    import wtforms.widgets.core as core

    original = _installed.setdefault("original", core.html_params)
    if original is html_params:  # pragma: no cover - installed by an earlier import of this module
        return
    core.html_params = html_params
    wtforms.widgets.html_params = html_params  # Label uses widgets.html_params
    for value in vars(core).values():
        if isinstance(value, type):
            attribute = value.__dict__.get("html_params")
            if isinstance(attribute, staticmethod) and attribute.__func__ is original:
                value.html_params = staticmethod(html_params)  # type: ignore[attr-defined]


def wtforms_html_params() -> Any:
    """WTForms' own function (for the test that keeps both the same)."""
    import wtforms.widgets.core as core

    return _installed.get("original", core.html_params)
