"""Task lists: TMG's standard list, and a municipality's list (own tasks, its own classes)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from kernel.errors import ServiceError
from kernel.i18n import current_lang
from tenants.auth import not_found_or_denied, require_login
from workload import access, bp, queries, services
from workload.forms import OwnTaskForm, PostForm, StandardTaskForm
from workload.views.common import refused, require_manage, version_of


def _group_choices() -> list[SelectChoice]:
    return [SelectChoice(g.code, g.name(current_lang())) for g in queries.groups()]


def _render_tasks(form: OwnTaskForm, status: int = 200) -> ResponseReturnValue:
    return render_template("workload/tasks.html", tasks=queries.task_list(current_user.tenant_id, current_lang()),
                           groups=queries.group_names(current_lang()), form=form, post_form=PostForm(),
                           can_manage=access.can_manage(current_user)), status


@bp.get("/tasks")
@require_login
def task_list() -> ResponseReturnValue:
    if not access.can_enter(current_user):
        abort(403)
    form = OwnTaskForm(formdata=None)
    form.group_code.choices = _group_choices()
    return _render_tasks(form)


@bp.post("/tasks")
@require_login
def own_task_add() -> ResponseReturnValue:
    require_manage()
    form = OwnTaskForm()
    form.group_code.choices = _group_choices()
    if not form.validate_on_submit():
        return _render_tasks(form, 400)
    try:
        services.add_own_task(current_user, form.group_code.data or "", form.name.data or "",
                              form.task_class.data or "")
    except ServiceError as error:
        return _render_tasks(form, refused(error, form))
    flash(_("The task was added to your list."), "success")
    return redirect(url_for("workload.task_list"))


@bp.post("/tasks/class")
@require_login
def task_class() -> ResponseReturnValue:
    require_manage()
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.set_task_class(current_user, request.form.get("key", ""), request.form.get("task_class", ""))
    except ServiceError as error:
        form = OwnTaskForm(formdata=None)
        form.group_code.choices = _group_choices()
        return _render_tasks(form, refused(error))
    flash(_("The class was saved."), "success")
    return redirect(url_for("workload.task_list"))


def _require_standard() -> None:
    if not access.can_maintain_standard(current_user):
        abort(403)


@bp.route("/standard", methods=["GET", "POST"])
@require_login
def standard_list() -> ResponseReturnValue:
    _require_standard()
    form = StandardTaskForm() if request.method == "POST" else StandardTaskForm(formdata=None)
    form.group_code.choices = _group_choices()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                task = services.add_standard_task(current_user, form.group_code.data or "", form.name_ja.data or "",
                                                  form.name_en.data or "", form.default_class.data or "")
            except ServiceError as error:
                status = refused(error, form)
            else:
                flash(_("%(code)s was added to the standard list.", code=task.code), "success")
                return redirect(url_for("workload.standard_list"))
        else:
            status = 400
    return render_template("workload/standard.html", tasks=queries.standard_tasks(),
                           groups=queries.group_names(current_lang()), form=form), status


@bp.route("/standard/<int:task_id>", methods=["GET", "POST"])
@require_login
def standard_edit(task_id: int) -> ResponseReturnValue:
    _require_standard()
    task = queries.get_standard_task(task_id)
    if task is None:
        not_found_or_denied("workload_standard_task", task_id)
    assert task is not None
    if request.method == "GET":
        form = StandardTaskForm(obj=task, formdata=None)
        form.version.data = str(task.version)
    else:
        form = StandardTaskForm()
    form.group_code.choices = _group_choices()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_standard_task(current_user, task, form.name_ja.data or "", form.name_en.data or "",
                                              form.default_class.data or "", bool(form.is_active.data),
                                              version_of(form.version.data))
            except ServiceError as error:
                status = refused(error, form)
            else:
                flash(_("The task was saved."), "success")
                return redirect(url_for("workload.standard_list"))
        else:
            status = 400
    return render_template("workload/standard_edit.html", task=task, form=form,
                           groups=queries.group_names(current_lang())), status
