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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import ARRAY, BigInteger, Boolean, DateTime, String, Text, bindparam, column, text

from awards.judging import submission_id_by_code
from kernel.extensions import db
from kernel.i18n import catalogue_key, lang_attr
from kernel.kept_plans import BIGINT_VALUES, KeptPlan
from kernel.memo import kept

# The rubric, the attachments and the scores come as arrays (one subquery each), the municipality as one array:
# PostgreSQL plans these in a fraction of the separate statements' time. A missing judge row or a submission the
# judge may not see leaves the judge's or the submission's columns NULL (the programme's row still comes, so that
# an unknown programme stays a plain 404 and a hidden entry the audited one, as before).
# PostgreSQL planned it in 0.31 ms and ran it in 0.09 (EXPLAIN ANALYZE on the bench data): it is sent through its plan
# function (kernel/kept_plans.py), whose plan PostgreSQL keeps per server connection, as driver SQL (its parameters
# and values need no processing). Its parameters and columns are typed as PostgreSQL gives them, for the function.
_PAGE = KeptPlan(text("""
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
WHERE p.id = :programme_id""").bindparams(
    bindparam("programme_id", type_=BigInteger()), bindparam("tenant", type_=String(6)),
    bindparam("user_id", type_=BigInteger()), bindparam("submission_id", type_=BigInteger()),
).columns(
    column("programme_id", BigInteger()), column("blind", Boolean()), column("comment_mode", String(10)),
    column("stage", String(10)), column("judging_opens_at", DateTime(timezone=True)),
    column("judging_closes_at", DateTime(timezone=True)), column("criteria", ARRAY(Text())),
    column("judge_id", BigInteger()), column("submission_id", BigInteger()), column("entrant_code", String(6)),
    column("title", String(200)), *(column(name, Text()) for name in (
        "summary", "background", "activities", "system", "effects", "ingenuity")),
    column("filenames", ARRAY(String(255))), column("entrant_names", ARRAY(String(100))),
    column("sheet_id", BigInteger()), column("is_final", Boolean()), column("comment", Text()),
    column("scores", ARRAY(BigInteger())),
))

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
    if programme_id not in BIGINT_VALUES:
        return None
    submission_id = submission_id_by_code(programme_id, code)
    connection = db.session.connection()
    row: Any = connection.exec_driver_sql(_PAGE.driver_sql(connection), {
        "programme_id": programme_id, "tenant": tenant_id, "user_id": user_id, "submission_id": submission_id,
    }).first()
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


# The rubric's fieldsets (issue 25.5) ---------------------------------------------------------------------------
# In the template, each score of each criterion cost a dozen look-ups and escapes through Jinja's context (15 radio
# buttons on the bench's page). Everything but the per-request state (disabled, the error's fieldset, the checked
# value) depends only on the rubric and the language: it is written once per worker and language, and a page joins
# the pieces. The HTML is the template's, whitespace included (the template's loop was replaced by ``rubric``).


@dataclass(frozen=True, slots=True)
class _CriterionHtml:
    field: str  # the criterion's input name ("score-<id>"), which a refused save names as its error field
    key: str  # the criterion's id as the page's ``values`` are keyed
    legend: str  # after the <fieldset> tag up to the first radio button: the legend and the hint
    radios: tuple[tuple[str, str, str], ...]  # (value, the radio's HTML before " checked", the rest)


_RUBRICS: dict[tuple[Any, ...], tuple[_CriterionHtml, ...]] = {}
MAX_RUBRICS = 512  # a few programmes' rubrics in two languages; a guard


def _criterion_html(c: CriterionRow, lang: str) -> _CriterionHtml:
    hint = f'<p class="hint" data-content{lang_attr(c.description, lang)}>{escape(c.description)}</p>' \
        if c.description else ""
    legend = (f'\n    <legend><span data-content{lang_attr(c.name, lang)}>{escape(c.name)}</span> '
              f'({gettext("weight %(w)d", w=c.weight)})</legend>\n    {hint}\n    ')
    radios = []
    for value, level in c.level_lines:
        words = f' — <span data-content{lang_attr(level, lang)}>{escape(level)}</span>' if level else ""
        radios.append((str(value), f'\n      <div class="checkbox"><input type="radio" id="score-{c.id}-{value}" '
                                   f'name="score-{c.id}" value="{value}"',
                       f'>\n        <label for="score-{c.id}-{value}">{value}{words}</label></div>\n    '))
    return _CriterionHtml(f"score-{c.id}", str(c.id), legend, tuple(radios))


def rubric_html(criteria: Iterable[CriterionRow], values: dict[str, str], disabled: bool,
                error_field: Optional[str]) -> Markup:
    """The scoring form's fieldsets, one per criterion: ``values`` (criterion id → score, as text) checks the
    radio buttons, ``disabled`` locks them all, ``error_field`` marks the fieldset a refused save names."""
    rubric = tuple(criteria)
    lang, domain = catalogue_key()
    pieces = kept(_RUBRICS, (rubric, lang, domain), lambda: tuple(_criterion_html(c, lang) for c in rubric),
                  MAX_RUBRICS)
    out = []
    for c in pieces:
        out.append("\n  <fieldset disabled" if disabled else "\n  <fieldset ")
        if error_field == c.field:
            out.append(' aria-describedby="score-error" aria-invalid="true"')
        out.append(">")
        out.append(c.legend)
        chosen = values.get(c.key)
        for value, before, after in c.radios:
            out.append(before)
            if value == chosen:
                out.append(" checked")
            out.append(after)
        out.append("\n  </fieldset>\n  ")
    return Markup("".join(out))


def criterion_rows(criteria: Iterable[Any]) -> list[CriterionRow]:
    """A programme entity's rubric as the page's rows (the POST's refused save renders the same fieldsets)."""
    return [CriterionRow(c.id, c.name, c.description, c.weight, c.scale_min, c.scale_max, c.levels) for c in criteria]


# The entry's texts under their headings: the headings once per worker and language (gettext six times a page).
_FIELD_HEADINGS: dict[tuple[str, int], tuple[tuple[str, str], ...]] = {}


def _headings() -> tuple[tuple[str, str], ...]:
    return (("summary", gettext("Overview of the initiative")), ("background", gettext("Background and motivation")),
            ("activities", gettext("What was done")), ("system", gettext("Systems used")),
            ("effects", gettext("Effects (with numbers)")), ("ingenuity", gettext("Ingenuity of the staff")))


def fields_html(text: dict[str, str]) -> Markup:
    """The entry's six texts (as shown: redacted in blind review), each under its heading, in the page's <dl>."""
    lang, domain = catalogue_key()
    headings = kept(_FIELD_HEADINGS, (lang, domain), _headings, 64)
    return Markup("".join(f"\n    <dt>{label}</dt><dd{lang_attr(text[name], lang)}>{escape(text[name])}</dd>\n  "
                          for name, label in headings))
