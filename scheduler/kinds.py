"""The kinds of scheduled message; one row kind per thing the bot sends because time passed."""

from __future__ import annotations

CHECKIN = "checkin"
FOLLOWUP = "followup"
MORNING = "morning"
NUDGE = "nudge"
PT_REMINDER = "pt_reminder"
PT_AFTER = "pt_after"
WEEKLY = "weekly_summary"
SNOOZE = "snooze"

ALL = (CHECKIN, FOLLOWUP, MORNING, NUDGE, PT_REMINDER, PT_AFTER, WEEKLY, SNOOZE)
# Motivational kinds stay silent during a safety hold (after a red flag).
MOTIVATIONAL = (NUDGE, WEEKLY)
