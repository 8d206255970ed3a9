"""A stand-alone bot process for the crash tests: it dispatches until nothing is due.

Run as ``python -m tests.helpers.dispatch_worker --db URL --out FILE --now ISO``. It builds
the real application against the given database with an offline Telegram that appends the
chat id of every message Telegram accepted to ``FILE`` (one line per message, flushed at
once, so a SIGKILL loses nothing that was "delivered"), and ticks the real dispatcher in a
loop. The test kills it with SIGKILL mid-way and starts it again to prove that a crash loses
no check-in and duplicates at most the messages that were in flight.

``seed_due_checkins`` (also used in-process by the tests) fills a database with users whose
check-in is due, in bulk: creating thousands of users through the planner would take longer
than the dispatching under test.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ScheduledMessage, User
from bot.domain.kinds import MessageKind
from bot.domain.timing import local_date

ZONE = "Europe/Berlin"


async def seed_due_checkins(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    now: datetime,
    *,
    first_telegram_id: int = 500_000,
    due_ago: timedelta = timedelta(minutes=1),
) -> list[int]:
    """``count`` active users, each with today's check-in due ``due_ago`` before ``now``.

    Returns their chat ids."""
    due = now - due_ago
    wall = (
        due.astimezone(__import__("zoneinfo").ZoneInfo(ZONE))
        .time()
        .replace(second=0, microsecond=0)
    )
    day = local_date(due, ZONE)
    tids = list(range(first_telegram_id, first_telegram_id + count))
    async with sessions() as session:
        for start in range(0, count, 1000):
            chunk = tids[start : start + 1000]
            await session.execute(
                insert(User),
                [
                    {
                        "telegram_id": t,
                        "chat_id": t,
                        "first_name": f"Runner{t}",
                        "timezone": ZONE,
                        "checkin_time": wall,
                        "status": "active",
                        "consent_at": now,
                        "onboarded_at": now,
                        "nudge_cadence": "off",
                        "rest_weekdays": [],
                        "created_at": now,
                        "updated_at": now,
                    }
                    for t in chunk
                ],
            )
        ids = (
            (await session.execute(select(User.id).where(User.telegram_id.in_(tids))))
            .scalars()
            .all()
        )
        for start in range(0, len(ids), 1000):
            await session.execute(
                insert(ScheduledMessage),
                [
                    {
                        "user_id": uid,
                        "kind": MessageKind.CHECKIN,
                        "local_date": day,
                        "due_at": due,
                        "status": "pending",
                        "payload": {},
                        "attempts": 0,
                        "created_at": now,
                    }
                    for uid in ids[start : start + 1000]
                ],
            )
        await session.commit()
    return tids


async def outstanding(
    sessions: async_sessionmaker[AsyncSession], now: datetime, horizon: timedelta = timedelta(0)
) -> int:
    """Rows a dispatcher still has to deal with: pending and due within ``horizon`` (deferred by
    a retry), or claimed and not finished."""
    sm = ScheduledMessage
    now = now + horizon
    async with sessions() as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(sm)
                    .where(
                        or_(and_(sm.status == "pending", sm.due_at <= now), sm.status == "sending")
                    )
                )
            ).scalar_one()
        )


def _recording_telegram(out: TextIO, latency: float) -> Any:
    from tests.harness.fake_telegram import FakeTelegram

    class RecordingTelegram(FakeTelegram):
        async def do_request(
            self, url: str, method: str, request_data: Any = None, *args: Any, **kwargs: Any
        ) -> tuple[int, bytes]:
            status, body = await super().do_request(url, method, request_data, *args, **kwargs)
            if status == 200 and url.endswith("/sendMessage") and request_data is not None:
                out.write(f"{request_data.parameters['chat_id']}\n")
                out.flush()
            return status, body

    fake = RecordingTelegram()
    fake.latency = latency
    return fake


async def run(db: str, out_path: Path, now: datetime, latency: float, instance_id: str) -> int:
    from bot.app import build_application
    from bot.clock import FakeClock
    from bot.config import load_settings
    from scheduler.dispatcher import Dispatcher

    settings = load_settings(environ={}, dotenv=Path("/nonexistent"))
    settings = settings.with_overrides(
        database={"url": db}, telegram={"rate_limit": False}, token="123456:TEST-TOKEN"
    )
    with out_path.open("a", encoding="utf-8") as out:
        app = build_application(
            settings,
            request=_recording_telegram(out, latency),
            clock=FakeClock(now),
            run_ticks=False,
        )
        await app.initialize()
        services = app.bot_data["services"]
        services.instance_id = instance_id
        sent = 0
        try:
            for _ in range(10_000):
                sent += await Dispatcher(services, app.bot).tick()
                if await outstanding(services.sessions, now) == 0:
                    break
        finally:
            await app.shutdown()
            await services.engine.dispose()
    print(f"done: sent {sent}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    parser.add_argument("--latency", type=float, default=0.002)
    parser.add_argument("--instance-id", default="worker")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.db, args.out, args.now, args.latency, args.instance_id))


if __name__ == "__main__":
    sys.exit(main())
