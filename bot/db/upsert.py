"""``INSERT … ON CONFLICT`` for the dialect in use: one statement instead of read-then-write.

SQLite and PostgreSQL spell the statement the same way but SQLAlchemy builds it from each
dialect's own ``insert``; this picks it from the session or connection at hand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def dialect_insert(bind: AsyncSession | AsyncConnection) -> Any:
    """The dialect's ``insert`` construct (with ``on_conflict_do_update/nothing``)."""
    name = bind.get_bind().dialect.name if isinstance(bind, AsyncSession) else bind.dialect.name
    return pg_insert if name == "postgresql" else sqlite_insert
