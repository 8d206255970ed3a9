"""Where a user is in a multi-step conversation, kept in the database.

Reading the step from the database on every update (rather than PTB's in-memory
ConversationHandler) is what lets a restart, or a second bot instance, carry on exactly where
the user was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Dialog


async def get_dialog(session: AsyncSession, user_id: int) -> Dialog | None:
    return (
        await session.execute(select(Dialog).where(Dialog.user_id == user_id))
    ).scalar_one_or_none()


async def set_dialog(
    session: AsyncSession,
    user_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> Dialog:
    dialog = await get_dialog(session, user_id)
    if dialog is None:
        dialog = Dialog(user_id=user_id, flow=flow, step=step, data=dict(data), updated_at=now)
        session.add(dialog)
    else:
        dialog.flow, dialog.step, dialog.updated_at = flow, step, now
        dialog.data = dict(data)  # a new dict, so SQLAlchemy sees the JSON change
    await session.flush()
    return dialog


async def clear_dialog(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(Dialog).where(Dialog.user_id == user_id))
