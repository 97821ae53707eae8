"""The SSO settings form of a tenant's administrators."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class SsoSettingsForm(FlaskForm):
    issuer = StringField(_l("Issuer (URL)"), validators=[DataRequired(), Length(max=500)])
    client_id = StringField(_l("Client ID"), validators=[DataRequired(), Length(max=255)])
    client_secret = PasswordField(_l("Client secret"), validators=[Optional(), Length(max=1000)])
    clear_secret = BooleanField(_l("Remove the stored client secret (public client)"))
    client_secret_expires_on = DateField(_l("Expiry date of the client secret"), validators=[Optional()])
    token_auth_method = RadioField(
        _l("Client authentication at the token endpoint"), default="client_secret_basic", validate_choice=False,
        choices=[SelectChoice("client_secret_basic", _l("Client secret (client_secret_basic)")),
                 SelectChoice("private_key_jwt", _l("The portal's signing key (private_key_jwt)"))])
    scopes = StringField(_l("Scopes"), validators=[DataRequired(), Length(max=500)], default="openid email profile")
    email_claim = StringField(_l("Claim with the e-mail address"), validators=[DataRequired(), Length(max=100)],
                              default="email")
    name_claim = StringField(_l("Claim with the display name"), validators=[DataRequired(), Length(max=100)],
                             default="name")
    groups_claim = StringField(_l("Claim with the groups"), validators=[DataRequired(), Length(max=100)],
                               default="groups")
    allowed_domains = TextAreaField(_l("Allowed e-mail domains"), validators=[Optional(), Length(max=4000)])
    role_mapping = TextAreaField(_l("Groups and roles"), validators=[Optional(), Length(max=10000)])
    is_enabled = BooleanField(_l("Staff log in through this provider"), default=True)
    required_acr = StringField(_l("Required authentication context (acr values)"),
                               validators=[Optional(), Length(max=500)])
    require_mfa_amr = BooleanField(_l("Require multi-factor authentication (the ID token's amr names a second "
                                      "factor: mfa, otp, hwk …)"), default=False)
    inactivity_days = IntegerField(_l("Deactivate a person not seen at the provider (no login) for this many days "
                                      "(0: never)"), validators=[Optional()], default=90)
    groups_overage_host = StringField(_l("Host asked for the groups when the token has too many (Entra ID groups "
                                         "overage)"), validators=[Optional(), Length(max=260)])
    roles_from_idp = BooleanField(_l("Roles follow the provider's groups at every login (else: managed in the portal "
                                     "after the first login)"), default=False)


class RelinkForm(FlaskForm):
    """The dry run (and its confirmation) of a re-link plan: by e-mail, or by an employee-id claim."""

    mode = RadioField(_l("Re-link by"), choices=[
        SelectChoice("email", _l("the e-mail address (the provider must send email_verified: true)")),
        SelectChoice("claim", _l("an employee-id claim"))], default="email")
    claim = StringField(_l("Name of the employee-id claim"), validators=[Optional(), Length(max=100)])
    id_list = TextAreaField(_l("E-mail address and employee id, one account per line"),
                            validators=[Optional(), Length(max=2_000_000)])
    fingerprint = HiddenField()
