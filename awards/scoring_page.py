"""What the judge's scoring page shows, read as plain rows in one statement (issue 25.5).

The page (a GET of ``/awards/judging/<programme>/<code>``) is read on every visit and writes nothing, so it loads
no ORM entities. One statement, built once, returns the programme with its rubric, the viewer's judge row, the
submission the code names *if this judge may see it*, its attachments' names, its municipality's names (for the
redaction and the label) and the judge's score sheet with its scores. Through the ORM the same page took five
statements after the session check and some 5 ms of Python per request.

The submission is joined under the visibility rule of ``judging.visible_submission`` (the single source of every
judge-facing view), written here in SQL: live in the programme's stage (not withdrawn; in the final, shortlisted),
assigned to the judge (its category or the submission itself), not from the judge's own municipality and not
recused. tests/awards/test_scoring_page.py checks the rows against the entities and that rule.

The POST (saving a draft or the final scores) keeps the entities: ``judging.save_sheet`` checks and writes them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import text

from awards.judging import submission_id_by_code
from kernel.extensions import db

# The rubric, the attachments and the scores come as arrays (one subquery each), the municipality as one array:
# PostgreSQL plans these in a fraction of the separate statements' time. A missing judge row or a submission the
# judge may not see leaves the judge's or the submission's columns NULL (the programme's row still comes, so that
# an unknown programme stays a plain 404 and a hidden entry the audited one, as before).
_PAGE = text("""
SELECT p.id, p.blind, p.comment_mode, p.stage, p.judging_opens_at, p.judging_closes_at,
       (SELECT array_agg(ARRAY[c.id::text, c.name, c.description, c.weight::text, c.scale_min::text,
                               c.scale_max::text, c.levels] ORDER BY c.position, c.id)
        FROM award_criteria c WHERE c.programme_id = p.id),
       j.id, s.id, s.entrant_code, s.title, s.summary, s.background, s.activities, s.system, s.effects, s.ingenuity,
       (SELECT array_agg(f.filename ORDER BY f.id) FROM award_submission_files f WHERE f.submission_id = s.id),
       (SELECT ARRAY[t.name_ja, t.name_en, t.name_kana] FROM tenants t WHERE t.code = s.entrant_code),
       sh.id, sh.is_final, sh.comment,
       (SELECT array_agg(ARRAY[x.criterion_id, x.value]) FROM award_scores x WHERE x.sheet_id = sh.id)
FROM award_programmes p
LEFT JOIN award_judges j ON j.programme_id = p.id AND j.judge_tenant = :tenant AND j.judge_user_id = :user_id
LEFT JOIN award_submissions s ON s.id = :submission_id AND s.programme_id = p.id AND s.withdrawn_at IS NULL
     AND (p.stage <> 'final' OR s.shortlisted) AND s.entrant_code <> j.judge_tenant
     AND EXISTS (SELECT 1 FROM award_assignments a WHERE a.judge_id = j.id
                 AND (a.category_id = s.category_id OR a.submission_id = s.id))
     AND NOT EXISTS (SELECT 1 FROM award_recusals r WHERE r.judge_id = j.id AND r.submission_id = s.id)
LEFT JOIN award_score_sheets sh ON sh.judge_id = j.id AND sh.submission_id = s.id AND sh.stage = p.stage
WHERE p.id = :programme_id""")

TEXT_FIELDS = ("title", "summary", "background", "activities", "system", "effects", "ingenuity")


@dataclass(frozen=True, slots=True)
class CriterionRow:
    id: int
    name: str
    description: str
    weight: int
    scale_min: int
    scale_max: int
    levels: str

    @property
    def level_lines(self) -> list[tuple[int, str]]:
        """Each score of the scale with its level's description ('' where none), as ``Criterion.level_lines``."""
        lines = [line.strip() for line in self.levels.splitlines()]
        values = range(self.scale_min, self.scale_max + 1)
        return [(v, lines[i] if i < len(lines) else "") for i, v in enumerate(values)]


@dataclass(frozen=True, slots=True)
class ProgrammeView:
    """The programme as the page (and ``services.judging_window_open``) reads it."""

    id: int
    blind: bool
    comment_mode: str
    stage: str
    judging_opens_at: datetime
    judging_closes_at: datetime
    criteria: list[CriterionRow]


@dataclass(frozen=True, slots=True)
class Entrant:
    """The submitting municipality's names: what ``blind.redact`` masks and what a non-blind page shows."""

    name_ja: str
    name_en: str
    name_kana: str

    def name(self, locale: str = "ja") -> str:
        return self.name_en if locale == "en" else self.name_ja


@dataclass(frozen=True, slots=True)
class SubmissionView:
    id: int
    entrant_code: str
    texts: dict[str, str]  # TEXT_FIELDS → the entrant's text as submitted (not yet redacted)
    filenames: list[str]
    entrant: Optional[Entrant]


@dataclass(frozen=True, slots=True)
class SheetView:
    id: int
    is_final: bool
    comment: str
    scores: dict[int, int]  # criterion id → score

    def values(self) -> dict[int, int]:
        return self.scores


@dataclass(frozen=True, slots=True)
class ScoringPage:
    programme: ProgrammeView
    judge_id: Optional[int]  # None: the viewer is no judge of this programme
    submission: Optional[SubmissionView]  # None: no such code, or not one this judge may see
    sheet: Optional[SheetView]


def _criteria(rows: Optional[list[list[str]]]) -> list[CriterionRow]:
    return [CriterionRow(int(i), name, description, int(weight), int(low), int(high), levels)
            for i, name, description, weight, low, high, levels in rows or ()]


def load(programme_id: int, code: str, tenant_id: str, user_id: int) -> Optional[ScoringPage]:
    """The scoring page of the submission a judge knows by ``code``; None when the programme does not exist."""
    submission_id = submission_id_by_code(programme_id, code)
    row: Any = db.session.execute(_PAGE, {"programme_id": programme_id, "tenant": tenant_id, "user_id": user_id,
                                          "submission_id": submission_id}).first()
    if row is None:
        return None
    (pid, blind, comment_mode, stage, opens, closes, criteria, judge_id, sid, entrant_code, *texts) = row[:17]
    filenames, names, sheet_id, is_final, comment, scores = row[17:]
    programme = ProgrammeView(pid, blind, comment_mode, stage, opens, closes, _criteria(criteria))
    if sid is None:
        return ScoringPage(programme, judge_id, None, None)
    submission = SubmissionView(sid, entrant_code, dict(zip(TEXT_FIELDS, texts, strict=True)), list(filenames or ()),
                                Entrant(*names) if names is not None else None)
    sheet = None if sheet_id is None else SheetView(sheet_id, is_final, comment,
                                                    {criterion: value for criterion, value in scores or ()})
    return ScoringPage(programme, judge_id, submission, sheet)
