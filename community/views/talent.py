"""The talent network's pages: my skills, the directory, the DX推進員 roster with hand-over, training plans."""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from community import bp, queries
from community.forms import (
    CompletionForm,
    ContactForm,
    CourseForm,
    DepartmentForm,
    DirectoryForm,
    EndTermForm,
    HandoverForm,
    PlanForm,
    PromoterForm,
    choices,
)
from community.models import Promoter, RosterDepartment
from community.services import talent
from community.skills import LEVELS, SKILLS, TARGET_ROLES
from community.views.common import act
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.i18n import today_tokyo
from kernel.views import show_refusal
from tenants.auth import not_found_or_denied, require_permission
from tenants.roles import Permission


def _people(form: Any, blank: Optional[str] = None) -> None:
    users = queries.own_users(current_user.tenant_id)
    first = [(0, blank)] if blank is not None else []
    form.user_id.choices = choices(first + [(u.id, f"{u.display_name} <{u.email}>") for u in users])


# My skills and the directory ---------------------------------------------------------------------

@bp.route("/skills", methods=["GET", "POST"])
@require_permission(Permission.COMMUNITY_PARTICIPATE)
def skills() -> ResponseReturnValue:
    profile = queries.directory_profile(current_user)
    form = DirectoryForm(prefix="dir")
    if request.method == "GET" and profile is not None:
        form.opt_in.data, form.department.data, form.note.data = True, profile.department, profile.note
    status = 200
    if request.method == "POST":
        status = 400
        levels: dict[str, Optional[int]] = {}
        for skill in SKILLS:
            raw = request.form.get(f"skill-{skill}", "0")
            levels[skill] = int(raw) if raw in ("1", "2", "3", "4") else None
        if form.validate_on_submit():
            try:
                talent.save_assessment(current_user, levels)
                talent.set_directory(current_user, bool(form.opt_in.data), form.department.data or "",
                                     form.note.data or "")
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("Your skills were saved."), "success")
                return redirect(url_for("community.skills"))
    return render_template("community/skills.html", form=form, levels=queries.my_levels(current_user),
                           skills=SKILLS, level_labels=LEVELS, profile=profile), status


@bp.get("/directory")
@require_permission(Permission.COMMUNITY_PARTICIPATE)
def directory() -> ResponseReturnValue:
    skill = request.args.get("skill") or None
    if skill is not None and skill not in SKILLS:
        skill = None
    return render_template("community/directory.html", people=queries.directory(skill), skills=SKILLS,
                           skill=skill, names=queries.tenant_names())


# Roster ------------------------------------------------------------------------------------------

def _department(department_id: int) -> RosterDepartment:
    found = queries.get_department(current_user.tenant_id, department_id)
    if found is None:
        not_found_or_denied("community_department", department_id)
    assert found is not None
    return found


def _promoter(promoter_id: int) -> Promoter:
    found = queries.get_promoter(current_user.tenant_id, promoter_id)
    if found is None:
        not_found_or_denied("community_promoter", promoter_id)
    assert found is not None
    return found


@bp.get("/roster")
@require_permission(Permission.COMMUNITY_MANAGE)
def roster() -> ResponseReturnValue:
    today = today_tokyo()
    empty, ending = talent.vacancies(current_user.tenant_id, today)
    appoint_form = PromoterForm(prefix="appoint")
    _people(appoint_form, _("(not a user: type the name below)"))
    departments = queries.departments(current_user.tenant_id)
    appoint_form.department_id.choices = choices((d.id, d.name) for d in departments)
    return render_template("community/roster.html", departments=departments,
                           empty=empty, ending=ending, today=today, department_form=DepartmentForm(prefix="dept"),
                           appoint_form=appoint_form)


@bp.post("/roster/departments")
@require_permission(Permission.COMMUNITY_MANAGE)
def department_add() -> ResponseReturnValue:
    form = DepartmentForm(prefix="dept")
    if not form.validate_on_submit():
        flash(_("Enter the name of the department."), "error")
        return redirect(url_for("community.roster"), 303)
    return act(lambda: talent.add_department(current_user, form.name.data or ""), _("The department was added."),
               url_for("community.roster"))


@bp.post("/roster/promoters")
@require_permission(Permission.COMMUNITY_MANAGE)
def promoter_appoint() -> ResponseReturnValue:
    form = PromoterForm(prefix="appoint")
    _people(form, "")
    form.department_id.choices = choices((d.id, d.name) for d in queries.departments(current_user.tenant_id))
    back = url_for("community.roster")
    if not form.validate_on_submit():
        flash(_("Choose the department, a person (or enter a name) and the start of the term."), "error")
        return redirect(back, 303)
    department = _department(form.department_id.data)
    return act(lambda: talent.appoint(current_user, department, form.user_id.data or None, form.name.data or "",
                                      form.email.data or "", form.term_starts_on.data, form.term_ends_on.data),
               _("The DX promoter was named."), back)


@bp.get("/roster/promoters/<int:promoter_id>")
@require_permission(Permission.COMMUNITY_MANAGE)
def promoter(promoter_id: int) -> ResponseReturnValue:
    found = _promoter(promoter_id)
    handover_form = HandoverForm(prefix="handover")
    _people(handover_form, _("(not a user: type the name below)"))
    return render_template("community/promoter.html", promoter=found,
                           department=queries.get_department(found.tenant_id, found.department_id),
                           successor=queries.get_promoter(found.tenant_id, found.successor_id)
                           if found.successor_id else None,
                           handover_form=handover_form, contact_form=ContactForm(prefix="contact"),
                           end_form=EndTermForm(prefix="end"), today=today_tokyo())


@bp.post("/roster/promoters/<int:promoter_id>/handover")
@require_permission(Permission.COMMUNITY_MANAGE)
def promoter_handover(promoter_id: int) -> ResponseReturnValue:
    found = _promoter(promoter_id)
    form = HandoverForm(prefix="handover")
    _people(form, "")
    back = url_for("community.promoter", promoter_id=found.id)
    if not form.validate_on_submit():
        flash(_("Choose the successor (or enter a name) and the hand-over date."), "error")
        return redirect(back, 303)
    return act(lambda: talent.hand_over(current_user, found, form.user_id.data or None, form.name.data or "",
                                        form.email.data or "", form.effective_on.data, form.term_ends_on.data),
               _("The hand-over was recorded: contacts and open actions moved to the successor."), back=back,
               onward=lambda successor: url_for("community.promoter", promoter_id=successor.id), status=303)


@bp.post("/roster/promoters/<int:promoter_id>/end")
@require_permission(Permission.COMMUNITY_MANAGE)
def promoter_end(promoter_id: int) -> ResponseReturnValue:
    found = _promoter(promoter_id)
    form = EndTermForm(prefix="end")
    back = url_for("community.promoter", promoter_id=found.id)
    if not form.validate_on_submit():
        flash(_("Enter the end date (not before the term started)."), "error")
        return redirect(back, 303)
    step = lambda: talent.end_term(current_user, found, form.ended_on.data)  # noqa: E731
    # An ended term cannot be reopened (the department becomes vacant): ask first, once it would succeed.
    if not confirmed() and would_succeed(step):
        return ask_confirmation(Confirmation(
            _("End the term of %(name)s?", name=found.name),
            [_("The department becomes vacant and is reminded to appoint a successor."),
             _("This cannot be undone: an ended term cannot be reopened.")],
            _("End the term"), back=back,
            details=[(_("Term ended on"), form.ended_on.data.isoformat() if form.ended_on.data else "—")]))
    return act(step, _("The term was ended."), back)


@bp.post("/roster/promoters/<int:promoter_id>/contacts")
@require_permission(Permission.COMMUNITY_MANAGE)
def contact_add(promoter_id: int) -> ResponseReturnValue:
    found = _promoter(promoter_id)
    form = ContactForm(prefix="contact")
    back = url_for("community.promoter", promoter_id=found.id) + "#contacts"
    if not form.validate_on_submit():
        flash(_("Enter the contact's name."), "error")
        return redirect(back, 303)
    return act(lambda: talent.add_contact(current_user, found, form.name.data or "", form.organisation.data or "",
                                          form.note.data or ""), _("The contact was added."), back)


# Training ----------------------------------------------------------------------------------------

@bp.get("/training")
@require_permission(Permission.COMMUNITY_MANAGE)
def training() -> ResponseReturnValue:
    form = PlanForm(prefix="plan")
    today = today_tokyo()
    form.fiscal_year.data = today.year if today.month >= 4 else today.year - 1
    return render_template("community/training.html", plans=queries.plans(current_user.tenant_id), form=form,
                           counts=queries.skill_counts(current_user.tenant_id), skills=SKILLS)


@bp.post("/training/plans")
@require_permission(Permission.COMMUNITY_MANAGE)
def plan_add() -> ResponseReturnValue:
    form = PlanForm(prefix="plan")
    if not form.validate_on_submit():
        flash(_("Enter the fiscal year and a title."), "error")
        return redirect(url_for("community.training"), 303)
    return act(lambda: talent.create_plan(current_user, form.fiscal_year.data, form.title.data or ""),
               _("The training plan was created. Add its courses."), back=url_for("community.training"),
               onward=lambda plan: url_for("community.plan", plan_id=plan.id), status=303)


@bp.get("/training/plans/<int:plan_id>")
@require_permission(Permission.COMMUNITY_MANAGE)
def plan(plan_id: int) -> ResponseReturnValue:
    found = queries.get_plan(current_user.tenant_id, plan_id)
    if found is None:
        abort(404)
    course_form = CourseForm(prefix="course")
    course_form.target_roles.choices = choices(TARGET_ROLES.items())
    completion_form = CompletionForm(prefix="done")
    _people(completion_form)
    completion_form.course_id.choices = choices((c.id, c.title) for c in found.courses)
    users = {u.id: u for u in queries.own_users(current_user.tenant_id)}
    return render_template("community/plan.html", plan=found, course_form=course_form,
                           completion_form=completion_form, roles=TARGET_ROLES, users=users)


@bp.post("/training/plans/<int:plan_id>/courses")
@require_permission(Permission.COMMUNITY_MANAGE)
def course_add(plan_id: int) -> ResponseReturnValue:
    found = queries.get_plan(current_user.tenant_id, plan_id)
    if found is None:
        abort(404)
    form = CourseForm(prefix="course")
    form.target_roles.choices = choices(TARGET_ROLES.items())
    back = url_for("community.plan", plan_id=found.id)
    if not form.validate_on_submit():
        flash(_("Enter the course, at least one target role, its hours and planned participants."), "error")
        return redirect(back, 303)
    return act(lambda: talent.add_course(current_user, found, form.title.data or "", list(form.target_roles.data or []),
                                         form.hours.data, form.planned.data), _("The course was added."), back)


@bp.post("/training/plans/<int:plan_id>/completions")
@require_permission(Permission.COMMUNITY_MANAGE)
def completion_add(plan_id: int) -> ResponseReturnValue:
    found = queries.get_plan(current_user.tenant_id, plan_id)
    if found is None:
        abort(404)
    form = CompletionForm(prefix="done")
    _people(form)
    form.course_id.choices = choices((c.id, c.title) for c in found.courses)
    back = url_for("community.plan", plan_id=found.id)
    if not form.validate_on_submit():
        flash(_("Choose the course, the person and the date of completion."), "error")
        return redirect(back, 303)
    course = queries.get_course(current_user.tenant_id, form.course_id.data)
    if course is None:
        abort(404)
    return act(lambda: talent.record_completion(current_user, course, form.user_id.data, form.completed_on.data),
               _("The completion was recorded."), back)
