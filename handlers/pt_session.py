"""The prompt after a physical therapy session: note what changed, or go update the plan.

The rules and the database work are ``bot.services.pt_sessions``; this module reads the
button or the typed note and renders the outcome.
"""

from __future__ import annotations

from datetime import date, datetime

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

# The PT, nudge and weekly-summary kinds must be registered before the first tick;
# bot.services.outgoing only loads its kind modules when its registry is still empty.
import bot.services.outgoing_nudges  # noqa: F401
from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily
from bot.services import pt_sessions
from bot.services.dialogs import DialogState
from handlers.common import Context, answer_query, render, run_use_case, services
from handlers.router import Incoming, register_flow, register_typed_answer

FLOW = pt_sessions.FLOW


def _parse(data: str | None) -> tuple[date | None, str]:
    try:
        decoded = callbacks.decode(data)
    except ValueError:
        return None, ""
    if decoded.family is not ButtonFamily.PT_SESSION or len(decoded.parts) != 2:
        return None, ""
    try:
        return datetime.strptime(decoded.parts[0], "%Y%m%d").date(), decoded.parts[1]
    except ValueError:
        return None, ""


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user
    day, action = _parse(query.data)
    outcome = await run_use_case(
        context,
        pt_sessions.answer_prompt,
        update.effective_user.id,
        day,
        action,
        services(context).clock.now(),
    )
    await answer_query(update, outcome.toast, alert=bool(outcome.extra.get("alert")))
    await render(update, context, outcome)


async def on_note_text(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    outcome = await run_use_case(
        context,
        pt_sessions.add_note,
        state.user_id,
        pt_sessions.NoteStep.read(state.data),
        incoming.text,
        services(context).clock.now(),
    )
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(
        CallbackQueryHandler(on_button, pattern=callbacks.pattern(ButtonFamily.PT_SESSION))
    )
    register_flow(FLOW, on_note_text)
    register_typed_answer("pt_after", pt_sessions.typed_after_prompt)
