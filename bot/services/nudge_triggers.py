"""Adaptive nudge triggers: events in a user's rehab that call for a particular nudge.

Called by the check-in handlers and the check-in kinds; each trigger plans at most one
nudge row (``kind = nudge``, one per local day), so the "at most one nudge a day" rule holds
by construction. Each trigger also remembers (through ``NudgeLog`` and pending rows) that it
already spoke, so a state that lasts for days produces one nudge, not one a day:

- missed_days: the two latest check-in days were both missed. Once per lapse: not again
  until the user has answered a check-in.
- pain_flare: exercise pain above 5, or "worse" on the next-morning question. At most one
  per ``FLARE_COOLDOWN``, and on a later day than the reply that already gave the advice.
- plateau: two weeks of regular exercise (adherence >= 0.7, most days scored) with pain
  that is steady or rising and not trivial. At most one per ``PLATEAU_COOLDOWN``.
- milestone: a done/partial check-in makes the streak 3, 7, 14, 30 or 60. Once per
  milestone per streak run.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, NudgeLog, ScheduledMessage, User
from bot.domain import pain as pain_model
from bot.domain.content import MILESTONE_STREAKS
from bot.domain.enums import CheckInStatus, NudgeCadence, UserStatus
from bot.domain.kinds import MessageKind
from bot.domain.timing import local_date, start_of_local_day
from bot.reports import stats
from bot.reports.data import DONE_STATUSES, NOT_PLANNED_STATUSES, DayRecord
from bot.services.history import current_streak, load_days, not_planned_for_exercises
from bot.services.nudge_planner import plan_trigger_nudge, row_trigger

FLARE_COOLDOWN = timedelta(days=3)
PLATEAU_COOLDOWN = timedelta(days=14)
PLATEAU_WINDOW = 14
PLATEAU_MIN_ADHERENCE = 0.7
PLATEAU_MIN_SCORES = 10  # of 14 days: "regular exercise", not a handful of scores
PLATEAU_MIN_PAIN = float(pain_model.SAFE_MAX)  # steady in the acceptable 0-3 zone is fine
HISTORY_DAYS = 90
LAPSE_LOOKBACK = 7  # recent check-in rows looked at to find the two latest planned days


def _eligible(user: User) -> bool:
    return (
        user.status == UserStatus.ACTIVE
        and user.nudge_cadence != NudgeCadence.OFF
        and bool(user.timezone)
    )


async def _last_logged(
    session: AsyncSession, user_id: int, trigger: str, nudge_id: str | None = None
) -> datetime | None:
    stmt = select(NudgeLog.sent_at).where(NudgeLog.user_id == user_id, NudgeLog.trigger == trigger)
    if nudge_id is not None:
        stmt = stmt.where(NudgeLog.nudge_id == nudge_id)
    return (
        await session.execute(stmt.order_by(NudgeLog.sent_at.desc()).limit(1))
    ).scalar_one_or_none()


async def _pending_trigger(
    session: AsyncSession, user_id: int, trigger: str
) -> list[ScheduledMessage]:
    rows = (
        await session.execute(
            select(ScheduledMessage).where(
                ScheduledMessage.user_id == user_id,
                ScheduledMessage.kind == MessageKind.NUDGE,
                ScheduledMessage.status.in_(("pending", "sending")),
            )
        )
    ).scalars()
    return [r for r in rows if row_trigger(r) == trigger]


# --- lapses (missed days) ---------------------------------------------------------------------


async def is_lapsed(session: AsyncSession, user: User, today: date) -> bool:
    """The two latest recorded check-in days (up to today) were both missed. Days that were
    not planned for home exercises (a rest day, a run day, the ladder's rest days) are
    stepped over: an unanswered check-in there is not a lapse. Nor do days before the last
    safety release count: check-ins were paused (or the user told to ease off) then, so a
    day missed before a hold and one after it are not "a few days" without exercise."""
    query = select(CheckIn.local_date, CheckIn.status).where(
        CheckIn.user_id == user.id, CheckIn.local_date <= today
    )
    if user.safety_resolved_at is not None and user.timezone:
        released = local_date(user.safety_resolved_at, user.timezone)
        query = query.where(CheckIn.local_date >= released)
    rows = list(
        await session.execute(query.order_by(CheckIn.local_date.desc()).limit(LAPSE_LOOKBACK))
    )
    if not rows:
        return False
    skip = await not_planned_for_exercises(session, user, rows[-1][0], today)
    statuses = [status for day, status in rows if not (status == "missed" and day in skip)][:2]
    return len(statuses) == 2 and all(s == "missed" for s in statuses)


async def _last_answer_at(session: AsyncSession, user_id: int) -> datetime | None:
    return (
        await session.execute(
            select(CheckIn.updated_at)
            .where(CheckIn.user_id == user_id, CheckIn.status != CheckInStatus.MISSED)
            .order_by(CheckIn.updated_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def on_missed(session: AsyncSession, user: User, now: datetime) -> None:
    """A check-in day was just marked missed: after two in a row, one commitment nudge."""
    if not _eligible(user):
        return
    assert user.timezone
    await session.flush()
    if not await is_lapsed(session, user, local_date(now, user.timezone)):
        return
    last_nudge = await _last_logged(session, user.id, "missed_days")
    last_answer = await _last_answer_at(session, user.id)
    if last_nudge is not None and (last_answer is None or last_nudge > last_answer):
        return  # already nudged during this lapse: wait for them to check in
    if await _pending_trigger(session, user.id, "missed_days"):
        return
    await plan_trigger_nudge(session, user, "missed_days", now)


# --- check-ins: pain flare, milestones, plateau -----------------------------------------------


async def _pain_flare(session: AsyncSession, user: User, now: datetime, reason: str) -> None:
    last = await _last_logged(session, user.id, "pain_flare")
    if last is not None and now - last < FLARE_COOLDOWN:
        return
    await plan_trigger_nudge(session, user, "pain_flare", now, {"reason": reason})


def run_start(days: list[DayRecord], today: date, length: int) -> date:
    """First day of the current streak of ``length`` done days (pauses/rest stepped over)."""
    index = stats.by_day(days)
    current = today
    record = index.get(today)
    if record is None or record.status == "none":
        current = today - timedelta(days=1)
    counted, first = 0, current
    while counted < length:
        record = index.get(current)
        if record is None:
            break
        if record.status in DONE_STATUSES:
            counted += 1
            first = current
        elif record.status not in NOT_PLANNED_STATUSES:
            break
        current -= timedelta(days=1)
    return first


async def _milestone(
    session: AsyncSession, user: User, days: list[DayRecord], today: date, now: datetime
) -> None:
    streak = await current_streak(session, user, today, days)
    if streak not in MILESTONE_STREAKS:
        return
    assert user.timezone
    nudge_id = f"milestone-{streak}"
    since = start_of_local_day(run_start(days, today, streak), user.timezone)
    last = await _last_logged(session, user.id, "milestone", nudge_id)
    if last is not None and last >= since:
        return
    if any(
        r.payload.get("streak") == streak
        for r in await _pending_trigger(session, user.id, "milestone")
    ):
        return
    await plan_trigger_nudge(session, user, "milestone", now, {"streak": streak})


def is_plateau(days: list[DayRecord], today: date) -> bool:
    """Two weeks of regular exercise without the pain coming down."""
    if stats.pain_trend(days, today, PLATEAU_WINDOW) not in ("steady", "worsening"):
        return False
    adherence = stats.adherence(days, today, PLATEAU_WINDOW)
    if adherence is None or adherence < PLATEAU_MIN_ADHERENCE:
        return False
    start = today - timedelta(days=PLATEAU_WINDOW - 1)
    scored = [d for d in days if start <= d.day <= today and d.pain is not None]
    # Regular exercise across the whole fortnight, not ten days squeezed into its end.
    if len(scored) < PLATEAU_MIN_SCORES or scored[0].day > start:
        return False
    scores = [d.pain for d in scored if d.pain is not None]
    recent = scores[-7:]
    return sum(recent) / len(recent) >= PLATEAU_MIN_PAIN


async def _plateau(
    session: AsyncSession, user: User, days: list[DayRecord], today: date, now: datetime
) -> None:
    if not is_plateau(days, today):
        return
    last = await _last_logged(session, user.id, "plateau")
    if last is not None and now - last < PLATEAU_COOLDOWN:
        return
    if await _pending_trigger(session, user.id, "plateau"):
        return
    await plan_trigger_nudge(session, user, "plateau", now)


async def on_checkin(session: AsyncSession, user: User, checkin: CheckIn, now: datetime) -> None:
    """A check-in with its pain score was recorded (pain flare, milestones, plateau)."""
    if not _eligible(user):
        return
    assert user.timezone
    await session.flush()
    if pain_model.above_ceiling(checkin.pain):
        await _pain_flare(session, user, now, f"pain {checkin.pain}")
    if checkin.status not in DONE_STATUSES:
        return
    today = checkin.local_date
    days = await load_days(session, user, today - timedelta(days=HISTORY_DAYS), today)
    await _milestone(session, user, days, today, now)
    await _plateau(session, user, days, today, now)


async def on_morning_response(
    session: AsyncSession, user: User, checkin: CheckIn, now: datetime
) -> None:
    """The user answered the next-morning question ("worse" is a pain flare)."""
    if not _eligible(user) or checkin.morning_response != "worse":
        return
    await _pain_flare(session, user, now, "worse next morning")


async def on_run(
    session: AsyncSession, user: User, day: date, flare: str | None, ran: bool, now: datetime
) -> None:
    """A run was logged or its morning answered (return to running): a flare (``flare`` says
    why) calls for the pain-flare nudge, a run day may reach a streak milestone."""
    if not _eligible(user):
        return
    assert user.timezone
    await session.flush()
    if flare is not None:
        await _pain_flare(session, user, now, flare)
        return
    if ran:
        days = await load_days(session, user, day - timedelta(days=HISTORY_DAYS), day)
        await _milestone(session, user, days, day, now)
