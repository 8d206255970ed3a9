"""/export and /delete: the user's copy of everything we hold, and erasure of all of it.

Deletion needs a second, explicit tap; the button carries the time it was offered so an old
confirmation scrolled up days later cannot erase anything by accident.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.services.data_rights import delete_user, export_user
from bot.services.users import get_user
from handlers.common import (
    Context,
    button_handler,
    edit_or_reply,
    keyboard,
    reply,
    services,
)
from handlers.onboarding_text import button, t

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 15 * 60


async def export_command(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    chat = update.effective_chat
    if tg_user is None or chat is None:
        return
    async with services(context).sessions() as session:
        user = await get_user(session, tg_user.id)
        if user is None:
            await reply(update, context, t("export.nothing"))
            return
        json_bytes, csv_bytes = await export_user(session, user.id)
        user_id = user.id
    await context.bot.send_document(
        chat.id, json_bytes, filename="pt-coach-data.json", caption=t("export.caption_json")
    )
    await context.bot.send_document(
        chat.id, csv_bytes, filename="pt-coach-checkins.csv", caption=t("export.caption_csv")
    )
    await reply(update, context, t("export.sent"))
    log.info("data exported", extra={"user_id": user_id})


async def delete_command(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        return
    svc = services(context)
    async with svc.sessions() as session:
        user = await get_user(session, tg_user.id)
    if user is None:
        await reply(update, context, t("delete.nothing"))
        return
    stamp = int(svc.clock.now().timestamp())
    await reply(
        update,
        context,
        t("delete.confirm"),
        keyboard([[(button("delete_yes"), f"dr:del:{stamp}")], [(button("delete_no"), "dr:keep")]]),
    )


async def _handle(update: Update, context: Context, parts: list[str]) -> str | None:
    assert update.effective_user is not None
    svc = services(context)
    if parts[1:2] == ["keep"]:
        await edit_or_reply(update, context, t("delete.kept"))
        return None
    if parts[1:2] != ["del"] or len(parts) < 3 or not parts[2].isdigit():
        return t("common.stale")
    age = svc.clock.now().timestamp() - int(parts[2])
    if not 0 <= age <= CONFIRM_SECONDS:
        await edit_or_reply(update, context, t("delete.expired"))
        return None
    async with svc.sessions() as session:
        user = await get_user(session, update.effective_user.id)
        if user is None:
            await edit_or_reply(update, context, t("delete.nothing"))
            return None
        user_id = user.id
        await delete_user(session, user_id)
        await session.commit()
    log.info("user data erased", extra={"user_id": user_id})
    await edit_or_reply(update, context, t("delete.done"))
    return None


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CommandHandler("delete", delete_command))
    app.add_handler(CallbackQueryHandler(button_handler(_handle), pattern=r"^dr:"))
