"""The daily check-in, its one follow-up, the snoozed reminder and the next-morning question."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from bot.db.models import CheckIn, RehabProfile, ScheduledMessage, User
from bot.domain import pain as pain_model
from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.content import load_checkin_text
from bot.domain.enums import MessageStatus, UserStatus
from bot.domain.kinds import MessageKind
from bot.domain.timing import (
    in_quiet_hours,
    is_rest_weekday,
    local_date,
    local_instant,
    next_daily,
)
from bot.domain.wording import injury_phrase
from bot.services.checkins import get_checkin, mark_missed
from bot.services.context import rehab_day
from bot.services.outcome import ButtonRows
from bot.services.outgoing import Outgoing, SendContext, Skip, register_kind
from bot.services.planner import plan_next_checkin, upsert_many, upsert_message


def day_code(day: date) -> str:
    return day.strftime("%Y%m%d")


def checkin_buttons(day: date) -> ButtonRows:
    text = load_checkin_text()
    d = day_code(day)
    return (
        ((text.button("done_all"), encode(ButtonFamily.CHECKIN, d, "done")),),
        (
            (text.button("did_some"), encode(ButtonFamily.CHECKIN, d, "some")),
            (text.button("not_today"), encode(ButtonFamily.CHECKIN, d, "no")),
        ),
        ((text.button("snooze"), encode(ButtonFamily.CHECKIN, d, "later")),),
    )


async def _checked_in(ctx: SendContext) -> bool:
    """Whether the row's day already has a check-in (the dispatcher looks this up in bulk)."""
    if "checked_in" in ctx.extra:
        return bool(ctx.extra["checked_in"])
    return await get_checkin(ctx.session, ctx.user.id, ctx.row.local_date) is not None


async def _profile(ctx: SendContext) -> RehabProfile | None:
    """The user's rehab profile (the dispatcher loads a batch's profiles in one query)."""
    if "profile" in ctx.extra:
        return ctx.extra["profile"]  # type: ignore[return-value]
    return await ctx.session.get(RehabProfile, ctx.user.id)


def prompt_text(rng: random.Random, first_name: str, day: int, injury_area: str | None) -> str:
    """The daily check-in question, wherever it is asked: the scheduled prompt, the snoozed
    one, /checkin, and "update today" after a day was already logged."""
    return load_checkin_text().render(
        "prompt", rng, first_name=first_name, day=day, injury=injury_phrase(injury_area)
    )


def _rng(ctx: SendContext) -> random.Random:
    return random.Random(f"{ctx.user.id}:{ctx.row.local_date}:{ctx.row.kind}")


class CheckinKind:
    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        if await _checked_in(ctx):
            return Skip(MessageStatus.SKIPPED, "already checked in")
        if is_rest_weekday(ctx.row.local_date, ctx.user.rest_weekdays):
            return Skip(MessageStatus.SKIPPED, "planned rest day")
        profile = await _profile(ctx)
        text = prompt_text(
            _rng(ctx),
            ctx.user.first_name,
            rehab_day(profile, ctx.row.local_date),
            profile.injury_area if profile is not None else None,
        )
        return Outgoing(text, checkin_buttons(ctx.row.local_date))

    async def after_sent(self, ctx: SendContext) -> None:
        """Nothing left to do: what follows a check-in was planned when it was claimed."""

    async def plan_ahead_batch(self, ctxs: list[SendContext]) -> None:
        """What follows a batch of check-ins about to go out, in a handful of statements.

        None of it depends on how the send ends, so the dispatcher runs it in the transaction
        that prepares the batch, not after each send: tomorrow's check-in (a failed or skipped
        day plans it too), today's one follow-up (if today's check-in never reaches the user,
        the follow-up carries the same buttons and stands in for it; a blocked bot cancels
        both), and the previous day marked missed if it went unanswered. Every step is
        idempotent, so a batch prepared again after a crash plans nothing twice. Tens of
        thousands of users get their check-in at the same local hour; this is why the
        dispatcher keeps pace with them.
        """
        session, now = ctxs[0].session, ctxs[0].now
        active = {c.user.id: c for c in ctxs if c.user.status == UserStatus.ACTIVE}
        # 1. The previous check-in day of each user, if unanswered, becomes a missed day.
        # One index lookup per user on (user_id, kind, local_date): a GROUP BY over the batch
        # let PostgreSQL scan every `sent` row in the table instead (half a second per tick
        # at 100,000 users).
        sm = ScheduledMessage
        last_sent = (
            select(func.max(sm.local_date))
            .where(
                sm.user_id == User.id,
                sm.kind == MessageKind.CHECKIN,
                sm.status == MessageStatus.SENT,  # this batch is still `sending`
            )
            .correlate(User)
            .scalar_subquery()
        )
        previous = {
            uid: day
            for uid, day in await session.execute(
                select(User.id, last_sent).where(User.id.in_(list(active)))
            )
            if day is not None and day < active[uid].row.local_date
        }
        if previous:
            answered = {
                (uid, day)
                for uid, day in await session.execute(
                    select(CheckIn.user_id, CheckIn.local_date).where(
                        CheckIn.user_id.in_(list(previous)),
                        CheckIn.local_date.in_(set(previous.values())),
                    )
                )
            }
            for uid, day in previous.items():
                if (uid, day) not in answered and await mark_missed(
                    session, active[uid].user, day, now
                ):
                    await _missed_trigger(active[uid])
        # 2. Tomorrow's check-in and today's one follow-up, one statement each.
        following: list[tuple[int, str, date, datetime]] = []
        followups: list[tuple[int, str, date, datetime]] = []
        users_by_id = {}
        hours = timedelta(hours=ctxs[0].services.settings.schedule.followup_after_hours)
        for ctx in ctxs:
            user, row = ctx.user, ctx.row
            if not user.timezone or user.checkin_time is None:
                continue
            users_by_id[user.id] = user
            due = next_daily(user.checkin_time, user.timezone, row.due_at)
            following.append((user.id, MessageKind.CHECKIN, local_date(due, user.timezone), due))
            followup_at = row.due_at + hours
            if local_date(followup_at, user.timezone) == row.local_date and not in_quiet_hours(
                followup_at, user.timezone, user.quiet_start, user.quiet_end
            ):
                followups.append((user.id, MessageKind.FOLLOWUP, row.local_date, followup_at))
        planned = await upsert_many(session, following, now)
        for uid, _, day, due in following:
            if (uid, day) not in planned:  # that day was already settled: find the next free one
                await plan_next_checkin(session, users_by_id[uid], due, now)
        await upsert_many(session, followups, now)

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        if skip.status == MessageStatus.MISSED and await mark_missed(
            ctx.session, ctx.user, ctx.row.local_date, ctx.now
        ):
            await _missed_trigger(ctx)
        await plan_next_checkin(ctx.session, ctx.user, max(ctx.row.due_at, ctx.now), ctx.now)


async def _missed_trigger(ctx: SendContext) -> None:
    """Two missed days in a row call for one commitment nudge (see nudge_triggers)."""
    from bot.services.nudge_triggers import on_missed

    await on_missed(ctx.session, ctx.user, ctx.now)


class FollowupKind:
    """One gentle reminder when the day's check-in is unanswered; never a second."""

    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        if await _checked_in(ctx):
            return Skip(MessageStatus.SKIPPED, "already checked in")
        if is_rest_weekday(ctx.row.local_date, ctx.user.rest_weekdays):
            return Skip(MessageStatus.SKIPPED, "planned rest day")
        text = load_checkin_text().render("followup", _rng(ctx), first_name=ctx.user.first_name)
        return Outgoing(text, checkin_buttons(ctx.row.local_date))

    async def after_sent(self, ctx: SendContext) -> None:
        return None

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        return None


class SnoozeKind(FollowupKind):
    """ "Ask me later": the check-in question again, at the time the user chose."""

    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        if await _checked_in(ctx):
            return Skip(MessageStatus.SKIPPED, "already checked in")
        profile = await _profile(ctx)
        text = prompt_text(
            _rng(ctx),
            ctx.user.first_name,
            rehab_day(profile, ctx.row.local_date),
            profile.injury_area if profile is not None else None,
        )
        return Outgoing(text, checkin_buttons(ctx.row.local_date))


class MorningKind:
    """The day after exercising with pain: better, same or worse than before?"""

    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        about = date.fromisoformat(str(ctx.row.payload.get("about")))
        checkin = await get_checkin(ctx.session, ctx.user.id, about)
        if checkin is None or checkin.morning_response is not None:
            return Skip(MessageStatus.SKIPPED, "nothing to ask")
        if not pain_model.ask_next_morning(checkin.pain):
            return Skip(MessageStatus.SKIPPED, "pain was in the comfortable band")
        text = load_checkin_text()
        d = day_code(about)
        buttons: ButtonRows = (
            (
                (text.button("better"), encode(ButtonFamily.MORNING, d, "better")),
                (text.button("same"), encode(ButtonFamily.MORNING, d, "same")),
                (text.button("worse"), encode(ButtonFamily.MORNING, d, "worse")),
            ),
        )
        profile = await _profile(ctx)
        question = text.render(
            "morning_question",
            _rng(ctx),
            first_name=ctx.user.first_name,
            day=rehab_day(profile, ctx.row.local_date),
            injury=injury_phrase(profile.injury_area if profile is not None else None),
        )
        return Outgoing(question, buttons)

    async def after_sent(self, ctx: SendContext) -> None:
        return None

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        return None


async def plan_morning_question(  # type: ignore[no-untyped-def]
    ctx_session, user, about: date, now: datetime, kind: MessageKind = MessageKind.MORNING
) -> None:
    """Ask the next morning, half an hour after the user's quiet hours end (after a painful
    check-in, or with ``kind=RUN_MORNING`` after a logged run)."""
    assert user.timezone
    end = datetime.combine(about, user.quiet_end) + timedelta(minutes=30)
    due = local_instant(about + timedelta(days=1), end.time(), user.timezone)
    await upsert_message(
        ctx_session,
        user_id=user.id,
        kind=kind,
        day=about + timedelta(days=1),
        due_at=due,
        now=now,
        payload={"about": about.isoformat()},
    )


register_kind(MessageKind.CHECKIN, CheckinKind())
register_kind(MessageKind.FOLLOWUP, FollowupKind())
register_kind(MessageKind.SNOOZE, SnoozeKind())
register_kind(MessageKind.MORNING, MorningKind())
