"""Opening today's check-in on request (/checkin, the "Check in" button after /start)."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.callbacks import ButtonFamily, encode
from bot.domain.content import load_checkin_text, load_exercise_templates
from bot.services import checkins, safety
from bot.services.context import Readiness, load, not_ready_text
from bot.services.outcome import Outcome
from bot.services.outgoing_checkin import checkin_buttons, day_code


def _injury_phrase(area: str | None) -> str:
    if area is None:
        return "injury"
    try:
        return load_exercise_templates().area(area).phrase
    except KeyError:
        return "injury"


async def open_checkin(session: AsyncSession, telegram_id: int, now: datetime) -> Outcome:
    """Today's check-in question with its buttons, or "already logged: update or keep?"."""
    ctx = await load(session, telegram_id, now)
    if ctx is None or not ctx.ready:
        return Outcome.say(not_ready_text(Readiness.UNKNOWN))
    hold = safety.hold_reply(ctx.safety)
    if hold is not None and ctx.safety.on_hold:
        return Outcome((hold,))  # no exercise question during a hold: why, and how it ends
    text = load_checkin_text()
    rng = random.Random()
    existing = await checkins.get_checkin(session, ctx.user.id, ctx.today)
    if existing is not None and existing.status != "missed":
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
    prompt = text.render(
        "prompt",
        rng,
        first_name=ctx.user.first_name,
        day=ctx.rehab_day,
        injury=_injury_phrase(ctx.injury_area),
    )
    return Outcome.say(prompt, checkin_buttons(ctx.today))
