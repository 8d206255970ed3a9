"""/checkin (today's check-in on request) and /today (the day's status): thin adapters."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.services.checkin_prompt import open_checkin
from bot.services.today import show_today
from handlers.common import Context, render, run_use_case, services


async def checkin_command(update: Update, context: Context) -> None:
    assert update.effective_user
    outcome = await run_use_case(
        context, open_checkin, update.effective_user.id, services(context).clock.now()
    )
    await render(update, context, outcome)


async def today_command(update: Update, context: Context) -> None:
    assert update.effective_user
    outcome = await run_use_case(
        context, show_today, update.effective_user.id, services(context).clock.now()
    )
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("checkin", checkin_command))
    app.add_handler(CommandHandler("today", today_command))
