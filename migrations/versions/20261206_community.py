"""The CIO forum (bodies, meetings, minutes, actions) and the DX talent network (promoters, skills, training).

Revision ID: 20261206_community
Revises: 20261206_reminder_days
Create Date: 2026-12-06

The forum is a cross-tenant space run by TMG, like procurement projects and award programmes: its
tables name municipalities ``*_tenant`` (never ``tenant_id``) and the community services decide
visibility object by object (a closed agenda item's content only for member municipalities).
The talent network is a municipality's own business: departments, DX推進員, their contacts, skill
self-assessments and training plans are tenant-owned (tenant_id first in the key, composite foreign
keys, forced RLS). Only the opt-in "who knows what" directory is shared, a copy written when a
person opts in and deleted when they opt out.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import enable_tenant_rls, grant_app

revision = "20261206_community"
down_revision = "20261206_reminder_days"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _id():
    return sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True)


def _tenant_id():
    return sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True)


def _created():
    return sa.Column("created_at", TS, nullable=False, server_default=sa.func.now())


def _forum():
    op.create_table(
        "community_bodies", _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False, server_default="forum"),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        _created(),
        sa.CheckConstraint("kind IN ('forum','roundtable','working_group')", name="kind"),
        sa.UniqueConstraint("name", name="uq_community_bodies_name"),
    )
    op.create_table(
        "community_body_members", _id(),
        sa.Column("body_id", sa.BigInteger, sa.ForeignKey("community_bodies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_tenant", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("role", sa.String(20), nullable=False, server_default="member"),
        sa.Column("representative", sa.String(200), nullable=False, server_default=""),
        _created(),
        sa.CheckConstraint("role IN ('chair','vice_chair','member','secretariat','observer')", name="role"),
        sa.UniqueConstraint("body_id", "member_tenant", name="uq_community_body_members_body_id"),
    )
    op.create_table(
        "community_meetings", _id(),
        sa.Column("body_id", sa.BigInteger, sa.ForeignKey("community_bodies.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("location", sa.String(300), nullable=False, server_default=""),
        sa.Column("online_url", sa.String(500), nullable=False, server_default=""),
        sa.Column("status", sa.String(12), nullable=False, server_default="scheduled"),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reminder_sent_at", TS),
        _created(),
        sa.CheckConstraint("starts_at < ends_at", name="times"),
        sa.CheckConstraint("status IN ('scheduled','cancelled')", name="status"),
    )
    op.create_table(
        "community_agenda_items", _id(),
        sa.Column("meeting_id", sa.BigInteger, sa.ForeignKey("community_meetings.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("visibility", sa.String(10), nullable=False, server_default="public"),
        sa.CheckConstraint("visibility IN ('public','closed')", name="visibility"),
    )
    op.create_table(
        "community_registrations", _id(),
        sa.Column("meeting_id", sa.BigInteger, sa.ForeignKey("community_meetings.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("attendee_tenant", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("attendee_user_id", sa.BigInteger, nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("attendance", sa.String(12), nullable=False),
        _created(),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("attendance IN ('in_person','online','declined')", name="attendance"),
        sa.UniqueConstraint("meeting_id", "attendee_tenant", "attendee_user_id",
                            name="uq_community_registrations_meeting_id"),
    )
    op.create_table(
        "community_materials", _id(),
        sa.Column("meeting_id", sa.BigInteger, sa.ForeignKey("community_meetings.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("agenda_item_id", sa.BigInteger, sa.ForeignKey("community_agenda_items.id", ondelete="CASCADE")),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        _created(),
    )
    op.create_table(
        "community_minutes",
        sa.Column("meeting_id", sa.BigInteger, sa.ForeignKey("community_meetings.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("status", sa.String(12), nullable=False, server_default="draft"),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("review_closes_at", TS),
        sa.Column("published_at", TS),
        sa.Column("attendees", postgresql.JSONB, nullable=False, server_default="[]"),
        _created(),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('draft','review','published')", name="status"),
    )
    op.create_table(
        "community_minute_sections",
        sa.Column("meeting_id", sa.BigInteger, sa.ForeignKey("community_minutes.meeting_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("agenda_item_id", sa.BigInteger, sa.ForeignKey("community_agenda_items.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "community_amendments", _id(),
        sa.Column("meeting_id", sa.BigInteger, sa.ForeignKey("community_minutes.meeting_id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("agenda_item_id", sa.BigInteger, sa.ForeignKey("community_agenda_items.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("proposer_tenant", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("proposer_user_id", sa.BigInteger, nullable=False),
        sa.Column("proposer_name", sa.String(200), nullable=False),
        sa.Column("proposed_text", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
        sa.Column("decided_at", TS),
        _created(),
        sa.CheckConstraint("status IN ('open','accepted','rejected')", name="status"),
    )
    op.create_table(
        "community_actions", _id(),
        sa.Column("body_id", sa.BigInteger, sa.ForeignKey("community_bodies.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("meeting_id", sa.BigInteger, sa.ForeignKey("community_meetings.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("agenda_item_id", sa.BigInteger, sa.ForeignKey("community_agenda_items.id", ondelete="SET NULL")),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("owner_tenant", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger),
        sa.Column("owner_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="open"),
        sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("closed_at", TS),
        _created(),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('open','in_progress','done','dropped')", name="status"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
    )
    op.create_index("ix_community_actions_owner", "community_actions", ["owner_tenant", "status", "due_on"])
    op.create_table(
        "community_action_links", _id(),
        sa.Column("action_id", sa.BigInteger, sa.ForeignKey("community_actions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("target_tenant", sa.String(6), sa.ForeignKey("tenants.code")),
        sa.Column("target_id", sa.BigInteger, nullable=False),
        sa.Column("label", sa.String(300), nullable=False, server_default=""),
        _created(),
        sa.CheckConstraint("kind IN ('case','engagement','procurement')", name="kind"),
        sa.UniqueConstraint("action_id", "kind", "target_id", name="uq_community_action_links_action_id"),
    )
    op.create_table(
        "community_action_updates", _id(),
        sa.Column("action_id", sa.BigInteger, sa.ForeignKey("community_actions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("author_tenant", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        _created(),
    )
    op.create_table(
        "community_directory",
        sa.Column("person_tenant", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("person_user_id", sa.BigInteger, primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=False, server_default=""),
        sa.Column("skills", postgresql.ARRAY(sa.String(40)), nullable=False, server_default="{}"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )


def _talent():
    op.create_table(
        "community_departments",
        _tenant_id(), _id(),
        sa.Column("name", sa.String(200), nullable=False),
        _created(),
        sa.UniqueConstraint("tenant_id", "name", name="uq_community_departments_tenant_id"),
    )
    op.create_table(
        "community_promoters",
        _tenant_id(), _id(),
        sa.Column("department_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("term_starts_on", sa.Date, nullable=False),
        sa.Column("term_ends_on", sa.Date),
        sa.Column("ended_on", sa.Date),
        sa.Column("successor_id", sa.BigInteger),
        _created(),
        sa.ForeignKeyConstraint(["tenant_id", "department_id"], ["community_departments.tenant_id",
                                                                 "community_departments.id"], ondelete="CASCADE",
                                name="fk_community_promoters_tenant_id_community_departments"),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"],
                                name="fk_community_promoters_tenant_id_users"),
        sa.ForeignKeyConstraint(["tenant_id", "successor_id"], ["community_promoters.tenant_id",
                                                                "community_promoters.id"],
                                name="fk_community_promoters_tenant_id_community_promoters"),
        sa.CheckConstraint("term_ends_on IS NULL OR term_starts_on <= term_ends_on", name="term"),
    )
    op.create_table(
        "community_promoter_contacts",
        _tenant_id(), _id(),
        sa.Column("promoter_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        _created(),
        sa.ForeignKeyConstraint(["tenant_id", "promoter_id"], ["community_promoters.tenant_id",
                                                               "community_promoters.id"], ondelete="CASCADE",
                                name="fk_community_promoter_contacts_tenant_id_community_promoters"),
    )
    op.create_table(
        "community_skill_assessments",
        _tenant_id(),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("skill", sa.String(40), primary_key=True),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_community_skill_assessments_tenant_id_users"),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level"),
    )
    op.create_table(
        "community_training_plans",
        _tenant_id(), _id(),
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        _created(),
    )
    op.create_table(
        "community_training_courses",
        _tenant_id(), _id(),
        sa.Column("plan_id", sa.BigInteger, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("target_roles", postgresql.ARRAY(sa.String(40)), nullable=False, server_default="{}"),
        sa.Column("hours", sa.Integer, nullable=False, server_default="0"),
        sa.Column("planned_participants", sa.Integer, nullable=False, server_default="0"),
        _created(),
        sa.ForeignKeyConstraint(["tenant_id", "plan_id"], ["community_training_plans.tenant_id",
                                                           "community_training_plans.id"], ondelete="CASCADE",
                                name="fk_community_training_courses_plan"),
    )
    op.create_table(
        "community_training_completions",
        _tenant_id(),
        sa.Column("course_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("completed_on", sa.Date, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "course_id"], ["community_training_courses.tenant_id",
                                                             "community_training_courses.id"], ondelete="CASCADE",
                                name="fk_community_training_completions_course"),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_community_training_completions_tenant_id_users"),
    )


FORUM_TABLES = ("community_bodies", "community_body_members", "community_meetings", "community_agenda_items",
                "community_registrations", "community_materials", "community_minutes", "community_minute_sections",
                "community_amendments", "community_actions", "community_action_links", "community_action_updates",
                "community_directory")
TALENT_TABLES = ("community_departments", "community_promoters", "community_promoter_contacts",
                 "community_skill_assessments", "community_training_plans", "community_training_courses",
                 "community_training_completions")


def upgrade():
    _forum()
    _talent()
    for table in TALENT_TABLES:
        enable_tenant_rls(table)
        grant_app(table)
    for table in FORUM_TABLES:
        grant_app(table)


def downgrade():
    for table in reversed(FORUM_TABLES + TALENT_TABLES):
        op.drop_table(table)
