"""/pause [N days | until date] and /resume: no reminders or nudges while paused.

A pause is a ``Pause`` row as well as a status, so its days never count as missed; a pause
with an end date ends by itself (the dispatcher calls ``resume_user`` the next local day).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.domain.parsing import InputError, parse_pause
from bot.services.context import today_of
from bot.services.pausing import pause_user, resume_user
from bot.services.profile import next_checkin_due
from bot.services.users import get_user
from handlers.common import Context, reply, services
from handlers.onboarding_text import describe_when, human_date, t

log = logging.getLogger(__name__)


async def pause_command(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    svc = services(context)
    now = svc.clock.now()
    async with svc.sessions() as session:
        user = await get_user(session, tg_user.id)
        if user is None or user.status in ("onboarding",):
            await reply(update, context, t("pause.not_active"))
            return
        today = today_of(user, now)
        try:
            resume_on = parse_pause(" ".join(context.args or []), today)
        except InputError as exc:
            await reply(update, context, exc.message)
            return
        until = resume_on - timedelta(days=1) if resume_on is not None else None
        await pause_user(session, user, until, now, svc.settings)
        await session.commit()
        log.info("user paused", extra={"user_id": user.id})
    if resume_on is None or until is None:
        await reply(update, context, t("pause.paused_open"))
    else:
        await reply(
            update,
            context,
            t("pause.paused_until", date=human_date(until), resume=human_date(resume_on)),
        )


async def resume_command(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    svc = services(context)
    now = svc.clock.now()
    async with svc.sessions() as session:
        user = await get_user(session, tg_user.id)
        if user is None or user.status == "onboarding":
            await reply(update, context, t("pause.not_active"))
            return
        zone = user.timezone or svc.settings.schedule.default_timezone
        if user.status != "paused":
            due = await next_checkin_due(session, user.id)
            await reply(
                update, context, t("pause.already_active", when=describe_when(due, zone, now))
            )
            return
        await resume_user(session, user, now, svc.settings)
        due = await next_checkin_due(session, user.id)
        await session.commit()
        log.info("user resumed", extra={"user_id": user.id})
    await reply(update, context, t("pause.resumed", when=describe_when(due, zone, now)))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("pause", pause_command))
    app.add_handler(CommandHandler("resume", resume_command))
