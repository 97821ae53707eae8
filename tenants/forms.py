"""Forms of the tenant admin pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=[
        SelectChoice("member", _l("Member")), SelectChoice("tenant_admin", _l("Administrator")),
        SelectChoice("judge", _l("Judge")),
    ])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = StringField(_l("Action"), validators=[Optional(), Length(max=80)])
    user_id = IntegerField(_l("User ID"), validators=[Optional(), NumberRange(min=1, max=2**62)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
    outcome = SelectField(_l("Kind"), choices=[
        SelectChoice("", _l("All")), SelectChoice("access", _l("Denied access")),
        SelectChoice("auth", _l("Logins")), SelectChoice("write", _l("Changes")),
    ], validators=[Optional()])
