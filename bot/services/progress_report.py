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
PERIOD_LABELS: dict[PeriodChoice, str] = {
    "pt": "Since last PT session",
    "14": "Last 2 weeks",
    "28": "Last 4 weeks",
}


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
    return (((f"Show {other} weeks", f"pg:{other}"),),)


def chart_title(data: ProgressData) -> str:
    name = data.first_name.strip()
    who = f"{name}'s" if name else "Your"
    return f"{who} last {data.weeks} weeks"


CAPTION_MAX = 1024  # Telegram's limit for a photo caption


def little_data_text(data: ProgressData, running: str | None = None) -> str:
    count = stats.check_in_count(data.days)
    so_far = (
        "You haven't logged a check-in yet"
        if count == 0
        else f"So far you have {stats.plural(count, 'check-in')}"
    )
    lines = [
        "After three check-ins I can draw your chart, so there's not much to show just yet. "
        f"{so_far}, and every one of them counts.",
    ]
    if count:
        lines.append(f"Streak: {stats.plural(data.streak, 'day')}.")
    lines.append(f"Day {data.rehab_day} of your rehab.")
    lines.append("Send /checkin after your exercises and your picture starts to grow.")
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
        return Outcome.nothing("That button has expired.")
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
    return (tuple((PERIOD_LABELS[c], f"rp:{c}") for c in PERIOD_CHOICES if c != current),)


def report_caption(period: ReportPeriod) -> str:
    return (
        f"Your report for {period.description}.\n"
        "It's meant for your physical therapist: show it at your next session or forward "
        "it to them. It's built from your own check-ins, so it's a conversation starter, "
        "not a medical record.\n"
        "It includes your notes and the questions you asked me, word for word: have a look "
        "before you share it. Other periods below."
    )


def report_filename(period: ReportPeriod) -> str:
    return f"ptcoach-report-{period.end.isoformat()}.pdf"


async def build_report(
    session: AsyncSession, telegram_id: int, now: datetime, choice: str = "pt"
) -> Outcome:
    if choice not in PERIOD_CHOICES:
        return Outcome.nothing("That button has expired.")
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
