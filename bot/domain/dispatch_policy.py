"""The rules the dispatcher applies to every scheduled message, whatever its kind.

Who may receive it (an active, set-up user whose safety state allows the kind), how late is
too late after downtime, how long a claim may be held, and how retries back off. Pure: the
outbox (``bot.services.outbox``) and the dispatcher (``scheduler.dispatcher``) apply them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.domain.enums import MessageStatus, UserStatus
from bot.domain.kinds import MessageKind
from bot.domain.safety import SafetyState
from bot.domain.timing import in_quiet_hours, local_date

LEASE = timedelta(minutes=5)
"""A ``sending`` row older than this was orphaned by a crash and may be claimed again."""
LATE_GRACE = timedelta(minutes=10)
"""Later than this counts as catching up after downtime."""
MAX_BACKOFF = timedelta(minutes=15)
CONCURRENCY = 16
"""Sends in flight per instance; also bounds the sent-but-unrecorded crash window."""
RECORD_ATTEMPTS = 4
"""Recording a message Telegram accepted is retried, never turned into a resend."""


# --- the daily budget of proactive messages ---------------------------------------------------

NUDGE_TRIGGER_PRIORITY: dict[str, int] = {
    "pain_flare": 5,
    "missed_days": 4,
    "plateau": 3,
    "milestone": 2,
    "after_pt_session": 1,
    "scheduled": 0,
}
"""Higher wins when two reasons to nudge compete (one nudge row a day, and the budget)."""

_KIND_RANK: dict[str, int] = {
    MessageKind.PT_REMINDER: 60,  # tied to an appointment: always first
    MessageKind.PT_AFTER: 40,
    MessageKind.WEEKLY: 30,
}
_FLARE_NUDGE_RANK = 50  # a pain-flare nudge outranks the after-PT message
_NUDGE_RANK = 20  # other nudges: 20 + their trigger priority
BUDGET_REASON = "daily budget"


def proactive_rank(kind: str, trigger: str | None = None) -> int | None:
    """Priority of a message under the daily budget; None for what the budget never counts.

    The check-in and everything that answers it (follow-up, snooze, next-morning question)
    and every safety message are outside the budget: the user asked for them, or safety
    needs them.
    """
    if kind == MessageKind.NUDGE:
        if trigger == "pain_flare":
            return _FLARE_NUDGE_RANK
        return _NUDGE_RANK + NUDGE_TRIGGER_PRIORITY.get(trigger or "scheduled", 0)
    return _KIND_RANK.get(kind)


def over_budget(earlier_today: int, outranking_later: int, budget: int) -> bool:
    """Whether one more proactive message today is too many.

    ``earlier_today``: proactive messages already sent (or going out first) today;
    ``outranking_later``: higher-priority ones still planned for later today, which keep
    their place. So the lowest-priority messages of a crowded day are the ones held back.
    """
    return earlier_today + outranking_later >= budget


def backoff(attempt: int) -> timedelta:
    """Exponential backoff for a failed send: 15 s, 30 s, 1 min, ... at most MAX_BACKOFF."""
    return min(timedelta(seconds=15 * 2 ** max(0, attempt - 1)), MAX_BACKOFF)


@dataclass(frozen=True)
class Recipient:
    """What the policy needs to know about the user a row is for."""

    status: str
    timezone: str | None
    quiet_start: time
    quiet_end: time
    safety: SafetyState


@dataclass(frozen=True)
class Refusal:
    """The row is not sent: ``status`` is what it becomes, ``reason`` is kept for operators."""

    status: MessageStatus
    reason: str


def gate(
    recipient: Recipient, kind: str, local_day: object, due_at: datetime, now: datetime
) -> Refusal | None:
    """Rules that hold for every kind: who may receive, and how late is too late."""
    if recipient.status in (UserStatus.BLOCKED, UserStatus.ONBOARDING) or not recipient.timezone:
        return Refusal(MessageStatus.CANCELLED, f"user {recipient.status}")
    if recipient.status == UserStatus.PAUSED:
        return Refusal(MessageStatus.CANCELLED, "paused")
    if not recipient.safety.allows_kind(MessageKind(kind)):
        # The one safety gate (bot.domain.safety): nothing that cheers or pushes while a
        # concern is open. Skipped, not missed: the kind plans its next occurrence.
        return Refusal(MessageStatus.SKIPPED, f"safety {recipient.safety.level}")
    if now - due_at > LATE_GRACE:
        same_day = local_date(now, recipient.timezone) == local_day
        quiet = in_quiet_hours(now, recipient.timezone, recipient.quiet_start, recipient.quiet_end)
        if not same_day or quiet:
            return Refusal(MessageStatus.MISSED, "too late after downtime")
    return None
