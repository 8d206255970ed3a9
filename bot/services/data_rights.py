"""The user's rights over their data: a complete copy (/export) and complete erasure (/delete).

Both walk ``Base.metadata`` instead of a hand-written list of tables, so a table added later
with a ``user_id`` column is exported and erased without anyone having to remember it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.engine import checkpoint_wal
from bot.db.models import Base, CheckIn, User

log = logging.getLogger(__name__)

CHECKIN_CSV_COLUMNS = (
    "local_date",
    "status",
    "exercises_done",
    "pain",
    "note",
    "skip_reason",
    "morning_response",
)


def user_tables() -> list[Table]:
    """Every table holding rows about one user, children before parents (safe delete order)."""
    tables = [t for t in Base.metadata.sorted_tables if "user_id" in t.c]
    return list(reversed(tables))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


async def export_user(session: AsyncSession, user_id: int) -> tuple[bytes, bytes]:
    """(JSON of every row about the user, CSV of their check-ins), both UTF-8."""
    user_table: Table = User.__table__  # type: ignore[assignment]
    account = (
        (await session.execute(select(user_table).where(user_table.c.id == user_id)))
        .mappings()
        .first()
    )
    if account is None:
        raise LookupError("no such user")
    document: dict[str, Any] = {
        "format": "pt-coach-export/1",
        "user": {key: _jsonable(value) for key, value in account.items()},
    }
    for table in sorted(user_tables(), key=lambda t: t.name):
        order = [c for c in table.primary_key.columns]
        rows = (
            await session.execute(select(table).where(table.c.user_id == user_id).order_by(*order))
        ).mappings()
        document[table.name] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    json_bytes = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return json_bytes, await _checkins_csv(session, user_id)


async def _checkins_csv(session: AsyncSession, user_id: int) -> bytes:
    rows = (
        await session.execute(
            select(CheckIn).where(CheckIn.user_id == user_id).order_by(CheckIn.local_date)
        )
    ).scalars()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CHECKIN_CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.local_date.isoformat(),
                row.status,
                "; ".join(row.exercises_done or []),
                "" if row.pain is None else row.pain,
                row.note or "",
                row.skip_reason or "",
                row.morning_response or "",
            ]
        )
    # A byte-order mark so spreadsheet programs read accents and emoji correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def delete_user(session: AsyncSession, user_id: int) -> bool:
    """Erase the user and everything referring to them; False if there was nothing to erase.

    The foreign keys cascade, but rows are deleted table by table first so erasure does not
    depend on a database setting (SQLite's foreign_keys pragma) being on. The erasure is
    committed here, and SQLite's write-ahead log is then checkpointed, so the erased text is
    gone from the files on disk too (``secure_delete`` zeroes the freed pages).
    """
    exists = (await session.execute(select(User.id).where(User.id == user_id))).scalar_one_or_none()
    if exists is None:
        return False
    for table in user_tables():
        await session.execute(delete(table).where(table.c.user_id == user_id))
    await session.execute(delete(User).where(User.id == user_id))
    session.expunge_all()
    await session.commit()
    bind = session.bind
    if isinstance(bind, AsyncEngine) and not await checkpoint_wal(bind):
        log.warning("WAL checkpoint after an erasure was incomplete; SQLite will finish it")
    return True
