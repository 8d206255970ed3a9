"""Routes every non-command message: safety triage first, always; then to the conversation
step the user is in, if any (read from the database), otherwise to free text (the FAQ).

Feature modules register a handler per flow name; the router owns the session so that each
update is one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.domain.wording import say
from bot.services.dialogs import DialogState, current_state
from bot.services.outcome import Outcome
from bot.services.triage_incoming import triage_text
from handlers.common import (
    Context,
    answer_query,
    answering_typed_text,
    close_answered_keyboard,
    keep_question_open,
    render,
    reply,
    run_use_case,
    services,
)


@dataclass(frozen=True)
class Incoming:
    """What the user sent, reduced to what a step can use."""

    text: str | None = None
    location: tuple[float, float] | None = None
    other: str | None = None  # "sticker", "photo", ... when it is neither text nor location
    flagged: bool = False
    """The text was a red flag, already answered and recorded (see ``register_flow``)."""


FlowHandler = Callable[[Update, Context, DialogState, Incoming], Awaitable[None]]
"""A conversation step's handler: gets a snapshot of the step, no open transaction; it calls
use cases (each its own short transaction) and renders their outcomes."""
FreeHandler = Callable[[Update, Context, Incoming], Awaitable[None]]

TypedAnswer = Callable[..., Awaitable[Outcome | None]]
"""A use case ``(session, telegram_id, text, now)`` for text typed with no step open that may
answer a question the bot asked with buttons (the check-in's "did them all"): its outcome
when it did, None when the text answers nothing it knows (the next one is tried)."""

_flows: dict[str, FlowHandler] = {}
_see_flagged: set[str] = set()
_free: list[FreeHandler] = []
_typed_answers: dict[str, TypedAnswer] = {}


def register_flow(name: str, handler: FlowHandler, *, see_flagged: bool = False) -> None:
    """``see_flagged``: the step also gets a red-flag text (``incoming.flagged``), after the
    safety answer went out, e.g. to keep the pain score in "7 and it woke me at night"."""
    _flows[name] = handler
    if see_flagged:
        _see_flagged.add(name)


def register_free_text(handler: FreeHandler) -> None:
    _free[:] = [handler]


def register_typed_answer(name: str, use_case: TypedAnswer) -> None:
    """Tried, in registration order, before free text when no step is open."""
    _typed_answers[name] = use_case


def incoming_from(update: Update) -> Incoming:
    message = update.effective_message
    if message is None:
        return Incoming(other="unknown")
    if message.text is not None:
        return Incoming(text=message.text)
    if message.location is not None:
        return Incoming(location=(message.location.latitude, message.location.longitude))
    for kind in ("sticker", "photo", "voice", "video", "document", "animation", "audio", "contact"):
        if getattr(message, kind, None):
            return Incoming(other=kind)
    return Incoming(other="message")


async def on_message(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    if tg_user is None or update.effective_chat is None or update.effective_chat.type != "private":
        return
    incoming = incoming_from(update)
    svc = services(context)
    if incoming.text is not None and incoming.text.strip():
        # Safety first, in every step: a red flag is answered and recorded, and never
        # consumed as a step's value (the step keeps waiting for its answer).
        flagged = await run_use_case(
            context, triage_text, tg_user.id, incoming.text, svc.clock.now()
        )
        if flagged is not None:
            svc.metrics.red_flag()
            await render(update, context, flagged)
            state = await run_use_case(context, current_state, tg_user.id)
            if state is not None and state.flow in _see_flagged and state.flow in _flows:
                flagged_in = Incoming(text=incoming.text, flagged=True)
                await _flows[state.flow](update, context, state, flagged_in)
            return
    state = await run_use_case(context, current_state, tg_user.id)
    if state is not None and state.flow in _flows:
        question = await answering_typed_text(update, context)
        await _flows[state.flow](update, context, state, incoming)
        await close_answered_keyboard(update, context, question)
        return
    question = await answering_typed_text(update, context)
    if await _answered_as_typed(update, context, incoming):
        await close_answered_keyboard(update, context, question)
        return
    await pass_to_free_text(update, context, incoming)


async def _answered_as_typed(update: Update, context: Context, incoming: Incoming) -> bool:
    """Try the registered typed answers in order; True when one answered (and was rendered)."""
    if incoming.text is None or update.effective_user is None:
        return False
    for use_case in _typed_answers.values():
        outcome = await run_use_case(
            context,
            use_case,
            update.effective_user.id,
            incoming.text,
            services(context).clock.now(),
        )
        if outcome is not None:
            await render(update, context, outcome)
            return True
    return False


async def pass_as_if_no_step(update: Update, context: Context, incoming: Incoming) -> None:
    """A menu step that closed without taking the text (it named none of the choices): the
    text goes where it would have gone with no step open, the typed answers (a check-in's
    "did them all") first, then free text."""
    if not await _answered_as_typed(update, context, incoming):
        await pass_to_free_text(update, context, incoming)


async def pass_to_free_text(update: Update, context: Context, incoming: Incoming) -> None:
    """A step that did not take the text hands it on to free text (the FAQ), as if the user
    had been in no step (already triaged by ``on_message``)."""
    if _free:
        await _free[0](update, context, incoming)
        keep_question_open(context)
        return
    await reply(update, context, say("fallback.didnt_catch"))


async def on_edited_message(update: Update, context: Context) -> None:
    """An edit is not a new message: it is triaged again (a red flag added by editing still
    gets its answer), but nothing else reacts to it, and the same words never make a second
    report or a second reply. Commands and steps ignore edits; this handler stops the update.
    """
    message = update.edited_message
    tg_user = update.effective_user
    if (
        message is not None
        and message.text
        and tg_user is not None
        and update.effective_chat is not None
        and update.effective_chat.type == "private"
        and not message.text.startswith("/")
    ):
        svc = services(context)
        flagged = await run_use_case(
            context, triage_text, tg_user.id, message.text, svc.clock.now(), unless_reported=True
        )
        if flagged is not None:
            svc.metrics.red_flag()
            await render(update, context, flagged)
    raise ApplicationHandlerStop


async def on_unknown_button(update: Update, context: Context) -> None:
    """A button no feature claims (an old client, a removed feature, forged data): answer it
    so the user's spinner stops, and change nothing."""
    await answer_query(update, say("fallback.unknown_button"))


async def on_unknown_command(update: Update, context: Context) -> None:
    """A command no feature claims (/foobar, a typo): say so rather than stay silent."""
    message = update.effective_message
    if message is None or not message.text or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    command = message.text.split()[0].split("@")[0][:32]
    await reply(update, context, say("fallback.unknown_command", command=command))


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    """Registered after every feature's handlers, so it only sees what none of them claimed."""
    app.add_handler(CallbackQueryHandler(on_unknown_button))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, on_unknown_command))


def register(app: Application) -> None:  # type: ignore[type-arg]
    # Before every feature (group 0 and up), after the middleware (group -100).
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edited_message), group=-10)
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_message
        ),
        group=10,
    )
