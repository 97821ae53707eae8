"""The words the support pages show for the domain's codes, defined once (Japanese in the catalogue)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

STAGE_LABELS = {
    "intake": _l("Received"), "prioritise": _l("Prioritising"), "qualify": _l("Confirming requirements"),
    "plan": _l("Planning"), "active": _l("In progress"), "done": _l("Completed"), "on_hold": _l("On hold"),
    "declined": _l("Declined"),
}
RELEASE_LABELS = {
    "draft": _l("Draft"), "proposed": _l("Awaiting approval"), "submitted": _l("Sent to TMG"),
}
PRIORITY_LABELS = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}
ACTIVITY_LABELS = {
    "meeting": _l("Meeting"), "analysis": _l("Analysis"), "document": _l("Documents"), "workshop": _l("Workshop"),
    "travel": _l("Travel"), "other": _l("Other"),
}
INDICATOR_LABELS = {
    "staff_hours": _l("Staff hours per year"), "processing_days": _l("Processing days"),
    "waiting_minutes": _l("Waiting minutes"), "online_share": _l("Share of online applications (%)"),
    "custom": _l("Custom indicator"),
}
LEVEL_LABELS = {1: _l("Awareness"), 2: _l("Working"), 3: _l("Practitioner"), 4: _l("Expert")}
KIND_LABELS = {"special_ward": _l("Special ward"), "city": _l("City"), "town": _l("Town"), "village": _l("Village")}
REGION_LABELS = {"ku_area": _l("23 wards"), "tama": _l("Tama"), "islands": _l("Islands")}


def label(table: dict, code: object) -> str:
    value = table.get(code)
    return str(value) if value is not None else str(code or "")


def number(value: object) -> str:
    """A Decimal as people write it: thousands separators, no trailing zeros (1,200 / 12.5)."""
    from decimal import Decimal

    if value is None:
        return "—"
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def timeline_label(item: Any) -> Markup:
    """One line of the timeline; names and titles keep their own language (lang="ja" in English)."""
    from flask_babel import gettext

    from kernel.i18n import in_own_lang

    def _(message: str, **values: Any) -> Markup:
        return Markup(escape(gettext(message))) % {k: in_own_lang(v) for k, v in values.items()}

    kind, text, who = item.kind, item.text, item.who
    if kind == "stage":
        return _("Stage: %(stage)s (%(who)s)", stage=Markup(escape(label(STAGE_LABELS, text))), who=who)
    if kind == "meeting":
        return _("Meeting: %(title)s", title=text)
    if kind == "action":
        return _("Next action: %(title)s (%(who)s)", title=text, who=who)
    if kind == "file":
        return _("File: %(title)s (%(who)s)", title=text, who=who)
    if kind == "time":
        return _("%(hours)s hours logged by %(who)s", hours=text, who=who)
    if kind == "assignment":
        return _("Assigned: %(who)s", who=text)
    return _("Indicator: %(name)s", name=label(INDICATOR_LABELS, text) if text in INDICATOR_LABELS else text)


def template_globals() -> dict[str, object]:
    return {
        "number": number, "timeline_label": timeline_label,
        "stage_label": lambda c: label(STAGE_LABELS, c), "release_label": lambda c: label(RELEASE_LABELS, c),
        "priority_label": lambda c: label(PRIORITY_LABELS, c), "activity_label": lambda c: label(ACTIVITY_LABELS, c),
        "indicator_label": lambda c: label(INDICATOR_LABELS, c), "level_label": lambda c: label(LEVEL_LABELS, c),
        "kind_label": lambda c: label(KIND_LABELS, c), "region_label": lambda c: label(REGION_LABELS, c),
    }
