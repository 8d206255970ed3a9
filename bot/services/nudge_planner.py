"""Planning nudge rows: the regular (scheduled-trigger) chain and adaptive trigger nudges.

Days come from the cadence (about 2 or 4 a week, never two in a row within a week), times
are spread over the day per user so that not everyone is nudged at the same second, and
never inside the user's quiet hours.

A trigger nudge (missed days, pain flare, plateau, milestone) shares the one nudge row a
user may have per local day: it takes over a still-pending regular nudge of that day rather
than adding a second message, and a more urgent trigger is never overwritten by a lighter
one (a pain flare outranks a celebration). How many proactive messages a day may actually
go out, nudges among them, is the daily budget (``bot.domain.dispatch_policy``), applied when
they are sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ScheduledMessage, User
from bot.domain.dispatch_policy import NUDGE_TRIGGER_PRIORITY
from bot.domain.enums import MessageStatus, NudgeCadence, UserStatus
from bot.domain.kinds import MessageKind
from bot.domain.nudges import nudge_days_for_week, nudge_local_time
from bot.domain.timing import in_quiet_hours, local_date, local_instant
from bot.services.planner import upsert_message

SCHEDULED = "scheduled"
# Higher wins when two reasons to nudge land on the same day.
TRIGGER_PRIORITY = NUDGE_TRIGGER_PRIORITY
# A trigger nudge follows the event after a short pause, so it never lands on top of the
# check-in reply it reacts to.
TRIGGER_DELAY = timedelta(minutes=30)
# Triggers whose event already got its advice in the reply (a pain score above the ceiling,
# "worse" next morning: "ease off and tell your PT"): their nudge comes the next day, as a
# follow-up, never the same advice again half an hour later.
NEXT_DAY_TRIGGERS = frozenset({"pain_flare"})


def row_trigger(row: ScheduledMessage) -> str:
    return str((row.payload or {}).get("trigger", SCHEDULED))


async def nudge_row(session: AsyncSession, user_id: int, day: date) -> ScheduledMessage | None:
    return (
        await session.execute(
            select(ScheduledMessage).where(
                ScheduledMessage.user_id == user_id,
                ScheduledMessage.kind == MessageKind.NUDGE,
                ScheduledMessage.local_date == day,
            )
        )
    ).scalar_one_or_none()


async def plan_next_nudge(
    session: AsyncSession, user: User, after: datetime, now: datetime
) -> int | None:
    if (
        user.status != UserStatus.ACTIVE
        or user.nudge_cadence == NudgeCadence.OFF
        or not user.timezone
    ):
        return None
    today = local_date(after, user.timezone)
    week_start = today - timedelta(days=today.weekday())
    for week in range(3):
        start = week_start + timedelta(weeks=week)
        for day in nudge_days_for_week(start, user.nudge_cadence, user.nudge_seed):
            if day < today:
                continue
            at = nudge_local_time(day, user.nudge_seed, user.quiet_start, user.quiet_end)
            due = local_instant(day, at, user.timezone)
            if due <= after:
                continue
            existing = await nudge_row(session, user.id, day)
            if (
                existing is not None
                and existing.status == MessageStatus.PENDING
                and row_trigger(existing) != SCHEDULED
            ):
                return existing.id  # a trigger already holds that day; the chain continues from it
            row = await upsert_message(
                session,
                user_id=user.id,
                kind=MessageKind.NUDGE,
                day=day,
                due_at=due,
                now=now,
                payload={"trigger": SCHEDULED},
            )
            if row is not None:
                return row
    return None


def _trigger_slots(
    user: User, now: datetime, *, same_day: bool = True
) -> list[tuple[date, datetime]]:
    """Where a trigger nudge may go, best first: soon today, later today, the next two days
    (without ``same_day``: the next three days)."""
    assert user.timezone
    zone, qs, qe = user.timezone, user.quiet_start, user.quiet_end
    today = local_date(now, zone)
    slots: list[tuple[date, datetime]] = []
    soon = now + TRIGGER_DELAY
    # "Soon" only if it and the half hour after it stay outside quiet hours on the same day,
    # so a late tick can never carry it into the night.
    if (
        same_day
        and local_date(soon, zone) == today
        and not in_quiet_hours(soon, zone, qs, qe)
        and not in_quiet_hours(soon + TRIGGER_DELAY, zone, qs, qe)
    ):
        slots.append((today, soon))
    for offset in range(3) if same_day else range(1, 4):
        day = today + timedelta(days=offset)
        due = local_instant(day, nudge_local_time(day, user.nudge_seed, qs, qe), zone)
        if due >= now + TRIGGER_DELAY and day not in {d for d, _ in slots}:
            slots.append((day, due))
    return slots


async def plan_trigger_nudge(
    session: AsyncSession,
    user: User,
    trigger: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> int | None:
    """Plan one ``trigger`` nudge at the next allowed time; None if nudges are off.

    Returns the row that now carries the nudge: a new one, a regular nudge taken over, or an
    already pending nudge whose trigger is at least as urgent (then nothing changes).
    """
    if (
        user.status != UserStatus.ACTIVE
        or user.nudge_cadence == NudgeCadence.OFF
        or not user.timezone
    ):
        return None
    payload: dict[str, Any] = {**(extra or {}), "trigger": trigger}
    rank = TRIGGER_PRIORITY.get(trigger, 0)
    if trigger in NEXT_DAY_TRIGGERS:
        # The reply said what mattered today; a regular nudge later today would only be noise.
        today = await nudge_row(session, user.id, local_date(now, user.timezone))
        if (
            today is not None
            and today.status == MessageStatus.PENDING
            and row_trigger(today) == SCHEDULED
        ):
            today.status, today.last_error = MessageStatus.SKIPPED, f"gives way after a {trigger}"
    for day, due in _trigger_slots(user, now, same_day=trigger not in NEXT_DAY_TRIGGERS):
        existing = await nudge_row(session, user.id, day)
        if existing is None:
            row = await upsert_message(
                session,
                user_id=user.id,
                kind=MessageKind.NUDGE,
                day=day,
                due_at=due,
                now=now,
                payload=payload,
            )
            if row is not None:
                return row
            continue
        if existing.status == MessageStatus.PENDING:
            if TRIGGER_PRIORITY.get(row_trigger(existing), 0) >= rank:
                return existing.id
            existing.payload = payload
            existing.due_at = min(existing.due_at, due) if existing.due_at > now else due
            existing.attempts = 0
            return existing.id
        if existing.status == MessageStatus.CANCELLED:
            existing.status, existing.payload, existing.due_at, existing.attempts = (
                "pending",
                payload,
                due,
                0,
            )
            return existing.id
        # That day's nudge already went out (or was deliberately skipped): try the next slot.
    return None
