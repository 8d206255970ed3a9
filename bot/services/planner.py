"""Planning rows in ``scheduled_messages``: what to send a user, and when, in UTC.

The planner is called whenever something changes a user's timing (onboarding, settings,
resume, unblock) and after each message is sent, to plan its successor. It is idempotent:
``(user, kind, local day)`` is unique, and a day whose message already went out is never
planned again.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import RehabProfile, ScheduledMessage, User
from bot.domain.enums import MessageStatus, UserStatus
from bot.domain.kinds import MessageKind
from bot.domain.timing import (
    in_quiet_hours,
    last_before_quiet_hours,
    local_date,
    next_daily,
    next_weekly,
)

log = logging.getLogger(__name__)

# Kinds whose timing comes from the user's settings: re-planned from scratch on a change.
SETTINGS_DRIVEN = (
    MessageKind.CHECKIN,
    MessageKind.WEEKLY,
    MessageKind.PT_REMINDER,
    MessageKind.PT_AFTER,
    MessageKind.NUDGE,
)


@lru_cache(maxsize=4)
def _upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE for one row's parameters, built once per dialect.

    Executed with a list of parameter sets, SQLAlchemy sends it as multi-row VALUES batches
    ("insertmanyvalues") from one cached compilation, whatever the batch size.
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, ScheduledMessage.__table__)
    stmt = insert(table)
    status = table.c.status
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "kind", "local_date"],
        set_={
            "due_at": stmt.excluded.due_at,
            "payload": stmt.excluded.payload,
            "status": MessageStatus.PENDING,
            "attempts": 0,
        },
        # A day whose message already went out (or was settled) is never planned again.
        # (Two comparisons, not IN: an expanding IN cannot be sent with executemany.)
        where=or_(status == MessageStatus.PENDING, status == MessageStatus.CANCELLED),
    )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _values(
    user_id: int,
    kind: str,
    day: date,
    due_at: datetime,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "kind": kind,
        "local_date": day,
        "due_at": due_at,
        "status": MessageStatus.PENDING,
        "payload": dict(payload or {}),
        "attempts": 0,
        "created_at": now,
    }


async def upsert_message(
    session: AsyncSession,
    *,
    user_id: int,
    kind: str,
    day: date,
    due_at: datetime,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> int | None:
    """Plan one message and return its row id, or None when that day's message of that kind
    has already gone out (or was settled as missed or skipped): a day never gets two.

    One INSERT ... ON CONFLICT statement, so it is atomic between instances.
    """
    table = ScheduledMessage.__table__
    stmt = _upsert_statement(_dialect(session)).values(
        _values(user_id, kind, day, due_at, now, payload)
    )
    row_id = (await session.execute(stmt.returning(table.c.id))).scalar_one_or_none()
    return int(row_id) if row_id is not None else None


async def upsert_many(
    session: AsyncSession, planned: list[tuple[int, str, date, datetime]], now: datetime
) -> set[tuple[int, date]]:
    """Plan many messages in one statement; returns the (user, day) pairs actually planned."""
    if not planned:
        return set()
    table = ScheduledMessage.__table__
    result = await session.execute(
        _upsert_statement(_dialect(session)).returning(table.c.user_id, table.c.local_date),
        [_values(u, k, d, due, now) for u, k, d, due in planned],
    )
    return {(uid, day) for uid, day in result}


async def plan_next_checkin(
    session: AsyncSession, user: User, after: datetime, now: datetime
) -> int | None:
    """The first daily check-in strictly after ``after`` whose day has not had one yet."""
    if not user.timezone or user.checkin_time is None:
        return None
    cursor = after
    for _ in range(3):
        due = next_daily(user.checkin_time, user.timezone, cursor)
        row = await upsert_message(
            session,
            user_id=user.id,
            kind=MessageKind.CHECKIN,
            day=local_date(due, user.timezone),
            due_at=due,
            now=now,
        )
        if row is not None:
            return row
        cursor = due
    return None


async def plan_weekly_summary(
    session: AsyncSession, user: User, after: datetime, now: datetime
) -> int | None:
    if not user.timezone:
        return None
    due = next_weekly(user.weekly_summary_weekday, user.weekly_summary_time, user.timezone, after)
    return await upsert_message(
        session,
        user_id=user.id,
        kind=MessageKind.WEEKLY,
        day=local_date(due, user.timezone),
        due_at=due,
        now=now,
    )


async def plan_pt_sessions(
    session: AsyncSession,
    user: User,
    profile: RehabProfile | None,
    after: datetime,
    now: datetime,
    settings: Settings,
) -> None:
    """For the next occurrence of each PT weekday: a reminder before, a prompt after."""
    if profile is None or not profile.pt_weekdays or profile.pt_time is None or not user.timezone:
        return
    before = timedelta(hours=settings.schedule.pt_reminder_hours_before)
    for weekday in sorted(set(profile.pt_weekdays)):
        # Look from `after - before` so a session later today still gets its reminder.
        session_at = next_weekly(weekday, profile.pt_time, user.timezone, after)
        day = local_date(session_at, user.timezone)
        # A reminder that would fall in quiet hours (a 07:00 session) comes at the last
        # allowed moment before them, usually the evening before: never silently dropped.
        reminder_at = last_before_quiet_hours(
            session_at - before, user.timezone, user.quiet_start, user.quiet_end
        )
        if reminder_at > after:
            await upsert_message(
                session,
                user_id=user.id,
                kind=MessageKind.PT_REMINDER,
                day=day,
                due_at=reminder_at,
                now=now,
                payload={"session_at": session_at.isoformat()},
            )
        # Ask about the session once it is over, but never inside quiet hours: after a late
        # session, ask sooner rather than not at all.
        after_at = next(
            (
                candidate
                for candidate in (session_at + timedelta(hours=h) for h in (2, 1.5, 1))
                if not in_quiet_hours(candidate, user.timezone, user.quiet_start, user.quiet_end)
            ),
            None,
        )
        if after_at is None:
            continue
        await upsert_message(
            session,
            user_id=user.id,
            kind=MessageKind.PT_AFTER,
            day=day,
            due_at=after_at,
            now=now,
            payload={"session_at": session_at.isoformat()},
        )


async def sent_since(
    session: AsyncSession, user_id: int, kind: MessageKind, since: date
) -> list[tuple[date, dict[str, Any]]]:
    """The user's messages of ``kind`` that went out for a local day on or after ``since``,
    newest first, as (local day, payload): the questions a typed answer may be replying to
    (the morning questions, the after-session prompt)."""
    rows = await session.execute(
        select(ScheduledMessage.local_date, ScheduledMessage.payload)
        .where(
            ScheduledMessage.user_id == user_id,
            ScheduledMessage.kind == kind,
            ScheduledMessage.local_date >= since,
            ScheduledMessage.status == MessageStatus.SENT,
        )
        .order_by(ScheduledMessage.local_date.desc())
    )
    return [(day, dict(payload or {})) for day, payload in rows]


async def cancel_pending(
    session: AsyncSession, user_id: int, kinds_to_cancel: tuple[str, ...] | None = None
) -> None:
    if kinds_to_cancel is None:
        await session.execute(_CANCEL_ALL, {"p_user_id": user_id})
    else:
        await session.execute(
            _CANCEL_KINDS, {"p_user_id": user_id, "p_kinds": list(kinds_to_cancel)}
        )


_CANCEL_ALL = (
    update(ScheduledMessage)
    .where(
        ScheduledMessage.user_id == bindparam("p_user_id"),
        ScheduledMessage.status == MessageStatus.PENDING,
    )
    .values(status=MessageStatus.CANCELLED)
)
_CANCEL_KINDS = _CANCEL_ALL.where(ScheduledMessage.kind.in_(bindparam("p_kinds", expanding=True)))


async def cancel_user_schedule(session: AsyncSession, user_id: int) -> None:
    """Nothing more goes out to this user (pause, block, delete) until re-planned."""
    await cancel_pending(session, user_id)


async def schedule_user(
    session: AsyncSession, user: User, now: datetime, settings: Settings
) -> None:
    """(Re)plan everything time-driven for a user. Safe to call any number of times."""
    if user.status != UserStatus.ACTIVE:
        await cancel_user_schedule(session, user.id)
        return
    await cancel_pending(session, user.id, SETTINGS_DRIVEN)
    await session.flush()
    await plan_next_checkin(session, user, now, now)
    await plan_weekly_summary(session, user, now, now)
    profile = await session.get(RehabProfile, user.id)
    await plan_pt_sessions(session, user, profile, now, now, settings)
    from bot.services.nudge_planner import plan_next_nudge

    await plan_next_nudge(session, user, now, now)
    # A hold that began before the user had a time zone (a red flag during onboarding), or
    # that outlived a pause, still gets its "were you able to see someone?" follow-up.
    from bot.services import safety

    await cancel_pending(session, user.id, (MessageKind.SAFETY_FOLLOWUP,))
    await session.flush()
    await safety.plan_followup(session, user, safety.state_of(user), now)
