"""What /help says, and the command list Telegram shows in its menu: one home for both, used
by /help, by the "Help" button after /start and by the composition root."""

from __future__ import annotations

from bot.domain.wording import t

COMMANDS: list[tuple[str, str]] = [
    ("start", "Set up PT Coach or review your setup"),
    ("checkin", "Log today's home exercises"),
    ("today", "Today's status, streak and adherence"),
    ("progress", "Your progress chart"),
    ("report", "A report for your physical therapist"),
    ("faq", "Browse questions about rehab and running"),
    ("exercises", "See and edit your exercise plan"),
    ("running", "Return to running: your walk-run plan"),
    ("settings", "Check-in time, timezone, nudges and more"),
    ("pause", "Pause reminders (e.g. /pause 7)"),
    ("resume", "Resume reminders"),
    ("export", "Get a copy of all your data"),
    ("delete", "Erase all your data"),
    ("help", "What I can do"),
    ("cancel", "Leave the current step"),
]


def help_text() -> str:
    """/help: the wording of ``[help]`` in onboarding.toml, then the commands."""
    commands = "\n".join(f"/{name} – {text}" for name, text in COMMANDS)
    return f"{t('help.intro')}\n\nCommands:\n{commands}"
