"""Flask-Babel's context found without the ``g`` proxy (kernel.i18n._babel_context, issue 25.5): the same
namespace Flask-Babel keeps, so the language, force_locale and the per-module catalogues work as before."""
from __future__ import annotations

import flask_babel
from flask import g, session
from flask_babel import force_locale, get_locale, gettext

from kernel import i18n
from tenants.tokens import scope_choices


def test_flask_babel_uses_the_kernel_context(app) -> None:  # type: ignore[no-untyped-def]
    assert flask_babel._get_current_context is i18n._babel_context
    assert i18n._babel_context() is None  # no app context: Flask-Babel's own answer
    with app.app_context():
        ctx = i18n._babel_context()
        assert ctx is not None and ctx is g._flask_babel
        assert i18n._babel_context() is ctx  # one namespace per app context
    with app.app_context():
        assert i18n._babel_context() is not ctx  # a new app context starts afresh


def test_language_and_force_locale_follow_the_request(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert i18n.current_lang() == "en" and str(get_locale()) == "en"
        assert gettext("Log out") == "Log out"
        with force_locale("ja"):
            assert i18n.current_lang() == "ja"
            assert gettext("Log out") == "ログアウト"
        assert i18n.current_lang() == "en"
    with app.test_request_context("/"):
        assert i18n.current_lang() == "ja"  # Japanese first


def test_scope_labels_are_kept_per_language(app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):  # the second round comes from the per-worker cache
        with app.test_request_context("/"):
            ja = {choice.value: choice.label for choice in scope_choices()}
        with app.test_request_context("/"):
            session["lang"] = "en"
            en = {choice.value: choice.label for choice in scope_choices()}
        assert ja["casebook:read"] != en["casebook:read"]
        assert en["casebook:read"] == "Casebook — read"
        assert "読" in ja["casebook:read"] or "閲覧" in ja["casebook:read"], ja["casebook:read"]


def test_templates_translate_with_underscore_as_with_gettext(app) -> None:  # type: ignore[no-untyped-def]
    """``_()`` is the kernel's direct function; it answers exactly what Jinja's newstyle ``gettext`` does."""
    source = ('{{ _("Log out") }}|{{ _("Draft saved at %(time)s.", time="<b>1</b>") }}|{{ _("100%% <ok>") }}|'
              '{%- autoescape false %}{{ _("Draft saved at %(time)s.", time="<b>") }}{% endautoescape %}')
    with app.test_request_context("/"):
        underscore = app.jinja_env.from_string(source).render()
        reference = app.jinja_env.from_string(source.replace("_(", "gettext(")).render()
        assert underscore == reference
        assert underscore.startswith("ログアウト|") and "&lt;b&gt;1&lt;/b&gt;" in underscore
        assert "100% &lt;ok&gt;" not in underscore and "100% <ok>" in underscore  # the message id is safe markup
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert app.jinja_env.from_string(source).render().startswith("Log out|")
