"""Triage of every typed message, before any step or feature sees it (the router's use case).

One short transaction: find the user, check the text for red flags, record a report. The
router renders the advice after this returns, so no transaction is open across Telegram.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import safety
from bot.services.outcome import Outcome
from bot.services.users import get_user


async def triage_text(
    session: AsyncSession,
    telegram_id: int,
    text: str,
    now: datetime,
    *,
    unless_reported: bool = False,
) -> Outcome | None:
    """The safety advice for ``text`` (and its report recorded), or None when it has no flag.

    ``unless_reported``: an edited message repeating words already reported makes no second
    report and no second reply.
    """
    user = await get_user(session, telegram_id)
    flagged = await safety.report_red_flag(
        session, user, text.strip(), now, unless_reported=unless_reported
    )
    return None if flagged is None else flagged.outcome
