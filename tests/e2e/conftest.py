"""End-to-end fixtures: the local Bot API server, and the real bot as a subprocess.

Every test here is marked ``e2e``; ``pytest -m "not e2e"`` skips them. A started bot process
is always killed in teardown (SIGTERM, then SIGKILL), whatever the test did, and its log is
printed so a failing test shows what the bot said.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import pytest
from sqlalchemy import pool, select

from bot.db.engine import create_engine, create_session_factory
from bot.db.models import ScheduledMessage, User
from bot.domain.kinds import MessageKind
from bot.domain.timing import local_date
from bot.services.planner import upsert_message
from tests.botapi.server import BotApiServer
from tests.helpers.seed import add_onboarded_user

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123:TEST"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """``python -m bot run`` against the test server, with its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> BotProcess:
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {datetime.now(UTC).isoformat()} =====\n".encode())
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(
        self, server: BotApiServer, method: str, *, after: int, timeout: float = 30
    ) -> float:
        """Until the bot calls ``method`` (getUpdates or setWebhook); the start-up seconds."""

        def ready() -> bool:
            if not self.alive():
                raise AssertionError(
                    f"the bot exited with {self.proc and self.proc.returncode}:\n{self.log_tail()}"
                )
            return any(c.method == method for c in server.calls[after:])

        server.wait(ready, timeout, f"the bot to call {method}")
        return time.monotonic() - self.started_at

    def kill(self) -> None:
        if self.alive():
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 10) -> int | None:
        """Graceful stop as an operator would (SIGTERM); SIGKILL if it hangs."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def bot_env(db_url: str, server: BotApiServer, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PTCOACH_") and k != "TELEGRAM_BOT_TOKEN"
    }
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "PTCOACH_TELEGRAM_BASE_URL": server.base_url,
            "PTCOACH_DATABASE_URL": db_url,
            "PTCOACH_SCHEDULE_TICK_SECONDS": "1",
            "PTCOACH_TELEGRAM_RATE_LIMIT": "false",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@pytest.fixture
def botapi() -> Iterator[BotApiServer]:
    server = BotApiServer(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


class BotRunner:
    """Starts bot processes and guarantees they are all gone when closed."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[BotProcess] = []

    def launch(self, db_url: str, server: BotApiServer, **extra: str) -> BotProcess:
        """Start without waiting (see ``BotProcess.wait_ready``)."""
        proc = BotProcess(
            bot_env(db_url, server, **extra), self.log_dir / f"bot{len(self.processes)}.log"
        )
        self.processes.append(proc)
        return proc.start()

    def start(
        self, db_url: str, server: BotApiServer, *, ready: str = "getUpdates", **extra: str
    ) -> BotProcess:
        after = len(server.calls)
        proc = self.launch(db_url, server, **extra)
        seconds = proc.wait_ready(server, ready, after=after)
        print(f"bot pid {proc.pid} ready in {seconds:.1f}s")
        return proc

    def close(self, grace: float = 3.0) -> None:
        """SIGTERM all, give them ``grace`` seconds together, then SIGKILL what is left."""
        for proc in self.processes:
            if proc.alive():
                assert proc.proc is not None
                proc.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.processes:
            if proc.proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.proc.wait(max(0.0, deadline - time.monotonic()))
            proc.kill()
        for proc in self.processes:
            print(f"--- bot log ({proc.log_path}) ---\n{proc.log_tail(60)}")


StartBot = Callable[..., BotProcess]


@pytest.fixture
def start_bot(tmp_path: Path) -> Iterator[StartBot]:
    """``start_bot(db_url, server, ready="getUpdates", **env)``: a bot ready for updates."""
    runner = BotRunner(tmp_path)
    try:
        yield runner.start
    finally:
        runner.close()


# --- seeding the database directly (for scenarios that do not need onboarding) --------------


def seed_users(
    db_url: str, telegram_ids: list[int], *, zone: str = "Europe/Berlin", due_in: float = 0.0
) -> None:
    """Onboarded users with a plan and a check-in due ``due_in`` seconds from now (real time)."""

    async def _go() -> None:
        engine = create_engine(db_url, poolclass=pool.NullPool)
        sessions = create_session_factory(engine)
        now = datetime.now(UTC)
        due = now + timedelta(seconds=due_in)
        try:
            async with sessions() as session:
                for telegram_id in telegram_ids:
                    user = await add_onboarded_user(
                        session,
                        telegram_id,
                        now,
                        first_name=f"Runner{telegram_id}",
                        zone=zone,
                        quiet=(dtime(0, 0), dtime(0, 0)),
                        stopped_running_on=now.date() - timedelta(days=10),
                        pt_sessions_per_week=0,
                        exercises=("Clamshells",),
                    )
                    await upsert_message(
                        session,
                        user_id=user.id,
                        kind=MessageKind.CHECKIN,
                        day=local_date(due, zone),
                        due_at=due,
                        now=now,
                    )
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(_go())


def expire_leases(db_url: str, by: timedelta) -> int:
    """Age the claims of ``sending`` rows, as if ``by`` had passed since the crash."""

    async def _go() -> int:
        engine = create_engine(db_url, poolclass=pool.NullPool)
        try:
            async with create_session_factory(engine)() as session:
                rows = (
                    (
                        await session.execute(
                            select(ScheduledMessage).where(ScheduledMessage.status == "sending")
                        )
                    )
                    .scalars()
                    .all()
                )
                for row in rows:
                    assert row.claimed_at is not None
                    row.claimed_at = row.claimed_at - by
                await session.commit()
                return len(rows)
        finally:
            await engine.dispose()

    return asyncio.run(_go())


def chats_recorded_sent(db_url: str, kind: str = MessageKind.CHECKIN) -> set[int]:
    """The chats whose ``kind`` message the database holds as ``sent`` right now."""

    async def _go() -> set[int]:
        engine = create_engine(db_url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(User.chat_id)
                    .join(ScheduledMessage, ScheduledMessage.user_id == User.id)
                    .where(ScheduledMessage.kind == kind, ScheduledMessage.status == "sent")
                )
                return {chat_id for (chat_id,) in rows}
        finally:
            await engine.dispose()

    return asyncio.run(_go())


def scheduled_statuses(db_url: str, kind: str = MessageKind.CHECKIN) -> dict[str, int]:
    async def _go() -> dict[str, int]:
        from sqlalchemy import func, select

        engine = create_engine(db_url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(ScheduledMessage.status, func.count())
                    .where(ScheduledMessage.kind == kind)
                    .group_by(ScheduledMessage.status)
                )
                return {status: count for status, count in rows}
        finally:
            await engine.dispose()

    return asyncio.run(_go())
