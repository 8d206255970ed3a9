"""Sending nudges, the weekly summary and the PT-session reminder and follow-up.

Each kind re-checks at send time whether it still fits (the user may have checked in since a
"missed days" nudge was planned), and after sending plans its own successor, so every chain
(cadence nudges, weekly summary, PT sessions) carries on without a global re-plan.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import NudgeLog, PtSession, RehabProfile, User
from bot.domain import pain as pain_model
from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.content import load_checkin_text, load_nudges, load_safety_text, week_kind
from bot.domain.dispatch_policy import BUDGET_REASON
from bot.domain.enums import MessageStatus
from bot.domain.kinds import MessageKind
from bot.domain.nudges import NudgeContext, choose_nudge, phase_for_day, situation_tags
from bot.domain.timing import in_quiet_hours, local_date, local_instant
from bot.domain.wording import counted, injury_phrase, say, t, weekday_name
from bot.reports import stats
from bot.reports.data import DayRecord
from bot.services.context import rehab_day
from bot.services.history import current_streak, load_days
from bot.services.nudge_planner import SCHEDULED, plan_next_nudge, plan_trigger_nudge
from bot.services.nudge_triggers import is_lapsed
from bot.services.outcome import ButtonRows
from bot.services.outgoing import Outgoing, SendContext, Skip, register_kind
from bot.services.planner import plan_pt_sessions, plan_weekly_summary, upsert_message
from bot.services.return_to_run import (
    clearance_offer,
    ladder_view,
    run_flare_since,
    weekly_runs_text,
)
from bot.services.safety import state_of

# Right after a flare, regular nudges stay gentle: no "keep it up" pushes for a few days.
GENTLE_THEMES = frozenset({"patience", "pain_perspective", "applying"})
FLARE_GENTLE_DAYS = 3
CAPTION_MAX = 1024
CHART_MIN_CHECKINS = 7

# stats.pain_trend's answer -> its line in checkin.toml [weekly].
PAIN_TREND_KEYS = {
    "improving": "weekly.pain_improving",
    "steady": "weekly.pain_steady",
    "worsening": "weekly.pain_worsening",
    "not enough data": "weekly.pain_unknown",
}


def _rng(ctx: SendContext, *parts: object) -> random.Random:
    return random.Random(
        ":".join(map(str, (ctx.user.id, ctx.row.local_date, ctx.row.kind, *parts)))
    )


async def _sent_nudge_ids(ctx: SendContext) -> list[str]:
    return list(
        (
            await ctx.session.execute(
                select(NudgeLog.nudge_id)
                .where(NudgeLog.user_id == ctx.user.id)
                .order_by(NudgeLog.sent_at, NudgeLog.id)
            )
        ).scalars()
    )


def _recent_flare(days: list[DayRecord], today: date) -> bool:
    since = today - timedelta(days=FLARE_GENTLE_DAYS)
    return any(d.day >= since and (pain_model.is_flare(d.pain, d.morning)) for d in days)


SITUATION_DAYS = 28  # check-ins counted over four weeks
ADHERENCE_DAYS = 14  # "exercising": most planned days of two weeks done
RECENT_PAIN_DAYS = 7  # "recent pain": a painful day in the last week


def _flare_reason(payload: dict[str, object]) -> str | None:
    reason = str(payload.get("reason", ""))
    if reason.startswith("worse"):
        return "morning"
    return "score" if reason.startswith("pain") else None


async def _nudge_context(
    ctx: SendContext, profile: RehabProfile | None, trigger: str
) -> NudgeContext:
    """Who the user is right now, as the nudge tags describe it (see nudges.toml)."""
    today = ctx.row.local_date
    day = rehab_day(profile, today)
    days = await load_days(ctx.session, ctx.user, today - timedelta(days=SITUATION_DAYS - 1), today)
    since = today - timedelta(days=RECENT_PAIN_DAYS - 1)
    situation = situation_tags(
        check_ins=stats.check_in_count(days),
        adherence=stats.adherence(days, today, ADHERENCE_DAYS),
        recent_pain=any(d.day >= since and pain_model.painful_day(d.pain, d.morning) for d in days),
        flare_reason=_flare_reason(ctx.row.payload or {}) if trigger == "pain_flare" else None,
    )
    return NudgeContext(
        first_name=ctx.user.first_name,
        injury_label=injury_phrase(profile.injury_area if profile is not None else None),
        rehab_day=day,
        phase=phase_for_day(day, bool(profile and profile.returning_to_run)),
        trigger=trigger,
        injury_area=profile.injury_area if profile is not None else "other",
        situation=situation,
    )


class NudgeKind:
    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        user, row = ctx.user, ctx.row
        trigger = str(row.payload.get("trigger", SCHEDULED))
        if user.nudge_cadence == "off":
            return Skip(MessageStatus.SKIPPED, "nudges are off")
        lapsed = await is_lapsed(ctx.session, user, row.local_date)
        if trigger == SCHEDULED and lapsed:
            return Skip(MessageStatus.SKIPPED, "lapsed: quiet until the next check-in")
        if trigger == "missed_days" and not lapsed:
            return Skip(MessageStatus.SKIPPED, "checked in again")
        profile = await ctx.session.get(RehabProfile, user.id)
        context = await _nudge_context(ctx, profile, trigger)
        pool = load_nudges()
        if trigger == "milestone":
            # One celebration per streak length: the log id names the streak, not the text.
            streak = row.payload.get("streak")
            pool = tuple(n for n in pool if n.streak == streak)
            chosen = choose_nudge(pool, context, (), _rng(ctx, "milestone"))
            nudge_id = f"milestone-{streak}"
        else:
            if trigger == SCHEDULED:
                days = await load_days(
                    ctx.session,
                    user,
                    row.local_date - timedelta(days=FLARE_GENTLE_DAYS),
                    row.local_date,
                )
                since = row.local_date - timedelta(days=FLARE_GENTLE_DAYS)
                if _recent_flare(days, row.local_date) or await run_flare_since(
                    ctx.session, user.id, since
                ):
                    pool = tuple(n for n in pool if n.theme in GENTLE_THEMES)
            chosen = choose_nudge(pool, context, await _sent_nudge_ids(ctx), _rng(ctx, trigger))
            nudge_id = chosen.id if chosen is not None else ""
        if chosen is None:
            return Skip(MessageStatus.SKIPPED, f"no nudge written for {trigger}")
        row.payload = {**row.payload, "trigger": trigger, "nudge_id": nudge_id}
        return Outgoing(chosen.text)

    async def after_sent(self, ctx: SendContext) -> None:
        payload = ctx.row.payload or {}
        ctx.session.add(
            NudgeLog(
                user_id=ctx.user.id,
                nudge_id=str(payload.get("nudge_id", "?"))[:64],
                trigger=str(payload.get("trigger", SCHEDULED))[:24],
                sent_at=ctx.now,
            )
        )
        await plan_next_nudge(ctx.session, ctx.user, ctx.row.due_at, ctx.now)

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        payload = dict(ctx.row.payload or {})
        trigger = str(payload.pop("trigger", SCHEDULED))
        payload.pop("nudge_id", None)
        if skip.reason == BUDGET_REASON and trigger != SCHEDULED:
            # Today was full: a trigger nudge (a lapse, a plateau, a streak) waits for a
            # quieter day instead of being lost; a regular nudge simply gives way.
            await plan_trigger_nudge(ctx.session, ctx.user, trigger, ctx.now, payload)
        await plan_next_nudge(ctx.session, ctx.user, max(ctx.row.due_at, ctx.now), ctx.now)


# --- weekly summary ---------------------------------------------------------------------------


def weekly_text(
    user: User,
    days: list[DayRecord],
    today: date,
    held: bool,
    streak: int,
    runs: str | None = None,
    run_flare: bool = False,
) -> str:
    """The summary in words: the same figures as /today, and one line that fits the week."""
    week = [d for d in days if today - timedelta(days=6) <= d.day <= today]
    # The same planned days as the adherence figure: an unanswered today is not yet a miss.
    done, planned = stats.done_and_planned(days, today, 7)
    # A painful run counts as a flare; a safety hold alone is not "pain" (week_kind's "held").
    flare = run_flare or any(pain_model.is_flare(d.pain, d.morning) for d in week)
    partial = any(d.status == "partial" for d in week)
    text = load_checkin_text()
    rng = random.Random(f"{user.id}:{today}:weekly")
    lines = [
        text.render("weekly_header", rng, first_name=user.first_name, done=done, planned=planned),
        text.render(
            "weekly.adherence_partial" if partial else "weekly.adherence",
            percent=stats.percent(stats.adherence(days, today, 7)),
        ),
        *([] if held else [say("common.streak", streak=counted(streak, "day"))]),
        text.render(PAIN_TREND_KEYS[stats.pain_trend(days, today, 14)]),
        *([runs] if runs else []),
        "",
        text.render(
            f"weekly_summary.{week_kind(done, planned, pain_flare=flare, held=held)}",
            rng,
            first_name=user.first_name,
        ),
    ]
    return "\n".join(lines)


class WeeklyKind:
    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        user, today = ctx.user, ctx.row.local_date
        days = await load_days(ctx.session, user, today - timedelta(days=27), today)
        profile = await ctx.session.get(RehabProfile, user.id)
        view = await ladder_view(ctx.session, user.id, profile, today - timedelta(days=6))
        runs, run_flare = weekly_runs_text(view, today) if view is not None else (None, False)
        text = weekly_text(
            user,
            days,
            today,
            held=not state_of(user).allows_cheering,
            streak=await current_streak(ctx.session, user, today, days),
            runs=runs,
            run_flare=run_flare,
        )
        if stats.check_in_count(days) < CHART_MIN_CHECKINS:
            return Outgoing(text)
        from bot.reports import render_progress_chart_async

        sessions = (
            await ctx.session.execute(
                select(PtSession.session_date).where(
                    PtSession.user_id == user.id,
                    PtSession.session_date >= today - timedelta(days=27),
                )
            )
        ).scalars()
        png = await render_progress_chart_async(
            days,
            today=today,
            pt_sessions=list(sessions),
            title=load_checkin_text().render("weekly.chart_title", first_name=user.first_name),
        )
        return Outgoing(text[:CAPTION_MAX], photo=png)

    async def after_sent(self, ctx: SendContext) -> None:
        await plan_weekly_summary(ctx.session, ctx.user, ctx.row.due_at, ctx.now)

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        row = ctx.row
        if skip.reason == BUDGET_REASON and not (row.payload or {}).get("deferred"):
            # A full day (a PT session on summary day): the summary comes the next day, once.
            await upsert_message(
                ctx.session,
                user_id=ctx.user.id,
                kind=MessageKind.WEEKLY,
                day=row.local_date + timedelta(days=1),
                due_at=local_instant(
                    row.local_date + timedelta(days=1),
                    ctx.user.weekly_summary_time,
                    ctx.user.timezone or "UTC",
                ),
                now=ctx.now,
                payload={"deferred": True},
            )
            return
        await plan_weekly_summary(ctx.session, ctx.user, max(row.due_at, ctx.now), ctx.now)


# --- PT sessions ------------------------------------------------------------------------------


def _session_at(ctx: SendContext) -> datetime | None:
    raw = (ctx.row.payload or {}).get("session_at")
    return datetime.fromisoformat(str(raw)) if raw else None


def when_words(session_at: datetime, now: datetime, zone: str) -> str:
    """'today at 17:00', 'tomorrow at 09:30' or 'on Monday at 17:00', in the user's time."""
    local = session_at.astimezone(ZoneInfo(zone))
    gap = (local.date() - local_date(now, zone)).days
    if gap <= 0:
        day = t("common.today")
    elif gap == 1:
        day = t("common.tomorrow")
    else:
        day = t("common.on_weekday", weekday=weekday_name(local.date()))
    return t("common.at", day=day, time=f"{local:%H:%M}")


def pt_after_buttons(day: date) -> ButtonRows:
    d = day.strftime("%Y%m%d")
    return (
        ((say("pt_session.buttons.note"), encode(ButtonFamily.PT_SESSION, d, "note")),),
        (
            (say("pt_session.buttons.plan"), encode(ButtonFamily.PT_SESSION, d, "plan")),
            (say("pt_session.buttons.same"), encode(ButtonFamily.PT_SESSION, d, "same")),
        ),
    )


async def _plan_following(ctx: SendContext) -> None:
    """After this session's message: plan next week's occurrence of the PT days."""
    profile = await ctx.session.get(RehabProfile, ctx.user.id)
    after = max(_session_at(ctx) or ctx.row.due_at, ctx.row.due_at)
    await plan_pt_sessions(ctx.session, ctx.user, profile, after, ctx.now, ctx.services.settings)


class PtReminderKind:
    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        session_at = _session_at(ctx)
        assert ctx.user.timezone
        if session_at is None or session_at <= ctx.now:
            return Skip(MessageStatus.SKIPPED, "session already started")
        if in_quiet_hours(ctx.now, ctx.user.timezone, ctx.user.quiet_start, ctx.user.quiet_end):
            return Skip(MessageStatus.SKIPPED, "quiet hours")
        # During a hold (only urgent ones let this reminder through) it says nothing of the
        # home exercises: the session is where the symptom can be checked.
        on_hold = state_of(ctx.user).on_hold
        text = load_checkin_text().render(
            "pt_session_reminder_hold" if on_hold else "pt_session_reminder",
            _rng(ctx),
            first_name=ctx.user.first_name,
            when=when_words(session_at, ctx.now, ctx.user.timezone),
        )
        return Outgoing(text)

    async def after_sent(self, ctx: SendContext) -> None:
        await _plan_following(ctx)

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        await _plan_following(ctx)


class PtAfterKind:
    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        assert ctx.user.timezone
        if in_quiet_hours(ctx.now, ctx.user.timezone, ctx.user.quiet_start, ctx.user.quiet_end):
            return Skip(MessageStatus.SKIPPED, "quiet hours")
        profile = await ctx.session.get(RehabProfile, ctx.user.id)
        safety = state_of(ctx.user)
        buttons = pt_after_buttons(ctx.row.local_date) + clearance_offer(profile, safety)
        if not safety.allows_cheering:  # a watch: no motivational nudge, ask what changed
            return Outgoing(load_safety_text().render("watch.after_pt"), buttons)
        context = await _nudge_context(ctx, profile, "after_pt_session")
        chosen = choose_nudge(load_nudges(), context, (), _rng(ctx))
        if chosen is None:  # nudges.toml has none for this trigger (a content test checks)
            return Skip(MessageStatus.SKIPPED, "no nudge written for after_pt_session")
        return Outgoing(chosen.text, buttons)

    async def after_sent(self, ctx: SendContext) -> None:
        await _plan_following(ctx)

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        await _plan_following(ctx)


register_kind(MessageKind.NUDGE, NudgeKind())
register_kind(MessageKind.WEEKLY, WeeklyKind())
register_kind(MessageKind.PT_REMINDER, PtReminderKind())
register_kind(MessageKind.PT_AFTER, PtAfterKind())
