"""The user's own profile page: personal access tokens for the API."""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from kernel.confirm import Confirmation, ask_confirmation, confirmed
from kernel.errors import ServiceError
from kernel.i18n import current_lang, format_datetime_tokyo, lang_attr
from tenants.auth import not_found_or_denied, request_user, require_login
from tenants.tokens import create_token, find_token, list_tokens, revoke_token, scope_choices

bp = Blueprint("profile", __name__, url_prefix="/profile")


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(message=_l("Enter a name for the token.")),
                                                     Length(max=100, message=_l("Use at most 100 characters."))])
    # What the token may do on the API; nothing is ticked by default (least privilege).
    scopes = SelectMultipleField(_l("What the token may do"), choices=[], widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), validate_choice=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes.choices = scope_choices()


def _blank_form() -> TokenForm:
    # Never the request's data: the blank form is rendered once per language and kept (see the template).
    return TokenForm(formdata=None)


def _token_rows(tokens: list[Any], csrf_token: str) -> Markup:
    """The token table's rows, written here rather than by a template loop: the page lists the person's tokens
    on every visit, and the loop's filters and calls cost some 300 function calls a token (issue 25.5). The
    HTML is the template's, byte for byte (tests/portal/test_profile_tokens_html.py)."""
    lang = current_lang()
    never, revoked, active, revoke = _("Never"), _("Revoked"), _("Active"), _("Revoke")
    csrf = escape(csrf_token)
    rows = []
    for token in tokens:
        name, name_lang = escape(token.name), lang_attr(token.name, lang)
        scopes = " ".join(f"<code>{escape(scope)}</code>" for scope in sorted(token.scopes or (), key=str.lower))
        used = format_datetime_tokyo(token.last_used_at) if token.last_used_at else never
        action = "" if token.revoked_at else (
            f'\n        <form method="post" action="{escape(url_for("profile.revoke", token_id=token.id))}">\n'
            f'          <input type="hidden" name="csrf_token" value="{csrf}">\n'
            f'          <button type="submit" class="button button--secondary">{escape(revoke)}'
            f'<span class="visually-hidden"{name_lang}> {name}</span></button>\n        </form>')
        rows.append(f"\n    <tr>\n      <td{name_lang}>{name}</td>\n"
                    f"      <td><code>{escape(token.prefix)}…</code></td>\n"
                    f"      <td>{scopes}</td>\n"
                    f"      <td>{escape(format_datetime_tokyo(token.created_at))}</td>\n"
                    f"      <td>{escape(used)}</td>\n"
                    f"      <td>{escape(revoked if token.revoked_at else active)}</td>\n"
                    f"      <td>{action}</td>\n    </tr>\n  ")
    return Markup("".join(rows))


def _person(user: Any) -> tuple[str, dict[str, Any]]:
    """The person block's stencil key (their roles, sorted as the template's ``|sort`` sorts) and slots: worked
    out here in one call rather than by a dozen template expressions (issue 25.5)."""
    lang = current_lang()
    name = user.display_name
    return " ".join(sorted(user.roles, key=str.lower)), {
        "name_attr": lang_attr(name, lang), "name": name, "email": user.email, "tenant": user.tenant.name(lang)}


def _page(form: Optional[TokenForm], new_token: Optional[str] = None) -> str:
    """The profile page; ``form`` None shows the blank token form (kept per worker and language)."""
    user = request_user()
    person_key, person = _person(user)
    return render_template("portal/profile.html", form=form, blank_form=_blank_form, person_key=person_key,
                           person=person, tokens=list_tokens(user), token_rows=_token_rows, new_token=new_token)


@bp.get("/")
@require_login
def index() -> ResponseReturnValue:
    return _page(None)


@bp.post("/tokens")
@require_login
def create() -> ResponseReturnValue:
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _row, text = create_token(current_user, form.name.data or "", list(form.scopes.data or []))
        except ServiceError as error:
            target = form.scopes if error.field == "scopes" else form.name
            target.errors = [*list(target.errors), error.message]
        else:
            # Shown once on this response; only its hash is stored.
            return _page(None, new_token=text)
    return _page(form), 400


@bp.post("/tokens/<int:token_id>/revoke")
@require_login
def revoke(token_id: int) -> ResponseReturnValue:
    token = find_token(current_user, token_id)
    if token is None:
        not_found_or_denied("api_token", token_id)
    # Revoking cannot be undone (a program using the token stops working at once): ask first. Revoking an
    # already revoked token changes nothing, so there is nothing to ask (and revoke_token never refuses, so
    # there is no refusal to show before the question: kernel.confirm.would_succeed has nothing to try).
    if token.revoked_at is None and not confirmed():
        return ask_confirmation(Confirmation(
            _("Revoke the token “%(name)s”?", name=token.name),
            [_("Programs that use this token can no longer reach the API, from now on."),
             _("This cannot be undone: a program that still needs the API needs a new token.")],
            _("Revoke the token"), back=url_for("profile.index") + "#tokens-heading",
            details=[(_("Token starts with"), f"{token.prefix}…")]))
    revoke_token(current_user, token_id)
    flash(_("The token was revoked."), "success")
    return redirect(url_for("profile.index"))
