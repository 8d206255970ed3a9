"""The last line of defence: log the failure with context, apologise, keep running.

Telegram being unreachable is not a bug: a failed long poll (no update) is logged once per
outage, at WARNING, as network trouble and without a traceback; the next one is logged only
after ``NETWORK_QUIET`` seconds without such failures. A database outage reaches this handler
only after ``bot.outage_retry`` has retried the update for ``database.outage_retry_seconds``.
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, ApplicationHandlerStop

from bot.domain.wording import say
from bot.logs import scrub
from handlers.common import Context, ensure_claimed, services

log = logging.getLogger(__name__)

NETWORK_QUIET = 300.0  # seconds without a failed poll before the next one is logged again
_LAST_NETWORK = "errors_last_network_failure"


def _network_trouble(update: object, error: BaseException | None, context: Context) -> bool:
    """Log a failed poll (or a send outside any update) once per outage; True if it was one."""
    if update is not None or not isinstance(error, NetworkError | RetryAfter):
        return False
    bot_data = context.application.bot_data
    now = time.monotonic()
    last: float | None = bot_data.get(_LAST_NETWORK)
    bot_data[_LAST_NETWORK] = now
    services(context).metrics.error("network")
    if last is None or now - last > NETWORK_QUIET:
        log.warning(
            "Telegram unreachable (%s: %s); retrying quietly until it answers",
            type(error).__name__,
            scrub(str(error))[:200],
        )
    return True


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if _network_trouble(update, error, context):
        return
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
    services(context).metrics.error("handler")
    if chat_id is None or isinstance(error, NetworkError | RetryAfter):
        return
    try:
        await ensure_claimed(context)  # a redelivery of this update will not run it again
    except ApplicationHandlerStop:
        return  # this was itself a redelivery: the first one apologised
    try:
        await context.bot.send_message(chat_id, say("fallback.error"))
    except Exception:  # the apology itself failed: the log line above is all we can do
        log.warning("could not tell the user about the failure", extra={"chat_id": chat_id})


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(on_error)
