"""`python -m bot`: run the bot and the operator commands.

Each subcommand is a thin shell over the same services the bot uses, so what an operator sees
from the shell is what the bot does.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings

NO_TOKEN = """\
PT Coach needs a Telegram bot token to start.

  1. In Telegram, open a chat with @BotFather, send /newbot and follow the steps.
  2. Copy the token it gives you (it looks like 123456789:AAH...).
  3. Either export it:      export TELEGRAM_BOT_TOKEN=123456789:AAH...
     or put it in .env:     echo 'TELEGRAM_BOT_TOKEN=123456789:AAH...' >> .env
     (.env is ignored by git, so the token never lands in the repository.)
  4. Run `make run` again.

Want to try PT Coach first, without Telegram? Run `make chat`.
"""


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import run_bot

    settings = _settings()
    if not settings.token:
        print(NO_TOKEN, file=sys.stderr)
        return 78  # EX_CONFIG
    return run_bot(settings)


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade

    settings = _settings()

    async def _go() -> None:
        # A migration may rewrite a large table: no statement timeout for it.
        limits = dataclasses.replace(settings.database, statement_timeout=0.0)
        engine = create_engine(settings.database.url, limits=limits)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(_go())
    print("Database is up to date.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="PT Coach: a Telegram companion for runners in physical therapy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="start the bot (the default)").set_defaults(func=cmd_run)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(
        func=cmd_migrate
    )
    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands() -> list:  # type: ignore[type-arg]
    """Subcommands that live next to the feature they operate."""
    from bot import cli_extra

    return cli_extra.REGISTRARS


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return cmd_run(args)
    return int(args.func(args) or 0)
