"""Notifications move to the kernel: event kinds with parameters, per-person mail settings, the mail outbox.

Revision ID: 20261206_notifications_kernel
Revises: 20261206_proc_organiser_person
Create Date: 2026-12-06

``notifications`` gains ``kind`` and ``params`` (the text is rendered in the reader's language from
the catalogues instead of being stored in Japanese) and ``mailed_at`` (for the daily digest).
``notification_settings`` (mail immediately / daily digest / none, language) and ``mail_outbox``
(mails sent after the commit, retried with backoff) are tenant-owned with the standard policy.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import disable_tenant_rls, enable_tenant_rls, grant_app

revision = "20261206_notifications_kernel"
down_revision = "20261206_proc_organiser_person"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("notifications", sa.Column("kind", sa.String(80), nullable=False, server_default=""))
    op.add_column("notifications", sa.Column("params", postgresql.JSONB, nullable=False,
                                             server_default=sa.text("'{}'::jsonb")))
    op.add_column("notifications", sa.Column("mailed_at", sa.DateTime(timezone=True)))
    op.alter_column("notifications", "message", server_default="")
    op.create_table(
        "notification_settings",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("email_mode", sa.String(10), nullable=False, server_default="immediate"),
        sa.Column("language", sa.String(5), nullable=False, server_default="ja"),
        sa.Column("last_digest_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_notification_settings_tenant_id_users"),
        sa.CheckConstraint("email_mode IN ('immediate', 'digest', 'none')", name="ck_notification_settings_mode"),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("kind", sa.String(80), nullable=False, server_default=""),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.code"], name="fk_mail_outbox_tenant_id_tenants"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_mail_outbox_status"),
    )
    # The worker looks for due pending mails of one tenant at a time.
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["tenant_id", "next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'"))
    for table in ("notification_settings", "mail_outbox"):
        enable_tenant_rls(table)
    grant_app("notification_settings", "SELECT, INSERT, UPDATE")
    grant_app("mail_outbox", "SELECT, INSERT, UPDATE")


def downgrade():
    for table in ("mail_outbox", "notification_settings"):
        disable_tenant_rls(table)
        op.drop_table(table)
    op.drop_column("notifications", "mailed_at")
    op.drop_column("notifications", "params")
    op.drop_column("notifications", "kind")
