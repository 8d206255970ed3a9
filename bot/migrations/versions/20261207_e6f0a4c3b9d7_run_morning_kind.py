"""The morning-after question of a run is a scheduled message kind of its own

Revision ID: e6f0a4c3b9d7
Revises: d5e9f3b2a8c6
Create Date: 2026-12-07 02:30:00

``scheduled_messages.kind`` gains ``run_morning`` (the check constraint is recreated). A
kind of its own, because a painful check-in and a run on the same day each plan a question
for the next morning and ``(user_id, kind, local_date)`` is unique.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e6f0a4c3b9d7"
down_revision: str | Sequence[str] | None = "d5e9f3b2a8c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Copied, not imported: a migration must not change when the enums do later.
KINDS = (
    "checkin",
    "followup",
    "morning",
    "nudge",
    "pt_reminder",
    "pt_after",
    "weekly_summary",
    "snooze",
    "safety_followup",
)
NEW_KINDS = (*KINDS, "run_morning")


def _condition(values: Sequence[str]) -> str:
    return f"kind IN ({', '.join(repr(v) for v in values)})"


def _replace(values: Sequence[str]) -> None:
    with op.batch_alter_table("scheduled_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_scheduled_messages_kind"), type_="check")
        batch_op.create_check_constraint("kind", _condition(values))


def upgrade() -> None:
    _replace(NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM scheduled_messages WHERE kind = 'run_morning'")
    _replace(KINDS)
