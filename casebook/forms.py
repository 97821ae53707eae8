"""Forms of the casebook pages. Content is parsed by casebook.validation (one set of rules)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from casebook.validation import kpi_lines

STAGE_LABELS = {"idea": _l("Idea"), "pilot": _l("Pilot"), "implemented": _l("Implemented"),
                "spreading": _l("Spreading")}
ADOPTION_LABELS = {"planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done")}
KIND_LABELS = {"special_ward": _l("Special ward"), "city": _l("City"), "town": _l("Town"), "village": _l("Village"),
               "prefecture": _l("Tokyo Metropolitan Government")}
REGION_LABELS = {"ku_area": _l("23 wards"), "tama": _l("Tama area"), "islands": _l("Islands"), "tmg": _l("TMG")}
FIELD_LABELS = {
    "title": _l("Title"), "summary": _l("Summary"), "problem": _l("Problem"), "approach": _l("Approach"),
    "outcomes": _l("Outcomes"), "themes": _l("Themes"), "tools": _l("Tools"), "fiscal_year": _l("Fiscal year"),
    "cost_jpy": _l("Cost (yen)"), "department": _l("Department"), "stage": _l("Stage"), "kpis": _l("KPIs"),
    "vendors": _l("Vendors"), "products": _l("Products"), "ordinances": _l("Related ordinances and rules"),
    "lessons": _l("Lessons learned"), "replication_conditions": _l("Conditions for replication"),
    "contact": _l("Contact"), "successor_contact": _l("Successor contact"),
}


class CaseForm(FlaskForm):
    title = StringField(FIELD_LABELS["title"])
    summary = TextAreaField(FIELD_LABELS["summary"])
    problem = TextAreaField(FIELD_LABELS["problem"])
    approach = TextAreaField(FIELD_LABELS["approach"])
    outcomes = TextAreaField(FIELD_LABELS["outcomes"])
    themes = StringField(FIELD_LABELS["themes"])
    tools = StringField(FIELD_LABELS["tools"])
    fiscal_year = StringField(FIELD_LABELS["fiscal_year"])
    cost_jpy = StringField(FIELD_LABELS["cost_jpy"])
    department = StringField(FIELD_LABELS["department"])
    stage = SelectField(FIELD_LABELS["stage"], choices=[SelectChoice(k, v) for k, v in STAGE_LABELS.items()],
                        default="implemented", validate_choice=False)
    kpis = TextAreaField(FIELD_LABELS["kpis"])
    vendors = StringField(FIELD_LABELS["vendors"])
    products = StringField(FIELD_LABELS["products"])
    ordinances = TextAreaField(FIELD_LABELS["ordinances"])
    lessons = TextAreaField(FIELD_LABELS["lessons"])
    replication_conditions = TextAreaField(FIELD_LABELS["replication_conditions"])
    contact = TextAreaField(FIELD_LABELS["contact"])
    successor_contact = TextAreaField(FIELD_LABELS["successor_contact"])
    version = HiddenField()

    def fill(self, content: dict[str, Any], version: int | None = None) -> None:
        for name, value in content.items():
            if name not in self._fields:
                continue
            if name == "kpis":
                value = kpi_lines(value or [])
            elif isinstance(value, list):
                value = "\n".join(value) if name == "ordinances" else "、".join(value)
            elif value is None:
                value = ""
            self._fields[name].data = str(value)
        if version is not None:
            self.version.data = str(version)


class ActionForm(FlaskForm):
    """A button that changes something (the CSRF token only)."""


class CommentForm(FlaskForm):
    comment = TextAreaField(_l("Comment to the municipality"))


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"))


class AdoptionForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in ADOPTION_LABELS.items()],
                         validate_choice=False)
    outcome = TextAreaField(_l("Your own outcome"))


class QuestionForm(FlaskForm):
    body = TextAreaField(_l("Your question"))


class AnswerForm(FlaskForm):
    body = TextAreaField(_l("Your answer"))


class SynonymForm(FlaskForm):
    terms = StringField(_l("Terms with the same meaning"))


class ImportForm(FlaskForm):
    file = FileField(_l("Excel file (.xlsx)"))
