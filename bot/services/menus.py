"""A menu of buttons that also takes its choices typed: the buttons a message offered are
kept as the user's step (flow and the buttons' labels and data, in the ``dialogs`` table), so
a label typed as it reads, its number or an obvious short form works as the tap
(``bot.domain.parsing.read_menu_choice``). Anything else closes the menu and is handed back,
for wherever it would have gone with no menu open (the router's typed answers, then the FAQ).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.parsing import read_menu_choice
from bot.services.dialogs import clear_dialog, get_dialog, set_dialog
from bot.services.users import get_user

MENU_STEP = "menu"
MENU_OPEN_FOR = timedelta(minutes=30)
"""A menu left longer than this is closed: a "2" typed hours later is not its second button."""


async def offer_menu(
    session: AsyncSession,
    user_id: int,
    flow: str,
    buttons: Sequence[Sequence[tuple[str, str]]],
    now: datetime,
) -> None:
    """Keep the buttons just shown (rows of (label, callback data)) as the user's step."""
    choices = [[label, data] for row in buttons for label, data in row]
    await set_dialog(session, user_id, flow, MENU_STEP, {"choices": choices}, now)


async def typed_menu_choice(
    session: AsyncSession, telegram_id: int, flow: str, text: str | None, now: datetime
) -> str | None:
    """The callback data of the button typed ``text`` picks from the open menu of ``flow``;
    the menu closes either way (the choice's own use case may open the next step). None:
    no menu of ``flow`` is open (or it was shown more than ``MENU_OPEN_FOR`` ago), or the
    text picks none of its buttons."""
    user = await get_user(session, telegram_id)
    dialog = await get_dialog(session, user.id) if user is not None else None
    if user is None or dialog is None or dialog.flow != flow:
        return None
    await clear_dialog(session, user.id)
    shown = dialog.updated_at
    shown = shown if shown.tzinfo is not None else shown.replace(tzinfo=UTC)
    if now - shown > MENU_OPEN_FOR:
        return None
    raw = dialog.data.get("choices") if isinstance(dialog.data, dict) else None
    labels = {
        str(data): str(label)
        for label, data in (raw if isinstance(raw, list) else [])
        if isinstance(label, str) and isinstance(data, str)
    }
    return read_menu_choice(text, labels)
