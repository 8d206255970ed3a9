"""Adaptive nudge triggers: events in a user's rehab that call for a particular nudge.

Called by the check-in handlers and the dispatcher; each trigger plans at most one nudge row
(``kind = nudge``, one per local day), so the "at most one nudge a day" rule holds by
construction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, User


async def on_checkin(session: AsyncSession, user: User, checkin: CheckIn, now: datetime) -> None:
    """A check-in with its pain score was recorded (pain flare, milestones)."""
    return None


async def on_morning_response(
    session: AsyncSession, user: User, checkin: CheckIn, now: datetime
) -> None:
    """The user answered the next-morning question ("worse" is a pain flare)."""
    return None
