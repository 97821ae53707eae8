"""Programmes and their rubric: list, page, create and edit (curators), categories and criteria."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from awards import bp
from awards.forms import CategoryForm, CriterionForm, ProgrammeForm
from awards.integration import casebook_available
from awards.judging import ensure_in_pool, judge_of, progress
from awards.models import Category, Criterion, Programme
from awards.services import (
    CriterionData,
    ProgrammeData,
    create_programme,
    delete_category,
    delete_criterion,
    entry_window_open,
    judging_started,
    list_entries,
    list_programmes,
    save_category,
    save_criterion,
    start_judging,
    update_programme,
)
from awards.views.common import aware, is_curator, load_programme, local
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.i18n import today_tokyo
from kernel.views import show_refusal
from tenants.auth import require_login, require_permission
from tenants.roles import Permission


@bp.get("/")
@require_login
def index() -> ResponseReturnValue:
    if current_user.can(Permission.AWARDS_JUDGE):
        ensure_in_pool(current_user)  # curators can only pick judges who have opened the awards once
    programmes = list_programmes()
    judging = []
    for programme in programmes:
        judge = judge_of(programme, current_user)
        if judge is not None:
            judging.append((programme, progress(judge, programme)))
    return render_template("awards/index.html", programmes=programmes, judging=judging, curator=is_curator())


def _programme_data(form: ProgrammeForm, programme: Programme | None = None) -> ProgrammeData:
    reminder_days = form.reminder_days.data
    if reminder_days is None:  # left empty: keep the setting
        reminder_days = programme.reminder_days if programme is not None else 3
    return ProgrammeData(
        fiscal_year=form.fiscal_year.data, title=form.title.data or "", description=form.description.data or "",
        entry_opens_at=aware(form.entry_opens_at.data), entry_closes_at=aware(form.entry_closes_at.data),
        judging_opens_at=aware(form.judging_opens_at.data), judging_closes_at=aware(form.judging_closes_at.data),
        blind=bool(form.blind.data), comment_mode=form.comment_mode.data, has_final=bool(form.has_final.data),
        reminder_days=reminder_days)


@bp.route("/programmes/new", methods=["GET", "POST"])
@require_permission(Permission.AWARDS_ORGANISE)
def programme_new() -> ResponseReturnValue:
    form = ProgrammeForm()
    if request.method == "GET":
        year = today_tokyo().year if today_tokyo().month >= 4 else today_tokyo().year - 1
        form.fiscal_year.data = year
        form.reminder_days.data = 3
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                programme = create_programme(current_user, _programme_data(form))
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The programme was created. Add its categories and criteria."), "success")
                return redirect(url_for("awards.programme_edit", programme_id=programme.id))
    return render_template("awards/programme_form.html", form=form, programme=None), status


@bp.get("/programmes/<int:programme_id>")
@require_login
def programme(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    entries = list_entries(current_user.tenant_id, programme.id) \
        if current_user.can(Permission.AWARD_ENTRY_DRAFT) else []
    judge = judge_of(programme, current_user)
    return render_template("awards/programme.html", programme=programme, entries=entries, judge=judge,
                           judge_progress=progress(judge, programme) if judge else None, curator=is_curator(),
                           entry_open=entry_window_open(programme), locked=judging_started(programme),
                           casebook=casebook_available())


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.AWARDS_ORGANISE)
def programme_edit(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    form = ProgrammeForm(obj=programme) if request.method == "GET" else ProgrammeForm()
    if request.method == "GET":
        for name in ("entry_opens_at", "entry_closes_at", "judging_opens_at", "judging_closes_at"):
            getattr(form, name).data = local(getattr(programme, name))
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                update_programme(current_user, programme, _programme_data(form, programme))
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The programme was saved."), "success")
                return redirect(url_for("awards.programme_edit", programme_id=programme.id))
    return render_template("awards/programme_form.html", form=form, programme=programme,
                           locked=judging_started(programme), category_form=CategoryForm(prefix="new-category"),
                           criterion_form=CriterionForm(prefix="new-criterion")), status


@bp.post("/programmes/<int:programme_id>/start-judging")
@require_permission(Permission.AWARDS_ORGANISE)
def programme_start_judging(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    try:
        start_judging(current_user, programme)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("awards.programme_edit", programme_id=programme.id))
    flash(_("Entries are closed and judging is open."), "success")
    return redirect(url_for("awards.programme_judges", programme_id=programme.id))


def _rubric_page(programme: Programme, status: int, category_form: CategoryForm | None = None,
                 criterion_form: CriterionForm | None = None) -> ResponseReturnValue:
    form = ProgrammeForm(obj=programme)
    for name in ("entry_opens_at", "entry_closes_at", "judging_opens_at", "judging_closes_at"):
        getattr(form, name).data = local(getattr(programme, name))
    category_form = category_form or CategoryForm(prefix="new-category", formdata=None)
    criterion_form = criterion_form or CriterionForm(prefix="new-criterion", formdata=None)
    return render_template("awards/programme_form.html", form=form, programme=programme,
                           locked=judging_started(programme), category_form=category_form,
                           criterion_form=criterion_form), status


@bp.post("/programmes/<int:programme_id>/categories")
@require_permission(Permission.AWARDS_ORGANISE)
def category_add(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    form = CategoryForm(prefix="new-category")
    if form.validate_on_submit():
        try:
            save_category(current_user, programme, form.name.data or "", form.description.data or "")
        except ServiceError as error:
            show_refusal(error, form)
        else:
            flash(_("The category was saved."), "success")
            return redirect(url_for("awards.programme_edit", programme_id=programme.id) + "#rubric")
    return _rubric_page(programme, 400, category_form=form)


def _category(programme: Programme, category_id: int) -> Category:
    category = next((c for c in programme.categories if c.id == category_id), None)
    if category is None:
        abort(404)
    return category


def _criterion(programme: Programme, criterion_id: int) -> Criterion:
    criterion = next((c for c in programme.criteria if c.id == criterion_id), None)
    if criterion is None:
        abort(404)
    return criterion


@bp.post("/programmes/<int:programme_id>/categories/<int:category_id>")
@require_permission(Permission.AWARDS_ORGANISE)
def category_edit(programme_id: int, category_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    category = _category(programme, category_id)
    form = CategoryForm(prefix=f"category-{category.id}")
    if form.validate_on_submit():
        return _rubric_change(programme, lambda: save_category(
            current_user, programme, form.name.data or "", form.description.data or "", category),
            _("The category was saved."))
    flash(_("Enter the name of the category."), "error")
    return _rubric_page(programme, 400)


def _rubric_change(programme: Any, change: Callable[[], object], done: str) -> ResponseReturnValue:
    """Run one change of the rubric: back to the rubric with the message, or the page again with the refusal."""
    try:
        change()
    except ServiceError as error:
        flash(error.message, "error")
        return _rubric_page(programme, 400)
    flash(done, "success")
    return redirect(url_for("awards.programme_edit", programme_id=programme.id) + "#rubric")


@bp.post("/programmes/<int:programme_id>/categories/<int:category_id>/delete")
@require_permission(Permission.AWARDS_ORGANISE)
def category_delete(programme_id: int, category_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    category = _category(programme, category_id)
    if not confirmed() and would_succeed(lambda: delete_category(current_user, programme, category)):
        return ask_confirmation(Confirmation(
            _("Delete the category “%(name)s”?", name=category.name),
            [_("The category is removed from the programme; entries can no longer choose it.")],
            _("Delete"), back=url_for("awards.programme_edit", programme_id=programme.id) + "#rubric"))
    return _rubric_change(programme, lambda: delete_category(current_user, programme, category),
                          _("The category was deleted."))


def _criterion_data(form: CriterionForm) -> CriterionData:
    return CriterionData(form.name.data or "", form.description.data or "", form.weight.data,
                         form.scale_min.data, form.scale_max.data, form.levels.data or "")


@bp.post("/programmes/<int:programme_id>/criteria")
@require_permission(Permission.AWARDS_ORGANISE)
def criterion_add(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    form = CriterionForm(prefix="new-criterion")
    if form.validate_on_submit():
        try:
            save_criterion(current_user, programme, _criterion_data(form))
        except ServiceError as error:
            show_refusal(error, form)
        else:
            flash(_("The criterion was saved."), "success")
            return redirect(url_for("awards.programme_edit", programme_id=programme.id) + "#rubric")
    return _rubric_page(programme, 400, criterion_form=form)


@bp.post("/programmes/<int:programme_id>/criteria/<int:criterion_id>")
@require_permission(Permission.AWARDS_ORGANISE)
def criterion_edit(programme_id: int, criterion_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    criterion = _criterion(programme, criterion_id)
    form = CriterionForm(prefix=f"criterion-{criterion.id}")
    if form.validate_on_submit():
        return _rubric_change(programme, lambda: save_criterion(current_user, programme, _criterion_data(form),
                                                                criterion), _("The criterion was saved."))
    flash(_("Check the criterion: name, weight 1–100 and a scale between 0 and 10."), "error")
    return _rubric_page(programme, 400)


@bp.post("/programmes/<int:programme_id>/criteria/<int:criterion_id>/delete")
@require_permission(Permission.AWARDS_ORGANISE)
def criterion_delete(programme_id: int, criterion_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    criterion = _criterion(programme, criterion_id)
    if not confirmed() and would_succeed(lambda: delete_criterion(current_user, programme, criterion)):
        return ask_confirmation(Confirmation(
            _("Delete the criterion “%(name)s”?", name=criterion.name),
            [_("The criterion and its weight are removed from the rubric.")],
            _("Delete"), back=url_for("awards.programme_edit", programme_id=programme.id) + "#rubric"))
    return _rubric_change(programme, lambda: delete_criterion(current_user, programme, criterion),
                          _("The criterion was deleted."))
