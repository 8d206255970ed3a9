"""/pause [N days | until date] and /resume: thin adapters over ``bot.services.pausing``.

A pause is a ``Pause`` row as well as a status, so its days never count as missed; a pause
with an end date ends by itself (the dispatcher calls ``resume_user`` the next local day).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily, pattern
from bot.services import pausing
from bot.services.dialogs import DialogState
from handlers.common import Context, answer_query, render, run_use_case, services
from handlers.router import Incoming, pass_as_if_no_step, register_flow


async def pause_command(update: Update, context: Context) -> None:
    if update.effective_user is None:
        return
    svc = services(context)
    outcome = await run_use_case(
        context,
        pausing.pause,
        update.effective_user.id,
        " ".join(context.args or []),
        svc.clock.now(),
        svc.settings,
    )
    await render(update, context, outcome)


async def resume_command(update: Update, context: Context) -> None:
    if update.effective_user is None:
        return
    svc = services(context)
    outcome = await run_use_case(
        context, pausing.resume, update.effective_user.id, svc.clock.now(), svc.settings
    )
    await render(update, context, outcome)


async def on_pause_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    svc = services(context)
    outcome = await run_use_case(
        context,
        pausing.pause_button,
        update.effective_user.id,
        next(iter(callbacks.parts_of(query.data, ButtonFamily.PAUSE)), ""),
        svc.clock.now(),
        svc.settings,
    )
    await answer_query(update, outcome.toast)
    await render(update, context, outcome)


async def on_typed_length(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    """Typed under the bare /pause question: a length or a button's words."""
    svc = services(context)
    outcome = await run_use_case(
        context,
        pausing.typed_length,
        state.telegram_id,
        incoming.text,
        svc.clock.now(),
        svc.settings,
    )
    if not outcome.replies and not outcome.changed:
        await pass_as_if_no_step(update, context, incoming)
        return
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("pause", pause_command))
    app.add_handler(CallbackQueryHandler(on_pause_button, pattern=pattern(ButtonFamily.PAUSE)))
    app.add_handler(CommandHandler("resume", resume_command))
    register_flow(pausing.FLOW, on_typed_length)
