"""Forms of the awards pages (labels in English, Japanese in the catalogue)."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from flask_wtf.file import FileField
from markupsafe import Markup
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

DT = "%Y-%m-%dT%H:%M"


class ProgrammeForm(FlaskForm):
    fiscal_year = IntegerField(_l("Fiscal year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=8000)])
    entry_opens_at = DateTimeLocalField(_l("Entries open (Tokyo time)"), format=DT, validators=[InputRequired()])
    entry_closes_at = DateTimeLocalField(_l("Entry deadline (Tokyo time)"), format=DT, validators=[InputRequired()])
    judging_opens_at = DateTimeLocalField(_l("Judging opens (Tokyo time)"), format=DT, validators=[InputRequired()])
    judging_closes_at = DateTimeLocalField(_l("Judging closes (Tokyo time)"), format=DT,
                                           validators=[InputRequired()])
    blind = BooleanField(_l("Blind review (judges do not see the entrant)"))
    has_final = BooleanField(_l("Two stages: first screening, then a final round"), default=True)
    comment_mode = SelectField(_l("Judges' comments"), choices=[
        SelectChoice("optional", _l("Optional")), SelectChoice("required", _l("Required")),
        SelectChoice("off", _l("Off")),
    ], default="optional")
    # Empty keeps the programme's setting (3 for a new programme); the database allows 0–60.
    reminder_days = IntegerField(_l("Reminder (days before judging closes)"), validators=[
        Optional(), NumberRange(min=0, max=60, message=_l("Enter a number of days from 0 to 60 (0: no reminder)."))])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name of the category"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class CriterionForm(FlaskForm):
    name = StringField(_l("Name of the criterion"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    weight = IntegerField(_l("Weight"), validators=[InputRequired(), NumberRange(min=1, max=100)], default=1)
    scale_min = IntegerField(_l("Lowest score"), validators=[InputRequired(), NumberRange(min=0, max=9)], default=1)
    scale_max = IntegerField(_l("Highest score"), validators=[InputRequired(), NumberRange(min=1, max=10)],
                             default=5)
    levels = TextAreaField(_l("Description of each level (one line per score, lowest first)"),
                           validators=[Optional(), Length(max=4000)])


class EntryForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title of the initiative"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Overview of the initiative"), validators=[Optional(), Length(max=8000)])
    background = TextAreaField(_l("Background and motivation"), validators=[Optional(), Length(max=8000)])
    activities = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=8000)])
    system = TextAreaField(_l("Systems used"), validators=[Optional(), Length(max=8000)])
    effects = TextAreaField(_l("Effects (with numbers)"), validators=[Optional(), Length(max=8000)])
    ingenuity = TextAreaField(_l("Ingenuity of the staff"), validators=[Optional(), Length(max=8000)])
    case_id = IntegerField(_l("Start from case number"), validators=[Optional(), NumberRange(min=1, max=2**62)])


class FileForm(FlaskForm):
    file = FileField(_l("PDF file"))


class JudgeForm(FlaskForm):
    judge = SelectField(_l("Judge"), validators=[InputRequired()])


class AssignForm(FlaskForm):
    target = SelectField(_l("Assign to"), validators=[InputRequired()])


class RecuseForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the conflict of interest"), validators=[DataRequired(), Length(max=2000)])


def recuse_csrf_field() -> Markup:
    """What ``RecuseForm().hidden_tag()`` renders, without building the form for every scoring page (issue 25.5):
    its one hidden field, the CSRF token, or nothing where CSRF is off (the tests' configuration). The request's
    token is the page's other forms' token (``generate_csrf`` keeps one per request). tests/awards compare the
    two renderings."""
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return Markup("")
    name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return Markup('<input id="{0}" name="{0}" type="hidden" value="{1}">').format(name, generate_csrf())
