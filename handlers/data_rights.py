"""/export and /delete as a thin Telegram adapter over the use cases in
``bot.services.data_rights``: the user's copy of everything we hold, and erasure of all of it
(after a second, explicit tap that expires).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.services import data_rights as use_cases
from handlers.common import Context, button_handler, render, run_use_case, services
from handlers.router import register_typed_answer


async def export_command(update: Update, context: Context) -> None:
    if update.effective_user is None or update.effective_chat is None:
        return
    outcome = await run_use_case(context, use_cases.export_data, update.effective_user.id)
    await render(update, context, outcome)


async def delete_command(update: Update, context: Context) -> None:
    if update.effective_user is None:
        return
    outcome = await run_use_case(
        context, use_cases.offer_deletion, update.effective_user.id, services(context).clock.now()
    )
    await render(update, context, outcome)


async def _on_button(update: Update, context: Context, parts: list[str]) -> str | None:
    assert update.effective_user is not None
    outcome = await run_use_case(
        context,
        use_cases.confirm_deletion,
        update.effective_user.id,
        parts[1] if len(parts) > 1 else "",
        parts[2] if len(parts) > 2 else "",
        services(context).clock.now(),
    )
    await render(update, context, outcome)
    return outcome.toast


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CommandHandler("delete", delete_command))
    app.add_handler(CallbackQueryHandler(button_handler(_on_button), pattern=r"^dr:"))
    register_typed_answer("data_rights", use_cases.typed_deletion)
