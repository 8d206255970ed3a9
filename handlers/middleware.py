"""Runs before every other handler: names the update in the logs and drops redeliveries.

Telegram redelivers a webhook update when it did not see a timely 200 (a slow instance, a
restart, a proxy hiccup), and behind a load balancer the second delivery may land on another
instance. Recording ``update_id`` in ``processed_updates`` with an insert that does nothing on
conflict makes the database the single arbiter: whichever instance inserts first handles the
update, every later delivery stops here.

The record is written before the handlers run, so an update whose handler crashes is not
retried by a redelivery (at most once). That is the safer side for this bot: a check-in
recorded twice or a red-flag reply sent twice is worse than one apology from the error handler.
If the database cannot be reached the update is let through (fail open): the handlers will
meet the same outage and the error handler apologises once, instead of the user hearing nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.db.models import ProcessedUpdate
from bot.logs import correlation_id
from handlers.common import Context, services

log = logging.getLogger(__name__)

GROUP = -100  # lower groups run first; every feature handler lives in group >= 0
KEEP = timedelta(days=2)  # Telegram gives up redelivering long before this
PRUNE_EVERY = timedelta(hours=1)
_LAST_PRUNE = "middleware_last_prune"


async def record_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Insert the update id; True if this is its first delivery, False if it was seen before."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
    )
    inserted = (await session.execute(stmt)).scalar_one_or_none()
    return inserted is not None


async def prune_processed(session: AsyncSession, now: datetime) -> int:
    """Forget update ids older than ``KEEP``; the table stays small however long the bot runs."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - KEEP)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def before_every_update(update: Update, context: Context) -> None:
    correlation_id.set(f"u{update.update_id}")
    svc = services(context)
    now = svc.clock.now()
    bot_data = context.application.bot_data
    last_prune: datetime | None = bot_data.get(_LAST_PRUNE)
    try:
        async with svc.sessions() as session:
            first = await record_update(session, update.update_id, now)
            if first and (last_prune is None or now - last_prune >= PRUNE_EVERY):
                bot_data[_LAST_PRUNE] = now
                await prune_processed(session, now)
            await session.commit()
    except Exception:
        log.warning(
            "could not record the update id; handling it anyway",
            exc_info=True,
            extra={"update_id": update.update_id},
        )
        svc.metrics.inc("dedupe_errors")
        return
    if not first:
        svc.metrics.inc("duplicate_updates")
        log.info("ignored a redelivered update", extra={"update_id": update.update_id})
        raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, before_every_update), group=GROUP)
