"""Opening today's check-in on request (/checkin, the "Check in" button after /start)."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.content import load_checkin_text
from bot.domain.enums import CheckInStatus
from bot.services import checkins, safety
from bot.services.context import Readiness, load, not_ready_text
from bot.services.outcome import Outcome
from bot.services.outgoing_checkin import checkin_buttons, day_code, prompt_text


async def open_checkin(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    """Today's check-in question with its buttons, or "already logged: update or keep?"."""
    ctx = await load(session, telegram_id, now)
    if ctx is None or not ctx.ready:
        return Outcome.say(not_ready_text(ctx.readiness if ctx else Readiness.UNKNOWN))
    hold = safety.hold_reply(ctx.safety)
    if hold is not None and ctx.safety.on_hold:
        return Outcome((hold,))  # no exercise question during a hold: why, and how it ends
    text = load_checkin_text()
    rng = random.Random()
    existing = await checkins.get_checkin(session, ctx.user.id, ctx.today)
    if existing is not None and existing.status != CheckInStatus.MISSED:
        d = day_code(ctx.today)
        return Outcome.say(
            text.render("already_today", rng),
            (
                (
                    (text.button("update_today"), encode(ButtonFamily.CHECKIN, d, "upd")),
                    (text.button("keep_today"), encode(ButtonFamily.CHECKIN, d, "keep")),
                ),
            ),
        )
    prompt = prompt_text(rng, ctx.user.first_name, ctx.rehab_day, ctx.injury_area)
    return Outcome.say(prompt, checkin_buttons(ctx.today))
