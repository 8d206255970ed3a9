"""Blocking and unblocking: Telegram tells us through ``my_chat_member`` updates.

A thin adapter: it reads whether the bot was blocked or unblocked in a private chat and hands
that to ``bot.services.membership.chat_member_changed``, the one home of what a block (or a
return) changes: a blocked user is marked ``blocked`` and nothing stays scheduled for them; on
unblocking they come back to the state they were in.
"""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler

from bot.services.membership import chat_member_changed
from handlers.common import Context, render, run_use_case, services

GONE = {ChatMember.BANNED, ChatMember.LEFT}


async def on_my_chat_member(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private" or update.effective_user is None:
        return
    svc = services(context)
    outcome = await run_use_case(
        context,
        chat_member_changed,
        update.effective_user.id,
        change.new_chat_member.status in GONE,
        svc.clock.now(),
        svc.settings,
    )
    await render(update, context, outcome)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
