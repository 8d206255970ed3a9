"""/exercises as a thin Telegram adapter: the command, the plan's buttons ("ex:...") and the
typed answers of its one-step conversation are read into plain values and handed to the use
cases in ``bot.services.exercises``, whose outcomes are rendered. Typed exercise names and
doses come through the router, which triages every free-text message for red flags first.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.services import exercises as use_cases
from bot.services.dialogs import DialogState
from handlers.common import (
    Context,
    button_handler,
    faq_ready_for,
    render,
    run_use_case,
    services,
)
from handlers.router import Incoming, register_flow


async def exercises_command(update: Update, context: Context) -> None:
    if update.effective_user is None:
        return
    outcome = await run_use_case(context, use_cases.show_plan, update.effective_user.id)
    await render(update, context, outcome)


async def on_message(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    index = await faq_ready_for(context, incoming.text, at_a_step=True)
    outcome = await run_use_case(
        context,
        use_cases.answer,
        state.telegram_id,
        state.step,
        incoming.text,
        services(context).clock.now(),
        index,
    )
    await render(update, context, outcome)


async def _on_button(update: Update, context: Context, parts: list[str]) -> str | None:
    assert update.effective_user is not None
    action = parts[1] if len(parts) > 1 else ""
    exercise_id = int(parts[2]) if len(parts) > 2 and parts[2].isdecimal() else None
    outcome = await run_use_case(
        context,
        use_cases.press,
        update.effective_user.id,
        action,
        exercise_id,
        services(context).clock.now(),
    )
    await render(update, context, outcome)
    return outcome.toast


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("exercises", exercises_command))
    app.add_handler(CallbackQueryHandler(button_handler(_on_button), pattern=r"^ex:"))
    register_flow(use_cases.FLOW, on_message)
