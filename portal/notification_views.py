"""The person's notifications: the list (with filters), opening one (marks it read), mark all read, mail settings.

Thin views over kernel.notifications; the unread count of the header comes from ``unread_badge``.
"""
from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from kernel.i18n import current_lang
from kernel.notifications import service
from kernel.urls import safe_next
from tenants.auth import require_login

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 50

# The filter's names of the areas an event kind starts with ("casebook.case_approved" → casebook).
AREA_LABELS = {
    "casebook": _l("Cases and casebook"),
    "procurement": _l("Joint procurement"),
    "awards": _l("Awards"),
    "tenants": _l("Administration"),
    "support": _l("Support"),
    "workload": _l("Workload surveys"),
    "community": _l("Community"),
}


class ActionForm(FlaskForm):
    """A button that changes something (the CSRF token only)."""


class SettingsForm(FlaskForm):
    email_mode = RadioField(_l("E-mail"), choices=[
        SelectChoice("immediate", _l("A mail for every notification, right away")),
        SelectChoice("digest", _l("One mail a day with the day's unread notifications (daily digest)")),
        SelectChoice("none", _l("No mail (only here in the portal)")),
    ])
    language = RadioField(_l("Language of the mails"),
                          choices=[SelectChoice("ja", "日本語"), SelectChoice("en", "English")])


@bp.get("")
@require_login
def index() -> ResponseReturnValue:
    unread_only = request.args.get("show") == "unread"
    area = request.args.get("area", "")
    area = area if area in AREA_LABELS else ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    items = service.notifications_of(current_user.tenant_id, current_user.id, unread_only=unread_only, area=area,
                                     limit=PAGE + 1, offset=(page - 1) * PAGE)
    lang = current_lang()
    rows = [(note, service.render_text(note.kind, note.params, lang, note.message)) for note in items[:PAGE]]
    areas = [(key, str(AREA_LABELS[key])) for key in service.areas_of(current_user.tenant_id, current_user.id)
             if key in AREA_LABELS]
    return render_template("notifications/index.html", rows=rows, areas=areas, area=area, unread_only=unread_only,
                           page=page, has_next=len(items) > PAGE, action=ActionForm(),
                           unread=service.cached_unread_count(current_user.tenant_id, current_user.id))


@bp.get("/<int:notification_id>")
@require_login
def open_one(notification_id: int) -> ResponseReturnValue:
    """Opening a notification marks it read and goes where it points."""
    note = service.open_notification(current_user.tenant_id, current_user.id, notification_id)
    if note is None:
        abort(404)
    return redirect(safe_next(note.url) if note.url else url_for("notifications.index"))


@bp.post("/read-all")
@require_login
def read_all() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    count = service.mark_all_read(current_user.tenant_id, current_user.id)
    flash(_("%(count)s notifications marked as read.", count=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@require_login
def settings() -> ResponseReturnValue:
    mode, language = service.settings_of(current_user.tenant_id, current_user.id)
    # A POST is judged on what was sent alone (a missing choice is an error, not "keep the old one").
    form = SettingsForm() if request.method == "POST" else SettingsForm(data={"email_mode": mode, "language": language})
    if request.method == "POST":
        if form.validate_on_submit():
            service.save_settings(current_user.tenant_id, current_user.id, form.email_mode.data or "immediate",
                                  form.language.data or "ja")
            flash(_("Your notification settings were saved."), "success")
            return redirect(url_for("notifications.settings"))
        return render_template("notifications/settings.html", form=form), 400
    return render_template("notifications/settings.html", form=form)


def unread_badge() -> int:
    """The header's unread count (read by the session check's own statement, cached for the request)."""
    if not current_user.is_authenticated:
        return 0
    return service.cached_unread_count(current_user.tenant_id, current_user.id)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["unread_notifications"] = unread_badge
