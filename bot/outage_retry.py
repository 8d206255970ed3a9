"""Riding out a database outage inside one update, for a bounded time, before the apology.

Every handler callback is wrapped once, after all handlers are registered (``bot.app``). When
a callback meets a database outage (``bot.services.outage``), the wrapper waits (0.5 s,
doubling, at most 5 s between tries) and runs the callback again, until
``database.outage_retry_seconds`` have passed; then the error goes to the error handler,
which apologises. A retry repeats nothing the user saw when, as the architecture asks, the
handler's database work happens in one transaction (rolled back by the outage) before it
replies; a handler that wrote after replying would repeat that reply. A button press is
answered on every attempt; a second answer is refused by Telegram and ignored.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.services.container import Services
from bot.services.outage import is_database_outage

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 5.0

Callback = Callable[[Any, Any], Awaitable[Any]]


def retrying(callback: Callback, services: Services) -> Callback:
    budget = services.settings.database.outage_retry_seconds

    @functools.wraps(callback)
    async def wrapped(update: Any, context: Any) -> Any:
        deadline = time.monotonic() + budget
        delay = FIRST_DELAY
        while True:
            try:
                return await callback(update, context)
            except Exception as exc:
                if not is_database_outage(exc) or time.monotonic() + delay > deadline:
                    raise
                log.warning(
                    "database unavailable (%s); retrying the update in %.1f s",
                    type(exc).__name__,
                    delay,
                    extra={"update_id": getattr(update, "update_id", None)},
                )
                services.metrics.outage_retry()
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)

    return wrapped


def wrap_handlers(app: Any, services: Services) -> None:
    """Wrap every registered handler's callback (called once, after registration)."""
    if services.settings.database.outage_retry_seconds <= 0:
        return
    for handlers in app.handlers.values():
        for handler in handlers:
            callback = getattr(handler, "callback", None)
            if callback is not None and not getattr(callback, "_outage_retry", False):
                handler.callback = retrying(callback, services)
                handler.callback._outage_retry = True
