"""/progress (a chart of the last weeks) and /report (a one-page PDF for the therapist) as
use cases.

The database work happens in the use case's short transaction; the chart or PDF is drawn by
the outcome's ``Attachment.render`` after the transaction has closed, so a 150 ms matplotlib
draw never holds a connection, and in a worker thread so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from datetime import datetime
from types import ModuleType

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.wording import counted, say
from bot.reports import stats
from bot.services import safety
from bot.services.context import Readiness, UserContext, load, not_ready_text
from bot.services.outcome import Attachment, ButtonRows, Outcome
from bot.services.reports import (
    PERIOD_CHOICES,
    PeriodChoice,
    ProgressData,
    ReportPeriod,
    build_report_input,
    load_progress,
    report_period,
)
from bot.services.return_to_run import ladder_view

WEEK_CHOICES = (4, 12)
DEFAULT_WEEKS = 4


async def renderer(name: str) -> ModuleType:
    """Import a renderer module in a worker thread the first time it is needed.

    matplotlib and fpdf2 take about a second to import; doing that on the event loop would
    freeze every other user's conversation, and doing it at start-up would slow every
    start (and every test) for a command most users rarely send.
    """
    module = sys.modules.get(name)
    if module is None:
        module = await asyncio.to_thread(importlib.import_module, name)
    return module


def _not_ready(ctx: UserContext | None) -> str:
    """Set up means a profile too (a chart without a stop date has no day 1)."""
    if ctx is None or ctx.ready:
        return not_ready_text(Readiness.UNKNOWN)
    return not_ready_text(ctx.readiness)


def weeks_buttons(current: int) -> ButtonRows:
    other = 12 if current == 4 else 4
    return (((say("progress.show_weeks", weeks=other), encode(ButtonFamily.PROGRESS, other)),),)


def chart_title(data: ProgressData) -> str:
    name = data.first_name.strip()
    who = f"{name}'s" if name else "Your"
    return f"{who} last {data.weeks} weeks"


CAPTION_MAX = 1024  # Telegram's limit for a photo caption


def little_data_text(data: ProgressData, running: str | None = None) -> str:
    count = stats.check_in_count(data.days)
    so_far = (
        say("progress.no_checkin_yet")
        if count == 0
        else say("progress.so_far", count=counted(count, "checkin"))
    )
    lines = [say("progress.little_data", so_far=so_far)]
    if count:
        lines.append(say("progress.streak", streak=counted(data.streak, "day")))
    lines.append(say("progress.rehab_day", day=data.rehab_day))
    lines.append(say("progress.grow"))
    if running:
        lines += ["", running]
    return "\n".join(lines)


async def show_progress(
    session: AsyncSession, telegram_id: int, now: datetime, weeks: int = DEFAULT_WEEKS
) -> Outcome:
    ctx = await load(session, telegram_id, now)
    if ctx is None or not ctx.ready or ctx.profile is None:
        return Outcome.say(_not_ready(ctx))
    if weeks not in WEEK_CHOICES:
        return Outcome.nothing(say("common.expired"))
    data = await load_progress(session, ctx.user, ctx.profile, ctx.today, weeks)
    view = await ladder_view(session, ctx.user.id, ctx.profile)
    running = view.progress_text() if view is not None else None
    if not stats.has_enough_data(data.visible_days):
        if not ctx.safety.allows_cheering:
            hold = safety.hold_reply(ctx.safety)
            assert hold is not None
            return Outcome((hold,))  # no "every one counts, send /checkin" during a concern
        return Outcome.say(little_data_text(data, running))
    caption = stats.caption(
        data.days,
        data.today,
        data.rehab_day,
        streak_days=data.streak if ctx.safety.allows_cheering else None,
    )
    if running:
        caption = f"{caption}\n\n{running}"[:CAPTION_MAX]

    async def draw() -> bytes:
        chart = await renderer("bot.reports.chart")
        png: bytes = await chart.render_progress_chart_async(
            data.days,
            today=data.today,
            weeks=weeks,
            pt_sessions=data.pt_sessions,
            title=chart_title(data),
        )
        return png

    return Outcome(
        attachment=Attachment(
            "photo",
            f"progress-{data.today.isoformat()}.png",
            draw,
            caption=caption,
            buttons=weeks_buttons(weeks),
        )
    )


def period_buttons(current: PeriodChoice) -> ButtonRows:
    return (
        tuple(
            (say(f"report.period_{c}"), encode(ButtonFamily.REPORT, c))
            for c in PERIOD_CHOICES
            if c != current
        ),
    )


def report_caption(period: ReportPeriod) -> str:
    return say("report.caption", period=period.description)


def report_filename(period: ReportPeriod) -> str:
    return f"ptcoach-report-{period.end.isoformat()}.pdf"


async def build_report(
    session: AsyncSession, telegram_id: int, now: datetime, choice: str = "pt"
) -> Outcome:
    if choice not in PERIOD_CHOICES:
        return Outcome.nothing(say("common.expired"))
    ctx = await load(session, telegram_id, now)
    if ctx is None or not ctx.ready or ctx.profile is None:
        return Outcome.say(_not_ready(ctx))
    period = await report_period(session, ctx.user, ctx.today, choice)
    inp = await build_report_input(session, ctx.user, ctx.profile, period)

    async def draw() -> bytes:
        pdf = await renderer("bot.reports.pdf")
        document: bytes = await pdf.render_pt_report_async(inp)
        return document

    return Outcome(
        attachment=Attachment(
            "document",
            report_filename(period),
            draw,
            caption=report_caption(period),
            buttons=period_buttons(choice),
        )
    )
