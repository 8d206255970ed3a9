"""Every feature lives in the user's private chat with the bot, and nowhere else.

Health data (the injury, the plan, pain scores, the PT report, the export) must never be
posted where other people can read it, and one user's button must never act on another
user's data. This guard runs before every feature, right after the redelivery check, and
stops any update that is not one person talking to the bot in their own private chat:

* a command in a group or channel gets one short "message me privately" answer that names
  nothing about anyone, and nothing else happens;
* a button pressed anywhere but on a message in the presser's own private chat (a group
  message, or forged callback data carrying someone else's message) is answered so the
  spinner stops, and changes nothing;
* anything else from a group (ordinary chatter, service messages) is ignored, and so is
  anything with no person behind it (a channel post, a message without a sender): there is
  nobody to answer, and no feature ever sees an update without ``effective_user``.

Membership changes (``my_chat_member``) pass: being added to or removed from a group is
handled by the membership feature, which itself only acts on private chats.
"""

from __future__ import annotations

import contextlib

from telegram import ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.domain.wording import say
from handlers.common import Context, answer_query, ensure_claimed, services

GROUP = -90
"""After the redelivery check (-100), before the edit triage (-10) and every feature (>= 0)."""


def _is_private_conversation(update: Update) -> bool:
    """One person, in their own private chat with the bot."""
    chat, person = update.effective_chat, update.effective_user
    if chat is None or person is None or chat.type != ChatType.PRIVATE:
        return False
    # In a private chat the chat id is the user's id; anything else is forged or stale.
    return chat.id == person.id


async def only_in_private(update: Update, context: Context) -> None:
    if update.my_chat_member is not None or _is_private_conversation(update):
        return
    svc = services(context)
    svc.metrics.ignored_update("non_private")
    query = update.callback_query
    if query is not None:
        chat = update.effective_chat
        in_group = chat is not None and chat.type != ChatType.PRIVATE
        await answer_query(
            update, say("fallback.private_only" if in_group else "fallback.not_yours"), alert=True
        )
        raise ApplicationHandlerStop
    message = update.message
    if (
        update.effective_user is not None
        and message is not None
        and message.text is not None
        and message.text.startswith("/")
        and update.effective_chat is not None
    ):
        # Best effort: a group that muted the bot must not turn into an error apology.
        await ensure_claimed(context)
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(
                update.effective_chat.id,
                say("fallback.private_only"),
                reply_parameters=ReplyParameters(
                    message.message_id, allow_sending_without_reply=True
                ),
            )
    raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, only_in_private), group=GROUP)
