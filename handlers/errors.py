"""The last line of defence: log the failure with context, apologise, keep running."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from handlers.common import Context, services

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on my side while handling that. Nothing you did caused it. "
    "Please try again in a moment; if it keeps happening, /help lists what I can do."
)


async def on_error(update: object, context: Context) -> None:
    error = context.error
    chat_id = (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    )
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("user blocked the bot while we replied", extra={"chat_id": chat_id})
        return
    # Deliberately no update text in the log: it may contain health details.
    log.error(
        "handler failed: %s",
        type(error).__name__,
        exc_info=error,
        extra={"update_id": update_id, "chat_id": chat_id},
    )
    services(context).metrics.inc("handler_errors")
    if chat_id is None or isinstance(error, NetworkError | RetryAfter):
        return
    try:
        await context.bot.send_message(chat_id, SORRY)
    except Exception:  # the apology itself failed: the log line above is all we can do
        log.warning("could not tell the user about the failure", extra={"chat_id": chat_id})


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(on_error)
