"""Free-text questions and /faq: safety triage first, then the knowledge base.

A red flag always wins: the router triages every message before it reaches this module (and
``bot.services.faq.answer_question`` triages again, so the CLI's path is the same). Otherwise
the FAQ answers, offers close matches, or says honestly that it does not know. Every decision
and all database work live in ``bot.services.faq``; this module parses and renders.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily, SafetyAction
from bot.domain.wording import say
from bot.services import faq, safety
from bot.services.dialogs import DialogState
from bot.services.outcome import Outcome
from handlers.common import (
    Context,
    answer_query,
    faq_ready_for,
    render,
    reply,
    run_use_case,
    services,
)
from handlers.router import (
    Incoming,
    pass_as_if_no_step,
    register_flow,
    register_free_text,
    register_typed_answer,
)


async def on_free_text(update: Update, context: Context, incoming: Incoming) -> None:
    if incoming.text is None:
        what = incoming.other or "that"
        await reply(
            update,
            context,
            say("faq.not_text", what=what) if incoming.location is None else say("faq.location"),
        )
        return
    assert update.effective_user is not None
    svc = services(context)
    index = await faq_ready_for(context, incoming.text)
    outcome = await run_use_case(
        context, faq.ask, update.effective_user.id, incoming.text, svc.clock.now(), index
    )
    await render(update, context, outcome)


# --- /faq browsing --------------------------------------------------------------------------


async def faq_command(update: Update, context: Context) -> None:
    if update.effective_user is None:
        return
    svc = services(context)
    index = await svc.faq_index()
    outcome = await run_use_case(
        context, faq.open_topics, update.effective_user.id, svc.clock.now(), index
    )
    await render(update, context, outcome)


async def on_faq_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user
    try:
        outcome = await _browse(update, context, callbacks.decode(query.data))
    except callbacks.CallbackError:
        await answer_query(update, say("common.expired"))
        return
    await answer_query(update, outcome.toast)
    await render(update, context, outcome)


async def _browse(update: Update, context: Context, decoded: callbacks.Decoded) -> Outcome:
    """A browsing button's outcome, tapped or typed (a topic typed under /faq)."""
    assert update.effective_user
    svc = services(context)
    index = await svc.faq_index()
    return await run_use_case(
        context,
        faq.browse,
        update.effective_user.id,
        decoded.part(0),
        decoded.part(1),
        svc.clock.now(),
        index,
    )


async def on_topic_text(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    """Typed under the /faq topic list: a topic as it reads (or its number) opens it, as its
    tap; anything else closes the list and goes on as with no step open (a question)."""
    now = services(context).clock.now()
    data = await run_use_case(context, faq.typed_topic, state.telegram_id, incoming.text, now)
    if data is None:
        await pass_as_if_no_step(update, context, incoming)
        return
    await render(update, context, await _browse(update, context, callbacks.decode(data)))


async def on_feedback(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user
    try:
        decoded = callbacks.decode(query.data)
    except ValueError:
        decoded = None
    qid, vote = (decoded.part(0), decoded.part(1)) if decoded else (None, None)
    if qid is None or not qid.isdecimal() or vote not in ("y", "n"):
        await answer_query(update, say("common.expired"))
        return
    index = await services(context).faq_index()
    if vote == "n":  # searched again: the stored question is embedded before the transaction
        asked = await run_use_case(context, faq.rated_question, update.effective_user.id, int(qid))
        if asked is not None:
            await faq.prepare(index, asked)
    outcome = await run_use_case(
        context, faq.give_feedback, update.effective_user.id, int(qid), vote == "y", index
    )
    await answer_query(update, outcome.toast)
    await render(update, context, outcome)


async def on_safety_button(update: Update, context: Context) -> None:
    """The clinician follow-up and hold buttons (and ``rf:ok`` on older safety messages)."""
    assert update.effective_user
    query = update.callback_query
    assert query is not None
    try:
        decoded = callbacks.decode(query.data)
        action = (
            SafetyAction.SEEN
            if decoded.family is ButtonFamily.LEGACY_CLINICIAN
            else SafetyAction(decoded.part(0) or "")
        )
    except ValueError:
        await answer_query(update, say("common.expired"))
        return
    outcome = await run_use_case(
        context,
        faq.answer_safety_button,
        update.effective_user.id,
        action,
        services(context).clock.now(),
    )
    await answer_query(update, outcome.toast)
    await render(update, context, outcome)


async def on_advice_text(
    update: Update, context: Context, state: DialogState, incoming: Incoming
) -> None:
    """What the clinician advised, typed after "Note what they advised" (a red flag never
    reaches this step: the router answers it and the step keeps waiting)."""
    outcome = await run_use_case(
        context,
        safety.save_advice,
        state.telegram_id,
        state.data,
        incoming.text,
        services(context).clock.now(),
    )
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("faq", faq_command))
    app.add_handler(CallbackQueryHandler(on_faq_button, pattern=r"^faq:"))
    app.add_handler(
        CallbackQueryHandler(on_feedback, pattern=callbacks.pattern(ButtonFamily.FEEDBACK))
    )
    app.add_handler(
        CallbackQueryHandler(
            on_safety_button,
            pattern=callbacks.pattern(ButtonFamily.SAFETY, ButtonFamily.LEGACY_CLINICIAN),
        )
    )
    register_flow(safety.ADVICE_FLOW, on_advice_text)
    register_flow(faq.TOPICS_FLOW, on_topic_text)
    register_free_text(on_free_text)
    register_typed_answer("safety", safety.typed_answer)
