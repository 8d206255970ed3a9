"""/start, /cancel and the onboarding conversation, as a thin Telegram adapter: each update is
read into plain values, handed to a use case in ``bot.services.onboarding`` (one short
transaction) and its outcome rendered. The rules are in ``bot.domain.onboarding``, the words
and keyboards in ``bot.services.onboarding_views``.

Typed answers reach ``on_message`` through the router, which triages every free-text message
for red flags first; a red flag is never taken as an answer.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain.onboarding import FLOW
from bot.services import onboarding as use_cases
from bot.services.dialogs import DialogState
from handlers.common import (
    Context,
    button_handler,
    faq_ready_for,
    render,
    run_use_case,
    services,
)
from handlers.router import Incoming, register_flow, register_typed_answer


def _person(update: Update) -> use_cases.Person | None:
    tg_user = update.effective_user
    if tg_user is None:
        return None
    chat = update.effective_chat
    return use_cases.Person(
        telegram_id=tg_user.id,
        chat_id=chat.id if chat is not None else tg_user.id,
        first_name=tg_user.first_name,
        language=tg_user.language_code,
    )


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
    await render(update, context, outcome)


async def _on_button(update: Update, context: Context, parts: list[str]) -> str | None:
    person = _person(update)
    assert person is not None
    svc = services(context)
    now = svc.clock.now()
    action = parts[1] if len(parts) > 1 else ""
    if action == "home":
        what = parts[2] if len(parts) > 2 else ""
        outcome = await run_use_case(context, use_cases.home, person.telegram_id, what, now)
    elif action in ("consent", "decline"):
        outcome = await run_use_case(
            context, use_cases.consent, person, action == "consent", now, svc.settings
        )
    else:
        outcome = await run_use_case(
            context, use_cases.press, person.telegram_id, action, parts[2:], now, svc.settings
        )
    await render(update, context, outcome)
    return outcome.toast


async def start_command(update: Update, context: Context) -> None:
    person = _person(update)
    chat = update.effective_chat
    if person is None or chat is None or chat.type != "private":
        return
    svc = services(context)
    outcome = await run_use_case(context, use_cases.start, person, svc.clock.now(), svc.settings)
    await render(update, context, outcome)


async def cancel_command(update: Update, context: Context) -> None:
    if update.effective_user is None:
        return
    outcome = await run_use_case(context, use_cases.cancel, update.effective_user.id)
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start_command))
    app.add_handler(CommandHandler("cancel", cancel_command))
    app.add_handler(CallbackQueryHandler(button_handler(_on_button), pattern=r"^ob:"))
    register_flow(FLOW, on_message)
    register_typed_answer(FLOW, use_cases.typed_before_consent)
