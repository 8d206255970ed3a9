"""/help: what PT Coach does, what it is not, and the commands (wording in bot.domain.help_text)."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import Application, CommandHandler

from bot.domain.help_text import commands, help_text
from handlers.common import Context, reply

__all__ = ["bot_commands", "commands", "help_command", "help_text", "register"]


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in commands()]


async def help_command(update: Update, context: Context) -> None:
    await reply(update, context, help_text())


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("help", help_command))
