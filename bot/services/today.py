"""/today: the user's status for their own day, streak and adherence."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn
from bot.domain.content import load_safety_text
from bot.domain.enums import UserStatus
from bot.domain.wording import counted, day_month, say
from bot.reports import stats
from bot.reports.data import DayRecord
from bot.services import checkins, safety
from bot.services.context import Readiness, UserContext, load, not_ready_text
from bot.services.history import current_streak, load_days
from bot.services.outcome import Outcome


async def show_today(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    ctx = await load(session, telegram_id, now)
    if ctx is None or not ctx.ready:
        return Outcome.say(not_ready_text(ctx.readiness if ctx else Readiness.UNKNOWN))
    days = await load_days(session, ctx.user, ctx.today - timedelta(days=27), ctx.today)
    checkin = await checkins.get_checkin(session, ctx.user.id, ctx.today)
    streak = await current_streak(session, ctx.user, ctx.today, days)
    text = render_today(ctx, checkin, list(days), ctx.today, streak)
    hold = safety.hold_reply(ctx.safety)
    if hold is None:
        return Outcome.say(text)
    # A concern is open: the hold explained (first, on a hold), and no streak talk.
    if ctx.safety.on_hold:
        return Outcome.say(f"{hold.text}\n\n{text}", hold.buttons)
    return Outcome.say(f"{text}\n\n{hold.text}", hold.buttons)


def render_today(
    ctx: UserContext, checkin: CheckIn | None, days: list[DayRecord], today: date, streak: int
) -> str:
    if ctx.safety.on_hold and (checkin is None or checkin.status == "missed"):
        status = load_safety_text().render("hold.status")
    elif checkin is None or checkin.status == "missed":
        status = say("today.not_logged")
    elif checkin.status == "done":
        status = say("today.done")
    elif checkin.status == "partial":
        status = say("today.partial", count=len(checkin.exercises_done))
    else:
        status = say("today.not_today")
    if checkin is not None and checkin.pain is not None:
        status = say("today.with_pain", status=status, pain=checkin.pain)
    lines = [say("today.headline", day=ctx.rehab_day, status=status)]
    if ctx.safety.allows_cheering:
        lines.append(say("common.streak", streak=counted(streak, "day")))
    if not ctx.safety.on_hold:  # told to stop exercising until seen: no adherence to miss
        lines.append(stats.adherence_text(days, today))
    user = ctx.user
    if user.status == UserStatus.PAUSED:
        lines.append(
            say("today.paused_until", date=day_month(user.paused_until))
            if user.paused_until
            else say("today.paused")
        )
    return "\n".join(lines)
