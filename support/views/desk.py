"""TMG's support desk: the board and the list with filters, service levels, supporters, skills, themes,
staffing and the management view."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import current_lang
from kernel.views import act, show_refusal
from support import access, bp, queries
from support.forms import AssignForm, ProfileForm, SkillForm, ThemeForm, VersionForm, version_of
from support.models import LEVELS, STAGES, Supporter
from support.services import requests as request_services
from support.services import staffing
from support.views.common import load, require
from tenants.auth import require_login
from tenants.models import TMG_CODE, Membership, User
from tenants.roles import Role


def _desk() -> None:
    require(access.is_desk(current_user))


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _filters() -> queries.DeskFilters:
    args = request.args
    tenant = args.get("tenant", "")
    return queries.DeskFilters(
        theme_id=_int("theme"), tenant_id=tenant if tenant.isdigit() and len(tenant) == 6 else None,
        kind=args.get("kind") if args.get("kind") in ("special_ward", "city", "town", "village") else None,
        region=args.get("region") if args.get("region") in ("ku_area", "tama", "islands") else None,
        supporter_id=_int("supporter"), stage=args.get("stage") if args.get("stage") in STAGES else None,
        min_age_days=_int("age"))


def _filter_context(filters: queries.DeskFilters) -> dict[str, Any]:
    return {"filters": filters, "themes": queries.themes(active_only=False), "municipalities": queries.municipalities(),
            "supporters": [load.supporter for load in queries.supporter_loads()], "stages": STAGES}


@bp.get("/desk")
@require_login
def desk_board() -> ResponseReturnValue:
    _desk()
    filters = _filters()
    rows = queries.desk_rows(filters)
    return render_template("support/desk_board.html", columns=queries.board(rows), rows=rows,
                           breaches=[r for r in rows if r.breached], **_filter_context(filters))


@bp.get("/desk/list")
@require_login
def desk_list() -> ResponseReturnValue:
    _desk()
    filters = _filters()
    return render_template("support/desk_list.html", rows=queries.desk_rows(filters), **_filter_context(filters))


@bp.route("/desk/service-levels", methods=["GET", "POST"])
@require_login
def service_levels() -> ResponseReturnValue:
    _desk()
    form = VersionForm()
    editable = [s for s in STAGES if s not in ("done", "declined")]
    if request.method == "POST" and form.validate_on_submit():
        raw = {s: request.form.get(s, "") for s in editable}
        values = {s: int(v) if v.strip().isdigit() and len(v.strip()) < 5 else -1 for s, v in raw.items()}
        try:
            request_services.set_service_levels(current_user, values)
        except ServiceError as error:
            flash(error.message, "error")
            return render_template("support/service_levels.html", form=form, stages=editable, levels=raw), 400
        flash(_("The service levels were saved."), "success")
        return redirect(url_for("support.service_levels"), 303)
    return render_template("support/service_levels.html", form=form, stages=editable,
                           levels=queries.service_levels())


@bp.get("/desk/supporters")
@require_login
def supporters() -> ResponseReturnValue:
    _desk()
    return render_template("support/supporters.html", loads=queries.supporter_loads(),
                           skills={s.id: s for s in queries.skills(active_only=False)}, candidates=_candidates())


def _candidates() -> list[User]:
    """TMG users with the supporter role and no profile yet."""
    have = set(db.session.scalars(select(Supporter.user_id)))
    users = db.session.scalars(select(User).join(Membership, (Membership.tenant_id == User.tenant_id) & (
        Membership.user_id == User.id)).where(User.tenant_id == TMG_CODE, Membership.role == Role.SUPPORTER.value,
                                              User.is_active.is_(True)).order_by(User.display_name))
    return [u for u in users if u.id not in have]


@bp.route("/desk/supporters/<int:user_id>", methods=["GET", "POST"])
@require_login
def supporter_edit(user_id: int) -> ResponseReturnValue:
    _desk()
    user = db.session.get(User, (TMG_CODE, user_id))
    if user is None or not user.has_role(Role.SUPPORTER.value):
        abort(404)
    profile = db.session.get(Supporter, (TMG_CODE, user_id))
    skills = queries.skills(active_only=False)
    current = next((load.levels for load in queries.supporter_loads() if load.supporter.user_id == user_id), {})
    form = ProfileForm(obj=profile) if request.method == "GET" else ProfileForm()
    if request.method == "POST":
        if form.validate_on_submit():
            levels: dict[int, int | None] = {}
            for skill in skills:
                raw = request.form.get(f"skill-{skill.id}", "")
                levels[skill.id] = int(raw) if raw.isdigit() and int(raw) in LEVELS else None
            try:
                profile = profile or staffing.ensure_profile(current_user, user)
                staffing.update_profile(current_user, profile, form.capacity_hours.data, levels,
                                        version_of(form.version.data) if form.version.data else profile.version)
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The supporter profile was saved."), "success")
                return redirect(url_for("support.supporters"), 303)
        return render_template("support/supporter_form.html", form=form, user=user, skills=skills,
                               current=current), 400
    if profile is None:
        form.capacity_hours.data = 40
    form.version.data = str(profile.version) if profile else ""
    return render_template("support/supporter_form.html", form=form, user=user, skills=skills, current=current)


@bp.route("/desk/vocabulary", methods=["GET", "POST"])
@require_login
def vocabulary() -> ResponseReturnValue:
    _desk()
    skill_form, theme_form = SkillForm(prefix="skill"), ThemeForm(prefix="theme")
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("what") == "skill" and skill_form.validate_on_submit():
                staffing.add_skill(current_user, skill_form.name_ja.data or "", skill_form.name_en.data or "",
                                   skill_form.category.data or "")
                flash(_("The skill was added."), "success")
                return redirect(url_for("support.vocabulary"), 303)
            if request.form.get("what") == "theme" and theme_form.validate_on_submit():
                staffing.add_theme(current_user, theme_form.code.data or "", theme_form.name_ja.data or "",
                                   theme_form.name_en.data or "")
                flash(_("The theme was added."), "success")
                return redirect(url_for("support.vocabulary"), 303)
        except ServiceError as error:
            show_refusal(error, skill_form if request.form.get("what") == "skill" else theme_form)
        status = 400
    return render_template("support/vocabulary.html", skill_form=skill_form, theme_form=theme_form,
                           skills=queries.skills(active_only=False), themes=queries.themes(active_only=False)), status


@bp.get("/<int:engagement_id>/staffing")
@require_login
def staffing_page(engagement_id: int) -> ResponseReturnValue:
    _desk()
    engagement = load(engagement_id)
    form = AssignForm()
    form.version.data = str(engagement.version)
    return render_template("support/staffing.html", engagement=engagement, form=form,
                           suggestions=queries.suggestions(engagement), assignments=queries.assignments(engagement),
                           skills={s.id: s for s in queries.skills(active_only=False)}, lang=current_lang())


@bp.post("/<int:engagement_id>/assign")
@require_login
def assign(engagement_id: int) -> ResponseReturnValue:
    _desk()
    engagement = load(engagement_id)
    form = AssignForm()
    supporter_id = form.supporter_id.data or ""
    profile = db.session.get(Supporter, (TMG_CODE, int(supporter_id))) if supporter_id.isdigit() else None
    if profile is None or not form.validate_on_submit():
        flash(_("Choose a supporter and enter the planned hours (0 to 200)."), "error")
        return redirect(url_for("support.staffing_page", engagement_id=engagement.id), 303)
    suggestion = next((s for s in queries.suggestions(engagement, limit=1000)
                       if s.load.supporter.user_id == profile.user_id), None)
    reason = "" if suggestion is None else (
        f"技能: {'、'.join(f'{k.name_ja}（レベル{lv}）' for k, lv in suggestion.matched) or 'なし'}"
        f" / 空き {suggestion.load.free_hours} 時間")
    try:
        staffing.assign(current_user, engagement, profile, form.planned_hours.data, form.lead.data == "1", reason,
                        version_of(form.version.data))
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("support.staffing_page", engagement_id=engagement.id), 303)
    flash(_("%(name)s was assigned.", name=profile.display_name), "success")
    return redirect(url_for("support.detail", engagement_id=engagement.id), 303)


@bp.post("/<int:engagement_id>/unassign/<int:user_id>")
@require_login
def unassign(engagement_id: int, user_id: int) -> ResponseReturnValue:
    _desk()
    engagement = load(engagement_id)
    form = VersionForm()
    def change() -> None:
        if not form.validate_on_submit():
            raise ServiceError(_("The form has expired. Reload the page and try again."))
        staffing.unassign(current_user, engagement, user_id, version_of(form.version.data))
    return act(change, _("The supporter was taken off the engagement."),
               back=url_for("support.detail", engagement_id=engagement.id), status=303)
