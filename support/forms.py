"""Forms of the support pages. The rules themselves live in the services; these parse the input."""
from __future__ import annotations

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.validators import Optional as OptionalValue

from support.labels import ACTIVITY_LABELS, INDICATOR_LABELS, PRIORITY_LABELS
from support.models import ACTIVITIES, INDICATORS, PRIORITIES

DATE_MESSAGE = _l("Enter a date such as 2027-04-01.")


def new_token() -> str:
    return uuid.uuid4().hex


def version_of(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class TokenForm(FlaskForm):
    """A create form: the one-time token makes a repeated submit return the first result."""

    form_token = HiddenField()

    def fill_token(self) -> None:
        if not self.form_token.data:
            self.form_token.data = new_token()


class VersionForm(FlaskForm):
    version = HiddenField()


class RequestForm(TokenForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    theme_id = SelectField(_l("Theme"), coerce=int, validate_choice=False)
    problem = TextAreaField(_l("The problem"), validators=[InputRequired(), Length(max=20000)])
    department = StringField(_l("Department"), validators=[InputRequired(), Length(max=200)])
    desired_start = DateField(_l("Desired start"), validators=[OptionalValue()], render_kw={"type": "date"})
    desired_end = DateField(_l("Desired end"), validators=[OptionalValue()], render_kw={"type": "date"})
    attachment = FileField(_l("Attachment (optional)"))
    version = HiddenField()

    def set_themes(self, themes: list[Any], lang: str) -> None:
        self.theme_id.choices = [SelectChoice(0, _l("Choose a theme"))] + [
            SelectChoice(t.id, t.name(lang)) for t in themes]


class ReasonForm(VersionForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class StageForm(VersionForm):
    to_stage = SelectField(_l("Next stage"), validate_choice=False)
    reason = TextAreaField(_l("Why"), validators=[Length(max=2000)])


class PriorityForm(VersionForm):
    priority = SelectField(_l("Priority"), choices=[SelectChoice(p, PRIORITY_LABELS[p]) for p in PRIORITIES])


class PlanForm(VersionForm):
    plan = TextAreaField(_l("Scope and plan"), validators=[Length(max=20000)])
    skill_ids = SelectMultipleField(_l("Skills needed"), coerce=int, validate_choice=False)


class AssignForm(VersionForm):
    supporter_id = HiddenField()
    planned_hours = IntegerField(_l("Planned hours per month"), default=10,
                                 validators=[InputRequired(), NumberRange(min=0, max=200)])
    lead = SelectField(_l("Role"), choices=[SelectChoice("0", _l("Member")), SelectChoice("1", _l("Lead"))])


class SkillForm(FlaskForm):
    name_ja = StringField(_l("Name (Japanese)"), validators=[InputRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=100)])
    category = StringField(_l("Category"), validators=[InputRequired(), Length(max=40)])


class ThemeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)])
    name_ja = StringField(_l("Name (Japanese)"), validators=[InputRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=100)])


class ProfileForm(VersionForm):
    capacity_hours = IntegerField(_l("Capacity (hours per month)"),
                                  validators=[InputRequired(), NumberRange(min=0, max=200)])


class MeetingForm(TokenForm):
    held_on = DateField(_l("Date"), validators=[InputRequired(message=DATE_MESSAGE)], render_kw={"type": "date"})
    title = StringField(_l("Subject"), validators=[InputRequired(), Length(max=200)])
    attendees = TextAreaField(_l("Attendees"), validators=[Length(max=2000)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=20000)])


class ActionForm(TokenForm):
    title = StringField(_l("Next action"), validators=[InputRequired(), Length(max=200)])
    owner_name = StringField(_l("Owner"), validators=[InputRequired(), Length(max=200)])
    due_on = DateField(_l("Due date"), validators=[OptionalValue()], render_kw={"type": "date"})


class TimeLogForm(TokenForm):
    logged_on = DateField(_l("Date"), validators=[InputRequired(message=DATE_MESSAGE)], render_kw={"type": "date"})
    activity = SelectField(_l("Activity"), choices=[SelectChoice(a, ACTIVITY_LABELS[a]) for a in ACTIVITIES])
    hours = StringField(_l("Hours"), validators=[InputRequired(), Length(max=10)])
    note = StringField(_l("Note"), validators=[Length(max=500)])


class FileForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    file = FileField(_l("File"))


class OutcomeForm(FlaskForm):
    indicator = SelectField(_l("Indicator"), choices=[SelectChoice(i, INDICATOR_LABELS[i]) for i in INDICATORS])
    label = StringField(_l("Name of a custom indicator"), validators=[Length(max=200)])
    unit = StringField(_l("Unit"), validators=[Length(max=40)])
    baseline_value = StringField(_l("Baseline value"), validators=[InputRequired(), Length(max=20)])
    baseline_on = DateField(_l("Baseline date"), validators=[InputRequired(message=DATE_MESSAGE)],
                            render_kw={"type": "date"})
    baseline_source = StringField(_l("Baseline source"), validators=[InputRequired(), Length(max=300)])
    after_value = StringField(_l("After value"), validators=[Length(max=20)])
    after_on = DateField(_l("After date"), validators=[OptionalValue()], render_kw={"type": "date"})
    after_source = StringField(_l("After source"), validators=[Length(max=300)])
    version = HiddenField()


class SurveyForm(FlaskForm):
    csat = SelectField(_l("How satisfied are you with the support?"), choices=[
        SelectChoice("5", _l("5 — very satisfied")), SelectChoice("4", _l("4 — satisfied")),
        SelectChoice("3", _l("3 — neither")), SelectChoice("2", _l("2 — dissatisfied")),
        SelectChoice("1", _l("1 — very dissatisfied"))])
    comment = TextAreaField(_l("Comments"), validators=[Length(max=5000)])


class HandoverForm(VersionForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=20000)])
    problem = TextAreaField(_l("The problem"), validators=[Length(max=20000)])
    approach = TextAreaField(_l("Approach"), validators=[Length(max=20000)])
    outcomes = TextAreaField(_l("Outcomes"), validators=[Length(max=20000)])
    tools = StringField(_l("Tools"), validators=[Length(max=2000)])
    cost_jpy = StringField(_l("Cost (yen)"), validators=[Length(max=20)])
    lessons = TextAreaField(_l("Lessons learned"), validators=[Length(max=20000)])
