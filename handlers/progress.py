"""/progress (a chart of the last weeks) and /report (a one-page PDF for the therapist): thin
adapters over ``bot.services.progress_report``.

Buttons carry only the choice (``pg:12``, ``rp:28``); whose chart it is always comes from
``update.effective_user``, so a forwarded button shows the presser their own data.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily
from bot.domain.wording import say
from bot.services import progress_report
from handlers.common import Context, answer_query, render, run_use_case, services


async def progress_command(update: Update, context: Context) -> None:
    assert update.effective_user
    outcome = await run_use_case(
        context,
        progress_report.show_progress,
        update.effective_user.id,
        services(context).clock.now(),
    )
    await render(update, context, outcome)


async def on_weeks_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    arg = next(iter(callbacks.parts_of(query.data, ButtonFamily.PROGRESS)), "")
    if not arg.isdecimal():
        await answer_query(update, say("common.expired"))
        return
    outcome = await run_use_case(
        context,
        progress_report.show_progress,
        update.effective_user.id,
        services(context).clock.now(),
        int(arg),
    )
    await answer_query(update, outcome.toast)
    await render(update, context, outcome)


async def report_command(update: Update, context: Context) -> None:
    assert update.effective_user
    outcome = await run_use_case(
        context,
        progress_report.build_report,
        update.effective_user.id,
        services(context).clock.now(),
    )
    await render(update, context, outcome)


async def on_period_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    outcome = await run_use_case(
        context,
        progress_report.build_report,
        update.effective_user.id,
        services(context).clock.now(),
        next(iter(callbacks.parts_of(query.data, ButtonFamily.REPORT)), ""),
    )
    await answer_query(update, outcome.toast)
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("progress", progress_command))
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CallbackQueryHandler(on_weeks_button, pattern=r"^pg:"))
    app.add_handler(CallbackQueryHandler(on_period_button, pattern=r"^rp:"))
