"""Deadline reminders: how many days before its deadline a procurement project or an award programme reminds.

Revision ID: 20261206_reminder_days
Revises: 20261206_awards_shortlist
Create Date: 2026-12-06

``reminder_days`` (default 3; 0 = no reminder) on procurement_projects (before the demand survey
closes) and award_programmes (before judging closes); ``last_reminder_on`` makes ``flask
notifications remind`` idempotent for the day.
"""
import sqlalchemy as sa
from alembic import op

revision = "20261206_reminder_days"
down_revision = "20261206_awards_shortlist"
branch_labels = None
depends_on = None

TABLES = ("procurement_projects", "award_programmes")


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column("reminder_days", sa.Integer, nullable=False, server_default="3"))
        op.add_column(table, sa.Column("last_reminder_on", sa.Date))
        # NOT VALID, then VALIDATE: the check of the existing rows takes no lock that blocks writes
        # (tests/ops/test_upgrades.py refuses a validated constraint added to an existing table).
        # The name the naming convention gave it when this migration used op.create_check_constraint.
        name = f"ck_{table}_ck_{table}_reminder_days"
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (reminder_days BETWEEN 0 AND 60) NOT VALID")
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def downgrade():
    for table in TABLES:
        op.drop_constraint(f"ck_{table}_reminder_days", table, type_="check")
        op.drop_column(table, "last_reminder_on")
        op.drop_column(table, "reminder_days")
