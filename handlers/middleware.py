"""Runs before every other handler: names the update in the logs and drops redeliveries.

Telegram redelivers an update when it did not see it handled (a webhook without a timely 200,
or polling after a restart), and behind a load balancer the second delivery may land on
another instance. Each delivery first tries to take the update in ``processed_updates``:

* an insert that does nothing on conflict: whichever delivery inserts first handles it;
* a later delivery stops here, unless the first one started more than ``ABANDONED`` ago and
  never finished: its process died half-way (SIGKILL, a crash, a deploy), so this delivery
  takes the update over with one conditional UPDATE, and the user's press or message is not
  lost. ``finished_at`` is set when the application has run every handler for the update
  (``FinishingApplication``), whether they succeeded or the error handler apologised.

A handler that raised is not retried by a redelivery: it ran to its end, and a check-in
recorded twice or a red-flag reply sent twice is worse than one apology. If the database
cannot be reached the update is let through (fail open): the handlers meet the same outage and
the error handler apologises once, instead of the user hearing nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.db.models import ProcessedUpdate
from bot.logs import correlation_id
from handlers.common import Context, services

log = logging.getLogger(__name__)

GROUP = -100  # lower groups run first; every feature handler lives in group >= 0
KEEP = timedelta(days=2)  # Telegram gives up redelivering long before this
# Handling an update takes milliseconds; one unfinished for this long belongs to a dead process.
ABANDONED = timedelta(minutes=2)
PRUNE_EVERY = timedelta(hours=1)
_LAST_PRUNE = "middleware_last_prune"


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
    """Forget update ids older than ``KEEP``; the table stays small however long the bot runs."""
    result = await conn.execute(
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
        # A plain connection, not an ORM session: every update pays for this and for the
        # finishing mark, so both stay as cheap as a transaction can be.
        async with svc.engine.begin() as conn:
            first = await record_update(conn, update.update_id, now)
            if first and (last_prune is None or now - last_prune >= PRUNE_EVERY):
                bot_data[_LAST_PRUNE] = now
                await prune_processed(conn, now)
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
    owned = getattr(context.application, "owned_updates", None)
    if owned is not None:
        owned.add(update.update_id)


class FinishingApplication(Application):  # type: ignore[type-arg]
    """PTB's Application, plus one step after every handler has run for an update: mark it
    finished, so that only a delivery whose process died half-way is ever handled again."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owned_updates: set[int] = set()

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        if not isinstance(update, Update) or update.update_id not in self.owned_updates:
            return
        self.owned_updates.discard(update.update_id)
        svc = self.bot_data["services"]
        try:
            async with svc.engine.begin() as conn:
                await mark_finished(conn, update.update_id, svc.clock.now())
        except Exception:
            # Left unfinished: a redelivery after ABANDONED would be handled again. Telegram
            # redelivers only what it thinks was not handled, so this is rare and logged.
            log.warning(
                "could not mark an update finished",
                exc_info=True,
                extra={"update_id": update.update_id},
            )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, before_every_update), group=GROUP)
