"""The scheduled morning-after question of a logged run: better, same or worse?

Planned by ``bot.services.return_to_run.log_run`` for half an hour after the user's quiet
hours end on the next day. Whether it may go out (quiet hours, a safety hold) is the
dispatcher's one gate (``bot.domain.dispatch_policy``, ``bot.domain.safety``); here it only
checks that the run still waits for its morning answer.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.db.models import RehabProfile, RunLog
from bot.domain.enums import MessageStatus
from bot.domain.kinds import MessageKind
from bot.domain.return_to_run import Move, load_ladder
from bot.services.outgoing import Outgoing, SendContext, Skip, register_kind
from bot.services.return_to_run import morning_buttons


class RunMorningKind:
    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        about = date.fromisoformat(str(ctx.row.payload.get("about")))
        profile = await ctx.session.get(RehabProfile, ctx.user.id)
        run = (
            await ctx.session.execute(
                select(RunLog).where(RunLog.user_id == ctx.user.id, RunLog.local_date == about)
            )
        ).scalar_one_or_none()
        if profile is None or not profile.returning_to_run or run is None:
            return Skip(MessageStatus.SKIPPED, "no run to ask about")
        if run.decision != Move.WAIT:
            return Skip(MessageStatus.SKIPPED, "already answered")
        return Outgoing(load_ladder().text("morning_ask"), morning_buttons(about))

    async def after_sent(self, ctx: SendContext) -> None:
        return None

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        return None


register_kind(MessageKind.RUN_MORNING, RunMorningKind())
