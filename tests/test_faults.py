"""Faults on real PostgreSQL: nothing a user is owed is lost, nothing is sent twice.

Telegram misbehaving for minutes, the database dropping every connection mid-tick, a bot
process killed with SIGKILL while it dispatches, and two processes racing over the same rows.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.clock import FakeClock
from bot.db.models import ScheduledMessage
from bot.domain.timing import format_utc
from scheduler.dispatcher import CONCURRENCY, LEASE, MAX_BACKOFF
from tests.conftest import make_settings
from tests.harness.bot import BotHarness
from tests.helpers.dispatch_worker import outstanding, seed_due_checkins

pytestmark = pytest.mark.slow  # minutes of simulated outage, subprocesses, 5000-row runs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def pg(pg_url: str, clock: FakeClock) -> AsyncIterator[BotHarness]:
    h = BotHarness(make_settings(pg_url), clock)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


def delivered(h: BotHarness, chats: list[int]) -> Counter[int]:
    """Messages each chat actually received (failed calls do not count)."""
    return Counter({c: len(h.telegram.messages(c)) for c in chats})


async def drain(
    h: BotHarness, *, step: timedelta = timedelta(seconds=15), limit: int = 200
) -> None:
    """Keep ticking until nothing is due or in flight (moving past any lease or backoff)."""
    for _ in range(limit):
        if (
            await outstanding(
                h.services.sessions, h.clock.now(), MAX_BACKOFF + timedelta(minutes=1)
            )
            == 0
        ):
            return
        h.clock.advance(step)
        await h.tick()
    raise AssertionError("the dispatcher never finished")


# --- Telegram in trouble for minutes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "minutes"),
    [
        (429, 5),  # flood control in bursts: waiting it out is not a failed attempt
        (502, 30),  # server errors for half an hour: within send_attempts with backoff
        (0, 30),  # timeouts before Telegram took the message, for half an hour
    ],
    ids=["429-bursts", "5xx", "timeouts"],
)
async def test_telegram_failing_for_minutes_then_everything_arrives_once(
    pg: BotHarness, status: int, minutes: int
) -> None:
    chats = await seed_due_checkins(pg.services.sessions, 100, pg.clock.now())
    end = pg.clock.now() + timedelta(minutes=minutes)
    burst = 0
    while pg.clock.now() < end:
        # Bursts: the fault is on for a stretch of ticks, off for a tick, on again.
        pg.telegram.clear_faults()
        if burst % 6 != 5:
            # Only flood control carries retry_after; a 5xx or a timeout must reach its own path.
            retry_after = 7 if status == 429 else None
            pg.telegram.inject(status, method="sendMessage", times=None, retry_after=retry_after)
        burst += 1
        pg.clock.advance(timedelta(seconds=5))
        await pg.tick()
    pg.telegram.clear_faults()
    assert len(pg.telegram.calls_to("sendMessage")) > 2 * len(chats), "the fault never struck"
    await drain(pg)
    got = delivered(pg, chats)
    assert set(got.values()) == {1}, {c: n for c, n in got.items() if n != 1}
    async with pg.services.sessions() as session:
        rows = (
            await session.execute(
                select(
                    ScheduledMessage.status, ScheduledMessage.attempts, ScheduledMessage.last_error
                ).where(
                    ScheduledMessage.kind == "checkin",
                    ScheduledMessage.local_date == pg.clock.now().date(),
                )
            )
        ).all()
    assert Counter(status for status, _, _ in rows) == {"sent": 100}
    errors = Counter(error for _, _, error in rows)
    if status == 429:
        # Waiting out flood control is not a failed attempt.
        assert {attempts for _, attempts, _ in rows} == {1}, rows
        assert set(errors) <= {None, "flood control"}, errors
    else:
        # Server errors and timeouts are counted attempts, retried with backoff.
        expected = "TimedOut" if status == 0 else "NetworkError"
        assert max(attempts for _, attempts, _ in rows) >= 2, rows
        assert errors[expected] > 0, errors


# --- the database drops every connection mid-tick ---------------------------------------------


async def terminate_backends(pg_url: str) -> int:
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(rows)
    finally:
        await conn.close()


async def test_database_connections_dropping_mid_tick_lose_and_duplicate_nothing(
    pg: BotHarness, pg_url: str
) -> None:
    chats = await seed_due_checkins(pg.services.sessions, 400, pg.clock.now())
    pg.telegram.latency = 0.01  # sends take a moment, so the drops land inside the tick
    tick = asyncio.create_task(pg.tick())
    killed = 0
    for threshold in (40, 150, 280):
        while len(pg.telegram.calls_to("sendMessage")) < threshold and not tick.done():  # noqa: ASYNC110
            await asyncio.sleep(0.005)  # polling the fake: it has no event to wait on
        killed += await terminate_backends(pg_url)
    await tick  # the tick itself never raises
    await terminate_backends(pg_url)  # and between ticks: the pool's connections are all dead
    await drain(pg)
    assert killed > 0, "the drops did not hit any connection"
    got = delivered(pg, chats)
    assert set(got.values()) == {1}, {c: n for c, n in got.items() if n != 1}


# --- SIGKILL in the middle of dispatching -----------------------------------------------------


def start_worker(
    db: str, out: Path, now: str, instance: str, latency: float
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.helpers.dispatch_worker",
            "--db",
            db,
            "--out",
            str(out),
            "--now",
            now,
            "--latency",
            str(latency),
            "--instance-id",
            instance,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lines(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


async def count_status(h: BotHarness, status: str) -> int:
    async with h.services.sessions() as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(ScheduledMessage)
                    .where(ScheduledMessage.status == status)
                )
            ).scalar_one()
        )


async def test_sigkill_mid_dispatch_then_restart_delivers_all_with_at_most_the_inflight_twice(
    pg: BotHarness, pg_url: str, tmp_path: Path
) -> None:
    now = pg.clock.now()
    chats = await seed_due_checkins(pg.services.sessions, 1000, now)
    out = tmp_path / "sent.txt"
    worker = start_worker(pg_url, out, now.isoformat(), "worker-1", latency=0.005)
    deadline = time.monotonic() + 120
    while len(lines(out)) < 300 and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # noqa: ASYNC251 - waiting on another process
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    before = Counter(lines(out))
    assert 300 <= before.total() < 1000, f"the kill did not land mid-way ({before.total()} sent)"
    in_flight = await count_status(pg, "sending")  # claimed, and maybe sent, but not recorded
    # Restarted after the lease has run out, as a supervisor would bring it back.
    later = now + LEASE + timedelta(minutes=1)
    second = start_worker(pg_url, out, later.isoformat(), "worker-2", latency=0.0)
    _, stderr = second.communicate(timeout=180)
    assert second.returncode == 0, stderr[-2000:]
    after = Counter(lines(out))
    assert set(after) == set(chats), (
        f"{len(set(chats) - set(after))} users never got their check-in"
    )
    duplicates = sum(n - 1 for n in after.values())
    # The documented window: a message Telegram accepted whose row was not yet marked sent.
    assert duplicates <= min(in_flight, CONCURRENCY), (duplicates, in_flight)
    assert await count_status(pg, "sent") == 1000
    print(
        f"SIGKILL after {before.total()} sends: {in_flight} rows in flight, "
        f"{duplicates} duplicate(s)"
    )


async def test_two_processes_over_5000_due_rows_send_each_exactly_once(
    pg: BotHarness, pg_url: str, tmp_path: Path
) -> None:
    now = pg.clock.now()
    chats = await seed_due_checkins(pg.services.sessions, 5000, now)
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    workers = [
        start_worker(pg_url, out, now.isoformat(), f"proc-{i}", latency=0.0)
        for i, out in enumerate(outs)
    ]
    for w in workers:
        _, stderr = w.communicate(timeout=300)
        assert w.returncode == 0, stderr[-2000:]
    a, b = Counter(lines(outs[0])), Counter(lines(outs[1]))
    both = a + b
    assert set(both) == set(chats) and max(both.values()) == 1
    assert a.total() > 0 and b.total() > 0, "one process did all the work: no race was tested"
    assert format_utc(now)  # the workers ran on the same instant
