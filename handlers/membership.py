"""Blocking and unblocking: Telegram tells us through ``my_chat_member`` updates.

A blocked user is marked ``blocked`` and nothing stays scheduled for them. On unblocking they
come back to the state they were in: still onboarding, paused if a pause still covers today,
otherwise active with a fresh schedule. That state is derived from what we already store
(``onboarded_at``, ``paused_until`` and the ``pauses`` table), so no extra column is needed.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler

from bot.services.membership import block_user, restore_user
from bot.services.users import get_user
from handlers.common import Context, services

log = logging.getLogger(__name__)

GONE = {ChatMember.BANNED, ChatMember.LEFT}


async def on_my_chat_member(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private" or update.effective_user is None:
        return
    svc = services(context)
    now = svc.clock.now()
    blocked = change.new_chat_member.status in GONE
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        if user is None:
            return  # never seen, or erased: nothing to store
        if blocked and user.status != "blocked":
            await block_user(session, user, now)
            log.info("user blocked the bot", extra={"user_id": user.id})
        elif not blocked and user.status == "blocked":
            await restore_user(session, user, now, svc.settings)
            log.info("user unblocked the bot", extra={"user_id": user.id})
        await session.commit()


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
