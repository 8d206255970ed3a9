"""Shared by the benchmarks: a fresh migrated database, bulk-seeded with onboarded users.

Seeding goes through Core ``executemany`` inserts, not the ORM: 100,000 users with a profile,
three exercises and a due check-in load in seconds instead of minutes, so the benchmark
measures the bot and not its own set-up.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.db.engine import create_engine  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import CheckIn, Exercise, RehabProfile, ScheduledMessage, User  # noqa: E402

PG_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
# Friday 2026-11-27 18:00 UTC: evening in all these zones, so check-ins are due "now".
NOW = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
ZONES = ("Europe/London", "Europe/Berlin", "Europe/Helsinki", "Africa/Lagos", "Atlantic/Reykjavik")
CHUNK = 5_000


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(backend: str) -> AsyncIterator[str]:
    """A migrated, empty database URL; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ptcoach-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            await _migrate(url)
            yield url
        return
    name = f"ptcoach_bench_{uuid.uuid4().hex[:10]}"
    await _pg(PG_URL, f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await _migrate(url)
        yield url
    finally:
        await _pg(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


async def seed_users(
    engine: AsyncEngine,
    n: int,
    *,
    now: datetime = NOW,
    due_checkins: bool = True,
    first_telegram_id: int = 10_000_000,
    realistic: bool = False,
) -> list[int]:
    """``n`` onboarded, active users, each with a profile, 3 exercises and (optionally) a
    pending check-in due one minute before ``now``. Returns their Telegram ids.

    ``realistic`` models users a month in, as the evening peak meets them: nudges on (as for
    new users), 30 days of check-in history (mostly done, some partial, skipped or missed,
    with pain scores), the matching sent check-in rows, and yesterday's check-in left
    unanswered by about a third of them. The ideal case (``realistic=False``) is day one."""
    due = now - timedelta(minutes=1)
    tg_ids = [first_telegram_id + i for i in range(n)]
    users = []
    for i, tg in enumerate(tg_ids):
        zone = ZONES[i % len(ZONES)]
        local = due.astimezone(ZoneInfo(zone))
        users.append(
            {
                "telegram_id": tg,
                "chat_id": tg,
                "first_name": f"Runner{i}",
                "language": "en",
                "timezone": zone,
                "checkin_time": time(local.hour, local.minute),
                "status": "active",
                "consent_at": now - timedelta(days=10),
                "onboarded_at": now - timedelta(days=10),
                "nudge_cadence": "normal" if realistic else "off",
                "nudge_seed": i,
                "quiet_start": time(22, 0),
                "quiet_end": time(7, 0),
                "rest_weekdays": [],
                "weekly_summary_weekday": 6,
                "weekly_summary_time": time(19, 0),
                "created_at": now,
                "updated_at": now,
            }
        )
    async with engine.begin() as conn:
        for part in _chunks(users):
            await conn.execute(insert(User), part)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(User.id, User.timezone).order_by(User.id))).all()
    profiles, exercises, messages, history = [], [], [], []
    for index, (user_id, zone) in enumerate(rows):
        if realistic:
            _history(index, user_id, zone, now, history, messages)
        profiles.append(
            {
                "user_id": user_id,
                "injury_area": "knee",
                "stopped_running_on": date(2026, 11, 10),
                "pt_sessions_per_week": 0,
                "pt_weekdays": [],
                "returning_to_run": False,
            }
        )
        for pos, name in enumerate(("Clamshells", "Glute bridges", "Wall sit")):
            exercises.append(
                {
                    "user_id": user_id,
                    "position": pos,
                    "name": name,
                    "sets": 3,
                    "reps": 15,
                    "per_side": False,
                    "created_at": now,
                }
            )
        if due_checkins:
            messages.append(
                {
                    "user_id": user_id,
                    "kind": "checkin",
                    "local_date": due.astimezone(ZoneInfo(zone)).date(),
                    "due_at": due,
                    "status": "pending",
                    "payload": {},
                    "attempts": 0,
                    "sent_at": None,
                    "created_at": now,
                }
            )
    async with engine.begin() as conn:
        for table, data in (
            (RehabProfile, profiles),
            (Exercise, exercises),
            (ScheduledMessage, messages),
            (CheckIn, history),
        ):
            for part in _chunks(data):
                await conn.execute(insert(table), part)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
    return tg_ids


def _history(
    index: int,
    user_id: int,
    zone: str,
    now: datetime,
    history: list[dict[str, Any]],
    messages: list[dict[str, Any]],
) -> None:
    """30 past days for one user: check-in rows and the sent prompts they answered."""
    today = now.astimezone(ZoneInfo(zone)).date()
    for back in range(1, 31):
        day = today - timedelta(days=back)
        due = now - timedelta(days=back)
        unanswered = back == 1 and index % 3 == 0
        messages.append(
            {
                "user_id": user_id,
                "kind": "checkin",
                "local_date": day,
                "due_at": due,
                "status": "sent",
                "payload": {},
                "attempts": 1,
                "sent_at": due,
                "created_at": due - timedelta(days=1),
            }
        )
        if unanswered:
            continue  # yesterday's prompt is still open: the evening finds it unanswered
        roll = (index * 31 + back * 7) % 20
        status = (
            "done"
            if roll < 13
            else "partial"
            if roll < 16
            else "skipped"
            if roll < 18
            else "missed"
        )
        history.append(
            {
                "user_id": user_id,
                "local_date": day,
                "status": status,
                "exercises_done": ["Clamshells", "Glute bridges"]
                if status in ("done", "partial")
                else [],
                "pain": (roll % 6) if status in ("done", "partial") else None,
                "created_at": due,
                "updated_at": due,
            }
        )


def machine() -> dict[str, Any]:
    """The figures that make a result comparable: cores, memory, Python."""
    import platform

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // 1024} MiB"
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "mem_total": mem, "python": platform.python_version()}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class BenchFailure(SystemExit):
    """The benchmark's work did not happen as it must (a press lost, a message sent twice):
    its figures mean nothing, so the script exits non-zero with the reason."""


def require(condition: bool, what: str) -> None:
    if not condition:
        raise BenchFailure(f"benchmark check failed: {what}")
