"""Forms of the workload pages. The hours grid is read row by row through workload.validation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

CLASS_CHOICES = [SelectChoice("non_core", _l("Non-core (others or ICT could do it)")),
                 SelectChoice("core", _l("Core (only a civil servant can do it)"))]


class PostForm(FlaskForm):
    """A button that only changes state (CSRF and the object's version)."""

    version = HiddenField()


class RoundForm(FlaskForm):
    fiscal_year = IntegerField(_l("Fiscal year"), validators=[
        InputRequired(message=_l("Enter a fiscal year such as 2026.")),
        NumberRange(min=2000, max=2100, message=_l("Enter a fiscal year such as 2026."))])
    departments = TextAreaField(_l("Departments taking part (one per line)"), validators=[
        InputRequired(message=_l("Pick at least one department.")), Length(max=10_000)])


class DepartmentsForm(FlaskForm):
    departments = TextAreaField(_l("Departments to add (one per line)"), validators=[
        InputRequired(message=_l("Pick at least one department.")), Length(max=10_000)])


class ContactForm(FlaskForm):
    contact_user_id = SelectField(_l("Person who enters the hours"), choices=[], validate_choice=False)


class CloseForm(FlaskForm):
    version = HiddenField()
    share_benchmark = BooleanField(_l("Contribute this round's task-group figures to the peer benchmark"))
    share_with_tmg = BooleanField(_l("Let TMG see this round's task-group figures"))


class UploadForm(FlaskForm):
    file = FileField(_l("Excel file (.xlsx)"))


class OwnTaskForm(FlaskForm):
    group_code = SelectField(_l("Task group"), choices=[], validate_choice=False)
    name = StringField(_l("Task"), validators=[InputRequired(message=_l("Enter the task's name.")),
                                               Length(max=200)])
    task_class = RadioField(_l("Class"), choices=CLASS_CHOICES, default="non_core", validate_choice=False)


class StandardTaskForm(FlaskForm):
    version = HiddenField()
    group_code = SelectField(_l("Task group"), choices=[], validate_choice=False)
    name_ja = StringField(_l("Task (Japanese)"), validators=[InputRequired(message=_l("Enter the task's name.")),
                                                             Length(max=200)])
    name_en = StringField(_l("Task (English)"), validators=[Optional(), Length(max=200)])
    default_class = RadioField(_l("Default class"), choices=CLASS_CHOICES, default="non_core", validate_choice=False)
    is_active = BooleanField(_l("On the list (untick to retire the task)"), default=True)
