"""When the user said a clinician has seen them, during a hold

Revision ID: f7a2b5d4c0e8
Revises: e6f1a4c3b9d7
Create Date: 2026-12-07 13:30:00

"A clinician has seen me" while on hold is half of the way out: the hold stays until the user
says the clinician cleared them, but the follow-up must stop asking whether they have been
seen and ask about the clearance instead. Empty for every hold before this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f7a2b5d4c0e8"
down_revision: str | Sequence[str] | None = "e6f1a4c3b9d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("safety_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("safety_seen_at")
