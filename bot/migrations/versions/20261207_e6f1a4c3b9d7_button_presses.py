"""Button presses that took effect, one per user, message and button

Revision ID: e6f1a4c3b9d7
Revises: e6f0a4c3b9d7
Create Date: 2026-12-07 02:30:00

A double press is recognised by the message and the button pressed, not by the clock: the
first press inserts its row, a second one (on any instance) finds it and changes nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e6f1a4c3b9d7"
down_revision: str | Sequence[str] | None = "e6f0a4c3b9d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "button_presses",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.String(length=64), nullable=False),
        sa.Column("pressed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_button_presses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "message_id", "data", name=op.f("pk_button_presses")),
    )
    with op.batch_alter_table("button_presses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_button_presses_pressed_at"), ["pressed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("button_presses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_button_presses_pressed_at"))
    op.drop_table("button_presses")
