"""The dispatcher: every tick, claim the due rows and send them, exactly once.

How "exactly once" holds:
1. Claim. One UPDATE moves due ``pending`` rows to ``sending`` with this instance's name and
   returns their ids. On PostgreSQL the inner SELECT takes ``FOR UPDATE SKIP LOCKED``, so two
   instances ticking at once claim disjoint rows; on SQLite the single UPDATE is atomic.
   The claim is committed before anything is sent.
2. Send, outside any transaction.
3. Record. A new transaction marks the row ``sent`` and plans its successor. If the database
   drops the connection here, the record is retried on a fresh connection (``RECORD_ATTEMPTS``);
   a row Telegram accepted is never handed back as ``pending``.

The one window for a duplicate is between 2 and 3: if the process dies after Telegram
accepted the message but before the commit, the row stays ``sending`` and is reclaimed after
``LEASE`` and sent again. That costs at most one duplicate message per row that was in
flight (at most ``CONCURRENCY`` rows per instance), and only on a crash or a database that
stays unreachable through every record attempt. A message that fails for good (given up after
``send_attempts``, or refused with 400) still plans its successor, so tomorrow's comes.
(A send that times out is ambiguous in the same way: Telegram
may have delivered it; we retry, accepting that rare duplicate rather than a lost reminder.)
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.db.models import ScheduledMessage, User
from bot.logs import correlation_id
from bot.services.container import Services
from scheduler import kinds
from scheduler.outgoing import Outgoing, SendContext, Skip, handler_for
from scheduler.timing import in_quiet_hours, local_date

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a `sending` row older than this was orphaned by a crash
LATE_GRACE = timedelta(minutes=10)  # later than this counts as catching up after downtime
CONCURRENCY = 16
MAX_BACKOFF = timedelta(minutes=15)
RECORD_ATTEMPTS = 4  # recording a message Telegram accepted is retried, never turned into a resend


def backoff(attempt: int) -> timedelta:
    return min(timedelta(seconds=15 * 2 ** max(0, attempt - 1)), MAX_BACKOFF)


def _markup(out: Outgoing) -> InlineKeyboardMarkup | None:
    if not out.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in out.buttons]
    )


class Dispatcher:
    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self.settings = services.settings

    async def tick(self) -> int:
        """One pass: claim what is due, send it, record it. Never raises."""
        now = self.services.clock.now()
        try:
            await self._resume_finished_pauses(now)
            ids = await self._claim(now)
        except Exception:
            log.exception("tick could not claim due messages; will retry next tick")
            self.services.metrics.inc("tick_errors")
            return 0
        if not ids:
            return 0
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def _one(row_id: int) -> bool:
            async with semaphore:
                try:
                    return await self._process(row_id, now)
                except Exception:
                    log.exception("processing a scheduled message failed", extra={"message_id": row_id})
                    self.services.metrics.inc("send_errors")
                    await self._release(row_id, now, "internal error")
                    return False

        results = await asyncio.gather(*(_one(i) for i in ids))
        return sum(results)

    async def _claim(self, now: datetime) -> list[int]:
        sm = ScheduledMessage
        due = (
            select(sm.id)
            .where(
                or_(
                    and_(sm.status == "pending", sm.due_at <= now),
                    and_(sm.status == "sending", sm.claimed_at < now - LEASE),
                )
            )
            .order_by(sm.due_at)
            .limit(self.settings.schedule.batch_size)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(sm)
            .where(sm.id.in_(due.scalar_subquery()))
            .values(
                status="sending",
                claimed_by=self.services.instance_id,
                claimed_at=now,
                attempts=sm.attempts + 1,
            )
            .returning(sm.id, sm.due_at)
            .execution_options(synchronize_session=False)
        )
        async with self.services.sessions() as session:
            rows = (await session.execute(stmt)).all()
            await session.commit()
        if rows:
            oldest = min(r.due_at for r in rows)
            self.services.metrics.tick_lag_seconds = max(0.0, (now - oldest).total_seconds())
        return [r.id for r in sorted(rows, key=lambda r: r.due_at)]

    async def _process(self, row_id: int, now: datetime) -> bool:
        correlation_id.set(f"msg-{row_id}")
        async with self.services.sessions() as session:
            row = await session.get(ScheduledMessage, row_id)
            if row is None or row.status != "sending" or row.claimed_by != self.services.instance_id:
                return False
            user = await session.get(User, row.user_id)
            handler = handler_for(row.kind)
            if user is None or handler is None:
                row.status = "cancelled"
                row.last_error = "no user" if user is None else f"unknown kind {row.kind}"
                await session.commit()
                return False
            ctx = SendContext(session, self.services, user, row, now)
            decision = self._gate(user, row, now)
            if decision is None:
                decision = await handler.prepare(ctx)
            if isinstance(decision, Skip):
                row.status = decision.status
                row.last_error = decision.reason
                if decision.status != "cancelled":
                    await handler.after_skip(ctx, decision)
                await session.commit()
                self.services.metrics.inc(f"skipped_{decision.status}")
                return False
            chat_id = user.chat_id
            await session.commit()

        outgoing = decision
        try:
            message_id = await self._send(chat_id, outgoing)
        except RetryAfter as exc:
            delay = exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
            self.services.metrics.inc("retried")
            await self._reschedule(row_id, now + timedelta(seconds=float(delay)), "flood control", count_attempt=False)
            return False
        except Forbidden:
            self.services.metrics.inc("blocked")
            await self._user_blocked(row_id, now)
            return False
        except BadRequest as exc:
            self.services.metrics.inc("failed")
            log.warning("Telegram refused a %s message: %s", row_kind(row), exc, extra={"message_id": row_id})
            await self._finish(row_id, now, str(exc)[:200])
            return False
        except (TimedOut, NetworkError) as exc:
            await self._retry_or_give_up(row_id, now, type(exc).__name__)
            return False

        self.services.metrics.inc("sent")
        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self._record_sent(row_id, now, message_id)
                return True
            except Exception:
                # The user has the message: never hand the row back for a resend. Retry the
                # bookkeeping on a fresh connection (the database may have just dropped us).
                log.warning("could not record a sent message (attempt %d)", attempt + 1,
                            exc_info=True, extra={"message_id": row_id})
                await asyncio.sleep(0.05 * 2**attempt)
        # Still `sending`: reclaimed after LEASE and sent again, the documented duplicate window.
        log.error("a sent message stays unrecorded; it may be sent twice",
                  extra={"message_id": row_id})
        return True

    async def _record_sent(self, row_id: int, now: datetime, message_id: int) -> None:
        async with self.services.sessions() as session:
            row = await session.get(ScheduledMessage, row_id)
            user = await session.get(User, row.user_id) if row else None
            if row is None or user is None:  # erased while we were sending
                await session.commit()
                return
            if row.status != "sending" or row.claimed_by != self.services.instance_id:
                return  # an earlier attempt of ours committed after all
            row.status = "sent"
            row.sent_at = now
            row.telegram_message_id = message_id
            handler = handler_for(row.kind)
            assert handler is not None
            await handler.after_sent(SendContext(session, self.services, user, row, now))
            await session.commit()

    def _gate(self, user: User, row: ScheduledMessage, now: datetime) -> Skip | None:
        """Rules that hold for every kind: who may receive, and how late is too late."""
        if user.status in ("blocked", "onboarding") or not user.timezone:
            return Skip("cancelled", f"user {user.status}")
        if user.status == "paused":
            return Skip("cancelled", "paused")
        if row.kind in kinds.MOTIVATIONAL and user.safety_hold_since is not None and row.kind == kinds.NUDGE:
            return Skip("skipped", "safety hold")
        if now - row.due_at > LATE_GRACE:
            same_day = local_date(now, user.timezone) == row.local_date
            quiet = in_quiet_hours(now, user.timezone, user.quiet_start, user.quiet_end)
            if not same_day or quiet:
                return Skip("missed", "too late after downtime")
        return None

    async def _send(self, chat_id: int, out: Outgoing) -> int:
        if out.photo is not None:
            msg = await self.bot.send_photo(chat_id, out.photo, caption=out.text[:1024], reply_markup=_markup(out))
        else:
            msg = await self.bot.send_message(chat_id, out.text, reply_markup=_markup(out))
        return msg.message_id

    async def _reschedule(self, row_id: int, due_at: datetime, reason: str, *, count_attempt: bool) -> None:
        async with self.services.sessions() as session:
            values: dict[str, Any] = {"status": "pending", "due_at": due_at, "last_error": reason}
            if not count_attempt:
                values["attempts"] = ScheduledMessage.attempts - 1
            await session.execute(update(ScheduledMessage).where(ScheduledMessage.id == row_id).values(**values))
            await session.commit()

    async def _release(self, row_id: int, now: datetime, reason: str) -> None:
        try:
            await self._retry_or_give_up(row_id, now, reason)
        except Exception:
            log.exception("could not release a scheduled message", extra={"message_id": row_id})

    async def _retry_or_give_up(self, row_id: int, now: datetime, reason: str) -> None:
        async with self.services.sessions() as session:
            row = await session.get(ScheduledMessage, row_id)
            if row is None:
                return
            if row.attempts >= self.settings.schedule.send_attempts:
                gave_up = f"gave up after {row.attempts} attempts: {reason}"
                await self._fail(session, row, now, gave_up)
                log.warning("gave up sending a %s message after %d attempts (%s)", row.kind, row.attempts, reason,
                            extra={"message_id": row_id})
                self.services.metrics.inc("failed")
            else:
                row.status = "pending"
                row.due_at = now + backoff(row.attempts)
                row.last_error = reason
                self.services.metrics.inc("retried")
            await session.commit()

    async def _finish(self, row_id: int, now: datetime, reason: str) -> None:
        async with self.services.sessions() as session:
            row = await session.get(ScheduledMessage, row_id)
            if row is None:
                return
            await self._fail(session, row, now, reason)
            await session.commit()

    async def _fail(self, session: Any, row: ScheduledMessage, now: datetime, reason: str) -> None:
        """A message that will never go out must still plan its successor, as a skip does:
        otherwise one bad day at Telegram would end a user's daily check-ins for good."""
        row.status = "failed"
        row.last_error = reason[:200]
        user = await session.get(User, row.user_id)
        handler = handler_for(row.kind)
        if user is None or handler is None or user.status != "active":
            return
        skip = Skip("failed", reason)
        await handler.after_skip(SendContext(session, self.services, user, row, now), skip)

    async def _user_blocked(self, row_id: int, now: datetime) -> None:
        from scheduler.planner import cancel_user_schedule

        async with self.services.sessions() as session:
            row = await session.get(ScheduledMessage, row_id)
            if row is None:
                return
            row.status = "cancelled"
            row.last_error = "blocked by the user"
            user = await session.get(User, row.user_id)
            if user is not None:
                user.status = "blocked"
                user.updated_at = now
                await cancel_user_schedule(session, user.id)
            await session.commit()
        log.info("user blocked the bot; their schedule is dropped", extra={"message_id": row_id})

    async def _resume_finished_pauses(self, now: datetime) -> None:
        """A pause with an end date ends by itself, on the user's next local day."""
        horizon: date = (now + timedelta(days=1)).astimezone(UTC).date()
        async with self.services.sessions() as session:
            users = (
                await session.execute(
                    select(User).where(
                        User.status == "paused", User.paused_until.is_not(None), User.paused_until < horizon
                    )
                )
            ).scalars().all()
            resumed = False
            for user in users:
                assert user.paused_until is not None
                if local_date(now, user.timezone or "UTC") > user.paused_until:
                    from bot.services.pausing import resume_user

                    await resume_user(session, user, now, self.settings)
                    resumed = True
            if resumed:
                await session.commit()


def row_kind(row: Any) -> str:
    return getattr(row, "kind", "?")


def register_tick(app: Any) -> None:
    """APScheduler (through PTB's JobQueue) only drives this one short periodic job."""
    services: Services = app.bot_data["services"]

    async def _tick(context: Any) -> None:
        await Dispatcher(services, context.bot).tick()

    app.job_queue.run_repeating(
        _tick,
        interval=services.settings.schedule.tick_seconds,
        first=1,
        name="dispatcher-tick",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
