"""Where a user is in a multi-step conversation, kept in the database.

Reading the step from the database on every update (rather than PTB's in-memory
ConversationHandler) is what lets a restart, or a second bot instance, carry on exactly where
the user was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Dialog, User
from bot.db.upsert import dialect_name, insert_for


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
    """Put the user at ``flow``/``step`` (one upsert; the user has at most one step)."""
    await session.flush()  # rows this one refers to (a new user) must exist first
    params = {
        "p_user_id": user_id,
        "p_flow": flow,
        "p_step": step,
        "p_data": dict(data),
        "p_updated_at": now,
    }
    result = await session.execute(
        _set_dialog_statement(dialect_name(session)),
        params,
        execution_options={"populate_existing": True},
    )
    dialog: Dialog = result.scalar_one()
    return dialog


@cache
def _set_dialog_statement(dialect: str) -> Any:
    values: dict[str, Any] = {
        name: bindparam(f"p_{name}") for name in ("flow", "step", "data", "updated_at")
    }
    return (
        insert_for(dialect)(Dialog)
        .values(user_id=bindparam("p_user_id"), **values)
        .on_conflict_do_update(index_elements=["user_id"], set_=values)
        .returning(Dialog)
    )


async def clear_dialog(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(Dialog).where(Dialog.user_id == user_id))


@dataclass(frozen=True)
class DialogState:
    """A snapshot of the step a user is in, as plain values: what the router hands a flow,
    after its transaction has closed. Each flow reads ``data`` into its own typed step."""

    user_id: int
    telegram_id: int
    flow: str
    step: str
    data: Mapping[str, Any]


async def current_state(session: AsyncSession, telegram_id: int) -> DialogState | None:
    row = (
        await session.execute(
            select(Dialog, User.telegram_id)
            .join(User, User.id == Dialog.user_id)
            .where(User.telegram_id == telegram_id)
        )
    ).first()
    if row is None:
        return None
    dialog, tg_id = row
    return DialogState(dialog.user_id, int(tg_id), dialog.flow, dialog.step, dict(dialog.data))
