"""Routes every non-command message: safety triage first, always; then to the conversation
step the user is in, if any (read from the database), otherwise to free text (the FAQ).

Feature modules register a handler per flow name; the router owns the session so that each
update is one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.db.models import Dialog, User
from bot.services import safety
from bot.services.dialogs import DialogState, current_state, get_dialog
from bot.services.users import get_user
from handlers.common import Context, answer_query, render, reply, services


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

LegacyFlowHandler = Callable[
    [Update, Context, AsyncSession, User, Dialog, Incoming], Awaitable[None]
]
"""The old shape, with the router's session held open across the handler's Telegram calls.
Kept only while flows move to ``FlowHandler``; do not add new ones."""
LegacyFreeHandler = Callable[
    [Update, Context, AsyncSession, User | None, Incoming], Awaitable[None]
]

_flows: dict[str, FlowHandler] = {}
_see_flagged: set[str] = set()
_legacy_flows: dict[str, LegacyFlowHandler] = {}
_free: list[FreeHandler] = []
_legacy_free: list[LegacyFreeHandler] = []


def register_flow(name: str, handler: FlowHandler, *, see_flagged: bool = False) -> None:
    """``see_flagged``: the step also gets a red-flag text (``incoming.flagged``), after the
    safety answer went out, e.g. to keep the pain score in "7 and it woke me at night"."""
    _flows[name] = handler
    if see_flagged:
        _see_flagged.add(name)


def register_legacy_flow(name: str, handler: LegacyFlowHandler) -> None:
    _legacy_flows[name] = handler


def register_free_text(handler: FreeHandler) -> None:
    _free[:] = [handler]
    _legacy_free.clear()


def register_legacy_free_text(handler: LegacyFreeHandler) -> None:
    _legacy_free[:] = [handler]
    _free.clear()


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
        async with svc.sessions() as session:
            user = await get_user(session, tg_user.id)
            flagged = await safety.report_red_flag(
                session, user, incoming.text.strip(), svc.clock.now()
            )
            await session.commit()
        if flagged is not None:
            svc.metrics.inc("red_flags")
            await render(update, context, flagged.outcome)
            async with svc.sessions() as session:
                state = await current_state(session, tg_user.id)
            if state is not None and state.flow in _see_flagged and state.flow in _flows:
                flagged_in = Incoming(text=incoming.text, flagged=True)
                await _flows[state.flow](update, context, state, flagged_in)
            return
    async with svc.sessions() as session:
        state = await current_state(session, tg_user.id)
    if state is not None and state.flow in _flows:
        await _flows[state.flow](update, context, state, incoming)
        return
    if (state is None or state.flow not in _legacy_flows) and _free:
        await _free[0](update, context, incoming)
        return
    async with svc.sessions() as session:  # legacy handlers: to be removed
        user = await get_user(session, tg_user.id)
        dialog = await get_dialog(session, user.id) if user is not None else None
        if user is not None and dialog is not None and dialog.flow in _legacy_flows:
            await _legacy_flows[dialog.flow](update, context, session, user, dialog, incoming)
        elif _legacy_free:
            await _legacy_free[0](update, context, session, user, incoming)
        else:
            await reply(update, context, "I didn't catch that. /help shows what I can do.")
        await session.commit()


async def pass_to_free_text(update: Update, context: Context, incoming: Incoming) -> None:
    """A step that did not take the text hands it on to free text (the FAQ), as if the user
    had been in no step (already triaged by ``on_message``)."""
    if _free:
        await _free[0](update, context, incoming)
        return
    async with services(context).sessions() as session:  # legacy free text: to be removed
        user = await get_user(session, update.effective_user.id) if update.effective_user else None
        if _legacy_free:
            await _legacy_free[0](update, context, session, user, incoming)
        await session.commit()


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
        async with svc.sessions() as session:
            user = await get_user(session, tg_user.id)
            flagged = await safety.report_red_flag(
                session, user, message.text.strip(), svc.clock.now(), unless_reported=True
            )
            await session.commit()
        if flagged is not None:
            svc.metrics.inc("red_flags")
            await render(update, context, flagged.outcome)
    raise ApplicationHandlerStop


async def on_unknown_button(update: Update, context: Context) -> None:
    """A button no feature claims (an old client, a removed feature, forged data): answer it
    so the user's spinner stops, and change nothing."""
    await answer_query(update, "That button has expired. Send /help to see what I can do.")


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    """Registered after every feature's handlers, so it only sees what none of them claimed."""
    app.add_handler(CallbackQueryHandler(on_unknown_button))


def register(app: Application) -> None:  # type: ignore[type-arg]
    # Before every feature (group 0 and up), after the middleware (group -100).
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edited_message), group=-10)
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_message
        ),
        group=10,
    )
