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


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice("member", _l("Member")), SelectChoice("tenant_admin", _l("Administrator")),
            SelectChoice("judge", _l("Judge"))]


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=_role_choices())


class InviteForm(FlaskForm):
    """Invite a person: the service checks everything (its refusal is shown beside the field)."""

    email = StringField(_l("E-mail"))
    display_name = StringField(_l("Name"))
    # Unknown values are refused by the service with a message naming them (not by WTForms' generic one).
    roles = MultiCheckboxField(_l("Roles"), choices=_role_choices(), validate_choice=False, default=["member"])
    language = SelectField(_l("Language of the mails"), choices=[
        SelectChoice("ja", "日本語"), SelectChoice("en", "English")], validate_choice=False, default="ja")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    person = StringField(_l("Person (name or e-mail)"), validators=[Optional(), Length(max=100)])
    # Choices are the labelled action codes (tenants.audit_labels), set by the view in the reader's language.
    action = SelectField(_l("Action"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
    outcome = SelectField(_l("Kind"), choices=[
        SelectChoice("", _l("All")), SelectChoice("access", _l("Denied access")),
        SelectChoice("auth", _l("Logins")), SelectChoice("write", _l("Changes")),
    ], validators=[Optional()])
