"""Forms of the casebook pages. Content is parsed by casebook.validation (one set of rules)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from casebook.labels import ADOPTION_LABELS, FIELD_LABELS, STAGE_LABELS
from casebook.validation import kpi_lines


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
