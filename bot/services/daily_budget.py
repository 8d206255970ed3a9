"""Applying the daily budget of proactive messages (the rule: ``dispatch_policy``).

Called by the outbox for every row the budget counts, once the gate let it through: it
counts what the user already received today and what outranks it later today, and refuses
the row when one more would be too many. The kind then defers or drops it (``after_skip``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ScheduledMessage, User
from bot.domain.dispatch_policy import BUDGET_REASON, Refusal, over_budget, proactive_rank
from bot.domain.enums import MessageStatus
from bot.domain.kinds import MessageKind
from bot.domain.timing import local_date, start_of_local_day

BUDGETED_KINDS = tuple(k for k in MessageKind if proactive_rank(k) is not None)


def row_rank(row: ScheduledMessage) -> int | None:
    return proactive_rank(row.kind, (row.payload or {}).get("trigger"))


async def budget_refusal(
    session: AsyncSession, row: ScheduledMessage, user: User, now: datetime, budget: int
) -> Refusal | None:
    """None when ``row`` fits in today's budget; otherwise why it is held back."""
    rank = row_rank(row)
    if rank is None or not user.timezone:
        return None
    today = local_date(now, user.timezone)
    start = start_of_local_day(today, user.timezone)
    end = start_of_local_day(today + timedelta(days=1), user.timezone)
    others = (
        await session.execute(
            select(ScheduledMessage).where(
                ScheduledMessage.user_id == user.id,
                ScheduledMessage.kind.in_(BUDGETED_KINDS),
                ScheduledMessage.id != row.id,
                ScheduledMessage.status.in_(
                    (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.PENDING)
                ),
                ScheduledMessage.due_at >= start,
                ScheduledMessage.due_at < end,
            )
        )
    ).scalars()
    earlier = outranking = 0
    for other in others:
        other_rank = row_rank(other)
        if other_rank is None:
            continue
        if other.status == MessageStatus.SENT:
            earlier += 1
        elif other.status == MessageStatus.SENDING:
            # Claimed in the same batch: the higher rank (then the older row) goes first.
            if (other_rank, -other.id) > (rank, -row.id):
                earlier += 1
        elif other_rank > rank:
            outranking += 1
    if over_budget(earlier, outranking, budget):
        return Refusal(MessageStatus.SKIPPED, BUDGET_REASON)
    return None
