"""The outbox: every statement the dispatcher runs against ``scheduled_messages``.

The dispatcher (``scheduler.dispatcher``) owns the loop and the Telegram calls; this module
owns the rows: claiming due ones, deciding what each becomes (through the kinds in
``bot.services.outgoing`` and the rules in ``bot.domain.dispatch_policy``), recording what
Telegram accepted and settling what it refused. See the dispatcher's docstring for how these
steps together deliver each message exactly once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, RehabProfile, ScheduledMessage, User
from bot.domain.dispatch_policy import LEASE, Recipient, backoff, gate
from bot.domain.enums import MessageStatus, UserStatus
from bot.domain.timing import local_date, start_of_local_day
from bot.services.container import Services
from bot.services.daily_budget import budget_refusal, row_rank
from bot.services.membership import block_user
from bot.services.outgoing import KindHandler, Outgoing, SendContext, Skip, handler_for
from bot.services.pausing import resume_user
from bot.services.safety import state_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One prepared message: which row, to which chat, saying what."""

    row_id: int
    kind: str
    chat_id: int
    outgoing: Outgoing
    due_at: datetime | None = None
    """When the row was due: what "how late was it" is measured against."""


_SM = cast(Table, ScheduledMessage.__table__)
# Built once and sent as executemany: one row per parameter set. The row must still be ours:
# one reclaimed by another instance after LEASE is theirs now, and is left alone.
_MARK_SENT = (
    update(_SM)
    .where(
        _SM.c.id == bindparam("b_id"),
        _SM.c.status == MessageStatus.SENDING.value,
        _SM.c.claimed_by == bindparam("b_me"),
    )
    .values(
        status=MessageStatus.SENT.value,
        sent_at=bindparam("b_now"),
        telegram_message_id=bindparam("b_mid"),
    )
)


def _recipient(user: User) -> Recipient:
    return Recipient(user.status, user.timezone, user.quiet_start, user.quiet_end, state_of(user))


def plans_ahead(kind: str) -> bool:
    """Whether ``kind`` plans what follows it at claim time (see ``_plan_ahead``)."""
    return hasattr(handler_for(kind), "plan_ahead_batch")


async def _plan_ahead(ctxs: list[SendContext]) -> None:
    """Kinds whose successors do not depend on how the send ends (the daily check-in) plan
    them for the whole batch while it is prepared; their ``after_sent`` has nothing left to do.
    """
    by_kind: dict[str, list[SendContext]] = {}
    for ctx in ctxs:
        if plans_ahead(ctx.row.kind):
            by_kind.setdefault(ctx.row.kind, []).append(ctx)
    for kind, group in by_kind.items():
        await handler_for(kind).plan_ahead_batch(group)  # type: ignore[union-attr]


def _claimable(now: datetime) -> tuple[Any, Any]:
    """What a tick at ``now`` may claim: claims orphaned by a crash, then due rows."""
    sm = ScheduledMessage
    return (
        and_(sm.status == MessageStatus.SENDING, sm.claimed_at < now - LEASE),
        and_(sm.status == MessageStatus.PENDING, sm.due_at <= now),
    )


class Outbox:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings

    # --- claim ---------------------------------------------------------------------------

    async def claim(self, now: datetime) -> list[int]:
        """Claim up to ``batch_size`` rows: first any whose claim was orphaned by a crash,
        then the due ones, oldest first. Two statements, not one with an OR: each is then a
        range scan on ``(status, due_at)`` that stops after the batch, instead of sorting
        every due row of the table (tens of thousands at the top of a busy hour)."""
        sm = ScheduledMessage
        limit = self.settings.schedule.batch_size
        claimable = _claimable(now)
        rows: list[Any] = []
        async with self.services.sessions() as session:
            for due in claimable:
                if len(rows) >= limit:
                    break
                pick = (
                    select(sm.id)
                    .where(due)
                    .order_by(sm.due_at)
                    .limit(limit - len(rows))
                    .with_for_update(skip_locked=True)
                )
                claim = (
                    update(sm)
                    .where(sm.id.in_(pick.scalar_subquery()))
                    .values(
                        status=MessageStatus.SENDING.value,
                        claimed_by=self.services.instance_id,
                        claimed_at=now,
                        attempts=sm.attempts + 1,
                    )
                    .returning(sm.id, sm.due_at)
                    .execution_options(synchronize_session=False)
                )
                rows += (await session.execute(claim)).all()
            await session.commit()
        if rows:
            oldest = min(r.due_at for r in rows)
            self.services.metrics.tick_lag_seconds = max(0.0, (now - oldest).total_seconds())
        return [r.id for r in sorted(rows, key=lambda r: r.due_at)]

    async def next_work_at(self, now: datetime) -> datetime | None:
        """The earliest instant at which a tick could find work: a row falling due, an orphaned
        claim whose lease runs out, a pause ending. None when nothing is waiting at all.

        Ticks before it are no-ops, so a clock-driven caller may skip them (the test harness
        moves its fake clock straight there instead of ticking through quiet weeks). The rule
        for what is claimable is ``_claimable``, shared with ``claim``; an answer may be early
        (a tick then simply finds nothing), never late.
        """
        sm = ScheduledMessage
        async with self.services.sessions() as session:
            due, orphaned = (
                await session.execute(
                    select(
                        select(func.min(sm.due_at))
                        .where(sm.status == MessageStatus.PENDING)
                        .scalar_subquery(),
                        select(func.min(sm.claimed_at))
                        .where(sm.status == MessageStatus.SENDING)
                        .scalar_subquery(),
                    )
                )
            ).one()
            pauses = (
                await session.execute(
                    select(User.paused_until, User.timezone).where(
                        User.status == UserStatus.PAUSED, User.paused_until.is_not(None)
                    )
                )
            ).all()
        candidates: list[datetime] = [due] if due is not None else []
        if orphaned is not None:
            candidates.append(orphaned + LEASE)
        # ``resume_finished_pauses`` ends a pause once the user's local day is past its end.
        candidates += [
            start_of_local_day(until + timedelta(days=1), zone or "UTC")
            for until, zone in pauses
            if until is not None
        ]
        return min(candidates, default=None)

    # --- prepare -------------------------------------------------------------------------

    async def prepare(self, ids: list[int], now: datetime) -> list[Job]:
        """Decide for every claimed row what to send, with a few queries for the whole batch."""
        jobs: list[Job] = []
        async with self.services.sessions() as session:
            # One round trip for the rows, their users and (for the kinds' texts) profiles.
            loaded = (
                await session.execute(
                    select(ScheduledMessage, User, RehabProfile)
                    .outerjoin(User, User.id == ScheduledMessage.user_id)
                    .outerjoin(RehabProfile, RehabProfile.user_id == ScheduledMessage.user_id)
                    .where(ScheduledMessage.id.in_(ids))
                )
            ).all()
            rows = [row for row, _, _ in loaded]
            by_id = {row.id: row for row in rows}
            users = {user.id: user for _, user, _ in loaded if user is not None}
            # Kinds find the user's profile in ``ctx.extra`` instead of one query per row.
            profiles = {p.user_id: p for _, _, p in loaded if p is not None}
            checked_in = await self._checked_in(session, rows)
            work: list[tuple[ScheduledMessage, User, KindHandler]] = []
            for row_id in ids:
                row = by_id.get(row_id)
                if (
                    row is None
                    or row.status != MessageStatus.SENDING
                    or row.claimed_by != self.services.instance_id
                ):
                    continue
                user = users.get(row.user_id)
                handler = handler_for(row.kind)
                if user is None or handler is None:
                    row.status = MessageStatus.CANCELLED
                    row.last_error = "no user" if user is None else f"unknown kind {row.kind}"
                    continue
                work.append((row, user, handler))
            await session.flush()
            try:
                # Fast path: the whole batch in one savepoint...
                async with session.begin_nested():
                    prepared = [
                        done
                        for row, user, handler in work
                        if (
                            done := await self._prepare_one(
                                session, row, user, handler, now, checked_in, profiles
                            )
                        )
                    ]
                    await _plan_ahead([ctx for _, ctx in prepared])
                    jobs = [job for job, _ in prepared]
            except Exception:
                # ...and if any row fails, again row by row, so only that row is retried later.
                log.warning("preparing a batch failed; retrying row by row", exc_info=True)
                jobs = []
                for row, user, handler in work:
                    try:
                        async with session.begin_nested():
                            done = await self._prepare_one(
                                session, row, user, handler, now, checked_in, profiles
                            )
                            if done is not None:
                                await _plan_ahead([done[1]])
                    except Exception:
                        log.exception(
                            "preparing a %s message failed", row.kind, extra={"message_id": row.id}
                        )
                        self.services.metrics.error("send")
                        row.status = MessageStatus.PENDING
                        row.due_at = now + backoff(row.attempts)
                        row.last_error = "internal error while preparing"
                        continue
                    if done is not None:
                        jobs.append(done[0])
            await session.commit()
        return jobs

    async def _prepare_one(
        self,
        session: AsyncSession,
        row: ScheduledMessage,
        user: User,
        handler: KindHandler,
        now: datetime,
        checked_in: set[tuple[int, date]],
        profiles: dict[int, RehabProfile],
    ) -> tuple[Job, SendContext] | None:
        ctx = SendContext(session, self.services, user, row, now)
        ctx.extra["checked_in"] = (row.user_id, row.local_date) in checked_in
        ctx.extra["profile"] = profiles.get(row.user_id)
        refusal = gate(_recipient(user), row.kind, row.local_date, row.due_at, now)
        if refusal is None and row_rank(row) is not None:
            refusal = await budget_refusal(
                session, row, user, now, self.settings.schedule.proactive_per_day
            )
        decision = (
            Skip(refusal.status, refusal.reason)
            if refusal is not None
            else await handler.prepare(ctx)
        )
        if isinstance(decision, Skip):
            row.status = decision.status
            row.last_error = decision.reason
            if decision.status != MessageStatus.CANCELLED:
                await handler.after_skip(ctx, decision)
            self.services.metrics.message(decision.status)
            return None
        return Job(row.id, row.kind, user.chat_id, decision, row.due_at), ctx

    @staticmethod
    async def _checked_in(
        session: AsyncSession, rows: list[ScheduledMessage]
    ) -> set[tuple[int, date]]:
        """Which (user, day) of this batch already has a check-in: one query, not one per row."""
        pairs = {(row.user_id, row.local_date) for row in rows}
        if not pairs:
            return set()
        days = {day for _, day in pairs}
        found = await session.execute(
            select(CheckIn.user_id, CheckIn.local_date).where(
                CheckIn.user_id.in_({uid for uid, _ in pairs}), CheckIn.local_date.in_(days)
            )
        )
        return {(uid, day) for uid, day in found} & pairs

    # --- record --------------------------------------------------------------------------

    async def record_sent(
        self, session: AsyncSession, sent: list[tuple[Job, int]], now: datetime
    ) -> None:
        """Mark accepted messages sent, and run the ``after_sent`` of kinds that need one; the
        caller commits. For the daily check-in this is one executemany UPDATE: what follows
        it was planned when the batch was prepared."""
        me = self.services.instance_id
        await session.execute(
            _MARK_SENT,
            [{"b_id": job.row_id, "b_me": me, "b_now": now, "b_mid": mid} for job, mid in sent],
        )
        follow_up = [job.row_id for job, _ in sent if not plans_ahead(job.kind)]
        if follow_up:
            await self._after_sent_rows(session, follow_up, now)

    async def _after_sent_rows(
        self, session: AsyncSession, row_ids: list[int], now: datetime
    ) -> None:
        rows = (
            (
                await session.execute(
                    select(ScheduledMessage).where(
                        ScheduledMessage.id.in_(row_ids),
                        # Marked sent by us just now, not reclaimed and sent by another instance.
                        ScheduledMessage.status == MessageStatus.SENT,
                        ScheduledMessage.claimed_by == self.services.instance_id,
                    )
                )
            )
            .scalars()
            .all()
        )
        users = {
            u.id: u
            for u in (
                await session.execute(select(User).where(User.id.in_({r.user_id for r in rows})))
            ).scalars()
        }
        for row in rows:
            user, handler = users.get(row.user_id), handler_for(row.kind)
            if user is None or handler is None:  # erased meanwhile
                continue
            try:
                async with session.begin_nested():
                    await handler.after_sent(SendContext(session, self.services, user, row, now))
            except Exception:
                # The message is out; only planning what follows it failed. Log it loudly and
                # keep the `sent` mark: a resend would be worse than a missing follow-up.
                log.exception(
                    "planning after a sent %s message failed",
                    row.kind,
                    extra={"message_id": row.id},
                )
                self.services.metrics.error("send")

    # --- settle what did not go out ------------------------------------------------------

    async def reschedule(
        self, row_id: int, due_at: datetime, reason: str, *, count_attempt: bool
    ) -> None:
        async with self.services.sessions() as session:
            values: dict[str, Any] = {
                "status": MessageStatus.PENDING.value,
                "due_at": due_at,
                "last_error": reason,
            }
            if not count_attempt:
                values["attempts"] = ScheduledMessage.attempts - 1
            await session.execute(
                update(ScheduledMessage).where(ScheduledMessage.id == row_id).values(**values)
            )
            await session.commit()

    async def release(self, row_id: int, now: datetime, reason: str) -> None:
        try:
            await self.retry_or_give_up(row_id, now, reason)
        except Exception:
            log.exception("could not release a scheduled message", extra={"message_id": row_id})

    async def retry_or_give_up(self, row_id: int, now: datetime, reason: str) -> None:
        async with self.services.sessions() as session:
            row = await session.get(ScheduledMessage, row_id)
            if row is None:
                return
            if row.attempts >= self.settings.schedule.send_attempts:
                gave_up = f"gave up after {row.attempts} attempts: {reason}"
                await self._fail(session, row, now, gave_up)
                log.warning(
                    "gave up sending a %s message after %d attempts (%s)",
                    row.kind,
                    row.attempts,
                    reason,
                    extra={"message_id": row_id},
                )
                self.services.metrics.message("failed")
            else:
                row.status = MessageStatus.PENDING
                row.due_at = now + backoff(row.attempts)
                row.last_error = reason
                self.services.metrics.message("retried")
            await session.commit()

    async def finish(self, row_id: int, now: datetime, reason: str) -> None:
        async with self.services.sessions() as session:
            row = await session.get(ScheduledMessage, row_id)
            if row is None:
                return
            await self._fail(session, row, now, reason)
            await session.commit()

    async def _fail(
        self, session: AsyncSession, row: ScheduledMessage, now: datetime, reason: str
    ) -> None:
        """A message that will never go out must still plan its successor, as a skip does:
        otherwise one bad day at Telegram would end a user's daily check-ins for good."""
        row.status = MessageStatus.FAILED
        row.last_error = reason[:200]
        user = await session.get(User, row.user_id)
        handler = handler_for(row.kind)
        if user is None or handler is None or user.status != UserStatus.ACTIVE:
            return
        skip = Skip(MessageStatus.FAILED, reason)
        await handler.after_skip(SendContext(session, self.services, user, row, now), skip)

    async def user_blocked(self, row_id: int, now: datetime) -> None:
        async with self.services.sessions() as session:
            row = await session.get(ScheduledMessage, row_id)
            if row is None:
                return
            row.status = MessageStatus.CANCELLED
            row.last_error = "blocked by the user"
            user = await session.get(User, row.user_id)
            if user is not None:
                await block_user(session, user, now)
            await session.commit()
        log.info("user blocked the bot; their schedule is dropped", extra={"message_id": row_id})

    # --- housekeeping --------------------------------------------------------------------

    async def resume_finished_pauses(self, now: datetime) -> None:
        """A pause with an end date ends by itself, on the user's next local day."""
        horizon: date = (now + timedelta(days=1)).astimezone(UTC).date()
        async with self.services.sessions() as session:
            users = (
                (
                    await session.execute(
                        select(User).where(
                            User.status == UserStatus.PAUSED,
                            User.paused_until.is_not(None),
                            User.paused_until < horizon,
                        )
                    )
                )
                .scalars()
                .all()
            )
            resumed = False
            for user in users:
                assert user.paused_until is not None
                if local_date(now, user.timezone or "UTC") > user.paused_until:
                    await resume_user(session, user, now, self.settings)
                    resumed = True
            if resumed:
                await session.commit()
