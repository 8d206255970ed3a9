"""Engine and session factory: one code path for SQLite and PostgreSQL, chosen by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import ROOT, DatabaseSettings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers work while the dispatcher writes; foreign keys make cascades real.

    ``isolation_level = None`` stops the sqlite3 driver from managing transactions itself
    (it would otherwise begin them late and break SAVEPOINTs); ``_sqlite_begin`` takes over.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock when a transaction starts, not at its first write.

    With a deferred BEGIN, a transaction that read first and writes after another connection
    committed fails at once with "database is locked" (the busy timeout cannot help it); the
    dispatcher then could not record a message it had already sent. BEGIN IMMEDIATE waits
    for the lock up front instead, so every transaction either proceeds or waits.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def resolve_sqlite_path(url: str) -> str:
    """Relative SQLite paths are taken from the project root, and their folder is created."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return url
    path = Path(parsed.database)
    if not path.is_absolute():
        path = ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


def _timeouts(is_sqlite: bool, url: str, limits: DatabaseSettings, kwargs: dict[str, Any]) -> None:
    """Connect, pool and statement timeouts, so an outage fails fast instead of freezing.

    PostgreSQL: asyncpg's connect timeout, a server-side ``statement_timeout`` and, for a
    partition where the server never answers, a client-side ``command_timeout`` a little
    longer. SQLite has no statement timeout; its lock wait is the busy timeout pragma.
    """
    pooled = "poolclass" not in kwargs and ":memory:" not in url
    if pooled:
        kwargs.setdefault("pool_timeout", limits.pool_timeout)
    if is_sqlite:
        return
    connect_args = dict(kwargs.get("connect_args") or {})
    connect_args.setdefault("timeout", limits.connect_timeout)
    if limits.statement_timeout > 0:
        connect_args.setdefault("command_timeout", limits.statement_timeout + 5)
        server = dict(connect_args.get("server_settings") or {})
        server.setdefault("statement_timeout", str(int(limits.statement_timeout * 1000)))
        connect_args["server_settings"] = server
    kwargs["connect_args"] = connect_args


def create_engine(
    url: str | SecretStr, *, limits: DatabaseSettings | None = None, **kwargs: Any
) -> AsyncEngine:
    """The engine for ``url``; the configured ``DatabaseUrl`` is unwrapped here and only here."""
    url = resolve_sqlite_path(url.get_secret_value() if isinstance(url, SecretStr) else url)
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    # A database error must never print the bound parameters: they are users' health notes.
    kwargs.setdefault("hide_parameters", True)
    _timeouts(is_sqlite, url, limits or DatabaseSettings(), kwargs)
    if not is_sqlite:
        kwargs.setdefault("pool_pre_ping", True)
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", 10)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "connect", _secure_delete)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    """Deleted rows are overwritten with zeros, so erased text does not linger in free pages."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


async def checkpoint_wal(engine: AsyncEngine) -> bool:
    """Copy SQLite's write-ahead log into the database file and truncate it (after /delete).

    Until a checkpoint, the WAL still holds old page images, i.e. the erased text. Runs on a
    pooled connection outside any transaction; a no-op on PostgreSQL. False when readers
    kept the checkpoint from completing (the next one, or SQLite's own, finishes it).
    """
    if engine.dialect.name != "sqlite":
        return True

    def _run(sync_conn: Any) -> bool:
        cursor = sync_conn.connection.cursor()  # the raw DBAPI connection: no BEGIN first
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            row = cursor.fetchone()
        finally:
            cursor.close()
        return row is None or int(row[0]) == 0

    async with engine.connect() as conn:
        return bool(await conn.run_sync(_run))
