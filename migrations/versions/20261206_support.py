"""Support (伴走型支援): requests, the triage pipeline, supporters and skills, the engagement workspace.

Revision ID: 20261206_support
Revises: 0007_case_counts_index
Create Date: 2026-12-06

Who sees what (docs/support.md):
- support_themes / support_skills / support_stage_slas: TMG's vocabularies and service levels, no
  tenant data. Readable with any bound tenant, written only while TMG (130001) is bound.
- support_supporters / support_supporter_skills: TMG's own rows (tenant_id 130001), standard policy.
- support_engagements and everything hanging off them are owned by the requesting municipality
  (tenant_id first in every key, composite foreign keys) under the standard tenant policy, plus ONE
  extra policy ``support_desk``: TMG (130001) bound *and* the bound user holding the ``supporter``
  role in TMG's memberships. On the engagement it admits only requests that left the municipality
  (release_state 'submitted'); on the child tables only rows whose engagement is visible. No other
  tenant, and no other TMG role (curator, judge, operator), is admitted.
- The role 'supporter' joins the memberships' known roles.
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import TENANT_EXPR, USER_EXPR, enable_tenant_rls, grant_app, q

revision = "20261206_support"
down_revision = "20261206_sso_mfa"
branch_labels = None
depends_on = None

TMG = "'130001'"
SUPPORT_DESK = (
    f"({TENANT_EXPR} = {TMG} AND EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = {TMG} "
    f"AND m.user_id = ({USER_EXPR})::bigint AND m.role = 'supporter'))"
)
CHILD_TABLES = ("support_stage_events", "support_assignments", "support_files", "support_meetings",
                "support_actions", "support_time_logs", "support_outcomes", "support_surveys", "support_access_log")
STAGES = "'intake','prioritise','qualify','plan','active','done','on_hold','declined'"
OLD_ROLES = "'member','tenant_admin','curator','judge','operator'"


def _ts(name, nullable=False, default=True):  # type: ignore[no-untyped-def]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=sa.func.now() if default else None)


def _tenant():  # type: ignore[no-untyped-def]
    return sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True)


def _id():  # type: ignore[no-untyped-def]
    return sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True)


def _engagement_fk(table):  # type: ignore[no-untyped-def]
    return sa.ForeignKeyConstraint(["tenant_id", "engagement_id"], ["support_engagements.tenant_id",
                                                                    "support_engagements.id"],
                                   ondelete="CASCADE", name=f"fk_{table}_engagement")


def _child(table, *columns, pk_id=True):  # type: ignore[no-untyped-def]
    cols = [_tenant()]
    if pk_id:
        cols.append(_id())
    cols.append(sa.Column("engagement_id", sa.BigInteger, nullable=False, primary_key=not pk_id))
    op.create_table(table, *cols, *columns, _engagement_fk(table))
    if pk_id:
        op.create_index(f"ix_{table}_engagement", table, ["tenant_id", "engagement_id"])


def upgrade():
    op.execute("ALTER TABLE memberships DROP CONSTRAINT ck_memberships_known_role")
    # NOT VALID, then VALIDATE: the table stays writable while the existing rows are checked.
    op.execute(f"ALTER TABLE memberships ADD CONSTRAINT ck_memberships_known_role CHECK (role IN ({OLD_ROLES},"
               "'supporter')) NOT VALID")
    op.execute("ALTER TABLE memberships VALIDATE CONSTRAINT ck_memberships_known_role")

    # The published copy of a case that came out of an engagement says so (and nothing more of it).
    op.add_column("casebook_entries", sa.Column("supported_by_tmg", sa.Boolean, nullable=False,
                                                server_default=sa.false()))
    op.create_table(
        "support_themes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name_ja", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "support_skills",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("name_ja", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("name_ja", name="uq_support_skills_name_ja"),
    )
    op.create_table(
        "support_stage_slas",
        sa.Column("stage", sa.String(20), primary_key=True),
        sa.Column("days", sa.Integer, nullable=False),
        sa.CheckConstraint("days BETWEEN 1 AND 730", name="days_range"),
        sa.CheckConstraint(f"stage IN ({STAGES})", name="known_stage"),
    )
    op.create_table(
        "support_supporters",
        _tenant(),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("capacity_hours", sa.Integer, nullable=False, server_default="40"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_support_supporters_user"),
        sa.CheckConstraint("capacity_hours BETWEEN 0 AND 200", name="capacity_range"),
    )
    op.create_table(
        "support_supporter_skills",
        _tenant(),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("skill_id", sa.BigInteger, sa.ForeignKey("support_skills.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("level", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["support_supporters.tenant_id",
                                                           "support_supporters.user_id"], ondelete="CASCADE",
                                name="fk_support_supporter_skills_supporter"),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
    )
    op.create_table(
        "support_engagements",
        _tenant(),
        _id(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("theme_id", sa.BigInteger, sa.ForeignKey("support_themes.id"), nullable=False),
        sa.Column("problem", sa.Text, nullable=False, server_default=""),
        sa.Column("department", sa.String(200), nullable=False, server_default=""),
        sa.Column("desired_start", sa.Date),
        sa.Column("desired_end", sa.Date),
        sa.Column("release_state", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("stage", sa.String(20)),
        sa.Column("priority", sa.String(10)),
        sa.Column("plan", sa.Text, nullable=False, server_default=""),
        sa.Column("skill_ids", sa.dialects.postgresql.ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("form_token", sa.String(40)),
        sa.Column("created_by", sa.BigInteger),
        sa.Column("created_by_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("approved_by", sa.BigInteger),
        _ts("submitted_at", nullable=True, default=False),
        _ts("stage_entered_at", nullable=True, default=False),
        _ts("closed_at", nullable=True, default=False),
        sa.Column("case_id", sa.BigInteger),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("tenant_id", "form_token", name="uq_support_engagements_form_token"),
        sa.CheckConstraint("release_state IN ('draft','proposed','submitted')", name="known_release_state"),
        sa.CheckConstraint(f"stage IS NULL OR stage IN ({STAGES})", name="known_stage"),
        sa.CheckConstraint("(release_state = 'submitted') = (stage IS NOT NULL)", name="stage_once_submitted"),
        sa.CheckConstraint("priority IS NULL OR priority IN ('high','medium','low')", name="known_priority"),
        sa.CheckConstraint("desired_end IS NULL OR desired_start IS NULL OR desired_end >= desired_start",
                           name="desired_period"),
    )
    op.create_index("ix_support_engagements_stage", "support_engagements", ["stage"])
    _child("support_stage_events",
           sa.Column("from_stage", sa.String(20)),
           sa.Column("to_stage", sa.String(20), nullable=False),
           sa.Column("reason", sa.Text, nullable=False, server_default=""),
           sa.Column("actor_tenant_id", sa.String(6), nullable=False),
           sa.Column("actor_user_id", sa.BigInteger),
           sa.Column("actor_name", sa.String(200), nullable=False, server_default=""),
           _ts("occurred_at"))
    _child("support_assignments",
           sa.Column("supporter_user_id", sa.BigInteger, primary_key=True),
           sa.Column("supporter_name", sa.String(200), nullable=False),
           sa.Column("is_lead", sa.Boolean, nullable=False, server_default=sa.false()),
           sa.Column("planned_hours", sa.Integer, nullable=False, server_default="0"),
           sa.Column("reason", sa.Text, nullable=False, server_default=""),
           sa.Column("assigned_by", sa.BigInteger),
           sa.Column("ended_at", sa.DateTime(timezone=True)),
           _ts("assigned_at"), pk_id=False)
    _child("support_files",
           sa.Column("kind", sa.String(20), nullable=False, server_default="deliverable"),
           sa.Column("title", sa.String(200), nullable=False, server_default=""),
           sa.Column("filename", sa.String(255), nullable=False),
           sa.Column("content_type", sa.String(120), nullable=False),
           sa.Column("size", sa.BigInteger, nullable=False),
           sa.Column("data", sa.LargeBinary, nullable=False),
           sa.Column("created_by_tenant", sa.String(6), nullable=False),
           sa.Column("created_by", sa.BigInteger),
           sa.Column("created_by_name", sa.String(200), nullable=False, server_default=""),
           _ts("created_at"),
           sa.CheckConstraint("kind IN ('request','deliverable')", name="known_kind"))
    _child("support_meetings",
           sa.Column("held_on", sa.Date, nullable=False),
           sa.Column("title", sa.String(200), nullable=False),
           sa.Column("attendees", sa.Text, nullable=False, server_default=""),
           sa.Column("notes", sa.Text, nullable=False, server_default=""),
           sa.Column("form_token", sa.String(40)),
           sa.Column("created_by", sa.BigInteger),
           sa.Column("created_by_name", sa.String(200), nullable=False, server_default=""),
           _ts("created_at"),
           sa.UniqueConstraint("tenant_id", "form_token", name="uq_support_meetings_form_token"))
    _child("support_actions",
           sa.Column("title", sa.String(200), nullable=False),
           sa.Column("owner_name", sa.String(200), nullable=False),
           sa.Column("due_on", sa.Date),
           sa.Column("done_at", sa.DateTime(timezone=True)),
           sa.Column("form_token", sa.String(40)),
           sa.Column("created_by_name", sa.String(200), nullable=False, server_default=""),
           _ts("created_at"),
           sa.UniqueConstraint("tenant_id", "form_token", name="uq_support_actions_form_token"))
    _child("support_time_logs",
           sa.Column("user_id", sa.BigInteger, nullable=False),
           sa.Column("user_name", sa.String(200), nullable=False),
           sa.Column("activity", sa.String(20), nullable=False),
           sa.Column("minutes", sa.Integer, nullable=False),
           sa.Column("logged_on", sa.Date, nullable=False),
           sa.Column("note", sa.String(500), nullable=False, server_default=""),
           sa.Column("form_token", sa.String(40)),
           _ts("created_at"),
           sa.UniqueConstraint("tenant_id", "form_token", name="uq_support_time_logs_form_token"),
           sa.CheckConstraint("minutes BETWEEN 1 AND 1440", name="minutes_range"),
           sa.CheckConstraint("activity IN ('meeting','analysis','document','workshop','travel','other')",
                              name="known_activity"))
    _child("support_outcomes",
           sa.Column("indicator", sa.String(40), nullable=False),
           sa.Column("label", sa.String(200), nullable=False, server_default=""),
           sa.Column("unit", sa.String(40), nullable=False, server_default=""),
           sa.Column("baseline_value", sa.Numeric(14, 2), nullable=False),
           sa.Column("baseline_on", sa.Date, nullable=False),
           sa.Column("baseline_source", sa.String(300), nullable=False),
           sa.Column("after_value", sa.Numeric(14, 2)),
           sa.Column("after_on", sa.Date),
           sa.Column("after_source", sa.String(300), nullable=False, server_default=""),
           sa.Column("version", sa.Integer, nullable=False, server_default="1"),
           _ts("created_at"),
           _ts("updated_at"),
           sa.CheckConstraint("indicator IN ('staff_hours','processing_days','waiting_minutes','online_share',"
                              "'custom')", name="known_indicator"))
    _child("support_surveys",
           sa.Column("csat", sa.Integer, nullable=False),
           sa.Column("comment", sa.Text, nullable=False, server_default=""),
           sa.Column("answered_by", sa.BigInteger),
           _ts("answered_at"),
           sa.CheckConstraint("csat BETWEEN 1 AND 5", name="csat_range"), pk_id=False)
    _child("support_access_log",
           sa.Column("actor_user_id", sa.BigInteger, nullable=False),
           sa.Column("actor_name", sa.String(200), nullable=False),
           sa.Column("what", sa.String(40), nullable=False),
           _ts("occurred_at"))

    _seed()
    for table in ("support_supporters", "support_supporter_skills", "support_engagements", *CHILD_TABLES):
        enable_tenant_rls(table)
    op.execute(f"CREATE POLICY support_desk ON support_engagements USING ({SUPPORT_DESK} AND "
               f"release_state = 'submitted') WITH CHECK ({SUPPORT_DESK} AND release_state = 'submitted')")
    for table in CHILD_TABLES:
        visible = (f"EXISTS (SELECT 1 FROM support_engagements e WHERE e.tenant_id = {q(table)}.tenant_id "
                   f"AND e.id = {q(table)}.engagement_id)")
        op.execute(f"CREATE POLICY support_desk ON {q(table)} USING ({SUPPORT_DESK} AND {visible}) "
                   f"WITH CHECK ({SUPPORT_DESK} AND {visible})")
    bound = f"{TENANT_EXPR} IS NOT NULL"
    for table in ("support_themes", "support_skills", "support_stage_slas"):
        op.execute(f"ALTER TABLE {q(table)} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {q(table)} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY read_bound ON {q(table)} FOR SELECT USING ({bound})")
        op.execute(f"CREATE POLICY tmg_writes ON {q(table)} FOR ALL USING ({TENANT_EXPR} = {TMG}) "
                   f"WITH CHECK ({TENANT_EXPR} = {TMG})")
        grant_app(table, "SELECT, INSERT, UPDATE")

    grant_app("support_supporters", "SELECT, INSERT, UPDATE")
    grant_app("support_supporter_skills", "SELECT, INSERT, UPDATE, DELETE")
    grant_app("support_engagements", "SELECT, INSERT, UPDATE")
    for table in ("support_stage_events", "support_access_log", "support_surveys"):
        grant_app(table, "SELECT, INSERT")
    for table in ("support_assignments", "support_meetings", "support_actions", "support_time_logs",
                  "support_outcomes"):
        grant_app(table, "SELECT, INSERT, UPDATE, DELETE")
    grant_app("support_files", "SELECT, INSERT, DELETE")

def _seed():  # type: ignore[no-untyped-def]
    # Before RLS is forced on these tables: the owner writes them with no tenant bound.
    themes = [("bpr", "業務改革（BPR）", "Business process reform (BPR)"),
              ("kakanai_madoguchi", "書かない窓口", "Counter without forms"),
              ("online_application", "オンライン申請", "Online applications"),
              ("procurement_spec", "調達仕様書", "Procurement specification"),
              ("data", "データ利活用", "Data use"),
              ("security", "情報セキュリティ", "Information security"),
              ("generative_ai", "生成AI", "Generative AI"),
              ("other", "その他", "Other")]
    for position, (code, ja, en) in enumerate(themes):
        op.execute(sa.text("INSERT INTO support_themes (code, name_ja, name_en, position) VALUES (:c, :j, :e, :p)")
                   .bindparams(c=code, j=ja, e=en, p=position))
    skills = [("bpr", "業務改革（BPR）", "BPR"), ("service_design", "UI/UX・サービスデザイン", "UI/UX and service design"),
              ("data", "データ分析", "Data analysis"), ("procurement", "調達", "Procurement"),
              ("security", "情報セキュリティ", "Information security"),
              ("project_management", "プロジェクトマネジメント", "Project management"),
              ("change_management", "チェンジマネジメント", "Change management")]
    for category, ja, en in skills:
        op.execute(sa.text("INSERT INTO support_skills (category, name_ja, name_en) VALUES (:c, :j, :e)")
                   .bindparams(c=category, j=ja, e=en))
    for stage, days in (("intake", 3), ("prioritise", 5), ("qualify", 10), ("plan", 14), ("active", 120),
                        ("on_hold", 30)):
        op.execute(sa.text("INSERT INTO support_stage_slas (stage, days) VALUES (:s, :d)").bindparams(s=stage, d=days))


def downgrade():
    for table in ("support_access_log", "support_surveys", "support_outcomes", "support_time_logs",
                  "support_actions", "support_meetings", "support_files", "support_assignments",
                  "support_stage_events", "support_engagements", "support_supporter_skills", "support_supporters",
                  "support_stage_slas", "support_skills", "support_themes"):
        op.drop_table(table)
    # The owner is subject to the forced policy too: lift it for this one cleanup statement.
    op.execute("ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY")
    op.execute("DELETE FROM memberships WHERE role = 'supporter'")
    op.drop_column("casebook_entries", "supported_by_tmg")
    op.execute("ALTER TABLE memberships FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE memberships DROP CONSTRAINT ck_memberships_known_role")
    op.execute(f"ALTER TABLE memberships ADD CONSTRAINT ck_memberships_known_role CHECK (role IN ({OLD_ROLES}))")
