"""The kinds of scheduled message: one row kind per thing the bot sends because time passed.

A ``StrEnum`` so that a kind compares equal to the string stored in
``scheduled_messages.kind`` (which a check constraint limits to these values).
"""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    CHECKIN = "checkin"
    FOLLOWUP = "followup"
    MORNING = "morning"
    NUDGE = "nudge"
    PT_REMINDER = "pt_reminder"
    PT_AFTER = "pt_after"
    WEEKLY = "weekly_summary"
    SNOOZE = "snooze"
    SAFETY_FOLLOWUP = "safety_followup"
    RUN_MORNING = "run_morning"  # the morning after a logged run: better / same / worse
