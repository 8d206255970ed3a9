"""Return to running: the ladder position on the rehab profile and a run log

Revision ID: d5e9f3b2a8c6
Revises: c4d8e2a1f7b3
Create Date: 2026-12-06 14:20:00

``rehab_profiles.returning_to_run`` (already there) is the phase; the profile gains the day
the user confirmed clearance, the stage and good sessions on the walk-run ladder, and an
optional plan from the user's PT. ``run_logs`` holds one row per run day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5e9f3b2a8c6"
down_revision: str | Sequence[str] | None = "c4d8e2a1f7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Copied, not imported: a migration must not change when the enums do later.
RUN_STATUSES = ("done", "cut_short", "skipped")
MORNINGS = ("better", "same", "worse")


def _condition(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("rehab_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_cleared_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("run_stage", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("run_good_sessions", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("run_plan", sa.JSON(), nullable=True))
    with op.batch_alter_table("rehab_profiles", schema=None) as batch_op:
        batch_op.alter_column("run_stage", server_default=None)
        batch_op.alter_column("run_good_sessions", server_default=None)
    op.create_table(
        "run_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("pain_during", sa.SmallInteger(), nullable=True),
        sa.Column("pain_after", sa.SmallInteger(), nullable=True),
        sa.Column("morning_response", sa.String(length=8), nullable=True),
        sa.Column("decision", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_condition("status", RUN_STATUSES), name=op.f("ck_run_logs_status")),
        sa.CheckConstraint(
            _condition("morning_response", MORNINGS), name=op.f("ck_run_logs_morning_response")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_run_logs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_logs")),
        sa.UniqueConstraint("user_id", "local_date", name=op.f("uq_run_logs_user_id")),
    )
    op.create_index(op.f("ix_run_logs_user_id"), "run_logs", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_run_logs_user_id"), table_name="run_logs")
    op.drop_table("run_logs")
    with op.batch_alter_table("rehab_profiles", schema=None) as batch_op:
        batch_op.drop_column("run_plan")
        batch_op.drop_column("run_good_sessions")
        batch_op.drop_column("run_stage")
        batch_op.drop_column("run_cleared_on")
