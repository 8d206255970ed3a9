"""Forgetting reminders that have settled, so the schedule holds what is ahead.

Each user adds two to four rows a day to ``scheduled_messages`` (the check-in, its follow-up,
nudges, the weekly summary). Once a row is sent, missed, skipped, cancelled or failed, nothing
reads it again after a few days, yet without pruning the table grows by millions of rows a
year at ten thousand users, and every claim and planning query pays for it. What users told
us (check-ins, pain scores, notes, red-flag reports) lives in other tables and is never
touched here.

Pruning runs hourly as its own JobQueue job, in chunks of ``CHUNK`` rows per transaction so
it never holds SQLite's write lock (or many PostgreSQL row locks) for long; several instances
may prune at once, since deleting an already-deleted row is a no-op.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ScheduledMessage

log = logging.getLogger(__name__)

SETTLED = ("sent", "missed", "skipped", "cancelled", "failed")
CHUNK = 5000
EVERY = timedelta(hours=1)


async def prune_settled(
    sessions: async_sessionmaker[AsyncSession], now: datetime, keep_days: int
) -> int:
    """Delete settled rows due more than ``keep_days`` ago; returns how many. 0 = keep all."""
    if keep_days <= 0:
        return 0
    sm = ScheduledMessage
    cutoff = now - timedelta(days=keep_days)
    oldest = (
        select(sm.id)
        .where(sm.status.in_(SETTLED), sm.due_at < cutoff)
        .limit(CHUNK)
        .scalar_subquery()
    )
    total = 0
    while True:
        async with sessions() as session:
            result = await session.execute(
                delete(sm).where(sm.id.in_(oldest)).execution_options(synchronize_session=False)
            )
            await session.commit()
        deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < CHUNK:
            return total


def register_retention(app: Any) -> None:
    """One hourly job; the first run a minute after start-up."""
    from bot.services.container import Services

    services: Services = app.bot_data["services"]

    async def _prune(context: Any) -> None:
        try:
            deleted = await prune_settled(
                services.sessions,
                services.clock.now(),
                services.settings.schedule.keep_settled_days,
            )
        except Exception:
            log.exception("pruning settled reminders failed; will try again in an hour")
            return
        if deleted:
            services.metrics.pruned(deleted)
            log.info("pruned %d settled reminder(s)", deleted)

    app.job_queue.run_repeating(
        _prune,
        interval=EVERY.total_seconds(),
        first=60,
        name="retention",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
