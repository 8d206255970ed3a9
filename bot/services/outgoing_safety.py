"""The safety follow-up: "were you able to see someone?", a day or two after a hold began.

It is the only message besides PT appointment reminders that a user on hold receives (see
``bot.domain.safety``); it stops once the user answers that a clinician has seen them, or
after ``FOLLOWUP_MAX`` attempts.
"""

from __future__ import annotations

from bot.domain.enums import MessageStatus
from bot.domain.kinds import MessageKind
from bot.services import safety
from bot.services.outgoing import Outgoing, SendContext, Skip, register_kind


class SafetyFollowupKind:
    async def prepare(self, ctx: SendContext) -> Outgoing | Skip:
        message = safety.followup_message(ctx.user)
        if message is None:
            return Skip(MessageStatus.SKIPPED, "no hold any more")
        text, buttons = message
        return Outgoing(text, buttons)

    async def after_sent(self, ctx: SendContext) -> None:
        await safety.followup_sent(ctx.session, ctx.user, ctx.now)

    async def after_skip(self, ctx: SendContext, skip: Skip) -> None:
        return None


register_kind(MessageKind.SAFETY_FOLLOWUP, SafetyFollowupKind())
