"""One safety state per user, and check constraints for every enum column

Revision ID: c4d8e2a1f7b3
Revises: b7c3e1f2a9d4
Create Date: 2026-12-06 05:00:00

``users.safety_hold_since`` (a hold that only the nudge kind consulted) becomes the safety
state of ``bot.domain.safety``: a level, since when, resolved when, and how many follow-ups
were sent. A user who was on hold keeps it, at the "urgent" level (the old hold did not
record a level; urgent is what its red flags mostly were, and the follow-up asks either way).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4d8e2a1f7b3"
down_revision: str | Sequence[str] | None = "b7c3e1f2a9d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Values as they are on this revision (copied, not imported: a migration must not change
# when the enums do later).
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "users": {
        "status": ("onboarding", "active", "paused", "blocked"),
        "nudge_cadence": ("off", "low", "normal"),
        "safety_level": ("none", "watch", "urgent", "emergency"),
    },
    "checkins": {
        "status": ("done", "partial", "skipped", "missed"),
        "morning_response": ("better", "same", "worse"),
    },
    "scheduled_messages": {
        "kind": (
            "checkin",
            "followup",
            "morning",
            "nudge",
            "pt_reminder",
            "pt_after",
            "weekly_summary",
            "snooze",
            "safety_followup",
        ),
        "status": ("pending", "sending", "sent", "missed", "skipped", "failed", "cancelled"),
    },
    "red_flags": {"level": ("contact", "urgent", "emergency")},
    "faq_questions": {"decision": ("answer", "suggest", "unknown", "red_flag")},
}


def _condition(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("safety_level", sa.String(12), nullable=False, server_default="none")
        )
        batch_op.add_column(sa.Column("safety_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("safety_resolved_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("safety_followups", sa.SmallInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE users SET safety_level = 'urgent', safety_since = safety_hold_since "
        "WHERE safety_hold_since IS NOT NULL"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("safety_hold_since")
        batch_op.alter_column("safety_level", server_default=None)
        batch_op.alter_column("safety_followups", server_default=None)
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(column, _condition(column, values))


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("safety_hold_since", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE users SET safety_hold_since = safety_since WHERE safety_level IN "
        "('urgent', 'emergency')"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("safety_followups")
        batch_op.drop_column("safety_resolved_at")
        batch_op.drop_column("safety_since")
        batch_op.drop_column("safety_level")
