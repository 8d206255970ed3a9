"""The next-morning question ("better / same / worse?" after a painful session): a thin
adapter over ``bot.services.checkin_flow.answer_morning``."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.services import checkin_flow
from handlers.common import Context, answer_query, render, run_use_case, services


async def on_morning_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    try:
        outcome = await run_use_case(
            context,
            checkin_flow.answer_morning,
            update.effective_user.id,
            query.data,
            services(context).clock.now(),
        )
    except BaseException:
        await answer_query(update)
        raise
    await answer_query(update, outcome.toast, alert=outcome.alert)
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_morning_button, pattern=r"^mo:"))
