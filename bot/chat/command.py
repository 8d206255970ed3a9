"""`python -m bot chat`: the command line around the chat loop (its own SQLite file)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.chat.session import HELP, run_chat
from bot.config import ConfigError, Settings, load_settings

CHAT_DB = "sqlite+aiosqlite:///data/chat.db"


def chat_settings(base: Settings, db_url: str) -> Settings:
    """Same behaviour as the real bot, but its own database and nothing that reaches out."""
    return base.with_overrides(
        token="",
        database={"url": db_url, "migrate_on_start": True},
        telegram={
            "rate_limit": False,
            "mode": "polling",
            "base_url": "",
            "webhook_url": "",
            "health_port": 0,
        },
    )


def database_url(value: str | None) -> str:
    """``--db`` takes a database URL, or simply the path of a SQLite file to chat in."""
    if value is None:
        return CHAT_DB
    if not value.strip():
        raise ValueError("empty; give a database URL or the path of a SQLite file")
    if "://" in value:
        return value
    return f"sqlite+aiosqlite:///{Path(value).expanduser().resolve()}"


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    from bot.db.engine import resolve_sqlite_path

    parsed = make_url(resolve_sqlite_path(url))
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.logs import setup_logging

    try:
        base = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        url = database_url(args.db)
        settings = chat_settings(base, url)
    except (ConfigError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        print(f"--db: {reason}", file=sys.stderr)
        return 2
    if args.fresh:
        path = _sqlite_file(url)
        if path is None:
            print(
                "--fresh only works with a SQLite database (it deletes the file).", file=sys.stderr
            )
            return 2
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    setup_logging("WARNING", False)
    return asyncio.run(run_chat(settings))


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "chat",
        help="try PT Coach in this terminal, without Telegram",
        description="Chat with the real bot in your terminal, without Telegram.\n\nIn the session:"
        + HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db", metavar="URL|FILE", help=f"database URL or SQLite file (default: {CHAT_DB})"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="delete the chat database and start over"
    )
    parser.set_defaults(func=cmd_chat)
