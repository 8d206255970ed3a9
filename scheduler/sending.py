"""One scheduled message out to Telegram, at the least cost per message.

The dispatcher needs a single thing back from a send: the message id, to record it. PTB's
``Bot.send_message`` turns every reply into a full ``telegram.Message`` object, which with a
zero-latency transport was about 45 % of the cost of a send (py-spy over
``bench/dispatch_bench.py``), and serialises the keyboard again for every user, although a
whole day's check-ins share one. So text messages go through ``Bot.do_api_request``, PTB's
public entry point for a raw Bot API call: the same request object, rate limiter, timeouts and
error mapping (``RetryAfter``, ``Forbidden``, ``BadRequest``, ``TimedOut``...), but the reply
stays a plain dict. Photos (the weekly chart, a few per user per week) keep the typed method.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.warnings import PTBUserWarning

from bot.services.outcome import ButtonRows
from bot.services.outgoing import Outgoing

# do_api_request warns when a typed method exists for the endpoint; here the raw call is the
# point. Only this one notice is silenced.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)


@lru_cache(maxsize=256)
def keyboard(buttons: ButtonRows) -> InlineKeyboardMarkup:
    """Built once per distinct keyboard (PTB's Telegram objects are immutable, so sharing one
    between sends is safe)."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


@lru_cache(maxsize=256)
def _keyboard_json(buttons: ButtonRows) -> dict[str, Any]:
    """The keyboard as Bot API JSON, built once; callers must treat it as read-only."""
    return keyboard(buttons).to_dict()


async def send(bot: Bot, chat_id: int, out: Outgoing, *, paid_broadcast: bool = False) -> int:
    """Send ``out`` to ``chat_id``; returns Telegram's message id. Raises PTB's errors.

    ``paid_broadcast``: Telegram's paid broadcast (above 30 messages a second, in Stars)."""
    if out.photo is not None:
        markup = keyboard(out.buttons) if out.buttons else None
        msg = await bot.send_photo(
            chat_id,
            out.photo,
            caption=out.text[:1024],
            reply_markup=markup,
            allow_paid_broadcast=paid_broadcast or None,
        )
        return msg.message_id
    params: dict[str, Any] = {"chat_id": chat_id, "text": out.text}
    if paid_broadcast:
        params["allow_paid_broadcast"] = True
    if out.buttons:
        params["reply_markup"] = _keyboard_json(out.buttons)
    result = await bot.do_api_request("sendMessage", api_kwargs=params)
    return int(result["message_id"])
