"""`python -m bot stats`: what the bot is doing, read straight from the database.

In polling mode there is no HTTP endpoint to scrape, and counters in one process say nothing
about the others; the database is the shared truth of every instance, so an operator can ask
it from any shell: how many users, what is queued, what went out, what failed, and how far
behind the dispatcher is (the oldest due message still waiting).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ProcessedUpdate, ScheduledMessage, User


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

    @property
    def users_total(self) -> int:
        return sum(self.users_by_status.values())

    @property
    def tick_lag_seconds(self) -> float:
        """How long the oldest due message has waited: near 0 when the dispatcher keeps up."""
        if self.oldest_due_at is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_due_at).total_seconds())


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
        by_kind.setdefault(kind, {})[status] = count
        by_status[status] = by_status.get(status, 0) + count

    async def scalar(stmt: Any) -> Any:
        return (await session.execute(stmt)).scalar_one()

    # A failed row keeps its claim time: the last attempt is when it failed.
    failed_24h = select(func.count()).where(sm.status == "failed", sm.claimed_at >= day_ago)
    sent_24h = select(func.count()).where(sm.status == "sent", sm.sent_at >= day_ago)
    due = sm.status == "pending", sm.due_at <= now
    return DbStats(
        now=now,
        users_by_status={str(k): int(v) for k, v in sorted(users.items())},
        messages_by_status=dict(sorted(by_status.items())),
        messages_by_kind_status={k: dict(sorted(v.items())) for k, v in sorted(by_kind.items())},
        sent_last_24h=int(await scalar(sent_24h)),
        failed_last_24h=int(await scalar(failed_24h)),
        failed_total=by_status.get("failed", 0),
        due_waiting=int(await scalar(select(func.count()).where(*due))),
        oldest_due_at=await scalar(select(func.min(sm.due_at)).where(*due)),
        updates_last_24h=int(
            await scalar(select(func.count()).where(ProcessedUpdate.processed_at >= day_ago))
        ),
    )


def format_stats(stats: DbStats) -> str:
    lines = [f"PT Coach at {stats.now:%Y-%m-%d %H:%M} UTC", "", f"Users: {stats.users_total}"]
    lines += [f"  {status:<12} {count:>8}" for status, count in stats.users_by_status.items()]
    lines += ["", "Scheduled messages by status:"]
    lines += [f"  {status:<12} {count:>8}" for status, count in stats.messages_by_status.items()]
    lines += ["", "Scheduled messages by kind:"]
    for kind, counts in stats.messages_by_kind_status.items():
        detail = ", ".join(f"{s} {n}" for s, n in counts.items())
        lines.append(f"  {kind:<14} {sum(counts.values()):>8}  ({detail})")
    oldest = f"{stats.oldest_due_at:%Y-%m-%d %H:%M:%S} UTC" if stats.oldest_due_at else "none"
    lines += [
        "",
        f"Sent in the last 24 h:   {stats.sent_last_24h}",
        f"Failed in the last 24 h: {stats.failed_last_24h} (all time {stats.failed_total})",
        f"Due and waiting:         {stats.due_waiting} (oldest due {oldest})",
        f"Tick lag:                {stats.tick_lag_seconds:.0f} s",
        f"Updates in the last 24 h: {stats.updates_last_24h}",
    ]
    return "\n".join(lines)


def stats_json(stats: DbStats) -> str:
    data = asdict(stats)
    data["now"] = stats.now.isoformat()
    data["oldest_due_at"] = stats.oldest_due_at.isoformat() if stats.oldest_due_at else None
    data["users_total"] = stats.users_total
    data["tick_lag_seconds"] = round(stats.tick_lag_seconds, 3)
    return json.dumps(data, sort_keys=True)


async def read_stats(database_url: str, now: datetime | None = None) -> DbStats:
    from bot.db.engine import create_engine, create_session_factory

    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return await collect_stats(session, now or datetime.now(UTC))
    finally:
        await engine.dispose()


def cmd_stats(args: argparse.Namespace) -> int:
    from bot.cli import _settings

    settings = _settings()
    stats = asyncio.run(read_stats(settings.database.url))
    print(stats_json(stats) if args.json else format_stats(stats))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("stats", help="counts from the database: users, queue, sends, lag")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.set_defaults(func=cmd_stats)
