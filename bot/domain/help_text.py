"""What /help says, and the command list Telegram shows in its menu: one home for both, used
by /help, by the "Help" button after /start and by the composition root."""

from __future__ import annotations

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

HELP_TEXT = (
    "PT Coach keeps you on track between physical therapy visits.\n\n"
    "• Every day at your chosen time I ask about your home exercises and how they felt.\n"
    "• Ask me anything about stopping running or physical therapy, just type your question.\n"
    "• Now and then I send a short nudge to help you stay patient and committed.\n\n"
    "I am not a doctor or a physical therapist and I don't give medical advice. Your "
    "therapist's plan always comes first. In an emergency, call your local emergency number.\n\n"
    "Commands:\n" + "\n".join(f"/{name} – {text}" for name, text in COMMANDS)
)
