"""Which updates this bot has taken for handling: exactly-once handling across redeliveries.

Telegram redelivers an update when it did not see it handled (a webhook without a timely 200,
or polling after a restart), and behind a load balancer the second delivery may land on
another instance. Each delivery first tries to take the update in ``processed_updates``:

* an insert that does nothing on conflict: whichever delivery inserts first handles it;
* a later delivery is refused, unless the first one started more than ``ABANDONED`` ago and
  never finished: its process died half-way (SIGKILL, a crash, a deploy), so this delivery
  takes the update over with one conditional UPDATE, and the user's press or message is not
  lost. ``finish_update`` marks it finished once every handler has run for it.

These run on a plain connection, not an ORM session: every update pays for them, so both
stay as cheap as a transaction can be. Used by the ``handlers.middleware`` adapter.

A redelivery is one update sent twice; a double press is two updates (two callback queries)
for one tap of intent. ``first_press`` recognises it by the message and the button, inside
the press's own transaction: the first press of a button on a message takes effect, any
other press of it (a quick second tap, the same tap on another instance) changes nothing.
Both kinds of row are forgotten after ``KEEP``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.db.models import ButtonPress, ProcessedUpdate

log = logging.getLogger(__name__)

KEEP = timedelta(days=2)  # Telegram gives up redelivering long before this
# Handling an update takes milliseconds; one unfinished for this long belongs to a dead process.
ABANDONED = timedelta(minutes=2)
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Claim:
    """Whether this delivery is the one to handle the update, and when old ids were last
    pruned (``now`` if this call pruned them, else the ``last_prune`` it was given)."""

    first: bool
    last_prune: datetime | None


async def claim_update(
    engine: AsyncEngine, update_id: int, now: datetime, last_prune: datetime | None
) -> Claim:
    """Take the update for handling (one short transaction); prune old ids once an hour."""
    async with engine.begin() as conn:
        first = await record_update(conn, update_id, now)
        if first and (last_prune is None or now - last_prune >= PRUNE_EVERY):
            await prune_processed(conn, now)
            last_prune = now
    return Claim(first, last_prune)


async def finish_update(engine: AsyncEngine, update_id: int, now: datetime) -> None:
    async with engine.begin() as conn:
        await mark_finished(conn, update_id, now)


async def record_update(conn: AsyncConnection, update_id: int, now: datetime) -> bool:
    """Take the update for handling: True on its first delivery, or when an earlier delivery
    started more than ``ABANDONED`` ago and never finished; False for a true duplicate."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
    )
    if (await conn.execute(stmt)).scalar_one_or_none() is not None:
        return True
    taken_over = await conn.execute(
        sql_update(ProcessedUpdate)
        .where(
            ProcessedUpdate.update_id == update_id,
            ProcessedUpdate.finished_at.is_(None),
            ProcessedUpdate.processed_at < now - ABANDONED,
        )
        .values(processed_at=now)
        .returning(ProcessedUpdate.update_id)
    )
    if taken_over.scalar_one_or_none() is None:
        return False
    log.warning(
        "taking over an update whose first handling never finished",
        extra={"update_id": update_id},
    )
    return True


async def mark_finished(conn: AsyncConnection, update_id: int, now: datetime) -> None:
    await conn.execute(
        sql_update(ProcessedUpdate)
        .where(ProcessedUpdate.update_id == update_id)
        .values(finished_at=now)
    )


async def prune_processed(conn: AsyncConnection, now: datetime) -> int:
    """Forget update ids (and button presses) older than ``KEEP``; the tables stay small
    however long the bot runs. Returns how many update ids were forgotten."""
    result = await conn.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - KEEP)
    )
    await conn.execute(delete(ButtonPress).where(ButtonPress.pressed_at < now - KEEP))
    return int(getattr(result, "rowcount", 0) or 0)


async def first_press(
    session: AsyncSession, user_id: int, message_id: int, data: str, now: datetime
) -> bool:
    """True for the first press of button ``data`` on message ``message_id`` by the user;
    False for any later one. Part of the press's transaction: if its handling fails, the press
    is not remembered. On PostgreSQL a concurrent second press waits for the first to commit
    and then finds its row; no IntegrityError either way."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ButtonPress)
        .values(user_id=user_id, message_id=message_id, data=data[:64], pressed_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "message_id", "data"])
        .returning(ButtonPress.user_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def forget_press(session: AsyncSession, user_id: int, message_id: int, data: str) -> None:
    """Undo ``first_press`` for a press that changed nothing, so it can be pressed again."""
    await session.execute(
        delete(ButtonPress).where(
            ButtonPress.user_id == user_id,
            ButtonPress.message_id == message_id,
            ButtonPress.data == data[:64],
        )
    )
