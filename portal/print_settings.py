"""/admin/print: a tenant admin sets how many boxes the 回覧・決裁 stamp block of every printed sheet has."""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from kernel import audit, printing
from kernel.navigation import register_admin_link
from tenants.auth import require_permission
from tenants.roles import Permission

bp = Blueprint("print_settings", __name__, url_prefix="/admin/print")


def _print_settings(viewer: Any, ids: list[str]) -> dict[str, tuple[str, Optional[str]]]:
    """The municipality's print settings (the object id is its code): its own only, linked for its admins."""
    link = url_for("print_settings.edit") if viewer.can(Permission.TENANT_MANAGE_USERS) else None
    return {code: (_("Print settings"), link) for code in ids if code == viewer.tenant_id}


audit.register_object_resolver("print_settings", _print_settings)


class PrintSettingsForm(FlaskForm):
    approval_boxes = IntegerField(
        _l("Boxes of the circulation and approval block"),
        validators=[InputRequired(message=_l("Enter a number.")),
                    NumberRange(min=printing.MIN_BOXES, max=printing.MAX_BOXES,
                                message=_l("Enter a number from %(min)s to %(max)s."))])


@bp.route("/", methods=["GET", "POST"])
@require_permission(Permission.TENANT_MANAGE_USERS)
def edit() -> ResponseReturnValue:
    form = PrintSettingsForm()
    if form.validate_on_submit():
        printing.set_box_count(current_user.tenant_id, int(form.approval_boxes.data or 0))
        flash(_("The print settings were saved."), "success")
        return redirect(url_for("print_settings.edit"))
    if not form.is_submitted():
        form.approval_boxes.data = printing.box_count(current_user.tenant_id)
    status = 400 if form.is_submitted() else 200
    return render_template("portal/print_settings.html", form=form,
                           preview=printing.labels_for(int(form.approval_boxes.data or printing.DEFAULT_BOXES)
                                                       if not form.errors else printing.DEFAULT_BOXES)), status


register_admin_link(_l("Print settings (approval boxes)"), "print_settings.edit",
                    lambda user: bool(user.can(Permission.TENANT_MANAGE_USERS)))
