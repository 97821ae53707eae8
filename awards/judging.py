"""Judges, assignments, conflicts of interest, score sheets, results and publication.

Visibility rule, applied by every reader here: a judge sees a submission only when (1) it is
assigned to them (its category or the submission itself), (2) it is not withdrawn, (3) it is not
from the judge's own municipality (automatic conflict), (4) the judge has not declared a conflict
with it, and (5) in the final stage it is on the shortlist. Everything a judge is shown — lists,
counts, progress bars, exports, charts — is computed from ``visible_submissions`` only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from awards.blind import judge_code
from awards.models import (
    Assignment,
    Judge,
    JudgePoolMember,
    Programme,
    Recusal,
    Score,
    ScoreSheet,
    Submission,
)
from awards.scoring import (
    CriterionSpec,
    EntryInput,
    EntryResult,
    JudgeStatistics,
    SheetInput,
    compute_results,
    judge_statistics,
    weighted_total,
)
from awards.services import judging_window_open, utcnow
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from kernel.notifications import notify
from kernel.numbers import parse_whole
from tenants.models import User

# Judge pool and programme judges ---------------------------------------------------------------


def ensure_in_pool(user: User) -> None:
    """List a person holding the judge role in the pool curators pick judges from (idempotent)."""
    row = db.session.get(JudgePoolMember, (user.tenant_id, user.id))
    if row is None:
        db.session.add(JudgePoolMember(judge_tenant=user.tenant_id, judge_user_id=user.id,
                                       display_name=user.display_name))
        db.session.flush()
        audit.record("award.judge_pool.join", "user", user.id)
    elif row.display_name != user.display_name:
        row.display_name = user.display_name
        db.session.flush()


def judge_pool() -> list[JudgePoolMember]:
    return list(db.session.scalars(select(JudgePoolMember).order_by(JudgePoolMember.judge_tenant,
                                                                    JudgePoolMember.display_name)))


def add_judge(actor: User, programme: Programme, judge_tenant: str, judge_user_id: int) -> Judge:
    """Make a person of the pool a judge of the programme (curators)."""
    member = db.session.get(JudgePoolMember, (judge_tenant, judge_user_id))
    if member is None:
        raise ServiceError(_("Choose a judge from the list."), "judge")
    existing = db.session.scalar(select(Judge).where(Judge.programme_id == programme.id,
                                                     Judge.judge_tenant == judge_tenant,
                                                     Judge.judge_user_id == judge_user_id))
    if existing is not None:
        return existing
    judge = Judge(programme_id=programme.id, judge_tenant=judge_tenant, judge_user_id=judge_user_id,
                  display_name=member.display_name)
    db.session.add(judge)
    db.session.flush()
    audit.record("award.judge.add", "award_judge", judge.id,
                 after={"programme_id": programme.id, "tenant": judge_tenant, "user_id": judge_user_id})
    return judge


def remove_judge(actor: User, programme: Programme, judge: Judge) -> None:
    if db.session.scalar(select(ScoreSheet.id).where(ScoreSheet.judge_id == judge.id).limit(1)):
        raise ServiceError(_("A judge who has scored cannot be removed."))
    before = {"tenant": judge.judge_tenant, "user_id": judge.judge_user_id}
    db.session.delete(judge)
    db.session.flush()
    audit.record("award.judge.remove", "award_judge", judge.id, before=before)


def list_judges(programme: Programme) -> list[Judge]:
    return list(db.session.scalars(select(Judge).where(Judge.programme_id == programme.id)
                                   .order_by(Judge.display_name, Judge.id)))


def judge_of(programme: Programme, user: User) -> Optional[Judge]:
    """The Judge row of this user in this programme (judge role still required)."""
    from tenants.roles import Permission

    if not user.can(Permission.AWARDS_JUDGE):
        return None
    return db.session.execute(select(Judge).where(Judge.programme_id == programme.id,
                                                  Judge.judge_tenant == user.tenant_id,
                                                  Judge.judge_user_id == user.id)
                              .options(joinedload(Judge.assignments))).unique().scalar_one_or_none()


def assign(actor: User, programme: Programme, judge: Judge, category_id: Optional[int] = None,
           submission: Optional[Submission] = None) -> Assignment:
    """Assign a judge to a category or to one submission; never to their own municipality's entry."""
    if (category_id is None) == (submission is None):
        raise ServiceError(_("Choose a category or an entry."), "target")
    if category_id is not None and category_id not in {c.id for c in programme.categories}:
        raise ServiceError(_("Choose a category or an entry."), "target")
    if submission is not None:
        if submission.programme_id != programme.id:
            raise ServiceError(_("Choose a category or an entry."), "target")
        if submission.entrant_code == judge.judge_tenant:
            raise ServiceError(_("A judge cannot be assigned to an entry of their own municipality."), "target")
    for existing in judge.assignments:
        if existing.category_id == category_id and existing.submission_id == (submission.id if submission else None):
            return existing
    row = Assignment(judge_id=judge.id, category_id=category_id,
                     submission_id=submission.id if submission is not None else None)
    judge.assignments.append(row)
    db.session.flush()
    audit.record("award.judge.assign", "award_judge", judge.id,
                 after={"category_id": category_id, "submission_id": row.submission_id})
    notify("awards.judge_assigned", url=f"/awards/judging/{programme.id}", actor=(actor.tenant_id, actor.id),
           judge=(judge.judge_tenant, judge.judge_user_id), title=programme.title)
    return row


def unassign(actor: User, judge: Judge, assignment: Assignment) -> None:
    before = {"category_id": assignment.category_id, "submission_id": assignment.submission_id}
    judge.assignments.remove(assignment)
    db.session.flush()
    audit.record("award.judge.unassign", "award_judge", judge.id, before=before)


# Visibility --------------------------------------------------------------------------------------


def _live(programme: Programme, stage: Optional[str] = None) -> list[Any]:
    """Conditions of the live (not withdrawn) submissions of a programme; in the final stage, the shortlist."""
    conditions = [Submission.programme_id == programme.id, Submission.withdrawn_at.is_(None)]
    if (stage or programme.stage) == "final":
        conditions.append(Submission.shortlisted.is_(True))
    return conditions


def submissions_of(programme: Programme, stage: Optional[str] = None) -> list[Submission]:
    """Live (not withdrawn) submissions of a programme; in the final stage, the shortlist."""
    return list(db.session.scalars(select(Submission).where(*_live(programme, stage))
                                   .order_by(Submission.reference_no)))


def recusals_of(judge: Judge) -> dict[int, Recusal]:
    return {r.submission_id: r for r in db.session.scalars(select(Recusal).where(Recusal.judge_id == judge.id))}


def is_conflicted(judge: Judge, submission: Submission, recusals: Optional[dict[int, Recusal]] = None) -> bool:
    """Own municipality (automatic) or a declared conflict."""
    if submission.entrant_code == judge.judge_tenant:
        return True
    recusals = recusals if recusals is not None else recusals_of(judge)
    return submission.id in recusals


def _assigned(judge: Judge, submission: Any) -> bool:
    return any(a.category_id == submission.category_id or a.submission_id == submission.id
               for a in judge.assignments)


def visible_submissions(judge: Judge, programme: Programme, stage: Optional[str] = None) -> list[Submission]:
    """What this judge may see and score in the stage (the single source of every judge-facing view).

    Ordered by the judge code (a keyed hash), so that neither the order nor any gap in numbering tells a
    judge about entries hidden from them."""
    recusals = recusals_of(judge)
    return sorted((s for s in submissions_of(programme, stage)
                   if _assigned(judge, s) and not is_conflicted(judge, s, recusals)),
                  key=lambda s: judge_code(s.id))


def visible_submission(judge: Judge, programme: Programme, submission_id: int) -> Optional[Submission]:
    """One submission if this judge may see it: the rule of visible_submissions, asked of that one row only
    (live in the stage and not recused in SQL, assigned and not of the judge's municipality here)."""
    not_recused = ~select(Recusal.id).where(Recusal.judge_id == judge.id,
                                            Recusal.submission_id == Submission.id).exists()
    submission = db.session.execute(select(Submission).where(Submission.id == submission_id, not_recused,
                                                             *_live(programme))
                                    .options(joinedload(Submission.files))).unique().scalar_one_or_none()
    if submission is None or not _assigned(judge, submission) or submission.entrant_code == judge.judge_tenant:
        return None
    return submission


# Judge code → submission id, per worker: the code is a pure function of the app's key and the id (the same
# for every judge), so the mapping never changes; a code not seen yet is looked up among the programme's ids.
_ids_by_code: dict[tuple[str, str], int] = {}


# The live submissions of a programme in its current stage, for a code not seen yet (the scoring page's statement
# needs the id before it runs: it reads the programme in the same statement).
_LIVE_IDS = text("SELECT s.id FROM award_submissions s JOIN award_programmes p ON p.id = s.programme_id "
                 "WHERE p.id = :programme_id AND s.withdrawn_at IS NULL AND (p.stage <> 'final' OR s.shortlisted)")


def submission_id_by_code(programme_id: int, code: str) -> Optional[int]:
    """The id of the live submission of the programme that ``code`` names, or None; visibility is not checked."""
    from flask import current_app

    key = (str(current_app.secret_key or ""), code)
    submission_id = _ids_by_code.get(key)
    if submission_id is None:
        for candidate in db.session.scalars(_LIVE_IDS, {"programme_id": programme_id}):
            if judge_code(candidate) == code:
                submission_id = _ids_by_code[key] = candidate
                break
    return submission_id


def visible_by_code(judge: Judge, programme: Programme, code: str) -> Optional[Submission]:
    """The visible submission a judge knows by this code, or None (hidden and unknown look the same)."""
    submission_id = submission_id_by_code(programme.id, code)
    return None if submission_id is None else visible_submission(judge, programme, submission_id)


def declare_conflict(actor: User, judge: Judge, submission: Submission, reason: str) -> Recusal:
    """A judge declares a conflict of interest with an entry (visible to curators)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the conflict of interest."), "reason")
    if len(reason) > 2000:
        raise ServiceError(_("The reason must be at most 2,000 characters."), "reason")
    row = Recusal(judge_id=judge.id, submission_id=submission.id, reason=reason)
    db.session.add(row)
    db.session.flush()
    audit.record("award.judge.recuse", "award_judge", judge.id, after={"submission_id": submission.id,
                                                                      "reason": reason})
    return row


def recusals_of_programme(programme: Programme) -> list[tuple[Recusal, str, Submission]]:
    """Declared conflicts with the judge's name and the entry (curators)."""
    rows = db.session.execute(
        select(Recusal, Judge.display_name, Submission).join(Judge, Judge.id == Recusal.judge_id)
        .join(Submission, Submission.id == Recusal.submission_id)
        .where(Judge.programme_id == programme.id).order_by(Recusal.created_at))
    return [(r, j, s) for r, j, s in rows]


# Score sheets -----------------------------------------------------------------------------------


def sheet_of(judge: Judge, submission: Submission, stage: str) -> Optional[ScoreSheet]:
    return db.session.execute(select(ScoreSheet).where(ScoreSheet.judge_id == judge.id,
                                                       ScoreSheet.submission_id == submission.id,
                                                       ScoreSheet.stage == stage)
                              .options(joinedload(ScoreSheet.scores))).unique().scalar_one_or_none()


def parse_scores(programme: Programme, raw: dict[str, str], complete: bool) -> dict[int, int]:
    """Integer scores on each criterion's scale; every criterion is required when submitting."""
    values: dict[int, int] = {}
    for criterion in programme.criteria:
        text = (raw.get(str(criterion.id)) or "").strip()
        if not text:
            if complete:
                raise ServiceError(_("Score every criterion before submitting."), f"score-{criterion.id}")
            continue
        value = parse_whole(text, negative=True)  # full-width digits too; '²' or '①' never
        if value is None:
            raise ServiceError(_("Scores are whole numbers."), f"score-{criterion.id}")
        if not criterion.scale_min <= value <= criterion.scale_max:
            raise ServiceError(_("%(name)s: choose a score from %(low)d to %(high)d.", name=criterion.name,
                                 low=criterion.scale_min, high=criterion.scale_max), f"score-{criterion.id}")
        values[criterion.id] = value
    return values


def save_sheet(actor: User, judge: Judge, programme: Programme, submission: Submission, raw: dict[str, str],
               comment: str, final: bool, now: Optional[datetime] = None) -> ScoreSheet:
    """Save a draft or submit the final score sheet (then locked until a curator reopens it)."""
    now = now or utcnow()
    if visible_submission(judge, programme, submission.id) is None:
        raise ServiceError(_("This entry is not assigned to you."))
    if not judging_window_open(programme, now):
        raise ServiceError(_("Scores can only be given during the judging period."))
    if programme.is_published:
        raise ServiceError(_("The results are published: scores can no longer change."))
    if not programme.criteria:
        raise ServiceError(_("The rubric has no criteria yet."))
    sheet = sheet_of(judge, submission, programme.stage)
    if sheet is not None and sheet.is_final:
        raise ServiceError(_("This score sheet is submitted and locked. Ask a curator to reopen it."))
    values = parse_scores(programme, raw, complete=final)
    comment = (comment or "").strip() if programme.comment_mode != "off" else ""
    if len(comment) > 4000:
        raise ServiceError(_("The comment must be at most 4,000 characters."), "comment")
    if final and programme.comment_mode == "required" and not comment:
        raise ServiceError(_("A comment is required for this programme."), "comment")
    before = None
    if sheet is None:
        sheet = ScoreSheet(judge_id=judge.id, submission_id=submission.id, stage=programme.stage)
        db.session.add(sheet)
    else:
        before = {"values": sheet.values(), "comment": sheet.comment}
    sheet.comment, sheet.updated_at = comment, now
    sheet.scores = [Score(criterion_id=cid, value=v) for cid, v in sorted(values.items())]
    if final:
        sheet.is_final, sheet.submitted_at = True, now
    db.session.flush()
    audit.record("award.score.submit" if final else "award.score.draft", "award_score_sheet", sheet.id,
                 before=before, after={"submission_id": submission.id, "stage": sheet.stage,
                                       "values": {str(k): v for k, v in values.items()}, "comment": comment})
    return sheet


def reopen_sheet(actor: User, programme: Programme, sheet: ScoreSheet) -> None:
    """A curator unlocks a submitted score sheet so its judge can change it."""
    if programme.is_published:
        raise ServiceError(_("The results are published: scores can no longer change."))
    if not sheet.is_final:
        raise ServiceError(_("This score sheet is not submitted."))
    sheet.is_final, sheet.submitted_at = False, None
    db.session.flush()
    audit.record("award.score.reopen", "award_score_sheet", sheet.id, before={"is_final": True},
                 after={"is_final": False})


def sheets_of_judge(judge: Judge, stage: str) -> dict[int, ScoreSheet]:
    return {s.submission_id: s for s in db.session.scalars(
        select(ScoreSheet).where(ScoreSheet.judge_id == judge.id, ScoreSheet.stage == stage))}


@dataclass(frozen=True)
class Progress:
    done: int
    drafts: int
    total: int

    @property
    def percent(self) -> int:
        return 0 if self.total == 0 else (100 * self.done) // self.total


def progress(judge: Judge, programme: Programme) -> Progress:
    """Final sheets over the submissions this judge may see (conflicted ones never count)."""
    visible = {s.id for s in visible_submissions(judge, programme)}
    sheets = sheets_of_judge(judge, programme.stage)
    done = sum(1 for sid, s in sheets.items() if sid in visible and s.is_final)
    drafts = sum(1 for sid, s in sheets.items() if sid in visible and not s.is_final)
    return Progress(done, drafts, len(visible))


@dataclass
class Snapshot:
    """Everything about a programme's judging in one stage, loaded with a fixed number of statements."""

    submissions: list[Submission]
    judges: list[Judge]
    recused: dict[int, set[int]]  # judge id → submission ids
    sheets: dict[int, dict[int, ScoreSheet]]  # judge id → submission id → sheet

    def visible(self, judge: Judge) -> list[Submission]:
        """The same rule as visible_submissions, on the preloaded rows."""
        recused = self.recused.get(judge.id, set())
        return [s for s in self.submissions if _assigned(judge, s) and s.entrant_code != judge.judge_tenant
                and s.id not in recused]

    def progress(self, judge: Judge) -> Progress:
        visible = {s.id for s in self.visible(judge)}
        sheets = self.sheets.get(judge.id, {})
        done = sum(1 for sid, sh in sheets.items() if sid in visible and sh.is_final)
        drafts = sum(1 for sid, sh in sheets.items() if sid in visible and not sh.is_final)
        return Progress(done, drafts, len(visible))


def snapshot(programme: Programme, stage: Optional[str] = None) -> Snapshot:
    stage = stage or programme.stage
    judges = list_judges(programme)
    recused: dict[int, set[int]] = {}
    for judge_id, submission_id in db.session.execute(
            select(Recusal.judge_id, Recusal.submission_id).join(Judge, Judge.id == Recusal.judge_id)
            .where(Judge.programme_id == programme.id)):
        recused.setdefault(judge_id, set()).add(submission_id)
    sheets: dict[int, dict[int, ScoreSheet]] = {}
    for sheet in db.session.scalars(select(ScoreSheet).join(Judge, Judge.id == ScoreSheet.judge_id)
                                    .where(Judge.programme_id == programme.id, ScoreSheet.stage == stage)):
        sheets.setdefault(sheet.judge_id, {})[sheet.submission_id] = sheet
    return Snapshot(submissions_of(programme, stage), judges, recused, sheets)


def completion(programme: Programme) -> list[tuple[Judge, Progress]]:
    """Curators' completion view: every judge's progress in the current stage."""
    snap = snapshot(programme)
    return [(judge, snap.progress(judge)) for judge in snap.judges]


# Results --------------------------------------------------------------------------------------


def criterion_specs(programme: Programme) -> list[CriterionSpec]:
    return [CriterionSpec(c.id, c.weight, c.scale_min, c.scale_max, c.position) for c in programme.criteria]


def eligible_final_sheets(programme: Programme, stage: str,
                          snap: Optional[Snapshot] = None) -> list[tuple[Judge, ScoreSheet]]:
    """Final sheets that count: only pairs the judge may still see (a later recusal removes a sheet)."""
    snap = snap or snapshot(programme, stage)
    result = []
    for judge in snap.judges:
        visible = {s.id for s in snap.visible(judge)}
        for sid, sheet in snap.sheets.get(judge.id, {}).items():
            if sheet.is_final and sid in visible and len(sheet.scores) == len(programme.criteria):
                result.append((judge, sheet))
    return result


@dataclass
class ResultRow:
    result: EntryResult
    submission: Submission


def results(programme: Programme, stage: Optional[str] = None, snap: Optional[Snapshot] = None) -> list[ResultRow]:
    """Weighted totals, raw means, normalised scores and ranks per category for one stage."""
    stage = stage or programme.stage
    snap = snap or snapshot(programme, stage)
    subs = {s.id: s for s in snap.submissions}
    entries = [EntryInput(s.id, s.category_id, s.reference_no) for s in subs.values()]
    sheets = [SheetInput(judge.id, sheet.submission_id, sheet.values())
              for judge, sheet in eligible_final_sheets(programme, stage, snap)]
    return [ResultRow(r, subs[r.submission_id]) for r in compute_results(criterion_specs(programme), entries, sheets)]


@dataclass
class JudgeRow:
    """One judge's line of the curators' per-judge table: raw totals, mean, σ and z per entry."""

    judge: Judge
    stats: JudgeStatistics


@dataclass
class StageResults:
    stage: str
    rows: list[ResultRow]
    judges: list[JudgeRow]


def judge_table(programme: Programme, stage: Optional[str] = None, snap: Optional[Snapshot] = None
                ) -> list[JudgeRow]:
    """Each judge's statistics in one stage (final sheets that count only), in the judges' order."""
    stage = stage or programme.stage
    specs = criterion_specs(programme)
    per_judge: dict[int, dict[int, int]] = {}
    judges: dict[int, Judge] = {}
    for judge, sheet in eligible_final_sheets(programme, stage, snap):
        judges[judge.id] = judge
        per_judge.setdefault(judge.id, {})[sheet.submission_id] = weighted_total(specs, sheet.values())
    stats = judge_statistics(per_judge)
    return [JudgeRow(judges[j], stats[j]) for j in sorted(stats, key=lambda j: (judges[j].display_name, j))]


def stage_results(programme: Programme, with_judges: bool = False) -> list[StageResults]:
    """Every stage reached, oldest first: the screening's results stay after the move to the final."""
    stages = ["screening", "final"] if programme.stage == "final" else [programme.stage]
    out = []
    for stage in stages:
        snap = snapshot(programme, stage)  # one load per stage for both the ranking and the judge table
        out.append(StageResults(stage, results(programme, stage, snap),
                                judge_table(programme, stage, snap) if with_judges else []))
    return out


def shortlist(actor: User, programme: Programme, submission_ids: set[int]) -> None:
    """Move the chosen screening entries into the final stage."""
    if programme.stage != "screening" or not programme.has_final:
        raise ServiceError(_("The shortlist is drawn from the first screening only."))
    if programme.is_published:
        raise ServiceError(_("The results are already published."))
    live = {s.id: s for s in submissions_of(programme, "screening")}
    if not submission_ids or not submission_ids <= set(live):
        raise ServiceError(_("Choose at least one entry for the final."), "submissions")
    for sid, submission in live.items():
        submission.shortlisted = sid in submission_ids
    programme.stage = "final"
    programme.shortlisted_at = utcnow()
    programme.shortlisted_by_user_id = actor.id
    programme.shortlisted_by_name = actor.display_name
    db.session.flush()
    audit.record("award.programme.shortlist", "award_programme", programme.id,
                 after={"stage": "final", "shortlist": sorted(submission_ids)})


def publish(actor: User, programme: Programme, now: Optional[datetime] = None) -> None:
    """Lift the embargo: entrants then see their own result and the published ranking."""
    if programme.is_published:
        raise ServiceError(_("The results are already published."))
    if not any(r.result.rank for r in results(programme)):
        raise ServiceError(_("No entry has a submitted score yet."))
    programme.results_published_at = now or utcnow()
    db.session.flush()
    audit.record("award.programme.publish", "award_programme", programme.id,
                 after={"results_published_at": programme.results_published_at, "stage": programme.stage})
    notify("awards.results_published", url=f"/awards/programmes/{programme.id}/results",
           actor=(actor.tenant_id, actor.id), title=programme.title,
           tenants=sorted({s.entrant_code for s in submissions_of(programme, "screening")}))


def send_to_casebook(actor: User, programme: Programme, submission: Submission) -> int:
    """Send a winning entry into the casebook's curation flow as a case draft of its municipality."""
    from awards.integration import casebook_available, create_case_from_award

    if not casebook_available():
        raise ServiceError(_("The casebook is not available."))
    if not programme.is_published:
        raise ServiceError(_("Publish the results first."))
    if submission.sent_to_casebook_case_id is not None:
        raise ServiceError(_("This entry has already been sent to the casebook."))
    fields = {"title": submission.title, "summary": submission.summary, "problem": submission.background,
              "approach": submission.activities, "outcomes": submission.effects, "tools": submission.system,
              "themes": "", "ingenuity": submission.ingenuity}
    label = f"{programme.title} ({submission.reference})"
    case_id = create_case_from_award(submission.entrant_code, fields, label, actor.id)
    submission.sent_to_casebook_case_id = case_id
    db.session.flush()
    audit.record("award.submission.to_casebook", "award_submission", submission.id, after={"case_id": case_id})
    return case_id
