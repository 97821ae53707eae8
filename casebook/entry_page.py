"""What the casebook entry page shows, read as plain rows in one statement (issue 25.5).

The page is read on every visit and writes nothing, so it loads no ORM entities. One statement, built once,
returns as one JSON value the entry's columns with its source municipality's names, its adopters (oldest
first, with their municipalities), its questions with their answers, and the casebook's generation (which
tells ``suggest.related_entries`` whether its kept list of related cases still holds, without a statement of
its own). Through the ORM the page sent four statements after the session check (entry and source joined,
adopters, questions, answers when there were questions) and the generation as a fifth.

Each part is a subquery of the entry's row, not a join: PostgreSQL plans a join of the entry with
``tenants`` in some 0.15 ms more than the subquery, and a join of the questions with their answers (both
under row-level policies) in some 0.1 ms more than the answers as a subquery per question (measured with
EXPLAIN ANALYZE on the bench data). The adoptions, questions and answers are read under the viewer's
binding, as before: their policies show them to any bound tenant (the shared casebook's conversation).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Select, bindparam, column, literal_column, select, table, text

from casebook.queries import AdoptionRow
from kernel.extensions import db
from kernel.kept_plans import BIGINT_VALUES, KeptPlan
from tenants.models import TenantRow

# The whole page is one JSON value (psycopg2 decodes it in C): 29 columns cost SQLAlchemy's result set-up and
# the driver's typecasts some 100 us of Python per request more than one (measured in one process, alternated;
# PostgreSQL's planning and execution the same). Its timestamps come as ISO 8601 text with their offset, the
# same instants as the driver's datetimes. The municipality of an adoption comes by a subquery per adoption
# (adopter_tenant_id references tenants.code, so it is always there); the answers by a subquery per question.
# PostgreSQL planned it in 0.13 ms and ran it in 0.07 (EXPLAIN ANALYZE on the bench data): it is sent through its
# plan function (kernel/kept_plans.py), whose plan PostgreSQL keeps per server connection.
_PAGE = KeptPlan(text("""
    SELECT json_build_array(
           e.id, e.source_tenant_id, e.status, e.title, e.summary, e.problem, e.approach, e.outcomes, e.themes,
           e.tools, e.fiscal_year, e.cost_jpy, e.department, e.stage, e.kpis, e.vendors, e.products, e.ordinances,
           e.lessons, e.replication_conditions, e.contact, e.successor_contact, e.adoption_count,
           e.supported_by_tmg, e.published_at,
           (SELECT json_build_array(t.code, t.name_ja, t.name_en, t.kind, t.region) FROM tenants t
            WHERE t.code = e.source_tenant_id),
           (SELECT json_agg(json_build_array(a.id, a.adopter_tenant_id, a.status, a.outcome,
                             (SELECT json_build_array(t.name_ja, t.name_en, t.kind, t.region) FROM tenants t
                                 WHERE t.code = a.adopter_tenant_id)) ORDER BY a.created_at, a.id)
            FROM casebook_adoptions a WHERE a.entry_id = e.id),
           (SELECT json_agg(json_build_array(
                       q.id, q.asker_name, q.body, q.created_at,
                       (SELECT json_agg(json_build_array(r.answerer_name, r.body, r.created_at)
                                        ORDER BY r.created_at, r.id)
                        FROM casebook_answers r WHERE r.question_id = q.id)) ORDER BY q.created_at, q.id)
            FROM casebook_questions q WHERE q.entry_id = e.id),
           (SELECT value FROM casebook_generation))
    FROM casebook_entries e WHERE e.id = :entry_id""").bindparams(bindparam("entry_id", type_=BigInteger()))
                 .columns(column("page", JSON())))


@dataclass(frozen=True, slots=True)
class EntryView:
    """A casebook entry as its page (and the content macro, and ``suggest.related_entries``) reads it."""

    id: int
    source_tenant_id: str
    status: str
    title: str
    summary: str
    problem: str
    approach: str
    outcomes: str
    themes: list[str]
    tools: list[str]
    fiscal_year: Optional[int]
    cost_jpy: Optional[int]
    department: str
    stage: str
    kpis: list[dict[str, Any]]
    vendors: list[str]
    products: list[str]
    ordinances: list[str]
    lessons: str
    replication_conditions: str
    contact: str
    successor_contact: str
    adoption_count: int
    supported_by_tmg: bool
    published_at: datetime

    def __getitem__(self, name: str) -> Any:
        # The content macro reads the sections by name (item[name]), as it does of an ORM entity.
        return getattr(self, name)


@dataclass(frozen=True, slots=True)
class AnswerRow:
    answerer_name: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class QuestionRow:
    id: int
    asker_name: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EntryPage:
    entry: EntryView
    source: Optional[TenantRow]
    adopters: list[tuple[AdoptionRow, TenantRow]]
    questions: list[tuple[QuestionRow, list[AnswerRow]]]
    generation: int  # the casebook's generation, read in the same snapshot (suggest.related_entries)


def _questions(found: Optional[list[list[Any]]]) -> list[tuple[QuestionRow, list[AnswerRow]]]:
    return [(QuestionRow(question_id, asker, body, datetime.fromisoformat(asked)),
             [AnswerRow(name, text_, datetime.fromisoformat(at)) for name, text_, at in answers or ()])
            for question_id, asker, body, asked, answers in found or ()]


# For the read replica's routing (portal.read_replica), which cannot see into driver SQL: what the statement
# reads, and that it tolerates a little lag (published entries and what every municipality sees of them), so a
# GET may read it from the replica (issue 25.2); right after the person's own write, or with the replica down or
# behind, the routing keeps it on the primary.
READS: Select[tuple[Any]] = select(literal_column("1")).select_from(*(table(name) for name in (
    "casebook_entries", "tenants", "casebook_adoptions", "casebook_questions", "casebook_answers",
    "casebook_generation"))).execution_options(yokoten_lag_tolerant=True)


def load(entry_id: int) -> Optional[EntryPage]:
    """The entry page's entry (any status: the view decides who may see it) and what it lists; None if none."""
    if entry_id not in BIGINT_VALUES:
        return None
    # Sent as driver SQL, compiled once per worker and engine (as kernel.waiting's counts): the statement takes one
    # integer and its result needs no processing, and SQLAlchemy's execution of a text() statement (its
    # compiled-cache look-up and result set-up) took more Python than the rows' own conversion. The engine's events
    # (the tenant binding in front of the transaction's first statement, the statement counters) see it as before.
    connection = db.session.connection(bind_arguments={"clause": READS})
    row = connection.exec_driver_sql(_PAGE.driver_sql(connection), {"entry_id": entry_id}).first()
    if row is None:
        return None
    values = row[0]
    source, adoptions, questions, generation = values[25:29]
    values[24] = datetime.fromisoformat(values[24])  # published_at
    return EntryPage(
        EntryView(*values[:25]), TenantRow(*source) if source is not None else None,
        [(AdoptionRow(adoption_id, code, status, outcome), TenantRow(code, *names))
         for adoption_id, code, status, outcome, names in adoptions or ()],
        _questions(questions), int(generation))
