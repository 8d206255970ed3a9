"""The CLI's one way to the database: settings, an engine, one session, disposed after.

Every operator command reads through a function in ``bot.services`` given this session; the
CLI runs no SQL of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError
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


def run_with_session(
    work: Callable[[AsyncSession], Awaitable[T]], *, reading: str = "the database"
) -> T:
    """``work`` with one session on the configured database, from synchronous CLI code.

    An unreachable or unmigrated database is one line on stderr and exit status 1 (with the
    fix, where there is an obvious one), never a traceback: every command reads through here.
    """
    url = settings().database.url
    try:
        return asyncio.run(with_session(url, work))
    except (SQLAlchemyError, OSError) as exc:
        cause = f"{type(exc).__name__}: {exc}".splitlines()[0]
        hint = ""
        if "no such table" in cause or "does not exist" in cause:
            hint = "; run `python -m bot migrate` first"
        print(f"error: could not read {reading} ({cause}){hint}", file=sys.stderr)
        raise SystemExit(1) from None


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1, or argparse's own one-line error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def telegram_id(text: str) -> int:
    """An argparse type: a Telegram user id (a whole number from 1 to 2**63 - 1, what the
    database's BIGINT holds), or argparse's own one-line error."""
    value = positive_int(text)
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"{text} is too large for a Telegram id")
    return value
