"""Which updates this bot has handled: exactly-once handling across redeliveries.

Telegram redelivers an update when it did not see it handled (a webhook without a timely 200,
or polling after a restart), and behind a load balancer the second delivery may land on
another instance. An update is *claimed* by inserting its id into ``processed_updates``
(an insert that does nothing on conflict): whichever delivery inserts first handles it, a
later one is a duplicate and is dropped.

The claim is made **inside the transaction of the update's first use case** (``claim_in``),
so it commits together with what the update changed, or not at all: a process that dies
half-way leaves no claim behind, and Telegram's redelivery is handled at once, in full; a
second delivery that arrives while the first is still running waits on the row (PostgreSQL)
or the write lock (SQLite) and then finds it taken. An update that runs no use case (/help,
a message in a group) is claimed in its own short transaction just before its first reply
(``claim_update``), or after its handlers if it sent nothing. Before this, every update paid
for two extra transactions (claim, then a "finished" mark) around its use case.

These run on the session's (or a plain) connection with Core statements: every update pays
for them, so they stay as cheap as a statement can be. Used by ``handlers.common``.

A redelivery is one update sent twice; a double press is two updates (two callback queries)
for one tap of intent. ``first_press`` recognises it by the message and the button, inside
the press's own transaction: the first press of a button on a message takes effect, any
other press of it (a quick second tap, the same tap on another instance) changes nothing.
Both kinds of row are forgotten after ``KEEP``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.db.models import ButtonPress, ProcessedUpdate, ScheduledMessage
from bot.db.upsert import dialect_name, insert_for

KEEP = timedelta(days=2)  # Telegram gives up redelivering long before this
PRUNE_EVERY = timedelta(hours=1)


async def claim_in(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Claim the update in ``session``'s transaction: True if this delivery is the first."""
    return await record_update(await session.connection(), update_id, now)


async def claim_update(engine: AsyncEngine, update_id: int, now: datetime) -> bool:
    """Claim the update in a transaction of its own (an update that runs no use case)."""
    async with engine.begin() as conn:
        return await record_update(conn, update_id, now)


async def next_update_id(engine: AsyncEngine) -> int:
    """One past the highest update id taken: where a transport that numbers its own updates
    (the terminal chat) starts, so a second session's updates are not taken for redeliveries
    of the first one's and silently dropped."""
    async with engine.connect() as conn:
        highest = (await conn.execute(select(func.max(ProcessedUpdate.update_id)))).scalar()
    return (highest or 0) + 1


async def latest_activity(engine: AsyncEngine) -> datetime | None:
    """The latest moment the data knows of: the last update handled or message sent. The
    terminal chat's clock jumps ahead with /wait; a new session resumes from here, so the
    check-ins of the last one are not in its future."""
    async with engine.connect() as conn:
        handled = (await conn.execute(select(func.max(ProcessedUpdate.processed_at)))).scalar()
        sent = (await conn.execute(select(func.max(ScheduledMessage.sent_at)))).scalar()
    known = [t for t in (handled, sent) if t is not None]
    return max(known) if known else None


async def forget_old_updates(engine: AsyncEngine, now: datetime) -> int:
    """Forget update ids older than ``KEEP``; the table stays small however long the bot runs."""
    async with engine.begin() as conn:
        return await prune_processed(conn, now)


@cache
def _claim_update(dialect: str) -> Any:
    return (
        insert_for(dialect)(ProcessedUpdate)
        .values(
            update_id=bindparam("p_update_id"),
            processed_at=bindparam("p_now"),
            finished_at=bindparam("p_now"),
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
    )


async def record_update(conn: AsyncConnection, update_id: int, now: datetime) -> bool:
    stmt = _claim_update(conn.dialect.name)
    result = await conn.execute(stmt, {"p_update_id": update_id, "p_now": now})
    return result.scalar_one_or_none() is not None


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
    stmt = _claim_press(dialect_name(session))
    params = {"p_user_id": user_id, "p_message_id": message_id, "p_data": data[:64], "p_now": now}
    return (await session.execute(stmt, params)).scalar_one_or_none() is not None


@cache
def _claim_press(dialect: str) -> Any:
    return (
        insert_for(dialect)(ButtonPress)
        .values(
            user_id=bindparam("p_user_id"),
            message_id=bindparam("p_message_id"),
            data=bindparam("p_data"),
            pressed_at=bindparam("p_now"),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "message_id", "data"])
        .returning(ButtonPress.user_id)
    )


async def forget_press(session: AsyncSession, user_id: int, message_id: int, data: str) -> None:
    """Undo ``first_press`` for a press that changed nothing, so it can be pressed again."""
    await session.execute(
        delete(ButtonPress).where(
            ButtonPress.user_id == user_id,
            ButtonPress.message_id == message_id,
            ButtonPress.data == data[:64],
        )
    )
