"""Curators' judging administration (judges, assignments, completion) and the results."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from awards import bp
from awards.chart import judge_distribution_svg
from awards.exports import judge_rows, overall_rows, result_rows, to_xlsx
from awards.forms import AssignForm, JudgeForm
from awards.integration import casebook_available
from awards.judging import (
    add_judge,
    assign,
    completion,
    judge_pool,
    list_judges,
    publish,
    recusals_of_programme,
    reopen_sheet,
    send_to_casebook,
    sheets_of_judge,
    shortlist,
    snapshot,
    stage_results,
    submissions_of,
    unassign,
    visible_submissions,
)
from awards.models import Judge, Programme, ScoreSheet, Submission
from awards.views.common import (
    XLSX,
    download,
    entrant_label,
    is_curator,
    load_judge,
    load_programme,
    load_submission,
    tenant_names,
)
from awards.views.judging import export_response, scale_bounds, totals_of
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.i18n import current_lang
from kernel.numbers import parse_whole
from kernel.views import act
from tenants.auth import require_login, require_permission
from tenants.roles import Permission


def _assign_form(programme: Programme, judge: Judge, names: dict[str, Any], live: list[Submission]) -> AssignForm:
    form = AssignForm(prefix=f"judge-{judge.id}", formdata=None if request.method == "GET" else request.form)
    choices = [(f"c:{c.id}", _("Category: %(name)s", name=c.name)) for c in programme.categories]
    choices += [(f"s:{s.id}", f"{s.reference} {entrant_label(names, s.entrant_code, current_lang())} — {s.title}")
                for s in live if s.entrant_code != judge.judge_tenant]
    form.target.choices = choices
    return form


@bp.get("/programmes/<int:programme_id>/judges")
@require_permission(Permission.AWARDS_ORGANISE)
def programme_judges(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    names = tenant_names()
    judge_form = JudgeForm()
    taken = {(j.judge_tenant, j.judge_user_id) for j in list_judges(programme)}
    judge_form.judge.choices = [
        (f"{m.judge_tenant}:{m.judge_user_id}",
         f"{m.display_name}（{entrant_label(names, m.judge_tenant, current_lang())}）")
        for m in judge_pool() if (m.judge_tenant, m.judge_user_id) not in taken]
    live = submissions_of(programme)
    judges = [(judge, prog, _assign_form(programme, judge, names, live)) for judge, prog in completion(programme)]
    subs = {s.id: s for s in live}
    return render_template("awards/judges.html", programme=programme, judges=judges, judge_form=judge_form,
                           recusals=recusals_of_programme(programme), subs=subs, names=names,
                           categories={c.id: c.name for c in programme.categories})


@bp.post("/programmes/<int:programme_id>/judges")
@require_permission(Permission.AWARDS_ORGANISE)
def programme_judge_add(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    tenant, _sep, user_id = (request.form.get("judge") or "").partition(":")
    try:
        judge_user_id = parse_whole(user_id)
        if judge_user_id is None:
            raise ServiceError(_("Choose a judge from the list."), "judge")
        add_judge(current_user, programme, tenant, judge_user_id)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("awards.programme_judges", programme_id=programme.id)), 303
    flash(_("The judge was added."), "success")
    return redirect(url_for("awards.programme_judges", programme_id=programme.id))


@bp.post("/judges/<int:judge_id>/assign")
@require_permission(Permission.AWARDS_ORGANISE)
def judge_assign(judge_id: int) -> ResponseReturnValue:
    judge = load_judge(judge_id)
    programme = load_programme(judge.programme_id)
    kind, _sep, target = (request.form.get(f"judge-{judge.id}-target") or "").partition(":")
    try:
        target_id = parse_whole(target)
        if target_id is None or kind not in ("c", "s"):
            raise ServiceError(_("Choose a category or an entry."), "target")
        if kind == "c":
            assign(current_user, programme, judge, category_id=target_id)
        else:
            submission = load_submission(target_id)
            assign(current_user, programme, judge, submission=submission)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("awards.programme_judges", programme_id=programme.id)), 303
    flash(_("The assignment was saved."), "success")
    return redirect(url_for("awards.programme_judges", programme_id=programme.id) + f"#judge-{judge.id}")


@bp.post("/judges/<int:judge_id>/assignments/<int:assignment_id>/delete")
@require_permission(Permission.AWARDS_ORGANISE)
def judge_unassign(judge_id: int, assignment_id: int) -> ResponseReturnValue:
    judge = load_judge(judge_id)
    assignment = next((a for a in judge.assignments if a.id == assignment_id), None)
    if assignment is None:
        abort(404)
    if not confirmed() and would_succeed(lambda: unassign(current_user, judge, assignment)):
        return ask_confirmation(Confirmation(
            _("Remove this assignment from %(judge)s?", judge=judge.display_name),
            [_("The judge no longer sees or scores what this assignment gave them.")],
            _("Remove the assignment"),
            back=url_for("awards.programme_judges", programme_id=judge.programme_id) + f"#judge-{judge.id}"))
    unassign(current_user, judge, assignment)
    flash(_("The assignment was removed."), "success")
    return redirect(url_for("awards.programme_judges", programme_id=judge.programme_id) + f"#judge-{judge.id}")


@bp.get("/judges/<int:judge_id>")
@require_permission(Permission.AWARDS_ORGANISE)
def judge_detail(judge_id: int) -> ResponseReturnValue:
    judge = load_judge(judge_id)
    programme = load_programme(judge.programme_id)
    names = tenant_names()
    sheets = sheets_of_judge(judge, programme.stage)
    rows = [(s, sheets.get(s.id), entrant_label(names, s.entrant_code, current_lang()))
            for s in sorted(visible_submissions(judge, programme), key=lambda s: s.reference_no)]
    low, high = scale_bounds(programme)
    chart = judge_distribution_svg(judge.display_name, totals_of(judge, programme), low, high, f"chart-{judge.id}")
    from awards.judging import progress

    return render_template("awards/judge_detail.html", programme=programme, judge=judge, rows=rows, chart=chart,
                           progress=progress(judge, programme))


@bp.post("/sheets/<int:sheet_id>/reopen")
@require_permission(Permission.AWARDS_ORGANISE)
def sheet_reopen(sheet_id: int) -> ResponseReturnValue:
    from kernel.extensions import db

    sheet = db.session.get(ScoreSheet, sheet_id)
    if sheet is None:
        abort(404)
    judge = load_judge(sheet.judge_id)
    programme = load_programme(judge.programme_id)
    return act(lambda: reopen_sheet(current_user, programme, sheet), _("The score sheet was reopened."),
               url_for("awards.judge_detail", judge_id=judge.id))


@bp.get("/judges/<int:judge_id>/scores.<fmt>")
@require_permission(Permission.AWARDS_ORGANISE)
def judge_export(judge_id: int, fmt: str) -> ResponseReturnValue:
    judge = load_judge(judge_id)
    programme = load_programme(judge.programme_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    names = {code: t.name(current_lang()) for code, t in tenant_names().items()}
    return export_response(judge_rows(judge, programme, True, names), fmt,
                           f"scores-{programme.id}-judge-{judge.id}", _("Scores"))


@bp.get("/judges/<int:judge_id>/chart.svg")
@require_permission(Permission.AWARDS_ORGANISE)
def judge_chart(judge_id: int) -> ResponseReturnValue:
    from flask import Response

    judge = load_judge(judge_id)
    programme = load_programme(judge.programme_id)
    low, high = scale_bounds(programme)
    return Response(judge_distribution_svg(judge.display_name, totals_of(judge, programme), low, high, "chart"),
                    mimetype="image/svg+xml")


@bp.get("/programmes/<int:programme_id>/submissions")
@require_permission(Permission.AWARDS_ORGANISE)
def programme_submissions(programme_id: int) -> ResponseReturnValue:
    from sqlalchemy import select

    from kernel.extensions import db

    programme = load_programme(programme_id)
    subs = list(db.session.scalars(select(Submission).where(Submission.programme_id == programme.id)
                                   .order_by(Submission.reference_no)))
    return render_template("awards/submissions.html", programme=programme, submissions=subs, names=tenant_names(),
                           categories={c.id: c.name for c in programme.categories})


@bp.get("/programmes/<int:programme_id>/results")
@require_login
def programme_results(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    curator = is_curator()
    if not curator and not programme.is_published:
        from awards.views.common import denied

        denied("award_results", programme.id)  # embargoed: as if there were no results
    stages = stage_results(programme, with_judges=curator)
    if not curator:
        stages = stages[-1:]  # entrants see the published ranking (the last stage) only
    rows = stages[-1].rows
    names = tenant_names()
    charts = []
    if curator:
        low, high = scale_bounds(programme)
        snap = snapshot(programme)
        charts = [judge_distribution_svg(j.display_name, totals_of(j, programme, snap), low, high, f"chart-{j.id}")
                  for j in snap.judges]
    own = [r for r in rows if r.submission.entrant_code == current_user.tenant_id]
    return render_template("awards/results.html", programme=programme, rows=rows, stages=stages, names=names,
                           curator=curator,
                           charts=charts, own=own, casebook=casebook_available(),
                           categories=programme.categories)


@bp.get("/programmes/<int:programme_id>/scores.<fmt>")
@require_permission(Permission.AWARDS_ORGANISE)
def programme_export(programme_id: int, fmt: str) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    names = {code: t.name(current_lang()) for code, t in tenant_names().items()}
    # every stage reached: the screening's sheets and results stay in the file after the final
    stages = stage_results(programme)
    scores = [row for i, st in enumerate(stages) for row in overall_rows(programme, names, st.stage)[(1 if i else 0):]]
    ranking = [row for i, st in enumerate(stages)
               for row in result_rows(programme, st.rows, names, st.stage)[(1 if i else 0):]]
    stem = f"scores-{programme.id}"
    if fmt == "csv":
        return export_response(scores, fmt, stem, _("Scores"))
    return download(to_xlsx({_("Scores"): scores, _("Results"): ranking}), XLSX, f"{stem}.xlsx")


@bp.post("/programmes/<int:programme_id>/shortlist")
@require_permission(Permission.AWARDS_ORGANISE)
def programme_shortlist(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    chosen = {n for n in map(parse_whole, request.form.getlist("submission")) if n is not None}
    return act(lambda: shortlist(current_user, programme, chosen),
               _("The shortlist was saved; the final round has started."),
               url_for("awards.programme_results", programme_id=programme.id))


@bp.post("/programmes/<int:programme_id>/publish")
@require_permission(Permission.AWARDS_ORGANISE)
def programme_publish(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    if not confirmed() and would_succeed(lambda: publish(current_user, programme)):
        return ask_confirmation(Confirmation(
            _("Publish the results of “%(title)s”?", title=programme.title),
            [_("Everyone in the portal can then see the winners and the ranking."),
             _("The entrant municipalities are told. Published results cannot be withdrawn.")],
            _("Publish the results"), back=url_for("awards.programme_results", programme_id=programme.id)))
    return act(lambda: publish(current_user, programme), _("The results were published."),
               url_for("awards.programme_results", programme_id=programme.id))


@bp.post("/submissions/<int:submission_id>/casebook")
@require_permission(Permission.AWARDS_ORGANISE)
def submission_to_casebook(submission_id: int) -> ResponseReturnValue:
    submission = load_submission(submission_id)
    programme = load_programme(submission.programme_id)
    try:
        send_to_casebook(current_user, programme, submission)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("awards.programme_results", programme_id=programme.id)), 303
    flash(_("The entry was sent to the casebook as a case draft of its municipality."), "success")
    return redirect(url_for("awards.programme_results", programme_id=programme.id))
