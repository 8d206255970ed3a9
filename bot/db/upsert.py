"""``INSERT … ON CONFLICT`` for the dialect in use: one statement instead of read-then-write.

SQLite and PostgreSQL spell the statement the same way but SQLAlchemy builds it from each
dialect's own ``insert``; this picks it from the session or connection at hand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def dialect_name(bind: AsyncSession | AsyncConnection) -> str:
    return bind.get_bind().dialect.name if isinstance(bind, AsyncSession) else bind.dialect.name


def dialect_insert(bind: AsyncSession | AsyncConnection) -> Any:
    """The dialect's ``insert`` construct (with ``on_conflict_do_update/nothing``)."""
    return insert_for(dialect_name(bind))


def insert_for(dialect: str) -> Any:
    """``insert`` of the dialect named ``dialect`` (``"postgresql"`` or ``"sqlite"``).

    The statements a button press runs are built once per dialect with ``bindparam`` values
    (``functools.cache`` on a builder taking this name) and executed with plain parameters:
    building a statement costs more CPU than SQLAlchemy's cached compilation of it."""
    return pg_insert if dialect == "postgresql" else sqlite_insert
