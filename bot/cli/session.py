"""The CLI's one way to the database: settings, an engine, one session, disposed after.

Every operator command reads through a function in ``bot.services`` given this session; the
CLI runs no SQL of its own.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import ConfigError, Settings, load_settings

T = TypeVar("T")


def settings() -> Settings:
    """The settings, or a one-line error and exit status 2."""
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


async def with_session(url: str | SecretStr, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` with one session on ``url``; the engine is disposed afterwards."""
    from bot.db.engine import create_engine, create_session_factory

    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


def run_with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work`` with one session on the configured database, from synchronous CLI code."""
    return asyncio.run(with_session(settings().database.url, work))
