"""Plain input values for the progress chart and the PT report.

The reports package renders only from these frozen values, so the lead can build them
from the database (or tests can build them by hand) without the renderers ever
touching storage or Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypeAlias

DayStatus: TypeAlias = Literal[
    "done", "partial", "run", "skipped", "missed", "hold", "paused", "rest", "none"
]
"""What happened on one calendar day (user's local date).

- ``done`` / ``partial``: the user checked in and did all / some of the plan.
- ``run``: return-to-running phase, a run was logged (done or cut short) and no home
  exercises: the day followed the plan.
- ``skipped``: the user checked in and said they skipped (ideally with a reason).
- ``missed``: a planned day passed with no check-in at all.
- ``hold``: a safety hold (an urgent or emergency red flag, until a clinician cleared the
  user) kept the exercise check-in from going out; the user was told to stop, so the day is
  not planned, exactly like a paused one (``bot.services.history.hold_days`` decides which).
- ``paused``: the user paused the programme (illness, holiday, PT's advice).
- ``rest``: a planned rest day: a weekday the user marked as rest, or in the return-to-running
  phase a day between two runs (the ladder's rest days) with nothing else planned.
- ``none``: nothing recorded yet (typically today, before the evening check-in).
"""

MorningAnswer: TypeAlias = Literal["better", "same", "worse"]

DONE_STATUSES: frozenset[str] = frozenset({"done", "partial", "run"})
NOT_PLANNED_STATUSES: frozenset[str] = frozenset({"hold", "paused", "rest"})
CHECK_IN_STATUSES: frozenset[str] = frozenset({"done", "partial", "run", "skipped"})


@dataclass(frozen=True, slots=True)
class DayRecord:
    """One day of self-reports.

    ``pain`` is the 0-10 pain during the exercises; ``morning`` is the answer given the
    next morning about how the body felt after that day's exercises, stored on the
    day the exercises were done (not the day it was asked). ``exercises_done`` holds
    exercise names (with or without the dose); a ``done`` day with an empty tuple means
    the whole plan was done.
    """

    day: date
    status: DayStatus
    pain: int | None = None
    morning: MorningAnswer | None = None
    exercises_done: tuple[str, ...] = ()
    skip_reason: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything the one-page physical-therapist report shows.

    ``days`` may cover more than the period: the report only counts days between
    ``period_start`` and ``period_end`` inclusive. ``red_flags`` and ``questions`` are
    ``(when, short text)`` pairs in any order; the report sorts them latest first.
    """

    first_name: str
    injury_label: str
    stopped_running: date
    period_start: date
    period_end: date
    days: tuple[DayRecord, ...]
    plan: tuple[str, ...] = ()
    pt_sessions: tuple[date, ...] = ()
    red_flags: tuple[tuple[datetime, str], ...] = ()
    questions: tuple[tuple[datetime, str], ...] = ()
    running: tuple[str, ...] = ()
    # The whole streak at ``period_end`` (bot.services.history.current_streak); None: count
    # it from ``days`` (which may be shorter than the streak).
    streak: int | None = None
    """Return to running: the ladder position first, then one line per run, latest first
    (empty in the rehab phase: the report then has no return-to-running section)."""
