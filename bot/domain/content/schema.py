"""The vocabularies and limits of the editable content (the models are in ``models``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

THEMES: tuple[str, ...] = (
    "patience",
    "commitment",
    "frequency",
    "applying",
    "pain_perspective",
    "celebrating",
)
PHASES: tuple[str, ...] = ("first_week", "weeks_2_4", "month_2_plus", "return_to_running")
TRIGGERS: tuple[str, ...] = (
    "scheduled",
    "missed_days",
    "pain_flare",
    "plateau",
    "milestone",
    "after_pt_session",
)
EQUIPMENT: tuple[str, ...] = (
    "none",
    "resistance band",
    "stability ball",
    "foam roller",
    "step",
)

# What a nudge may require of the user's situation (``requires`` in nudges.toml); every tag
# is decided from the user's own records by ``bot.domain.nudges.Situation``.
SITUATIONS: tuple[str, ...] = (
    "has_checkins",  # at least one answered check-in
    "exercising",  # exercised on most planned days of the last two weeks
    "recent_pain",  # a pain score above the comfortable band in the last week
    "no_recent_pain",  # no score above the comfortable band in the last week
    "flare_score",  # pain_flare only: the flare is a score above the ceiling
    "flare_morning",  # pain_flare only: the flare is "worse" the next morning
)
# Tags that exclude each other: a nudge requiring both could never be sent.
SITUATION_CONFLICTS: tuple[frozenset[str], ...] = (
    frozenset({"recent_pain", "no_recent_pain"}),
    frozenset({"flare_score", "flare_morning"}),
)

NUDGE_PLACEHOLDERS: frozenset[str] = frozenset({"first_name", "day", "injury"})

# The "not today" replies know the user's name and injury.
REASON_PLACEHOLDERS: frozenset[str] = frozenset({"first_name", "injury"})

NUDGE_MAX_CHARS = 350
CHECKIN_MAX_CHARS = 600
EXERCISE_NAME_MAX_CHARS = 30
EXERCISE_HOW_MAX_CHARS = 200
BUTTON_MAX_CHARS = 30

# The commands /help lists and Telegram shows in its menu, in that order; what each does is
# worded in onboarding.toml [commands].
HELP_COMMANDS: tuple[str, ...] = (
    "start",
    "checkin",
    "today",
    "progress",
    "report",
    "faq",
    "exercises",
    "running",
    "settings",
    "pause",
    "resume",
    "export",
    "delete",
    "help",
    "cancel",
)

# The kinds of small talk the FAQ recognises (bot/services/faq.py), one reply each.
SMALL_TALK_KINDS: tuple[str, ...] = ("greeting", "thanks", "goodbye", "compliment", "ack")

MILESTONE_STREAKS: tuple[int, ...] = (3, 7, 14, 30, 60)
WEEK_KINDS: tuple[str, ...] = ("great", "good", "tough", "empty", "pain_flare", "held")


def week_kind(
    done_days: int, planned_days: int = 7, *, pain_flare: bool = False, held: bool = False
) -> str:
    """Which weekly_summary line fits: a flare or an open safety concern outranks the count, so
    we never cheer over pain; "pain was higher" only when the scores say so (``pain_flare``),
    and a hold without such scores gets its own, calmer line. The count is read against the
    days that were planned, so a user three days in with three sessions has a great week."""
    if pain_flare:
        return "pain_flare"
    if held:
        return "held"
    if done_days == 0 or planned_days == 0:
        return "empty"
    share = done_days / planned_days
    if share >= 6 / 7:
        return "great"
    if share >= 4 / 7:
        return "good"
    return "tough"


# Short replies of the check-in flow ([flow] in checkin.toml), one text each.
CHECKIN_FLOW_TEXTS: tuple[str, ...] = (
    "checkin_closed",
    "list_closed",
    "exercise_gone",
    "already_saved",
    "tap_one",
    "ask_when",
    "quiet_hours",
    "log_first",
    "pain_head",
    "no_note",
    "kept",
    "tap_exercises",
    "note_not_text",
    "note_empty",
    "note_too_long",
    "question_closed",
    "thanks_for_telling",
    "recorded",
    "pain_first",
    "note_kept_pain_first",
)
# The figures of the weekly summary ([weekly] in checkin.toml).
WEEKLY_FIGURES: tuple[str, ...] = (
    "adherence",
    "adherence_partial",
    "pain_improving",
    "pain_steady",
    "pain_worsening",
    "pain_unknown",
    "chart_title",
)

# The keys every check-in file must define, with the minimum number of variants.
CHECKIN_REQUIRED: Mapping[str, int] = MappingProxyType(
    {
        "prompt": 3,
        "followup": 2,
        "done_all": 2,
        "did_some": 2,
        "ask_which": 1,
        "ask_pain": 1,
        "ask_note": 1,
        "note_saved": 1,
        "pain_response.low": 2,
        "pain_response.moderate": 2,
        "pain_response.high": 2,
        "ask_reason": 1,
        "morning_question": 1,
        "morning_response.better": 1,
        "morning_response.same": 1,
        "morning_response.worse": 1,
        "rising_pain_warning": 1,
        "snooze_ack": 1,
        "closed": 1,
        "already_today": 1,
        "weekly_header": 1,
        **{f"weekly_summary.{kind}": 1 for kind in WEEK_KINDS},
        "pt_session_reminder": 1,
        "pt_session_reminder_hold": 1,
        **{f"flow.{key}": 1 for key in CHECKIN_FLOW_TEXTS},
        **{f"weekly.{key}": 1 for key in WEEKLY_FIGURES},
    }
)
CHECKIN_BUTTONS: tuple[str, ...] = (
    "done_all",
    "did_some",
    "not_today",
    "snooze",
    "skip",
    "better",
    "same",
    "worse",
    "update_today",
    "keep_today",
    "done",
)
NOT_TODAY_IDS: tuple[str, ...] = ("no_time", "pain", "forgot", "unmotivated", "other")
SAFETY_BUTTONS: tuple[str, ...] = (
    "seen",
    "not_yet",
    "need_help",
    "cleared",
    "not_cleared",
    "undo",
    "pt_adjusted",
    "advice",
)
