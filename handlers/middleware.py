"""Runs before every other handler: names the update in the logs and drops redeliveries.

Every update is first cleaned (``clean_update``): text that PostgreSQL or UTF-8 cannot take
(NUL, lone surrogates) never reaches a handler, so what is stored is the cleaned text.

Whether a delivery is the one to handle its update is decided in ``bot.services.activity``
(see its docstring: first delivery wins, an abandoned one is taken over). This adapter asks it
before every update and stops a true duplicate here; ``FinishingApplication`` marks the update
finished when the application has run every handler for it, whether they succeeded or the
error handler apologised.

A handler that raised is not retried by a redelivery: it ran to its end, and a check-in
recorded twice or a red-flag reply sent twice is worse than one apology. If the database
cannot be reached the update is let through (fail open): the handlers meet the same outage and
the error handler apologises once, instead of the user hearing nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.domain.textnorm import clean_payload
from bot.logs import correlation_id
from bot.services.activity import claim_update, finish_update
from handlers.common import Context, services

log = logging.getLogger(__name__)

GROUP = -100  # lower groups run first; every feature handler lives in group >= 0
_LAST_PRUNE = "middleware_last_prune"


async def before_every_update(update: Update, context: Context) -> None:
    correlation_id.set(f"u{update.update_id}")
    svc = services(context)
    bot_data = context.application.bot_data
    last_prune: datetime | None = bot_data.get(_LAST_PRUNE)
    try:
        claim = await claim_update(svc.engine, update.update_id, svc.clock.now(), last_prune)
    except Exception:
        log.warning(
            "could not record the update id; handling it anyway",
            exc_info=True,
            extra={"update_id": update.update_id},
        )
        svc.metrics.inc("dedupe_errors")
        return
    bot_data[_LAST_PRUNE] = claim.last_prune
    if not claim.first:
        svc.metrics.inc("duplicate_updates")
        log.info("ignored a redelivered update", extra={"update_id": update.update_id})
        raise ApplicationHandlerStop
    owned = getattr(context.application, "owned_updates", None)
    if owned is not None:
        owned.add(update.update_id)


def clean_update(update: Update, bot: Any) -> Update:
    """The update every handler sees: no NUL and no lone surrogate in any text (message
    text, captions, names, callback data, ...), so nothing stored or encoded can fail on it.
    Every update, polled, from the webhook or from a test, enters through
    ``FinishingApplication.process_update``, so this is the one place it is done."""
    raw = update.to_dict()
    cleaned = clean_payload(raw)
    if cleaned == raw:
        return update
    assert isinstance(cleaned, dict)
    return Update.de_json(cleaned, bot)


class FinishingApplication(Application):  # type: ignore[type-arg]
    """PTB's Application, plus one step after every handler has run for an update: mark it
    finished, so that only a delivery whose process died half-way is ever handled again."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owned_updates: set[int] = set()

    async def process_update(self, update: object) -> None:
        if isinstance(update, Update):
            update = clean_update(update, self.bot)
        await super().process_update(update)
        if not isinstance(update, Update) or update.update_id not in self.owned_updates:
            return
        self.owned_updates.discard(update.update_id)
        svc = self.bot_data["services"]
        try:
            await finish_update(svc.engine, update.update_id, svc.clock.now())
        except Exception:
            # Left unfinished: a redelivery after ABANDONED would be handled again. Telegram
            # redelivers only what it thinks was not handled, so this is rare and logged.
            log.warning(
                "could not mark an update finished",
                exc_info=True,
                extra={"update_id": update.update_id},
            )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, before_every_update), group=GROUP)
