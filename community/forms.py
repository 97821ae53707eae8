"""Forms of the community pages (labels in English, Japanese in the catalogue)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

DT = "%Y-%m-%dT%H:%M"


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.2 expects."""
    return [SelectChoice(value, label) for value, label in pairs]

KIND_LABELS = {"forum": _l("Forum"), "roundtable": _l("Roundtable"), "working_group": _l("Working group")}
ROLE_LABELS = {"chair": _l("Chair"), "vice_chair": _l("Vice chair"), "member": _l("Member"),
               "secretariat": _l("Secretariat"), "observer": _l("Observer")}
ATTENDANCE_LABELS = {"in_person": _l("In person"), "online": _l("Online"), "declined": _l("Not attending")}
VISIBILITY_LABELS = {"public": _l("Public to all municipalities"), "closed": _l("Closed: members only")}
STATUS_LABELS = {"open": _l("Open"), "in_progress": _l("In progress"), "done": _l("Done"), "dropped": _l("Dropped")}
LINK_LABELS = {"case": _l("Case"), "engagement": _l("Support engagement"), "procurement": _l("Joint procurement")}


class BodyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices(KIND_LABELS.items()))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])


class MemberForm(FlaskForm):
    tenant = SelectField(_l("Municipality"), validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=choices(ROLE_LABELS.items()), default="member")
    representative = StringField(_l("Representative (name and position)"), validators=[Optional(), Length(max=200)])


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts (Tokyo time)"), format=DT, validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends (Tokyo time)"), format=DT, validators=[InputRequired()])
    location = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    online_url = StringField(_l("Online meeting address"), validators=[Optional(), Length(max=500)])


class ItemForm(FlaskForm):
    title = StringField(_l("Title of the item"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Content"), validators=[Optional(), Length(max=8000)])
    visibility = RadioField(_l("Who may see the content"), choices=choices(VISIBILITY_LABELS.items()), default="public")


class RegisterForm(FlaskForm):
    attendance = RadioField(_l("How will you take part?"), choices=choices(ATTENDANCE_LABELS.items()),
                            validators=[InputRequired()])


class MaterialForm(FlaskForm):
    title = StringField(_l("Title of the material"), validators=[DataRequired(), Length(max=200)])
    agenda_item_id = SelectField(_l("Agenda item"), coerce=int, default=0)
    file = FileField(_l("File (PDF, office file or image)"))


class ReviewForm(FlaskForm):
    days = IntegerField(_l("Review period (days)"), validators=[InputRequired(), NumberRange(min=1, max=30)],
                        default=7)


class PublishForm(FlaskForm):
    close_review_early = BooleanField(_l("End the review period now"))


class AmendmentForm(FlaskForm):
    agenda_item_id = SelectField(_l("Section"), coerce=int)
    proposed_text = TextAreaField(_l("Proposed wording"), validators=[DataRequired(), Length(max=20000)])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class DecisionForm(FlaskForm):
    note = StringField(_l("Note to the proposer"), validators=[Optional(), Length(max=2000)])


class ActionForm(FlaskForm):
    title = StringField(_l("Action"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=8000)])
    owner_tenant = SelectField(_l("Owner municipality"), validators=[DataRequired()])
    owner_person = SelectField(_l("Owner person (optional)"), coerce=int, default=0)
    agenda_item_id = SelectField(_l("From agenda item"), coerce=int, default=0)
    due_on = DateField(_l("Due date"), validators=[InputRequired()])


class ActionUpdateForm(FlaskForm):
    version = HiddenField()
    status = SelectField(_l("Status"), choices=choices(STATUS_LABELS.items()))
    progress = IntegerField(_l("Progress (%)"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class LinkForm(FlaskForm):
    kind = SelectField(_l("Kind"))
    target_id = IntegerField(_l("Number"), validators=[InputRequired(), NumberRange(min=1)])


class DepartmentForm(FlaskForm):
    name = StringField(_l("Department"), validators=[DataRequired(), Length(max=200)])


class PromoterForm(FlaskForm):
    department_id = SelectField(_l("Department"), coerce=int, default=0)
    user_id = SelectField(_l("Person (a user of your municipality)"), coerce=int, default=0)
    name = StringField(_l("Or the name of someone without an account"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    term_starts_on = DateField(_l("Term starts"), validators=[InputRequired()])
    term_ends_on = DateField(_l("Term ends (optional)"), validators=[Optional()])


class HandoverForm(PromoterForm):
    effective_on = DateField(_l("Hand-over date"), validators=[InputRequired()])
    # The department is the predecessor's, and the successor's term starts on the hand-over date.
    department_id = None
    term_starts_on = None


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class EndTermForm(FlaskForm):
    ended_on = DateField(_l("Term ended on"), validators=[InputRequired()])


class DirectoryForm(FlaskForm):
    opt_in = BooleanField(_l("List me in the cross-municipal directory"))
    department = StringField(_l("Department shown in the directory"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("What I can help with"), validators=[Optional(), Length(max=1000)])


class PlanForm(FlaskForm):
    fiscal_year = IntegerField(_l("Fiscal year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])


class CourseForm(FlaskForm):
    title = StringField(_l("Course"), validators=[DataRequired(), Length(max=200)])
    target_roles = SelectMultipleField(_l("Target roles"), validators=[DataRequired()])
    hours = IntegerField(_l("Hours"), validators=[InputRequired(), NumberRange(min=0, max=1000)], default=0)
    planned = IntegerField(_l("Planned participants"), validators=[InputRequired(), NumberRange(min=0, max=100000)],
                           default=0)


class CompletionForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int)
    user_id = SelectField(_l("Person"), coerce=int)
    completed_on = DateField(_l("Completed on"), validators=[InputRequired()])
