"""From the database to the plain values the chart and the PT report render.

The renderers in ``bot.reports`` never touch storage; this module is the one place that
decides which rows a runner's chart and their therapist's report are made of, so /progress,
/report (and later the weekly summary) show the same days, counted the same way.

Decisions worth knowing:
- History starts at the user's first recorded day (onboarding, or an earlier check-in).
  Days before that are left out rather than passed as ``none``: the statistics would
  count them as planned-but-not-done and the runner would see adherence they never had.
- PT sessions are the ``PtSession`` rows only. Planned PT weekdays from the profile are
  not drawn: a report for the therapist must not claim a session that may not have
  happened (a holiday, a cancelled appointment).
- Red flags show a short label of the flag plus the user's own words, cut short: the
  therapist wants to know what the runner actually said.
- Timestamps are converted to the user's zone, so a 23:30 question lands on the right day.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Exercise,
    FaqQuestion,
    PtSession,
    RedFlagReport,
    RehabProfile,
    User,
)
from bot.domain.content import load_checkin_text, load_safety_text
from bot.domain.wording import counted, day_month, format_dose, say, shorten
from bot.reports.data import DayRecord, ReportInput
from bot.services.context import rehab_day
from bot.services.history import current_streak, load_days

PeriodChoice: TypeAlias = Literal["pt", "14", "28"]
PERIOD_CHOICES: tuple[PeriodChoice, ...] = ("pt", "14", "28")

FALLBACK_DAYS = 14
"""Report period when no PT session is recorded yet: about the gap between two visits."""

MAX_REPORT_DAYS = 84
"""A "since the last session" period longer than 12 weeks is cut: one page cannot say more."""

"""Days loaded for the caption even when the chart shows 4 weeks, so a long streak is not
cut at the edge of the chart."""

RED_FLAG_TEXT_MAX = 140
QUESTION_TEXT_MAX = 160
BROWSED_PREFIX = "[browsed]"


# The caption reads 28-day adherence and a two-week pain trend whatever the chart shows.
CAPTION_LOOKBACK_DAYS = 28


@dataclass(frozen=True, slots=True)
class ProgressData:
    """What /progress needs: the days (at least the caption's four weeks) and context."""

    first_name: str
    today: date
    weeks: int
    rehab_day: int  # bot.services.context.rehab_day: the same day number as every message
    days: tuple[DayRecord, ...]
    pt_sessions: tuple[date, ...]
    streak: int  # the whole streak (bot.services.history.current_streak), not the window's

    @property
    def visible_days(self) -> tuple[DayRecord, ...]:
        """The days inside the chart's window."""
        start = self.today - timedelta(days=self.weeks * 7 - 1)
        return tuple(d for d in self.days if start <= d.day <= self.today)


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    start: date
    end: date
    # Says how long the period is, once: "since your PT session on 13 Nov (15 days)",
    # "the last 2 weeks", "the last 14 days (no PT session recorded yet)".
    description: str

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


def _cut(text: str, limit: int) -> str:
    return shorten(text, limit)


def _local(when: datetime, zone: str) -> datetime:
    """A naive local datetime: the PDF prints it and compares its date with local days."""
    return when.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


async def load_history(
    session: AsyncSession, user: User, start: date, end: date
) -> tuple[DayRecord, ...]:
    """The user's days as a tuple (``load_days`` already clips to their own history)."""
    return tuple(await load_days(session, user, start, end))


async def pt_session_dates(
    session: AsyncSession, user_id: int, start: date, end: date
) -> tuple[date, ...]:
    rows = await session.execute(
        select(PtSession.session_date)
        .where(
            PtSession.user_id == user_id,
            PtSession.session_date >= start,
            PtSession.session_date <= end,
        )
        .order_by(PtSession.session_date)
    )
    return tuple(rows.scalars())


async def last_pt_session_before(session: AsyncSession, user_id: int, today: date) -> date | None:
    """The latest recorded session before today: a session today is the one the report is for."""
    return (
        await session.execute(
            select(func.max(PtSession.session_date)).where(
                PtSession.user_id == user_id, PtSession.session_date < today
            )
        )
    ).scalar_one_or_none()


async def load_progress(
    session: AsyncSession, user: User, profile: RehabProfile, today: date, weeks: int
) -> ProgressData:
    start = today - timedelta(days=max(weeks * 7, CAPTION_LOOKBACK_DAYS) - 1)
    days = await load_history(session, user, start, today)
    return ProgressData(
        first_name=user.first_name,
        today=today,
        weeks=weeks,
        rehab_day=rehab_day(profile, today),
        days=days,
        pt_sessions=await pt_session_dates(session, user.id, start, today),
        streak=await current_streak(session, user, today, days),
    )


async def report_period(
    session: AsyncSession, user: User, today: date, choice: PeriodChoice = "pt"
) -> ReportPeriod:
    """The period a report covers; both ends inclusive, in the user's local days."""
    if choice == "14":
        return ReportPeriod(today - timedelta(days=13), today, say("report.covers_14"))
    if choice == "28":
        return ReportPeriod(today - timedelta(days=27), today, say("report.covers_28"))
    last = await last_pt_session_before(session, user.id, today)
    if last is None:
        today_only = bool(await pt_session_dates(session, user.id, today, today))
        key = "report.covers_first_session" if today_only else "report.covers_no_session"
        return ReportPeriod(
            today - timedelta(days=FALLBACK_DAYS - 1), today, say(key, days=FALLBACK_DAYS)
        )
    start = max(last, today - timedelta(days=MAX_REPORT_DAYS - 1))
    length = (today - start).days + 1
    days = counted(length, "day")
    return ReportPeriod(start, today, say("report.covers_since", date=day_month(last), days=days))


def _dose(row: Exercise) -> str:
    return format_dose(row.sets, row.reps, row.seconds, row.per_side)


def plan_entries(rows: list[Exercise]) -> tuple[str, ...]:
    """ "Clamshells 3 × 15": the stats strip the dose again to match check-in names."""
    return tuple(f"{row.name} {_dose(row)}".strip() for row in rows)


def flag_label(flag_id: str) -> str:
    """The plain words a physical therapist reads for a warning sign or a pain escalation
    ("rest-night-pain" -> "Pain at rest and at night"), from ``[report_labels]`` in
    ``bot/content/safety.toml``; a flag an editor has not named yet still reads as words."""
    labels = load_safety_text().variants_by_key
    named = labels.get(f"report_labels.{flag_id}")
    if named:
        return named[0]
    words = flag_id.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else say("pdf.warning_unnamed")


def _skip_labels(days: tuple[DayRecord, ...]) -> tuple[DayRecord, ...]:
    """Reason ids ("no_time") become the words the user tapped ("No time")."""
    text = load_checkin_text()
    labels = {reason.id: reason.label for reason in text.not_today}
    return tuple(
        dataclasses.replace(d, skip_reason=labels.get(d.skip_reason, d.skip_reason))
        if d.skip_reason
        else d
        for d in days
    )


def _injury_label(profile: RehabProfile) -> str:
    if profile.injury_area == "other" and profile.injury_other:
        return profile.injury_other
    from bot.domain.content import load_exercise_templates

    try:
        return load_exercise_templates().area(profile.injury_area).label
    except KeyError:
        return profile.injury_area.replace("_", " ")


def _utc_bounds(period: ReportPeriod, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(period.start, datetime.min.time(), tz)
    end = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tz)
    return start, end


async def _running(
    session: AsyncSession, user: User, profile: RehabProfile, period: ReportPeriod
) -> tuple[str, ...]:
    """The return-to-running section: where the user is on the ladder, then each run of the
    period, latest first (empty while the user is in the rehab phase)."""
    from bot.services.return_to_run import ladder_view

    view = await ladder_view(session, user.id, profile, period.start, period.end)
    if view is None:
        return ()
    return (view.headline, *view.lines())


async def build_report_input(
    session: AsyncSession, user: User, profile: RehabProfile, period: ReportPeriod
) -> ReportInput:
    zone = user.timezone or "UTC"
    lo, hi = _utc_bounds(period, zone)
    exercises = list(
        (
            await session.execute(
                select(Exercise).where(Exercise.user_id == user.id).order_by(Exercise.position)
            )
        ).scalars()
    )
    flags = (
        await session.execute(
            select(RedFlagReport).where(
                RedFlagReport.user_id == user.id,
                RedFlagReport.created_at >= lo,
                RedFlagReport.created_at < hi,
            )
        )
    ).scalars()
    questions = (
        await session.execute(
            select(FaqQuestion).where(
                FaqQuestion.user_id == user.id,
                FaqQuestion.created_at >= lo,
                FaqQuestion.created_at < hi,
            )
        )
    ).scalars()
    days = await load_history(session, user, period.start, period.end)
    return ReportInput(
        first_name=user.first_name,
        injury_label=_injury_label(profile),
        stopped_running=profile.stopped_running_on,
        period_start=period.start,
        period_end=period.end,
        days=_skip_labels(days),
        streak=await current_streak(session, user, period.end, days),
        plan=plan_entries(exercises),
        pt_sessions=await pt_session_dates(session, user.id, period.start, period.end),
        running=await _running(session, user, profile, period),
        red_flags=tuple(
            (
                _local(f.created_at, zone),
                f'{flag_label(f.flag)}: "{_cut(f.text, RED_FLAG_TEXT_MAX)}"'
                if f.text
                else flag_label(f.flag),
            )
            for f in flags
        ),
        # A red-flag message is logged as a question too; it is listed under red flags.
        questions=tuple(
            (_local(q.created_at, zone), _cut(q.text, QUESTION_TEXT_MAX))
            for q in questions
            if not q.text.startswith(BROWSED_PREFIX) and q.decision != "red_flag"
        ),
    )
