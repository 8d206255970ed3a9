"""/progress (a chart of the last weeks) and /report (a one-page PDF for the therapist).

Rehab progress is slow and easy to miss in words; a picture of four weeks shows it. The
database work happens first and the session is closed before rendering, so a 150 ms
matplotlib draw never holds a connection, and rendering runs in a worker thread so the
bot keeps answering other users meanwhile.

Buttons carry only the choice (``pg:12``, ``rp:28``); whose chart it is always comes from
``update.effective_user``, so a forwarded button shows the presser their own data.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from types import ModuleType

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.db.models import RehabProfile, User
from bot.reports import stats
from bot.services.context import NOT_SET_UP, today_of
from bot.services.reports import (
    PERIOD_CHOICES,
    PeriodChoice,
    ProgressData,
    ReportPeriod,
    build_report_input,
    load_progress,
    report_period,
)
from bot.services.users import get_user
from handlers.common import Context, answer_query, keyboard, reply, services

WEEK_CHOICES = (4, 12)
DEFAULT_WEEKS = 4
PERIOD_LABELS: dict[PeriodChoice, str] = {
    "pt": "Since last PT session",
    "14": "Last 2 weeks",
    "28": "Last 4 weeks",
}


def _is_set_up(user: User | None, profile: RehabProfile | None) -> bool:
    return (
        user is not None
        and user.status != "onboarding"
        and bool(user.timezone)
        and profile is not None
    )


async def _renderer(name: str) -> ModuleType:
    """Import a renderer module in a worker thread the first time it is needed.

    matplotlib and fpdf2 take about a second to import; doing that inside a handler would
    freeze every other user's conversation, and doing it at start-up would slow every
    start (and every test) for a command most users rarely send.
    """
    module = sys.modules.get(name)
    if module is None:
        module = await asyncio.to_thread(importlib.import_module, name)
    return module


async def _chat_action(update: Update, context: Context, action: str) -> None:
    """'Sending a photo…' in the chat header while we draw: the wait feels intentional."""
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_chat_action(chat.id, action)


# --- /progress -------------------------------------------------------------------------------


def weeks_keyboard(current: int) -> InlineKeyboardMarkup:
    other = 12 if current == 4 else 4
    return keyboard([[(f"Show {other} weeks", f"pg:{other}")]])


def chart_title(data: ProgressData) -> str:
    name = data.first_name.strip()
    who = f"{name}'s" if name else "Your"
    return f"{who} last {data.weeks} weeks"


def little_data_text(data: ProgressData) -> str:
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
        lines.append(f"Streak: {stats.plural(stats.streak(data.days, data.today), 'day')}.")
    since = (data.today - data.stopped_running).days
    if since >= 0:
        lines.append(f"Day {since} since you stopped running.")
    lines.append("Send /checkin after your exercises and your picture starts to grow.")
    return "\n".join(lines)


async def _send_progress(update: Update, context: Context, weeks: int) -> None:
    svc = services(context)
    assert update.effective_user
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        profile = await session.get(RehabProfile, user.id) if user is not None else None
        if not _is_set_up(user, profile):
            await reply(update, context, NOT_SET_UP)
            return
        assert user is not None and profile is not None
        today = today_of(user, svc.clock.now())
        data = await load_progress(session, user, profile, today, weeks)
    chart = await _renderer("bot.reports.chart")
    if not chart.has_enough_data(data.visible_days):
        await reply(update, context, little_data_text(data))
        return
    await _chat_action(update, context, ChatAction.UPLOAD_PHOTO)
    png = await chart.render_progress_chart_async(
        data.days,
        today=today,
        weeks=weeks,
        pt_sessions=data.pt_sessions,
        title=chart_title(data),
    )
    assert update.effective_chat
    await context.bot.send_photo(
        update.effective_chat.id,
        InputFile(png, filename=f"progress-{today.isoformat()}.png"),
        caption=stats.caption(data.days, today, data.stopped_running),
        reply_markup=weeks_keyboard(weeks),
    )


async def progress_command(update: Update, context: Context) -> None:
    await _send_progress(update, context, DEFAULT_WEEKS)


async def on_weeks_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    arg = query.data.removeprefix("pg:")
    if not arg.isdigit() or int(arg) not in WEEK_CHOICES:
        await answer_query(update, "That button has expired.")
        return
    await answer_query(update)
    await _send_progress(update, context, int(arg))


# --- /report ---------------------------------------------------------------------------------


def period_keyboard(current: PeriodChoice) -> InlineKeyboardMarkup:
    return keyboard([[(PERIOD_LABELS[c], f"rp:{c}") for c in PERIOD_CHOICES if c != current]])


def report_caption(period: ReportPeriod) -> str:
    return (
        f"Your report for {period.description} ({period.length} days).\n"
        "It's meant for your physical therapist: show it at your next session or forward "
        "it to them. It's built from your own check-ins, so it's a conversation starter, "
        "not a medical record. Other periods below."
    )


def report_filename(period: ReportPeriod) -> str:
    return f"ptcoach-report-{period.end.isoformat()}.pdf"


async def _send_report(update: Update, context: Context, choice: PeriodChoice) -> None:
    svc = services(context)
    assert update.effective_user
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        profile = await session.get(RehabProfile, user.id) if user is not None else None
        if not _is_set_up(user, profile):
            await reply(update, context, NOT_SET_UP)
            return
        assert user is not None and profile is not None
        today = today_of(user, svc.clock.now())
        period = await report_period(session, user, today, choice)
        inp = await build_report_input(session, user, profile, period)
    pdf = await _renderer("bot.reports.pdf")
    await _chat_action(update, context, ChatAction.UPLOAD_DOCUMENT)
    document = await pdf.render_pt_report_async(inp)
    assert update.effective_chat
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(document, filename=report_filename(period)),
        caption=report_caption(period),
        reply_markup=period_keyboard(choice),
    )


async def report_command(update: Update, context: Context) -> None:
    await _send_report(update, context, "pt")


async def on_period_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    arg = query.data.removeprefix("rp:")
    if arg not in PERIOD_CHOICES:
        await answer_query(update, "That button has expired.")
        return
    await answer_query(update)
    await _send_report(update, context, arg)  # type: ignore[arg-type]


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("progress", progress_command))
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CallbackQueryHandler(on_weeks_button, pattern=r"^pg:"))
    app.add_handler(CallbackQueryHandler(on_period_button, pattern=r"^rp:"))
