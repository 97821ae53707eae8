"""Every message of every package has a Japanese translation (English is the message id)."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("*/translations/ja/LC_MESSAGES/messages.po"))


@pytest.mark.parametrize("po", CATALOGUES, ids=[p.parts[-5] for p in CATALOGUES])
def test_japanese_catalogue_is_complete(po: Path) -> None:
    with po.open("rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"{po}: untranslated {missing}"
    assert not fuzzy, f"{po}: fuzzy {fuzzy}"


@pytest.mark.parametrize("po", CATALOGUES, ids=[p.parts[-5] for p in CATALOGUES])
def test_catalogue_matches_the_code(po: Path, tmp_path: Path) -> None:
    """Extract again: no message in the code is missing from the catalogue (run scripts/messages.sh)."""
    from babel.messages.extract import extract_from_dir

    package = po.parts[-5]
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / package), method_map=method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    with po.open("rb") as handle:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert not (found - known), f"{package}: run scripts/messages.sh; missing {sorted(found - known)}"


def test_each_module_sees_its_own_translation_of_a_shared_id(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    """'Title' is 件名 for a procurement project and タイトル for a case: the catalogues are merged, so a
    module's own catalogue must win on its own pages whatever the merge order."""
    from kernel.i18n import domain_for

    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        meanings = {pkg: domain_for(pkg).gettext("Title") for pkg in ("casebook", "procurement", "awards")}
    assert meanings == {"casebook": "タイトル", "procurement": "件名", "awards": "名称"}
    login_as("member")
    assert ">件名<" in client.get("/procurement/").get_data(as_text=True)


def test_template_translations_follow_domain_and_locale_within_one_request(app) -> None:  # type: ignore[no-untyped-def]
    # Templates look their translations up once per request (kernel.i18n._translations); a domain
    # switched or a locale forced later in the same request must still be seen.
    from flask import render_template_string
    from flask_babel import force_locale

    from kernel.i18n import domain_for

    with app.test_request_context("/"):
        domain_for("procurement").as_default()
        assert render_template_string("{{ _('Title') }}") == "件名"
        with force_locale("en"):
            assert render_template_string("{{ _('Title') }}") == "Title"
        assert render_template_string("{{ _('Title') }}") == "件名"
        domain_for("casebook").as_default()
        assert render_template_string("{{ _('Title') }}") == "タイトル"
