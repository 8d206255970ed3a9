"""`python -m bot`: the operator commands.

Each subcommand is a thin shell over the same services the bot uses, so what an operator sees
from the shell is what the bot does. Database reads go through ``bot.cli.session`` and a
function in ``bot.services``; this package runs no SQL of its own and never imports the
composition root or a handler: the two commands that start the bot (``run``, ``chat``) are
added by the entry point, ``bot/__main__.py``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from bot.cli import faq, schedule, stats
from bot.cli.session import settings

Registrar = Callable[[Any], None]
"""Adds one subcommand to the ``add_subparsers()`` object it is given."""


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade

    # A migration may rewrite a large table: no statement timeout for it.
    database = settings().with_overrides(database={"statement_timeout": 0.0}).database

    async def _go() -> None:
        engine = create_engine(database.url, limits=database)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(_go())
    print("Database is up to date.")
    return 0


def _register_migrate(sub: Any) -> None:
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(
        func=cmd_migrate
    )


OPERATOR_COMMANDS: tuple[Registrar, ...] = (
    _register_migrate,
    faq.register,
    schedule.register,
    stats.register,
)


def build_parser(commands: Sequence[Registrar] = OPERATOR_COMMANDS) -> argparse.ArgumentParser:
    """The parser with ``commands`` in the order ``--help`` lists them."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="PT Coach: a Telegram companion for runners in physical therapy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in commands:
        register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    commands: Sequence[Registrar] = OPERATOR_COMMANDS,
    default: str | None = None,
) -> int:
    """Parse ``argv`` and run the command; with no command, ``default`` (or the help)."""
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    if args.command is None:
        if default is None:
            parser.print_help()
            return 2
        args = parser.parse_args([default])
    return int(args.func(args) or 0)
