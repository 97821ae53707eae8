"""The casebook's labels, defined once: forms, templates, validation messages and the API use these.

Field labels are English message ids (marked with N_) translated through the casebook's catalogue:
lazily on the pages (FIELD_LABELS), and in Japanese for the validation messages, which are Japanese by
design (japanese_label), always with the casebook's own catalogue ("Title" is タイトル here, 名称 in awards).
"""
from __future__ import annotations

from typing import Optional

from flask import has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from kernel.i18n import N_, domain_for

STAGE_LABELS = {"idea": _l("Idea"), "pilot": _l("Pilot"), "implemented": _l("Implemented"),
                "spreading": _l("Spreading")}
ADOPTION_LABELS = {"planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done")}
KIND_LABELS = {"special_ward": _l("Special ward"), "city": _l("City"), "town": _l("Town"), "village": _l("Village"),
               "prefecture": _l("Tokyo Metropolitan Government")}
# The thesaurus layer that produced a match (casebook.thesaurus.LAYERS), named on the search results.
SYNONYM_LAYER_LABELS = {"curator": _l("curators' synonyms"), "dx": _l("municipal-DX vocabulary"),
                        "sudachi": _l("general synonyms, SudachiDict"),
                        "sudachi_near": _l("related words, SudachiDict")}
REGION_LABELS = {"ku_area": _l("23 wards"), "tama": _l("Tama area"), "islands": _l("Islands"), "tmg": _l("TMG")}

_FIELDS = {
    "title": N_("Title"), "summary": N_("Summary"), "problem": N_("Problem"), "approach": N_("Approach"),
    "outcomes": N_("Outcomes"), "themes": N_("Themes"), "tools": N_("Tools"), "fiscal_year": N_("Fiscal year"),
    "cost_jpy": N_("Cost (yen)"), "department": N_("Department"), "stage": N_("Stage"), "kpis": N_("KPIs"),
    "vendors": N_("Vendors"), "products": N_("Products"), "ordinances": N_("Related ordinances and rules"),
    "lessons": N_("Lessons learned"), "replication_conditions": N_("Conditions for replication"),
    "contact": N_("Contact"), "successor_contact": N_("Successor contact"),
}
# Names that only the API's messages use (not fields of the case form).
_API_NAMES = {"external_id": N_("External ID"), "version": N_("Version"), "limit": N_("Number of results (limit)"),
              "page": N_("Page (page)")}
FIELD_LABELS = {name: _l(message) for name, message in _FIELDS.items()}


def japanese_label(name: str) -> Optional[str]:
    """The Japanese label of a content field or API parameter from the casebook's catalogue, or None."""
    message = _FIELDS.get(name) or _API_NAMES.get(name)
    if message is None or not has_app_context():
        return None
    with force_locale("ja"):
        return str(domain_for("casebook").gettext(message))
