"""`python -m bot`: the operator commands of ``bot.cli`` plus the two that start the bot.

``run`` and ``chat`` need the composition root (``bot.app`` and, through it, every handler),
so they are added here, outside the ``bot.cli`` package, and import it only when they run.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli import OPERATOR_COMMANDS, main
from bot.cli.session import settings

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


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import run_bot

    current = settings()
    if not current.token.get_secret_value():
        print(NO_TOKEN, file=sys.stderr)
        return 78  # EX_CONFIG
    return run_bot(current)


def register_run(sub: Any) -> None:
    sub.add_parser("run", help="start the bot (the default)").set_defaults(func=cmd_run)


def register_chat(sub: Any) -> None:
    from bot import chat  # the terminal loop; it imports the composition root when it runs

    chat.register(sub)


if __name__ == "__main__":
    sys.exit(main(commands=(register_run, *OPERATOR_COMMANDS, register_chat), default="run"))
