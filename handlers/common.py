"""Small helpers every handler uses: reaching the services, building keyboards, replying."""

from __future__ import annotations

import contextlib
import contextvars
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.domain import callbacks
from bot.domain.faq import FaqIndex
from bot.domain.onboarding import is_question
from bot.services import faq
from bot.services.activity import claim_in, claim_update
from bot.services.container import Services
from bot.services.outcome import Attachment, Outcome, Reply

T = TypeVar("T")
Button = tuple[str, str]  # (label, callback data)
Context = ContextTypes.DEFAULT_TYPE


log = logging.getLogger(__name__)


def services(context: Context) -> Services:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


# --- exactly once ---------------------------------------------------------------------------


@dataclass
class UpdateClaim:
    """The update being handled in this task, and whether this delivery has claimed it.

    Set by ``handlers.middleware.ExactlyOnceApplication`` around every update. The claim is
    made in the first use case's own transaction (``run_use_case``), or, for an update that
    runs none, just before its first reply (``ensure_claimed``); see ``bot.services.activity``.
    """

    update_id: int
    taken: bool = False
    duplicate: bool = False


current_claim: contextvars.ContextVar[UpdateClaim | None] = contextvars.ContextVar(
    "update_claim", default=None
)


def _drop_duplicate(context: Context, claim: UpdateClaim) -> None:
    claim.duplicate = True
    services(context).metrics.ignored_update("duplicate")
    log.info("ignored a redelivered update", extra={"update_id": claim.update_id})
    raise ApplicationHandlerStop


async def ensure_claimed(context: Context) -> None:
    """Before anything is sent for an update that ran no use case: claim it, or stop here.

    If the database cannot be reached the update is let through (fail open): the user hears
    an answer instead of nothing, at the price of a rare second answer on a redelivery.
    """
    claim = current_claim.get()
    if claim is not None and claim.duplicate:
        raise ApplicationHandlerStop  # a later handler of a redelivered update: stay silent
    if claim is None or claim.taken:
        return
    svc = services(context)
    try:
        first = await claim_update(svc.engine, claim.update_id, svc.clock.now())
    except Exception:
        log.warning(
            "could not record the update id; handling it anyway",
            exc_info=True,
            extra={"update_id": claim.update_id},
        )
        svc.metrics.error("dedupe")
        first = True
    claim.taken = True
    if not first:
        _drop_duplicate(context, claim)


def keyboard(rows: Iterable[Sequence[Button]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def chunk(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def split_long(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split at paragraph or line breaks so that no part exceeds Telegram's limit."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


async def reply(
    update: Update,
    context: Context,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    html_mode: bool = False,
) -> None:
    """Send ``text`` to the chat of ``update``; long text is split, the keyboard goes last."""
    chat = update.effective_chat
    if chat is None:
        return
    await ensure_claimed(context)
    parts = split_long(text)
    for i, part in enumerate(parts):
        sent = await context.bot.send_message(
            chat.id,
            part,
            reply_markup=markup if i == len(parts) - 1 else None,
            parse_mode="HTML" if html_mode else None,
        )
    _remember_reply(context, sent.message_id if markup is not None else None)


# --- the question's keyboard -----------------------------------------------------------------
# A tapped answer edits its question, so the buttons close. A typed answer must close them as
# well, or an old "Skip" or "Knee" stays live above the conversation. The chat remembers the
# last message it sent with buttons (in memory: after a restart an old keyboard simply stays).
_OPEN_KEYBOARD = "open_keyboard"
_REPLIED = "replied"


def _remember_reply(context: Context, keyboard_message_id: int | None) -> None:
    data = context.chat_data
    if data is None:
        return
    data[_REPLIED] = True
    if keyboard_message_id is not None:
        data[_OPEN_KEYBOARD] = keyboard_message_id


async def answering_typed_text(update: Update, context: Context) -> int | None:
    """Before a step handles typed text: the question whose keyboard it may answer."""
    data = context.chat_data
    if data is None:
        return None
    data[_REPLIED] = False
    value = data.get(_OPEN_KEYBOARD)
    return value if isinstance(value, int) else None


def keep_question_open(context: Context) -> None:
    """The step handed the text on (to the FAQ): its question still waits for an answer."""
    if context.chat_data is not None:
        context.chat_data[_REPLIED] = False


async def close_answered_keyboard(update: Update, context: Context, question: int | None) -> None:
    """After a step handled typed text: if the bot answered, the earlier question's buttons
    are closed, as a tap would have closed them (a new question has its own buttons)."""
    data, chat = context.chat_data, update.effective_chat
    if question is None or data is None or chat is None or not data.get(_REPLIED):
        return
    if data.get(_OPEN_KEYBOARD) == question:
        data.pop(_OPEN_KEYBOARD, None)
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_reply_markup(chat.id, question, reply_markup=None)


async def edit_or_reply(
    update: Update,
    context: Context,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    html_mode: bool = False,
) -> None:
    """After a button press, replace the pressed message so the chat stays tidy."""
    await ensure_claimed(context)
    query = update.callback_query
    if query is not None and query.message is not None and len(text) <= 4096:
        try:
            await query.edit_message_text(
                text, reply_markup=markup, parse_mode="HTML" if html_mode else None
            )
            _remember_reply(context, query.message.message_id if markup is not None else None)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            if "can't be edited" not in str(exc).lower() and "not found" not in str(exc).lower():
                raise
    await reply(update, context, text, markup, html_mode=html_mode)


async def edit_buttons(
    update: Update, context: Context, markup: InlineKeyboardMarkup | None
) -> None:
    """Change only the pressed message's buttons; a message that is gone stays gone."""
    await ensure_claimed(context)
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as exc:
        text = str(exc).lower()
        if not any(known in text for known in ("not modified", "can't be edited", "not found")):
            raise


async def edit_earlier(update: Update, context: Context, item: Reply) -> None:
    """Edit an earlier message of the chat (``item.earlier``), e.g. the pain question a typed
    score answered. Cosmetic: whatever Telegram says (gone, too old, unreachable), the chat
    goes on, and what the use case saved is already committed."""
    chat = update.effective_chat
    if chat is None or item.earlier is None:
        return
    await ensure_claimed(context)
    markup = markup_for(item.buttons)
    try:
        if item.buttons_only:
            await context.bot.edit_message_reply_markup(chat.id, item.earlier, reply_markup=markup)
        else:
            await context.bot.edit_message_text(
                item.text, chat.id, item.earlier, reply_markup=markup
            )
    except TelegramError as exc:
        log.info("earlier message left as it was", extra={"error": type(exc).__name__})
        return
    data = context.chat_data
    if markup is None and data is not None and data.get(_OPEN_KEYBOARD) == item.earlier:
        data.pop(_OPEN_KEYBOARD, None)  # its keyboard is closed now


async def answer_query(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Every button press must be answered once, or the user's client shows a spinner."""
    query = update.callback_query
    claim = current_claim.get()
    if query is None or (claim is not None and claim.duplicate):
        return  # a redelivered press: the first delivery answered it
    # Too old or already answered: nothing useful to do for the user.
    with contextlib.suppress(BadRequest):
        await query.answer(text, show_alert=alert)


ButtonAction = Callable[[Update, Context, list[str]], Awaitable[str | None]]


def button_handler(
    handle: ButtonAction,
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """A CallbackQueryHandler callback from a function of the callback data's ``:`` parts.

    ``handle`` returns an optional toast; the press is answered exactly once whatever
    happens (even if ``handle`` raises), so the user's client never keeps spinning.
    """

    async def on_callback(update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or query.data is None or update.effective_user is None:
            return
        toast: str | None = None
        try:
            decoded = callbacks.decode(query.data)  # the handler's pattern matched its family
            toast = await handle(update, context, [decoded.family.value, *decoded.parts])
        finally:
            await answer_query(update, toast)

    return on_callback


def markup_for(buttons: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    return keyboard(buttons) if buttons else None


async def render(update: Update, context: Context, outcome: Outcome) -> None:
    """Send a use case's replies in order (editing the pressed message where asked)."""
    await ensure_claimed(context)
    for item in outcome.replies:
        markup = markup_for(item.buttons)
        if item.earlier is not None:
            await edit_earlier(update, context, item)
        elif item.document is not None:
            await _send_document(update, context, item)
        elif item.request_location is not None or item.remove_keyboard:
            await _send_with_reply_keyboard(update, context, item)
        elif item.buttons_only:
            await edit_buttons(update, context, markup)
        elif item.edit:
            await edit_or_reply(update, context, item.text, markup)
        else:
            await reply(update, context, item.text, markup)
    if outcome.attachment is not None:
        await _send_attachment(update, context, outcome.attachment)


async def _send_attachment(update: Update, context: Context, item: Attachment) -> None:
    """'Sending a photo…' in the chat header while it renders: the wait feels intentional."""
    chat = update.effective_chat
    if chat is None:
        return
    photo = item.kind == "photo"
    await context.bot.send_chat_action(
        chat.id, ChatAction.UPLOAD_PHOTO if photo else ChatAction.UPLOAD_DOCUMENT
    )
    data = InputFile(await item.render(), filename=item.filename)
    send = context.bot.send_photo if photo else context.bot.send_document
    await send(chat.id, data, caption=item.caption or None, reply_markup=markup_for(item.buttons))


async def _send_document(update: Update, context: Context, item: Reply) -> None:
    chat = update.effective_chat
    if chat is None or item.document is None:
        return
    await context.bot.send_document(
        chat.id,
        item.document.content,
        filename=item.document.filename,
        caption=item.text or None,
        reply_markup=markup_for(item.buttons),
    )


async def _send_with_reply_keyboard(update: Update, context: Context, item: Reply) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove
    if item.request_location is not None:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(item.request_location, request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    else:
        markup = ReplyKeyboardRemove()
    await context.bot.send_message(chat.id, item.text, reply_markup=markup)


async def faq_ready_for(context: Context, text: str | None, *, at_a_step: bool = False) -> FaqIndex:
    """The FAQ index with this typed text already embedded, for a use case that may answer it
    as a question. Both slow parts happen in worker threads before the use case's transaction
    opens: building the index (while the start-up warm-up still runs) and the transformer's
    embedding of the text; the event loop and the database wait on neither. ``at_a_step``:
    a step answers only what ``is_question`` calls a question, so only that is embedded (a
    typed time or exercise name costs no transformer run)."""
    index = await services(context).faq_index()
    if text and (not at_a_step or is_question(text)):
        await faq.prepare(index, text)
    return index


async def run_use_case(
    context: Context, use_case: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
) -> T:
    """Run one use case in its own short transaction and return its outcome.

    The session is committed and closed before the handler renders anything, so no database
    lock is ever held across a Telegram call. ``use_case(session, *args, **kwargs)``. The
    update's first use case also claims the update in this same transaction (exactly once,
    atomic with its effects); a redelivered update stops here, having changed nothing.
    """
    svc = services(context)
    claim = current_claim.get()
    if claim is not None and claim.duplicate:
        raise ApplicationHandlerStop
    async with svc.sessions() as session:
        if claim is not None and not claim.taken:
            first = await claim_in(session, claim.update_id, svc.clock.now())
            if not first:
                await session.rollback()
                claim.taken = True
                _drop_duplicate(context, claim)
        outcome = await use_case(session, *args, **kwargs)
        await session.commit()
    if claim is not None:
        claim.taken = True
    return outcome
