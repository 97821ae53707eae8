"""Rounds: the list, opening one, its progress per department, reminders, closing and consent."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import fiscal_year_of, today_tokyo
from kernel.numbers import parse_whole
from tenants.auth import require_login
from tenants.models import User
from workload import access, bp, queries, services
from workload.forms import CloseForm, ContactForm, DepartmentsForm, PostForm, RoundForm
from workload.models import Round
from workload.views.common import load_department, load_round, refused, require_manage, version_of
from workload.waiting import waiting_departments


@bp.get("/")
@require_login
def index() -> ResponseReturnValue:
    if access.can_maintain_standard(current_user):
        return redirect(url_for("workload.standard_list"))
    if not access.can_enter(current_user):
        abort(403)
    return render_template("workload/index.html", rounds=queries.rounds(current_user.tenant_id),
                           can_manage=access.can_manage(current_user), waiting=waiting_departments(current_user))


@bp.route("/rounds/new", methods=["GET", "POST"])
@require_login
def round_new() -> ResponseReturnValue:
    require_manage()
    form = RoundForm()
    if request.method == "GET":
        form.fiscal_year.data = fiscal_year_of(today_tokyo())
        return render_template("workload/round_new.html", form=form)
    if form.validate_on_submit():
        try:
            round_, created = services.open_round(current_user, int(form.fiscal_year.data),
                                                  (form.departments.data or "").splitlines())
        except ServiceError as error:
            return render_template("workload/round_new.html", form=form), refused(error, form)
        if created:
            flash(_("The survey round was opened."), "success")
        else:
            flash(_("A round for this fiscal year already exists; here it is."), "info")
        return redirect(url_for("workload.round_detail", round_id=round_.id))
    return render_template("workload/round_new.html", form=form), 400


@bp.get("/rounds/<int:round_id>")
@require_login
def round_detail(round_id: int) -> ResponseReturnValue:
    return render_detail(load_round(round_id))


def render_detail(round_: Round, status: int = 200) -> ResponseReturnValue:
    """The round's page; a refused action shows it again with its message and the error status."""
    can_manage = access.can_manage(current_user)
    people = []
    if can_manage:
        people = list(db.session.execute(select(User.id, User.display_name).where(
            User.tenant_id == current_user.tenant_id, User.is_active.is_(True)).order_by(User.id)))
    close_form = CloseForm(formdata=None, version=str(round_.version), share_benchmark=round_.share_benchmark,
                           share_with_tmg=round_.share_with_tmg)
    return render_template("workload/round_detail.html", round=round_, progress=queries.progress(round_),
                           can_manage=can_manage, people=people, close_form=close_form, post_form=PostForm(),
                           departments_form=DepartmentsForm(formdata=None)), status


@bp.post("/rounds/<int:round_id>/departments")
@require_login
def departments_add(round_id: int) -> ResponseReturnValue:
    round_ = load_round(round_id)
    require_manage()
    form = DepartmentsForm()
    if not form.validate_on_submit():
        flash(_("Pick at least one department."), "error")
        return render_detail(round_, 400)
    try:
        added = services.add_departments(current_user, round_, (form.departments.data or "").splitlines())
    except ServiceError as error:
        status = refused(error)
        return render_detail(round_, status)
    flash(_("%(count)s departments added.", count=added), "success")
    return redirect(url_for("workload.round_detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/departments/<int:department_id>/contact")
@require_login
def department_contact(round_id: int, department_id: int) -> ResponseReturnValue:
    round_, department = load_department(round_id, department_id)
    require_manage()
    form = ContactForm()
    if not form.validate_on_submit():
        abort(400)
    raw = form.contact_user_id.data or ""
    user_id = parse_whole(raw) if raw else None
    if raw and user_id is None:
        abort(400)
    try:
        services.set_contact(current_user, department, user_id)
    except ServiceError as error:
        refused(error)
        return render_detail(round_, 400)
    flash(_("The contact person was saved."), "success")
    return redirect(url_for("workload.round_detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/reminders")
@require_login
def round_reminders(round_id: int) -> ResponseReturnValue:
    round_ = load_round(round_id)
    require_manage()
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        sent = services.send_reminders(current_user, round_)
    except ServiceError as error:
        refused(error)
        return render_detail(round_, 400)
    if sent:
        flash(_("Reminders sent to %(count)s people.", count=sent), "success")
    else:
        flash(_("Nobody to remind: name a contact person for the departments that have not submitted."), "info")
    return redirect(url_for("workload.round_detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/close")
@require_login
def round_close(round_id: int) -> ResponseReturnValue:
    round_ = load_round(round_id)
    require_manage()
    form = CloseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if round_.status == "open":
            services.close_round(current_user, round_, form.share_benchmark.data, form.share_with_tmg.data,
                                 version_of(form.version.data))
            flash(_("The round was closed."), "success")
        else:
            services.set_sharing(current_user, round_, form.share_benchmark.data, form.share_with_tmg.data,
                                 version_of(form.version.data))
            flash(_("Your consent to share was saved."), "success")
    except ServiceError as error:
        status = refused(error)
        return render_detail(round_, status)
    return redirect(url_for("workload.round_detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/reopen")
@require_login
def round_reopen(round_id: int) -> ResponseReturnValue:
    round_ = load_round(round_id)
    require_manage()
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.reopen_round(current_user, round_, version_of(form.version.data))
    except ServiceError as error:
        status = refused(error)
        return render_detail(round_, status)
    flash(_("The round was reopened for corrections."), "success")
    return redirect(url_for("workload.round_detail", round_id=round_id))
