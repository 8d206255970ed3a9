"""A user's days as the statistics see them: check-ins, pauses, safety holds, rest days and
gaps.

One function turns the database into ``DayRecord`` values, so /today, /progress, /report,
the weekly summary and the nudge triggers all count streaks and adherence the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, Pause, RedFlagReport, RehabProfile, RunLog, User
from bot.domain import safety
from bot.domain.enums import RunStatus
from bot.domain.return_to_run import load_ladder
from bot.domain.timing import is_rest_weekday, start_of_local_day
from bot.reports import stats
from bot.reports.data import DayRecord


async def history_start(session: AsyncSession, user: User) -> date | None:
    """The first day the bot knows anything about: onboarding or the earliest check-in."""
    zone = ZoneInfo(user.timezone or "UTC")
    candidates: list[date] = []
    if user.onboarded_at is not None:
        candidates.append(user.onboarded_at.astimezone(zone).date())
    query = select(func.min(CheckIn.local_date)).where(CheckIn.user_id == user.id)
    first = (await session.execute(query)).scalar_one_or_none()
    if first is not None:
        candidates.append(first)
    return min(candidates) if candidates else None


async def current_streak(
    session: AsyncSession, user: User, today: date, days: Sequence[DayRecord] = ()
) -> int:
    """The user's whole streak on ``today``: the one figure /today, /progress, the report, the
    weekly summary and the milestones show. ``days`` (already loaded by the caller) is used
    when the streak starts inside it; otherwise the whole history is read, so that a long
    streak is not cut to the window the caller happened to load."""
    if days and not stats.streak_may_go_further(days, today):
        return stats.streak(days, today)
    first = await history_start(session, user)
    if first is None:
        return 0
    return stats.streak(await load_days(session, user, first, today), today)


async def load_days(session: AsyncSession, user: User, start: date, end: date) -> list[DayRecord]:
    """One record per local day from ``start`` to ``end`` inclusive, clipped to the user's own
    history: days before they started are not "missed", so they never drag adherence down."""
    first = await history_start(session, user)
    if first is not None:
        start = max(start, first)
    checkins = {
        c.local_date: c
        for c in (
            await session.execute(
                select(CheckIn).where(
                    CheckIn.user_id == user.id,
                    CheckIn.local_date >= start,
                    CheckIn.local_date <= end,
                )
            )
        ).scalars()
    }
    pauses = list((await session.execute(select(Pause).where(Pause.user_id == user.id))).scalars())
    runs, run_rest = await run_plan_days(session, user, start, end)
    held = await hold_days(session, user, start, end)
    days: list[DayRecord] = []
    day = start
    while day <= end:
        checkin = checkins.get(day)
        if checkin is not None and checkin.status in ("done", "partial"):
            days.append(
                DayRecord(
                    day=day,
                    status=checkin.status,  # type: ignore[arg-type]
                    pain=checkin.pain,
                    morning=checkin.morning_response,  # type: ignore[arg-type]
                    exercises_done=tuple(checkin.exercises_done or ()),
                    skip_reason=checkin.skip_reason,
                    note=checkin.note,
                )
            )
        elif day in runs:
            days.append(DayRecord(day=day, status="run", note=checkin.note if checkin else None))
        elif checkin is not None and checkin.status == "skipped":
            days.append(
                DayRecord(
                    day=day,
                    status="skipped",
                    pain=checkin.pain,
                    morning=checkin.morning_response,  # type: ignore[arg-type]
                    skip_reason=checkin.skip_reason,
                    note=checkin.note,
                )
            )
        elif day in held:
            days.append(DayRecord(day=day, status="hold", note=checkin.note if checkin else None))
        elif any(p.start_date <= day and (p.end_date is None or day <= p.end_date) for p in pauses):
            days.append(DayRecord(day=day, status="paused"))
        elif is_rest_weekday(day, user.rest_weekdays) or day in run_rest:
            days.append(DayRecord(day=day, status="rest"))
        elif checkin is not None or day < end:
            days.append(DayRecord(day=day, status="missed"))
        else:
            days.append(DayRecord(day=day, status="none"))
        day += timedelta(days=1)
    return days


async def hold_days(session: AsyncSession, user: User, start: date, end: date) -> set[date]:
    """The days between ``start`` and ``end`` on which a safety hold (an urgent or emergency
    red flag, until a clinician cleared the user) kept the exercise check-in from going out.
    The red-flag reports are the record: each keeps when it was raised and when the hold it
    belonged to was released (see ``bot.domain.safety.hold_days`` for the day rule)."""
    zone = user.timezone or "UTC"
    episodes = (
        await session.execute(
            select(RedFlagReport.created_at, RedFlagReport.resolved_at).where(
                RedFlagReport.user_id == user.id,
                RedFlagReport.level.in_(sorted(safety.HOLD_TRIAGE_LEVELS)),
                RedFlagReport.created_at < start_of_local_day(end + timedelta(days=1), zone),
                or_(
                    RedFlagReport.resolved_at.is_(None),
                    RedFlagReport.resolved_at >= start_of_local_day(start, zone),
                ),
            )
        )
    ).all()
    return safety.hold_days(
        ((raised, released) for raised, released in episodes),
        zone,
        user.checkin_time,
        start,
        end,
    )


async def run_plan_days(
    session: AsyncSession, user: User, start: date, end: date
) -> tuple[set[date], set[date]]:
    """In the return-to-running phase: the days with a logged run (done or cut short), and
    the ladder's rest days after each of them. Both follow the plan, so neither breaks a
    streak (see bot.reports.stats)."""
    profile = await session.get(RehabProfile, user.id)
    if profile is None or not profile.returning_to_run:
        return set(), set()
    between = load_ladder().rest_days_between
    ran = set(
        (
            await session.execute(
                select(RunLog.local_date).where(
                    RunLog.user_id == user.id,
                    RunLog.status != RunStatus.SKIPPED,
                    RunLog.local_date >= start - timedelta(days=between),
                    RunLog.local_date <= end,
                )
            )
        ).scalars()
    )
    rest = {run + timedelta(days=n) for run in ran for n in range(1, between + 1)} - ran
    return {d for d in ran if d >= start}, rest


async def not_planned_for_exercises(
    session: AsyncSession, user: User, start: date, end: date
) -> set[date]:
    """Days between ``start`` and ``end`` on which no home-exercise check-in was due: marked
    rest weekdays, run days, the ladder's rest days and days on a safety hold. An unanswered
    check-in on one of them is not a lapse."""
    runs, run_rest = await run_plan_days(session, user, start, end)
    held = await hold_days(session, user, start, end)
    weekly = {start + timedelta(days=n) for n in range((end - start).days + 1)}
    rest = {d for d in weekly if is_rest_weekday(d, user.rest_weekdays)}
    return runs | run_rest | held | rest
