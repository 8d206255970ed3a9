"""Telegram's send budget, replies first: PT Coach's rate limiter for every Bot API call.

Why: Telegram lets one bot send about 30 messages a second, and about one a second into any
one chat. PTB's ``AIORateLimiter`` puts every call with a ``chat_id`` into one queue, so at
the evening peak a user who tapped "Did them all" waited behind hundreds of check-in prompts
the dispatcher had already queued. Here the bot-wide budget has two lines:

* **replies** (anything done while handling a user's update) take the next free slot;
* **scheduled** sends (the dispatcher's prompts and nudges) use what replies leave.

Each chat also has its own small bucket (``PER_CHAT_RATE`` a second, bursts of
``PER_CHAT_BURST``; groups a third of that), so a burst into one chat is spread out instead
of answered by Telegram with a 429.

Flood control is handled here, once: a 429 pauses the whole budget for the time Telegram
asks (every line waits, as Telegram requires), then the call is retried up to
``max_retries`` times; only then does the caller see ``RetryAfter`` (the dispatcher then
reschedules the row). Calls without a ``chat_id`` (answering a button press, getUpdates,
setMyCommands) are not counted, as in PTB's own limiter.

Which line a call belongs to comes from a context variable: the dispatcher's senders run
inside :func:`scheduled_sends`; everything else is a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

PER_CHAT_RATE = 1.0
"""Messages a second into one private chat (Telegram: "avoid more than one a second")."""
PER_CHAT_BURST = 3.0
GROUP_RATE = 20 / 60
"""Telegram allows about 20 messages a minute into a group."""
_MAX_CHATS = 10_000
"""Chat buckets kept; idle full ones are forgotten beyond this (memory stays bounded)."""

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Priority(IntEnum):
    REPLY = 0
    SCHEDULED = 1


_priority: contextvars.ContextVar[Priority] = contextvars.ContextVar(
    "send_priority", default=Priority.REPLY
)


@contextlib.contextmanager
def scheduled_sends() -> Iterator[None]:
    """Calls made inside this block (in this task) queue behind users' replies."""
    token = _priority.set(Priority.SCHEDULED)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> Priority:
    return _priority.get()


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class SendBudget:
    """A token bucket (``rate`` a second, at most ``burst`` saved up) with two waiting lines.

    A waiter is admitted only when no waiter of a higher priority is ahead of it, so replies
    never wait behind scheduled sends; within a line it is first come, first served, so no
    scheduled message is starved by another.
    """

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._now = monotonic
        self._sleep = sleep
        self._bucket = _Bucket(burst, monotonic())
        self._lines: tuple[deque[asyncio.Future[None]], ...] = tuple(deque() for _ in Priority)
        self._pump: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        self._chats: dict[int, _Bucket] = {}

    # --- the bot-wide budget -----------------------------------------------------------------
    def _refill(self, bucket: _Bucket, rate: float, burst: float) -> None:
        now = self._now()
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now

    def waiting(self, priority: Priority | None = None) -> int:
        lines = self._lines if priority is None else (self._lines[priority],)
        return sum(1 for line in lines for f in line if not f.done())

    async def take(self, priority: Priority) -> None:
        """Wait for one message's share of the budget."""
        if self._paused_until <= self._now() and not any(self._lines[: priority + 1]):
            self._refill(self._bucket, self.rate, self.burst)
            if self._bucket.tokens >= 1:
                self._bucket.tokens -= 1
                return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._lines[priority].append(turn)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._admit(), name="send-budget")
        await turn  # cancelled while waiting: the pump skips a done future

    async def _admit(self) -> None:
        while True:
            line = next((line for line in self._lines if line), None)
            if line is None:
                return
            if line[0].done():  # its caller gave up (cancelled)
                line.popleft()
                continue
            pause = self._paused_until - self._now()
            if pause > 0:
                await self._sleep(pause)
                continue
            self._refill(self._bucket, self.rate, self.burst)
            if self._bucket.tokens >= 1:
                self._bucket.tokens -= 1
                line.popleft().set_result(None)
                continue
            await self._sleep((1 - self._bucket.tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": nothing is sent by anyone until then."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    # --- one chat ----------------------------------------------------------------------------
    async def chat_turn(self, chat_id: int) -> None:
        """Reserve the chat's next slot and wait for it (no more than about one a second)."""
        rate = PER_CHAT_RATE if chat_id > 0 else GROUP_RATE
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= _MAX_CHATS:
                self._forget_idle_chats()
            bucket = self._chats[chat_id] = _Bucket(PER_CHAT_BURST, self._now())
        self._refill(bucket, rate, PER_CHAT_BURST)
        bucket.tokens -= 1  # a reservation: the next caller waits behind this one
        if bucket.tokens < 0:
            await self._sleep(-bucket.tokens / rate)

    def _forget_idle_chats(self) -> None:
        now = self._now()
        idle = PER_CHAT_BURST / GROUP_RATE
        for chat_id in [c for c, b in self._chats.items() if now - b.stamp > idle]:
            del self._chats[chat_id]
        if len(self._chats) >= _MAX_CHATS:  # all busy: forget the oldest half
            for chat_id in sorted(self._chats, key=lambda c: self._chats[c].stamp)[
                : _MAX_CHATS // 2
            ]:
                del self._chats[chat_id]


def _retry_seconds(exc: RetryAfter) -> float:
    value: Any = exc._retry_after  # the timedelta, without PTB's deprecation warning
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_of(data: dict[str, Any]) -> int | None:
    raw = data.get("chat_id")
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1  # "@channelname": treat as a group


class PriorityRateLimiter(BaseRateLimiter[int]):
    """PTB's rate-limiter hook around :class:`SendBudget` (see the module docstring)."""

    def __init__(self, budget: SendBudget, max_retries: int = 2) -> None:
        self.budget = budget
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = _chat_of(data)
        retries = rate_limit_args if rate_limit_args is not None else self.max_retries
        priority = current_priority()
        for attempt in range(retries + 1):
            if chat_id is not None:
                await self.budget.chat_turn(chat_id)
                await self.budget.take(priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = _retry_seconds(exc)
                self.budget.pause(wait)
                if attempt == retries:
                    raise
                log.info("Telegram flood control on %s: waiting %.1f s", endpoint, wait)
                if chat_id is None:
                    await self.budget._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover
