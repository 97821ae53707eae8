"""Cases (tenant-owned), their versions and attachments; the cross-tenant casebook spaces.

Private rows (``cases``, ``case_versions``, ``case_attachments``) carry
``tenant_id`` first in the primary key and are under the standard tenant RLS policy. What leaves a
municipality is *copied* into cross-tenant tables after its tenant admin signed it off:
``casebook_submissions`` (the curators' queue; readable by the source municipality and TMG only),
``casebook_entries`` (the published casebook), adoptions and questions (readable by everyone,
written only by the acting municipality — see the migration's policies).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    FetchedValue,
    ForeignKeyConstraint,
    Identity,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from kernel.extensions import Model
from kernel.models_base import TenantOwned

STAGES = ("idea", "pilot", "implemented", "spreading")
# Private release state of a case inside its municipality.
RELEASE_STATES = ("draft", "proposed", "approved")
SUBMISSION_STATES = ("queued", "changes_requested", "published", "superseded")
ENTRY_STATES = ("published", "retired")
ADOPTION_STATES = ("planned", "in_progress", "done")
# The origin of a case handed over by a support engagement (casebook.integration): its published copy
# shows "supported by TMG" (casebook_entries.supported_by_tmg) and nothing else of the engagement.
SUPPORT_ORIGIN = "東京都の伴走型支援"

# Text fields rendered as Markdown (long text) and plain ones; both are part of a version.
MARKDOWN_FIELDS = ("summary", "problem", "approach", "outcomes", "lessons", "replication_conditions")
PLAIN_FIELDS = ("title", "department", "contact", "successor_contact")
LIST_FIELDS = ("themes", "tools", "vendors", "products", "ordinances")
# Everything that makes up the content of a case (a version snapshot, a submission, an entry).
CONTENT_FIELDS = (
    "title", "summary", "problem", "approach", "outcomes", "themes", "tools", "fiscal_year", "cost_jpy",
    "department", "stage", "kpis", "vendors", "products", "ordinances", "lessons", "replication_conditions",
    "contact", "successor_contact",
)


class CaseContent:
    """The content columns shared by a private case and a published casebook entry."""

    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, server_default="")
    problem: Mapped[str] = mapped_column(Text, server_default="")
    approach: Mapped[str] = mapped_column(Text, server_default="")
    outcomes: Mapped[str] = mapped_column(Text, server_default="")
    themes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    tools: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    fiscal_year: Mapped[Optional[int]] = mapped_column(Integer)
    cost_jpy: Mapped[Optional[int]] = mapped_column(BigInteger)
    department: Mapped[str] = mapped_column(String(200), server_default="")
    stage: Mapped[str] = mapped_column(String(20), server_default="implemented")
    kpis: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    vendors: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    products: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    ordinances: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    lessons: Mapped[str] = mapped_column(Text, server_default="")
    replication_conditions: Mapped[str] = mapped_column(Text, server_default="")
    contact: Mapped[str] = mapped_column(Text, server_default="")
    successor_contact: Mapped[str] = mapped_column(Text, server_default="")
    search_vector: Mapped[Optional[str]] = mapped_column(TSVECTOR, deferred=True)

    def content(self) -> dict[str, Any]:
        return {name: _copy(getattr(self, name)) for name in CONTENT_FIELDS}


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    return value


class Case(CaseContent, TenantOwned, Model):
    """A municipality's own case (private to it under RLS)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    external_id: Mapped[Optional[str]] = mapped_column(String(100))
    release_state: Mapped[str] = mapped_column(String(20), server_default="draft")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    origin: Mapped[str] = mapped_column(String(200), server_default="")  # e.g. the award that sent it
    created_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    updated_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CaseCount(TenantOwned, Model):
    """How many cases a municipality has, kept by the database (migration 20261207f_case_counts): a statement-level
    trigger on ``cases`` adds the rows each statement inserts and takes away those it deletes, in the writing
    transaction. The dashboard reads one row instead of counting the municipality's cases (2,000 on the bench)."""

    __tablename__ = "case_counts"

    cases: Mapped[int] = mapped_column(BigInteger, server_default="0")


class CaseVersion(TenantOwned, Model):
    """Every save of a case: the full content, so any two versions can be compared."""

    __tablename__ = "case_versions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"], ondelete="CASCADE"),
    )

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(String(200), server_default="")
    created_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CaseAttachment(TenantOwned, Model):
    """A file of a case, stored in PostgreSQL under the case's RLS."""

    __tablename__ = "case_attachments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Submission(Model):
    """A signed-off snapshot of a case in the curators' queue (cross-tenant, copied, never joined)."""

    __tablename__ = "casebook_submissions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source_tenant_id: Mapped[str] = mapped_column(String(6))
    source_case_id: Mapped[int] = mapped_column(BigInteger)
    source_version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), server_default="queued")
    comment: Mapped[str] = mapped_column(Text, server_default="")
    origin: Mapped[str] = mapped_column(String(200), server_default="")
    approved_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    decided_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    entry_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class Entry(CaseContent, Model):
    """The curated, published copy of a case in the shared casebook."""

    __tablename__ = "casebook_entries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source_tenant_id: Mapped[str] = mapped_column(String(6))
    source_case_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    source_version: Mapped[Optional[int]] = mapped_column(Integer)
    external_id: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), server_default="published")
    adoption_count: Mapped[int] = mapped_column(Integer, server_default="0")
    rank_vector: Mapped[Optional[str]] = mapped_column(TSVECTOR, deferred=True)
    # Set when the case came out of a TMG support engagement (casebook.integration.SUPPORT_ORIGIN).
    supported_by_tmg: Mapped[bool] = mapped_column(Boolean, server_default="false")
    published_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SearchRow(Model):
    """What the search reads of a published entry (migration 20261206c_search_rows), in 16 partitions by id.

    Written only by the triggers on ``casebook_entries`` (never by the application): one row per
    published entry, gone when it is retired.
    """

    __tablename__ = "casebook_search_rows"

    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # entry_id % 16, the partition
    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_tenant_id: Mapped[str] = mapped_column(String(6))
    fiscal_year: Mapped[Optional[int]] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    themes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    tools: Mapped[list[str]] = mapped_column(ARRAY(Text))
    rank_vector: Mapped[Optional[str]] = mapped_column(TSVECTOR)
    search_vector: Mapped[Optional[str]] = mapped_column(TSVECTOR, deferred=True)


class Adoption(Model):
    """A municipality adopting (横展開) a published case."""

    __tablename__ = "casebook_adoptions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    adopter_tenant_id: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(20), server_default="planned")
    outcome: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Question(Model):
    """A question from a member of any municipality to the municipality a published case came from."""

    __tablename__ = "casebook_questions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    # The municipality asked (the entry's source), set by the database from the entry on insert (migration
    # 20261206c_question_source): "waiting for you" counts a municipality's open questions by it.
    source_tenant_id: Mapped[Optional[str]] = mapped_column(String(6), server_default=FetchedValue())
    asker_tenant_id: Mapped[str] = mapped_column(String(6))
    asker_user_id: Mapped[int] = mapped_column(BigInteger)
    asker_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # When the first answer came (NULL while there is none), kept by the database from casebook_answers (migration
    # 20261207b_dashboard_counts): "waiting for you" reads the municipality's open questions from a partial index
    # of the unanswered ones instead of probing the answers of every question it was ever asked.
    answered_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), server_default=FetchedValue(),
                                                            server_onupdate=FetchedValue())


class Answer(Model):
    """An answer by a member of the originating municipality."""

    __tablename__ = "casebook_answers"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    question_id: Mapped[int] = mapped_column(BigInteger)
    answerer_tenant_id: Mapped[str] = mapped_column(String(6))
    answerer_user_id: Mapped[int] = mapped_column(BigInteger)
    answerer_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Synonym(Model):
    """A group of search terms curators declared equivalent (e.g. 電子申請 ≈ オンライン申請)."""

    __tablename__ = "casebook_synonyms"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    terms: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class VocabularyWord(Model):
    """A word of the published casebook (never of a private case): what "did you mean" may offer."""

    __tablename__ = "casebook_vocabulary"

    lexeme: Mapped[str] = mapped_column(Text, primary_key=True)
    surface: Mapped[str] = mapped_column(Text)


class TextWords(Model):
    """A published text's words as the search's titles and snippets look at them (``casebook.text_words``), by the
    text's digest: analysed once when it is published, not on every search that shows it."""

    __tablename__ = "casebook_text_words"

    digest: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    words: Mapped[str] = mapped_column(Text)
