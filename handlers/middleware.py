"""Every update, first and last: its correlation id in the logs, and exactly-once handling.

Every update is first cleaned (``clean_update``): text that PostgreSQL or UTF-8 cannot take
(NUL, lone surrogates) never reaches a handler, so what is stored is the cleaned text.

``before_every_update`` names the update in the logs. ``ExactlyOnceApplication`` wraps the
handling of each update in an ``UpdateClaim`` (``handlers.common``): the update is claimed
in its first use case's transaction, or just before its first reply, and a redelivery stops
there (``bot.services.activity`` explains why the claim lives inside the transaction). An
update that sent nothing and ran no use case is claimed after its handlers, so a
redelivery of it is recognised too. Old update ids are forgotten once an hour.

A handler that raised is not retried by a redelivery: its apology claimed the update. A check-in
recorded twice or a red-flag reply sent twice is worse than one apology.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.domain.textnorm import clean_payload
from bot.logs import correlation_id
from bot.services.activity import PRUNE_EVERY, claim_update, forget_old_updates
from handlers.common import Context, UpdateClaim, current_claim

log = logging.getLogger(__name__)

GROUP = -100  # lower groups run first; every feature handler lives in group >= 0
_LAST_PRUNE = "middleware_last_prune"


async def before_every_update(update: Update, context: Context) -> None:
    correlation_id.set(f"u{update.update_id}")


def clean_update(update: Update, bot: Any) -> Update:
    """The update every handler sees: no NUL and no lone surrogate in any text (message
    text, captions, names, callback data, ...), so nothing stored or encoded can fail on it.
    Every update, polled, from the webhook or from a test, enters through
    ``ExactlyOnceApplication.process_update``, so this is the one place it is done."""
    raw = update.to_dict()
    cleaned = clean_payload(raw)
    if cleaned == raw:
        return update
    assert isinstance(cleaned, dict)
    return Update.de_json(cleaned, bot)


class ExactlyOnceApplication(Application):  # type: ignore[type-arg]
    """PTB's Application, with each update cleaned and handled inside its own
    ``UpdateClaim``."""

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        update = clean_update(update, self.bot)
        svc = self.bot_data["services"]
        claim = UpdateClaim(update.update_id)
        token = current_claim.set(claim)
        try:
            with svc.metrics.update_seconds.time():
                await super().process_update(update)
        finally:
            current_claim.reset(token)
        now: datetime = svc.clock.now()
        try:
            if not claim.taken:
                await claim_update(svc.engine, update.update_id, now)
            last: datetime | None = self.bot_data.get(_LAST_PRUNE)
            if last is None or now - last >= PRUNE_EVERY:
                self.bot_data[_LAST_PRUNE] = now
                await forget_old_updates(svc.engine, now)
        except Exception:
            log.warning(
                "could not record or prune handled updates",
                exc_info=True,
                extra={"update_id": update.update_id},
            )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, before_every_update), group=GROUP)
