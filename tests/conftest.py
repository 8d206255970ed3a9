"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL, a fake
clock, and the bot harness built on both.

PostgreSQL comes from ``TEST_POSTGRES_URL`` (default: the local server). Without a reachable
server its tests skip with the reason, unless ``REQUIRE_POSTGRES=1`` (set by CI), which turns
the skip into a failure so that CI can never pass by silently testing less.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from tests.harness.bot import BotHarness

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)
REQUIRE_PG = os.environ.get("REQUIRE_POSTGRES") == "1"

# The FAQ model's derived files (bot/model_cache.py) go to one folder all test workers and the
# bots and CLIs they start share, never the developer's own ~/.cache: the first process builds
# them, every later one starts warm. Tests of the cache itself point it elsewhere.
os.environ.setdefault(
    "PT_COACH_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"pt-coach-test-cache-{os.getuid()}")
)
BACKENDS = ["sqlite", "postgres"]


def _admin_dsn() -> str:
    url = make_url(PG_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_execute(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn(), timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


class _Templates:
    """Migrate once per session, then copy: a fresh database per test costs milliseconds."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.sqlite_template: Path | None = None
        self.pg_template: str | None = None
        self.pg_error: str | None = None

    def sqlite(self) -> Path:
        if self.sqlite_template is None:
            path = self.tmp / "template.db"
            engine = create_engine(f"sqlite+aiosqlite:///{path}")

            async def _go() -> None:
                await upgrade(engine)
                await engine.dispose()

            _run(_go())
            self.sqlite_template = path
        return self.sqlite_template

    def postgres(self) -> str:
        if self.pg_template is None and self.pg_error is None:
            name = f"ptcoach_tpl_{uuid.uuid4().hex[:10]}"
            try:
                _run(_pg_execute(f'CREATE DATABASE "{name}"'))
            except Exception as exc:  # server down, auth, anything: reported once, clearly
                self.pg_error = (
                    f"PostgreSQL at {PG_URL} is not reachable ({type(exc).__name__}: {exc})"
                )
            else:
                url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
                engine = create_engine(url, poolclass=__import__("sqlalchemy.pool").pool.NullPool)

                async def _go() -> None:
                    await upgrade(engine)
                    await engine.dispose()

                _run(_go())
                self.pg_template = name
        if self.pg_error:
            if REQUIRE_PG:
                pytest.fail(f"REQUIRE_POSTGRES=1 but {self.pg_error}")
            pytest.skip(f"{self.pg_error}; set TEST_POSTGRES_URL or start PostgreSQL")
        assert self.pg_template
        return self.pg_template

    def cleanup(self) -> None:
        if self.pg_template:
            _run(_pg_execute(f'DROP DATABASE IF EXISTS "{self.pg_template}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Templates]:
    tpl = _Templates(tmp_path_factory.mktemp("db"))
    yield tpl
    tpl.cleanup()


def fresh_database(
    templates: _Templates, backend: str, tmp_path: Path
) -> Generator[str, None, None]:
    if backend == "sqlite":
        path = tmp_path / f"{uuid.uuid4().hex[:8]}.db"
        shutil.copy(templates.sqlite(), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = templates.postgres()
    name = f"ptcoach_t_{uuid.uuid4().hex[:12]}"
    # A test database need not survive a power cut: without waiting for the WAL flush on
    # every commit the suite runs markedly faster, and nothing else about PostgreSQL changes.
    _run(
        _pg_execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
            f'ALTER DATABASE "{name}" SET synchronous_commit = off',
        )
    )
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, templates: _Templates, tmp_path: Path) -> Iterator[str]:
    """A fresh, fully migrated database, once on SQLite and once on PostgreSQL."""
    yield from fresh_database(templates, request.param, tmp_path)


@pytest.fixture
def sqlite_url(templates: _Templates, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(templates, "sqlite", tmp_path)


@pytest.fixture
def pg_url(templates: _Templates, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(templates, "postgres", tmp_path)


# Friday 2026-11-27, 08:00 UTC: a fixed, ordinary day.
START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


def make_settings(db_url: str) -> Settings:
    base = load_settings(environ={}, dotenv=Path("/nonexistent"))
    # No FAQ warm-up thread in tests that run post_init: only tests that ask build the index.
    return base.with_overrides(
        database={"url": db_url},
        telegram={"rate_limit": False},
        faq={"warm_up": False},
        token="123456:TEST-TOKEN",
    )


@pytest.fixture
async def harness(settings: Settings, clock: FakeClock) -> AsyncIterator[BotHarness]:
    h = BotHarness(settings, clock)
    await h.start()
    try:
        yield h
    finally:
        await h.app.shutdown()
        await h.services.engine.dispose()
    # Every test is also a content test: no unfilled "{placeholder}" may reach a user.
    assert not h.telegram.placeholder_leaks, f"placeholders sent: {h.telegram.placeholder_leaks}"
