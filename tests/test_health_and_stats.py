"""What an operator sees: the health probe, the Prometheus counters, and `python -m bot stats`."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import ScheduledMessage, User
from bot.health import HealthServer
from bot.services.container import Services
from tests.conftest import make_settings
from tests.harness.bot import BotHarness

ROOT = Path(__file__).resolve().parent.parent


async def http_get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    await writer.drain()
    raw = (await reader.read()).decode()
    writer.close()
    head, _, body = raw.partition("\r\n\r\n")
    status_line, *header_lines = head.split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_healthz_reports_a_reachable_database_and_metrics_show_counters(
    harness: BotHarness,
) -> None:
    harness.services.metrics.message("sent", 3)
    harness.services.metrics.tick_lag_seconds = 1.5
    server = HealthServer(harness.services, "127.0.0.1", 0)
    port = await server.start()
    try:
        status, headers, body = await http_get(port, "/healthz")
        assert status == 200 and headers["content-type"] == "application/json"
        assert json.loads(body)["database"] == "ok"
        status, headers, body = await http_get(port, "/metrics")
        assert status == 200 and headers["content-type"].startswith("text/plain")
        assert 'ptcoach_messages_total{outcome="sent"} 3.0' in body.splitlines()
        assert "ptcoach_tick_lag_seconds 1.5" in body.splitlines()
        assert "process_resident_memory_bytes" in body  # the process collector is registered
        assert (await http_get(port, "/nope"))[0] == 404
    finally:
        await server.stop()


def samples(body: str) -> dict[str, float]:
    """Prometheus text format as {'name{labels}': value}, comments left out."""
    pairs = (line.rsplit(" ", 1) for line in body.splitlines() if line and line[0] != "#")
    return {name: float(value) for name, value in pairs}


async def test_metrics_count_what_the_bot_did_with_labels_and_latencies(
    harness: BotHarness,
) -> None:
    from tests.harness import updates
    from tests.helpers.seed import make_user
    from tests.test_safety_stories import URGENT

    await make_user(harness)
    harness.clock.advance(timedelta(hours=10, minutes=5))  # Berlin 19:05: the check-in is due
    await harness.tick()
    raw = updates.text_update(1001, "Alex", URGENT)
    await harness.process(raw)
    await harness.process(raw)  # Telegram redelivers the same update
    assert len(harness.telegram.messages(1001)) >= 2, "the check-in and the red-flag reply"

    server = HealthServer(harness.services, "127.0.0.1", 0)
    port = await server.start()
    try:
        status, _, body = await http_get(port, "/metrics")
    finally:
        await server.stop()
    assert status == 200
    got = samples(body)
    assert got["ptcoach_red_flags_total"] == 1
    assert got['ptcoach_updates_ignored_total{reason="duplicate"}'] == 1
    assert got['ptcoach_updates_ignored_total{reason="non_private"}'] == 0
    assert got['ptcoach_errors_total{source="handler"}'] == 0
    # Both deliveries were handled (one of them dropped early): two observed update latencies.
    assert got["ptcoach_update_seconds_count"] == 2
    assert got['ptcoach_update_seconds_bucket{le="+Inf"}'] == 2
    assert got["ptcoach_update_seconds_sum"] > 0
    # The check-in was one scheduled message, timed as one send.
    assert got['ptcoach_messages_total{outcome="sent"}'] == 1
    assert got["ptcoach_send_seconds_count"] == 1
    # It was due at 19:00 and went out at the 19:05 tick: five minutes late.
    assert got["ptcoach_send_lateness_seconds_count"] == 1
    assert got['ptcoach_send_lateness_seconds_bucket{le="300.0"}'] == 1
    assert got['ptcoach_send_lateness_seconds_bucket{le="120.0"}'] == 0
    # The typed read API agrees with what Prometheus scrapes.
    assert harness.services.metrics.count("updates_ignored", reason="duplicate") == 1
    assert harness.services.metrics.observations("update") == 2


async def test_two_applications_in_one_process_count_for_themselves(sqlite_url: str) -> None:
    first = BotHarness(make_settings(sqlite_url), FakeClock(datetime.now(UTC)))
    second = BotHarness(make_settings(sqlite_url), FakeClock(datetime.now(UTC)))
    first.services.metrics.red_flag()
    assert first.services.metrics.count("red_flags") == 1
    assert second.services.metrics.count("red_flags") == 0
    await first.services.engine.dispose()
    await second.services.engine.dispose()


async def test_healthz_fails_when_the_database_is_down(tmp_path: Path) -> None:
    # Nothing listens on port 1: the load balancer must take this instance out of rotation.
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    services = Services(
        make_settings("sqlite+aiosqlite:///x.db"),
        FakeClock(datetime.now(UTC)),
        engine,
        create_session_factory(engine),
    )
    server = HealthServer(services, "127.0.0.1", 0)
    port = await server.start()
    try:
        status, _, body = await http_get(port, "/healthz")
        assert status == 503 and json.loads(body)["database"] == "unreachable"
    finally:
        await server.stop()
        await engine.dispose()


async def test_the_health_port_setting_starts_and_stops_the_endpoint(sqlite_url: str) -> None:
    port = free_port()
    settings = make_settings(sqlite_url).with_overrides(
        telegram={"health_port": port, "webhook_listen": "127.0.0.1"}
    )
    harness = BotHarness(settings, FakeClock(datetime.now(UTC)))
    await harness.app.initialize()
    await harness.app.post_init(harness.app)  # type: ignore[misc]
    try:
        assert (await http_get(port, "/healthz"))[0] == 200
    finally:
        await harness.app.post_shutdown(harness.app)  # type: ignore[misc]
        await harness.app.shutdown()
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        pass
    else:
        raise AssertionError("the health endpoint still listens after shutdown")


async def seed(db_url: str, now: datetime) -> None:
    engine = create_engine(db_url)
    async with create_session_factory(engine)() as session:
        users = []
        for i, status in enumerate(["active", "active", "active", "paused", "blocked"]):
            users.append(
                User(
                    telegram_id=500 + i,
                    chat_id=500 + i,
                    first_name="R",
                    timezone="UTC",
                    checkin_time=time(19),
                    status=status,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.add_all(users)
        await session.flush()
        rows = [
            ("checkin", "sent", now - timedelta(hours=2), now - timedelta(hours=2)),
            ("checkin", "sent", now - timedelta(hours=30), now - timedelta(hours=30)),
            ("nudge", "failed", now - timedelta(hours=1), None),
            # Sent in the last hour, 90 s after it was due (an evening backlog).
            ("nudge", "sent", now - timedelta(minutes=20), now - timedelta(minutes=18, seconds=30)),
            ("checkin", "pending", now - timedelta(minutes=10), None),  # overdue: the lag
            ("followup", "pending", now + timedelta(hours=3), None),
        ]
        for n, (kind, status, due, sent) in enumerate(rows):
            session.add(
                ScheduledMessage(
                    user_id=users[n % len(users)].id,
                    kind=kind,
                    local_date=date(2026, 1, 1) + timedelta(days=n),
                    due_at=due,
                    status=status,
                    payload={},
                    sent_at=sent,
                    claimed_at=due if status == "failed" else None,
                    created_at=now - timedelta(days=2),
                )
            )
        await session.commit()
    await engine.dispose()


def run_stats(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PTCOACH_", "TELEGRAM_"))}
    env["PTCOACH_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "bot", "stats", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_stats_command_counts_users_queue_sends_and_lag(db_url: str) -> None:
    await seed(db_url, datetime.now(UTC))
    result = await asyncio.to_thread(run_stats, db_url, "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["users_by_status"] == {"active": 3, "blocked": 1, "paused": 1}
    assert stats["messages_by_kind_status"]["checkin"] == {"pending": 1, "sent": 2}
    assert stats["sent_last_24h"] == 2 and stats["failed_last_24h"] == 1
    assert stats["sent_last_hour"] == 1 and stats["late_p95_seconds"] == 90
    assert stats["due_waiting"] == 1
    assert 9 * 60 <= stats["tick_lag_seconds"] <= 15 * 60

    table = await asyncio.to_thread(run_stats, db_url)
    assert table.returncode == 0, table.stderr
    assert "Users: 5" in table.stdout and "Sent in the last 24 h:   2" in table.stdout
    assert "95 % within 90 s" in table.stdout
    assert "Traceback" not in table.stderr
