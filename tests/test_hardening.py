"""Issue 17 (3, 4, 5, 8): no health text or token in logs, no hostile body or outage can
freeze the bot, and an erasure leaves no text on disk."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url
from telegram.error import InvalidToken, NetworkError

from bot.clock import FakeClock
from bot.config import DatabaseSettings, Settings
from bot.db.engine import create_engine
from bot.domain.wording import say
from bot.health import MAX_LINE, HealthServer
from bot.logs import make_handler, quiet_libraries
from bot.webhook import cap_request_bodies
from tests.conftest import make_settings
from tests.harness.bot import BotHarness
from tests.helpers.seed import at_first_checkin, checkins, make_user, seeded_user
from tests.test_health_and_stats import free_port

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
HEALTH_TEXT = "my calf is swollen and hot"
HEALTH_NOTE = "left knee aches after stairs"


@pytest.fixture
def captured() -> Iterator[list[io.StringIO]]:
    """Everything logged at DEBUG, through the production handlers (plain and JSON)."""
    root = logging.getLogger()
    streams = [io.StringIO(), io.StringIO()]
    handlers_ = [
        make_handler(False, logging.StreamHandler(streams[0])),
        make_handler(True, logging.StreamHandler(streams[1])),
    ]
    old_level, old_handlers = root.level, root.handlers[:]
    root.handlers[:] = [*old_handlers, *handlers_]
    root.setLevel(logging.DEBUG)
    quiet_libraries("DEBUG")
    try:
        yield streams
    finally:
        root.handlers[:] = old_handlers
        root.setLevel(old_level)


def _logs(streams: list[io.StringIO]) -> str:
    return "\n".join(s.getvalue() for s in streams)


async def test_health_text_and_the_token_never_reach_the_logs_at_debug(
    sqlite_url: str, clock: FakeClock, captured: list[io.StringIO]
) -> None:
    settings = _with_token(make_settings(sqlite_url))
    harness = BotHarness(settings, clock)
    await harness.start()
    try:
        alex = await at_first_checkin(harness)
        await alex.press("Did them all")
        await alex.press("7")
        await alex.say(HEALTH_NOTE)
        rows = await checkins(harness)
        assert rows[0].note == HEALTH_NOTE and rows[0].pain == 7
        replies = len(alex.texts)
        await alex.say(HEALTH_TEXT)  # a red flag: triaged, recorded
        assert len(alex.texts) > replies
        # A database error about the user's text, logged with its traceback.
        try:
            async with harness.services.engine.connect() as conn:
                statement = text("SELECT nope FROM checkins WHERE note = :n")
                await conn.execute(statement, {"n": HEALTH_TEXT})
        except sa_exc.DBAPIError:
            logging.getLogger("test").exception("statement failed")
    finally:
        await harness.stop()

    # Telegram rejects the token at start-up: PTB's exception quotes it in full.
    rejected = BotHarness(settings, clock)
    rejected.telegram.inject(401, method="getMe", description="Unauthorized", times=None)
    with pytest.raises(InvalidToken) as err:
        await rejected.app.initialize()
    assert TOKEN in str(err.value)  # so the scrubbing below is what keeps it out
    logging.getLogger("bot.runner").error("start-up failed: %s", err.value, exc_info=err.value)
    await rejected.services.engine.dispose()

    logs = _logs(captured)
    assert " DEBUG " in logs  # DEBUG lines were captured at all
    assert HEALTH_TEXT not in logs and HEALTH_NOTE not in logs
    assert "swollen" not in logs
    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
    assert "<token>" in logs


def _with_token(settings: Settings) -> Settings:
    return settings.with_overrides(token=TOKEN)


def test_pt_b_webhook_critical_line_loses_the_update_body(captured: list[io.StringIO]) -> None:
    logger = logging.getLogger("telegram.ext.Updater")
    try:
        raise ValueError(HEALTH_TEXT)
    except ValueError as exc:
        logger.critical(
            "Something went wrong processing the data received from Telegram. "
            "Received data was *not* processed! Received data was: %r",
            {"message": {"text": HEALTH_TEXT}},
            exc_info=exc,
        )
    logs = _logs(captured)
    assert "Something went wrong processing the data" in logs
    assert HEALTH_TEXT not in logs


async def test_a_failed_long_poll_is_one_warning_not_a_handler_failure(
    harness: BotHarness, captured: list[io.StringIO]
) -> None:
    for _ in range(5):
        await harness.app.process_error(None, NetworkError("httpx.ConnectError: all down"))
    logs = _logs(captured)
    assert "handler failed" not in logs and "Traceback" not in logs
    lines = [line for line in captured[0].getvalue().splitlines() if "Telegram unreachable" in line]
    assert len(lines) == 1 and " WARNING " in lines[0]


async def test_a_transient_database_outage_during_an_update_is_retried(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.outage_retry.FIRST_DELAY", 0.05)
    alex = await at_first_checkin(harness)
    await alex.press("Did them all")
    await alex.press("4")

    real = harness.services.sessions
    failures = {"left": 2}

    def flaky() -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise sa_exc.OperationalError("BEGIN", None, ConnectionRefusedError("db down"))
        return real()

    harness.services.sessions = flaky  # type: ignore[assignment]
    await alex.say("Bridges felt easier today")
    harness.services.sessions = real
    assert failures["left"] == 0
    assert say("fallback.error") not in alex.texts
    rows = await checkins(harness)
    assert rows[0].note == "Bridges felt easier today" and rows[0].pain == 4
    assert harness.services.metrics.count("outage_retries") == 2


async def test_an_outage_longer_than_the_budget_ends_in_the_apology(
    sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.outage_retry.FIRST_DELAY", 0.05)
    settings = make_settings(sqlite_url).with_overrides(database={"outage_retry_seconds": 0.3})
    harness = BotHarness(settings, clock)
    await harness.start()
    try:
        alex = await seeded_user(harness)

        def down() -> Any:
            raise sa_exc.OperationalError("BEGIN", None, ConnectionRefusedError("db down"))

        real = harness.services.sessions
        harness.services.sessions = down  # type: ignore[assignment]
        await alex.say("/today")
        harness.services.sessions = real
        assert alex.last.text == say("fallback.error")
    finally:
        await harness.stop()


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


async def test_erased_text_is_not_left_in_the_sqlite_wal_or_file(
    sqlite_url: str, clock: FakeClock
) -> None:
    harness = BotHarness(make_settings(sqlite_url), clock)
    await harness.start()
    marker = "Achilles-tendon-marker-4711 burning"
    try:
        alex = await at_first_checkin(harness)
        await alex.press("Did them all")
        await alex.press("6")
        await alex.say(marker)
        db_path = Path(str(make_url(sqlite_url).database))
        wal = db_path.with_name(db_path.name + "-wal")
        on_disk = _read(wal) + _read(db_path)
        assert marker.encode() in on_disk  # the test would see it
        await alex.say("/delete")
        await alex.press("Yes, delete everything")
        assert "erased" in (alex.last.text or "")
        leftover = _read(wal) + _read(db_path)
        assert marker.encode() not in leftover
    finally:
        await harness.stop()


async def test_health_server_answers_an_over_long_request_line_with_400(
    harness: BotHarness,
) -> None:
    server = HealthServer(harness.services, "127.0.0.1", 0)
    port = await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /" + b"a" * (MAX_LINE * 4) + b" HTTP/1.1\r\n\r\n")
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert raw.startswith(b"HTTP/1.1 400 ")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\n\r\n")
        await writer.drain()
        assert (await asyncio.wait_for(reader.read(), 5)).startswith(b"HTTP/1.1 200 ")
        writer.close()
    finally:
        await server.stop()


async def _post(port: int, head: bytes, body: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + body)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def test_webhook_refuses_an_oversized_body_without_reading_it(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, captured: list[io.StringIO]
) -> None:
    import telegram.ext._updater as updater_module

    monkeypatch.setattr(updater_module, "WebhookServer", updater_module.WebhookServer)  # type: ignore[attr-defined]
    cap_request_bodies(1024 * 1024)  # what bot.runner does before run_webhook
    secret, port = "s" * 16, free_port()
    updater = harness.app.updater
    assert updater is not None
    await updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="telegram",
        webhook_url="https://coach.example.org/telegram",
        secret_token=secret,
    )
    try:
        head = b"POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        # The 90 MB never follow: the answer must come from the Content-Length alone.
        raw = await _post(port, head + b"Content-Length: 90000000\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 400 ")
        body = b'{"update_id": 1}'
        auth = f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n".encode()
        length = f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        assert (await _post(port, head + auth + length, body)).startswith(b"HTTP/1.1 200 ")
        assert harness.app.update_queue.qsize() == 1
        # An update PTB cannot parse: logged at CRITICAL, without the user's text.
        bad = json.dumps({"message": {"text": HEALTH_TEXT}}).encode()
        length = f"Content-Length: {len(bad)}\r\nConnection: close\r\n\r\n".encode()
        assert (await _post(port, head + auth + length, bad)).startswith(b"HTTP/1.1 400 ")
    finally:
        await updater.stop()
    logs = _logs(captured)
    assert "Something went wrong processing the data" in logs
    assert HEALTH_TEXT not in logs


async def test_a_scheduled_send_that_fails_on_the_network_is_logged(
    harness: BotHarness, captured: list[io.StringIO]
) -> None:
    await make_user(harness)
    harness.telegram.inject(0, method="sendMessage", chat_id=1001, times=1)
    await harness.advance(timedelta(hours=10, minutes=5))
    lines = [
        line
        for line in captured[0].getvalue().splitlines()
        if "sending a scheduled" in line and "network trouble" in line
    ]
    assert lines and " WARNING " in lines[0]
    assert harness.user(1001).texts  # and the check-in still arrived on a later tick


async def test_postgres_statements_are_cancelled_after_the_statement_timeout(pg_url: str) -> None:
    limits = DatabaseSettings(statement_timeout=0.5)
    engine = create_engine(pg_url, limits=limits)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SHOW statement_timeout"))).scalar_one() == "500ms"
            started = time.monotonic()
            with pytest.raises(sa_exc.DBAPIError):
                await conn.execute(text("SELECT pg_sleep(10)"))
            assert time.monotonic() - started < 3
    finally:
        await engine.dispose()


async def test_waiting_for_a_pooled_connection_gives_up_after_the_pool_timeout(
    sqlite_url: str,
) -> None:
    limits = DatabaseSettings(pool_timeout=0.3)
    engine = create_engine(sqlite_url, limits=limits, pool_size=1, max_overflow=0)
    try:
        async with engine.connect():
            started = time.monotonic()
            with pytest.raises(sa_exc.TimeoutError):
                async with engine.connect():
                    pass
            assert time.monotonic() - started < 2
    finally:
        await engine.dispose()
