"""Judges' pages: the entries assigned to them, score sheets, conflicts, their own exports and chart."""
from __future__ import annotations

from typing import Any, Optional

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from awards import bp, scoring_page
from awards.blind import anonymous_filename, judge_code, redact, strip_pdf_metadata
from awards.chart import judge_distribution_svg
from awards.exports import judge_rows, to_csv, to_xlsx
from awards.forms import RecuseForm, recuse_csrf_field
from awards.judging import (
    Snapshot,
    criterion_specs,
    declare_conflict,
    judge_of,
    progress,
    save_sheet,
    sheet_of,
    sheets_of_judge,
    visible_by_code,
    visible_submissions,
)
from awards.models import Judge, Programme, ScoreSheet, Submission
from awards.scoring import weighted_total
from awards.scoring_page import Entrant, ProgrammeView, SheetView, criterion_rows, fields_html, rubric_html
from awards.services import judging_window_open
from awards.views.common import XLSX, denied, download, entrant_label, load_programme, tenant_names
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.i18n import current_lang
from kernel.views import act
from tenants.auth import require_permission
from tenants.models import Tenant
from tenants.roles import Permission


def _judge(programme: Programme) -> Judge:
    judge = judge_of(programme, current_user)
    if judge is None:
        denied("award_programme_judging", programme.id)
    return judge


def _visible(programme_id: int, code: str) -> tuple[Programme, Judge, Submission]:
    """The submission this judge knows by ``code`` — 404 otherwise, the same answer as for no entry at all."""
    programme = load_programme(programme_id, with_criteria=True)
    judge = judge_of(programme, current_user)
    submission = visible_by_code(judge, programme, code) if judge is not None else None
    if submission is None:
        denied("award_submission", code)
    return programme, judge, submission  # type: ignore[return-value]


def shown_text(programme: Programme, submission: Submission, text: str, names: dict[str, Any]) -> str:
    tenant = names.get(submission.entrant_code)
    return redact(text, tenant) if programme.blind and tenant is not None else text


def totals_of(judge: Judge, programme: Programme, snap: Optional[Snapshot] = None) -> list[int]:
    """The judge's final weighted totals over the entries they may see (what their chart shows)."""
    specs = criterion_specs(programme)
    if snap is not None:
        visible, sheets = {s.id for s in snap.visible(judge)}, snap.sheets.get(judge.id, {})
    else:
        visible = {s.id for s in visible_submissions(judge, programme)}
        sheets = sheets_of_judge(judge, programme.stage)
    return [weighted_total(specs, sheet.values()) for sid, sheet in sheets.items()
            if sid in visible and sheet.is_final and len(sheet.scores) == len(specs)]


def scale_bounds(programme: Programme) -> tuple[int, int]:
    return (sum(c.weight * c.scale_min for c in programme.criteria),
            sum(c.weight * c.scale_max for c in programme.criteria))


@bp.get("/judging/<int:programme_id>")
@require_permission(Permission.AWARDS_JUDGE)
def judging(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    judge = _judge(programme)
    names = tenant_names()
    sheets = sheets_of_judge(judge, programme.stage)
    rows = [(s, judge_code(s.id), shown_text(programme, s, s.title, names), sheets.get(s.id),
             None if programme.blind else entrant_label(names, s.entrant_code, current_lang()))
            for s in visible_submissions(judge, programme)]
    low, high = scale_bounds(programme)
    chart = judge_distribution_svg(judge.display_name, totals_of(judge, programme), low, high, "chart-own")
    return render_template("awards/judging.html", programme=programme, judge=judge, rows=rows,
                           progress=progress(judge, programme), chart=chart,
                           window_open=judging_window_open(programme))


@bp.route("/judging/<int:programme_id>/<code>", methods=["GET", "POST"])
@require_permission(Permission.AWARDS_JUDGE)
def score(programme_id: int, code: str) -> ResponseReturnValue:
    if request.method == "POST":
        return _save_scores(programme_id, code)
    page = scoring_page.load(programme_id, code, current_user.tenant_id, current_user.id)
    if page is None:
        abort(404)
    submission = page.submission
    if page.judge_id is None or submission is None:
        denied("award_submission", code)
    sheet = page.sheet
    return _score_page(page.programme, code, submission.texts, submission.entrant_code, submission.entrant,
                       submission.filenames, sheet,
                       {str(k): str(v) for k, v in sheet.scores.items()} if sheet else {},
                       sheet.comment if sheet else "")


def _save_scores(programme_id: int, code: str) -> ResponseReturnValue:
    """The judge's POST: a draft or the final scores, through ``save_sheet`` on the entities (as it checks them)."""
    programme, judge, submission = _visible(programme_id, code)
    sheet = sheet_of(judge, submission, programme.stage)
    values = {str(c.id): request.form.get(f"score-{c.id}", "") for c in programme.criteria}
    comment = request.form.get("comment", "")
    final = request.form.get("action") == "submit"
    if final and not confirmed() and would_succeed(
            lambda: save_sheet(current_user, judge, programme, submission, values, comment, final)):
        return ask_confirmation(Confirmation(
            _("Submit your final scores for this entry?"),
            [_("Your scores are then final: you can no longer change them (only the organiser can reopen the "
               "sheet)."), _("To keep working on them, go back and save a draft instead.")],
            _("Submit the final scores"), back=url_for("awards.score", programme_id=programme.id, code=code)))
    try:
        save_sheet(current_user, judge, programme, submission, values, comment, final)
    except ServiceError as exc:
        names = tenant_names(submission.entrant_code)  # the entrant's names only: the redaction and the label
        return _score_page(programme, code, {k: getattr(submission, k) for k in scoring_page.TEXT_FIELDS},
                           submission.entrant_code, names.get(submission.entrant_code),
                           [f.filename for f in submission.files], sheet, values, comment, exc.message,
                           exc.field, 400)
    flash(_("Your scores were submitted.") if final else _("Your draft was saved."), "success")
    if final:
        return redirect(url_for("awards.judging", programme_id=programme.id))
    return redirect(url_for("awards.score", programme_id=programme.id, code=code))


def _score_page(programme: Programme | ProgrammeView, code: str, texts: dict[str, str], entrant_code: str,
                entrant: Optional[Tenant | Entrant], filenames: list[str], sheet: Optional[ScoreSheet | SheetView],
                values: dict[str, str], comment: str,
                error: Optional[str] = None, error_field: Optional[str] = None, status: int = 200
                ) -> ResponseReturnValue:
    """The scoring page, from the page's plain rows (GET) or from the entities (a POST refused): ``programme``
    has the rubric as ``criteria``, ``entrant`` the municipality's names (None: unknown; nothing to redact)."""
    blind = programme.blind
    lang = current_lang()
    window_open = judging_window_open(programme)
    criteria = programme.criteria if isinstance(programme, ProgrammeView) else criterion_rows(programme.criteria)
    rubric = rubric_html(criteria, values, bool(sheet and sheet.is_final) or not window_open, error_field)
    text = {k: redact(v, entrant) if blind and entrant is not None else v for k, v in texts.items()}
    return render_template(
        "awards/score.html", programme=programme, code=code, text=text, fields=fields_html(text), sheet=sheet,
        rubric=rubric, comment=comment,
        error=error, error_field=error_field,
        entrant=None if blind else (entrant.name(lang) if entrant is not None else entrant_code),
        recuse_csrf=recuse_csrf_field, recuse_form=_recuse_form, window_open=window_open,
        files=[(i, anonymous_filename(i) if blind else name) for i, name in enumerate(filenames, start=1)]), status


def _recuse_form() -> RecuseForm:
    """The conflict form's fields for the page's cached fragment (rendered once per language; no CSRF field)."""
    return RecuseForm(formdata=None, meta={"csrf": False})


@bp.post("/judging/<int:programme_id>/<code>/recuse")
@require_permission(Permission.AWARDS_JUDGE)
def recuse(programme_id: int, code: str) -> ResponseReturnValue:
    programme, judge, submission = _visible(programme_id, code)
    form = RecuseForm()
    return act(lambda: declare_conflict(current_user, judge, submission, form.reason.data or ""),
               _("Your conflict of interest was recorded; the entry is no longer assigned to you."),
               url_for("awards.score", programme_id=programme.id, code=code) + "#recuse",
               onward=url_for("awards.judging", programme_id=programme.id))


@bp.get("/judging/<int:programme_id>/<code>/files/<int:position>")
@require_permission(Permission.AWARDS_JUDGE)
def submission_file(programme_id: int, code: str, position: int) -> ResponseReturnValue:
    programme, _judge_row, submission = _visible(programme_id, code)
    if not 1 <= position <= len(submission.files):
        abort(404)
    file = submission.files[position - 1]
    if programme.blind:
        try:
            data = strip_pdf_metadata(file.data)
        except Exception:  # noqa: BLE001 - an unreadable PDF is not served rather than leaking metadata
            abort(404)
        name = anonymous_filename(position)
    else:
        data, name = file.data, file.filename
    return download(data, "application/pdf", name)


@bp.get("/judging/<int:programme_id>/scores.<fmt>")
@require_permission(Permission.AWARDS_JUDGE)
def judging_export(programme_id: int, fmt: str) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    judge = _judge(programme)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    names = {code: t.name(current_lang()) for code, t in tenant_names().items()}
    rows = judge_rows(judge, programme, not programme.blind, names, for_judge=True)
    if programme.blind:
        tenants = tenant_names()
        subs = {judge_code(s.id): s for s in visible_submissions(judge, programme)}
        rows = [rows[0], *[[*r[:2], shown_text(programme, subs[r[0]], r[2], tenants), *r[3:]] for r in rows[1:]]]
    return export_response(rows, fmt, f"scores-{programme.id}-judge-{judge.id}", _("Scores"))


def export_response(rows: list[Any], fmt: str, stem: str, sheet_title: str) -> Response:
    if fmt == "csv":
        return download(to_csv(rows), "text/csv", f"{stem}.csv")
    return download(to_xlsx({sheet_title: rows}), XLSX, f"{stem}.{fmt}")


@bp.get("/judging/<int:programme_id>/chart.svg")
@require_permission(Permission.AWARDS_JUDGE)
def judging_chart(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    judge = _judge(programme)
    low, high = scale_bounds(programme)
    svg = judge_distribution_svg(judge.display_name, totals_of(judge, programme), low, high, "chart")
    return Response(svg, mimetype="image/svg+xml")
