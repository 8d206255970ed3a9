"""The check-in buttons and the steps typed during a check-in (pain, note): a thin adapter
over ``bot.services.checkin_flow``. /checkin and /today live in ``handlers.today``, the
next-morning question in ``handlers.morning``.

Buttons carry the day they belong to (``ci:20261127:done``), never who may press them: the
user is always the one Telegram says pressed. A button from an earlier day answers "closed"
and changes nothing; the same button pressed twice on one message has one effect, one answer.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.services import checkin_flow
from bot.services.dialogs import DialogState
from handlers.common import Context, answer_query, render, run_use_case, services
from handlers.router import (
    Incoming,
    pass_as_if_no_step,
    pass_to_free_text,
    register_flow,
    register_typed_answer,
)


async def on_checkin_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    try:
        outcome = await run_use_case(
            context,
            checkin_flow.press,
            update.effective_user.id,
            query.data,
            services(context).clock.now(),
            query.message.message_id if query.message is not None else None,
        )
    except BaseException:
        await answer_query(update)
        raise
    await answer_query(update, outcome.toast, alert=outcome.alert)
    await render(update, context, outcome)


async def on_step_text(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    """A pain score typed instead of tapped, or the optional note."""
    outcome = await run_use_case(
        context,
        checkin_flow.typed,
        state.telegram_id,
        state.step,
        state.data,
        incoming.text,
        services(context).clock.now(),
        flagged=incoming.flagged,
    )
    if not outcome.replies and not outcome.changed and not incoming.flagged:
        if state.step in (
            checkin_flow.SNOOZE_STEP,
            checkin_flow.REASON_STEP,
            checkin_flow.NOTE_STEP,
        ):
            # the question closed (a note's since an earlier day): as with no step
            await pass_as_if_no_step(update, context, incoming)
            return
        await pass_to_free_text(update, context, incoming)
        return
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_checkin_button, pattern=r"^ci:"))
    register_flow(checkin_flow.FLOW, on_step_text, see_flagged=True)
    register_typed_answer(checkin_flow.FLOW, checkin_flow.typed_answer)
