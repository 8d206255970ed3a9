"""processed_updates.finished_at: tell an update whose handling died from a finished one

Revision ID: b7c3e1f2a9d4
Revises: a945f0d30ed1
Create Date: 2026-11-27 10:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7c3e1f2a9d4"
down_revision: str | Sequence[str] | None = "a945f0d30ed1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    # Updates recorded before this revision were handled to the end (or are past redelivery).
    op.execute("UPDATE processed_updates SET finished_at = processed_at")


def downgrade() -> None:
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
