"""Every closed set of values PT Coach stores, as ``StrEnum``s.

A ``StrEnum`` member equals the string stored in the database, so rows read back compare
equal to these members; the models add a check constraint per column so that no other value
can be written (see ``bot/db/models.py``). Scheduled-message kinds live in
``bot.domain.kinds`` and the safety levels in ``bot.domain.safety``.
"""

from __future__ import annotations

from enum import StrEnum


class UserStatus(StrEnum):
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    PAUSED = "paused"
    BLOCKED = "blocked"  # the user blocked the bot: nothing is sent until they write again


class CheckInStatus(StrEnum):
    DONE = "done"
    PARTIAL = "partial"
    SKIPPED = "skipped"
    MISSED = "missed"


class MessageStatus(StrEnum):
    """The life of a scheduled message row: pending → sending → one of the final states."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    MISSED = "missed"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


class MorningResponse(StrEnum):
    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


class RunStatus(StrEnum):
    """How a return-to-running session went (``run_logs.status``)."""

    DONE = "done"  # done as planned
    CUT_SHORT = "cut_short"
    SKIPPED = "skipped"


class NudgeCadence(StrEnum):
    OFF = "off"
    LOW = "low"
    NORMAL = "normal"


class FaqDecision(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    UNKNOWN = "unknown"
    RED_FLAG = "red_flag"
