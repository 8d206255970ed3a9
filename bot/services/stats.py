"""Counters an operator reads from the database (read-only): users by status, the outbox by
kind and status, what went out or failed in the last day, and the dispatcher's lag.

In polling mode there is no HTTP endpoint to scrape, and counters in one process say nothing
about the others; the database is the shared truth of every instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ProcessedUpdate, ScheduledMessage, User
from bot.domain.enums import MessageStatus


@dataclass(frozen=True)
class DbStats:
    now: datetime
    users_by_status: dict[str, int]
    messages_by_status: dict[str, int]
    messages_by_kind_status: dict[str, dict[str, int]]
    sent_last_24h: int
    failed_last_24h: int
    failed_total: int
    due_waiting: int
    oldest_due_at: datetime | None
    updates_last_24h: int
    sent_last_hour: int = 0
    late_p50_seconds: float = 0.0
    """Of the messages sent in the last hour, how long after their due time (median)."""
    late_p95_seconds: float = 0.0

    @property
    def users_total(self) -> int:
        return sum(self.users_by_status.values())

    @property
    def tick_lag_seconds(self) -> float:
        """How long the oldest due message has waited: near 0 when the dispatcher keeps up."""
        if self.oldest_due_at is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_due_at).total_seconds())


LATENESS_SAMPLE = 50_000


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def collect_stats(session: AsyncSession, now: datetime) -> DbStats:
    sm = ScheduledMessage
    day_ago = now - timedelta(hours=24)
    by_user_status = select(User.status, func.count()).group_by(User.status)
    users = dict((await session.execute(by_user_status)).all())
    by_kind: dict[str, dict[str, int]] = {}
    by_status: dict[str, int] = {}
    for kind, status, count in (
        await session.execute(select(sm.kind, sm.status, func.count()).group_by(sm.kind, sm.status))
    ).all():
        by_kind.setdefault(str(kind), {})[str(status)] = count
        by_status[str(status)] = by_status.get(str(status), 0) + count

    async def scalar(stmt: Any) -> Any:
        return (await session.execute(stmt)).scalar_one()

    # A failed row keeps its claim time: the last attempt is when it failed.
    failed_24h = select(func.count()).where(
        sm.status == MessageStatus.FAILED, sm.claimed_at >= day_ago
    )
    sent_24h = select(func.count()).where(sm.status == MessageStatus.SENT, sm.sent_at >= day_ago)
    due = sm.status == MessageStatus.PENDING, sm.due_at <= now
    hour_ago = now - timedelta(hours=1)
    lateness = sorted(
        max(0.0, (sent - due).total_seconds())
        for sent, due in (
            await session.execute(
                select(sm.sent_at, sm.due_at)
                .where(sm.status == MessageStatus.SENT, sm.sent_at >= hour_ago)
                .limit(LATENESS_SAMPLE)
            )
        ).all()
        if sent is not None and due is not None
    )
    return DbStats(
        now=now,
        sent_last_hour=len(lateness),
        late_p50_seconds=_percentile(lateness, 0.50),
        late_p95_seconds=_percentile(lateness, 0.95),
        users_by_status={str(k): int(v) for k, v in sorted(users.items())},
        messages_by_status=dict(sorted(by_status.items())),
        messages_by_kind_status={k: dict(sorted(v.items())) for k, v in sorted(by_kind.items())},
        sent_last_24h=int(await scalar(sent_24h)),
        failed_last_24h=int(await scalar(failed_24h)),
        failed_total=by_status.get(MessageStatus.FAILED, 0),
        due_waiting=int(await scalar(select(func.count()).where(*due))),
        oldest_due_at=await scalar(select(func.min(sm.due_at)).where(*due)),
        updates_last_24h=int(
            await scalar(select(func.count()).where(ProcessedUpdate.processed_at >= day_ago))
        ),
    )
