"""/settings as a thin Telegram adapter: commands, buttons ("st:...") and typed answers are
read into plain values and handed to the use cases in ``bot.services.settings``, whose
outcomes are rendered. Typed answers come through the router, which triages every free-text
message for red flags first.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain.settings_flow import FLOW
from bot.services import settings as use_cases
from bot.services.dialogs import DialogState
from handlers.common import (
    Context,
    button_handler,
    faq_ready_for,
    render,
    run_use_case,
    services,
)
from handlers.router import Incoming, pass_as_if_no_step, register_flow


async def settings_command(update: Update, context: Context) -> None:
    if update.effective_user is None:
        return
    outcome = await run_use_case(
        context, use_cases.open_menu, update.effective_user.id, services(context).clock.now()
    )
    await render(update, context, outcome)


async def on_message(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    svc = services(context)
    index = await faq_ready_for(context, incoming.text, at_a_step=True)
    outcome = await run_use_case(
        context,
        use_cases.answer_text,
        state.telegram_id,
        incoming.text,
        incoming.location,
        svc.clock.now(),
        svc.settings,
        index,
    )
    if not outcome.replies and not outcome.changed and not incoming.flagged:
        # Typed past the menu (a question, "did them all"): the menu closed, the text goes
        # where it would have gone with no step open.
        await pass_as_if_no_step(update, context, incoming)
        return
    await render(update, context, outcome)


async def _on_button(update: Update, context: Context, parts: list[str]) -> str | None:
    assert update.effective_user is not None
    svc = services(context)
    action = parts[1] if len(parts) > 1 else ""
    arg = parts[2] if len(parts) > 2 else ""
    outcome = await run_use_case(
        context,
        use_cases.press,
        update.effective_user.id,
        action,
        arg,
        svc.clock.now(),
        svc.settings,
    )
    await render(update, context, outcome)
    return outcome.toast


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("settings", settings_command))
    app.add_handler(CallbackQueryHandler(button_handler(_on_button), pattern=r"^st:"))
    register_flow(FLOW, on_message)
