"""/help: what PT Coach does, what it is not, and the commands."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import Application, CommandHandler

from handlers.common import Context, reply

COMMANDS: list[tuple[str, str]] = [
    ("start", "Set up PT Coach or review your setup"),
    ("checkin", "Log today's home exercises"),
    ("today", "Today's status, streak and adherence"),
    ("progress", "Your progress chart"),
    ("report", "A report for your physical therapist"),
    ("faq", "Browse questions about rehab and running"),
    ("exercises", "See and edit your exercise plan"),
    ("settings", "Check-in time, timezone, nudges and more"),
    ("pause", "Pause reminders (e.g. /pause 7)"),
    ("resume", "Resume reminders"),
    ("export", "Get a copy of all your data"),
    ("delete", "Erase all your data"),
    ("help", "What I can do"),
    ("cancel", "Leave the current step"),
]

HELP_TEXT = (
    "PT Coach keeps you on track between physical therapy visits.\n\n"
    "• Every day at your chosen time I ask about your home exercises and how they felt.\n"
    "• Ask me anything about stopping running or physical therapy, just type your question.\n"
    "• Now and then I send a short nudge to help you stay patient and committed.\n\n"
    "I am not a doctor or a physical therapist and I don't give medical advice. Your "
    "therapist's plan always comes first. In an emergency, call your local emergency number.\n\n"
    "Commands:\n" + "\n".join(f"/{name} – {text}" for name, text in COMMANDS)
)


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in COMMANDS]


async def help_command(update: Update, context: Context) -> None:
    await reply(update, context, HELP_TEXT)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("help", help_command))
