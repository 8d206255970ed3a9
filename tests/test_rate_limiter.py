"""The production rate limiter (bot/send_budget.py) in front of every Telegram call.

The other tests run with ``rate_limit = false`` so that they need no real waiting; the
application tests here run the bot as it is configured in production, on purpose, and pay
about a second of real time each. The budget's own rules are tested on a fake clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import time, timedelta

import pytest

from bot.clock import FakeClock
from bot.send_budget import Priority, PriorityRateLimiter, SendBudget
from tests.conftest import make_settings
from tests.harness.bot import BotHarness


@pytest.fixture
async def limited(sqlite_url: str, clock: FakeClock) -> AsyncIterator[BotHarness]:
    base = make_settings(sqlite_url)
    settings = base.with_overrides(telegram={"rate_limit": True})
    h = BotHarness(settings, clock)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def test_the_bot_is_built_with_the_rate_limiter_when_configured(limited: BotHarness) -> None:
    assert isinstance(limited.app.bot.rate_limiter, PriorityRateLimiter)


async def test_a_reply_that_meets_flood_control_once_is_retried_and_arrives(
    limited: BotHarness,
) -> None:
    limited.telegram.inject(429, method="sendMessage", chat_id=1001, times=1, retry_after=1)
    alex = limited.user(1001)
    await alex.say("/help")
    calls = limited.telegram.calls_to("sendMessage", 1001)
    # The first attempt met the 429; the limiter waited retry_after and sent it again.
    assert len(calls) == 2 and calls[0].params["text"] == calls[1].params["text"]
    assert len(limited.telegram.messages(1001)) == 1
    assert "error" not in (alex.last.text or "").lower()


async def test_no_one_second_window_carries_more_than_the_rate_plus_the_burst(
    sqlite_url: str,
) -> None:
    """The budget arithmetic of docs/deploy.md: an instance at rate r with burst b sends at
    most r + b in any wall-clock second, so N instances at 30 / N - b stay within 30."""
    import time as wall

    from bot.app import build_rate_limiter

    settings = make_settings(sqlite_url).with_overrides(
        telegram={"max_messages_per_second": 9.0, "send_burst": 1.0}
    )
    limiter = build_rate_limiter(settings)
    await limiter.initialize()
    stamps: list[float] = []

    async def send() -> bool:
        stamps.append(wall.monotonic())
        return True

    await asyncio.gather(
        *(
            limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5000 + i}, None)
            for i in range(22)
        )
    )
    await limiter.shutdown()
    worst = max(sum(1 for t in stamps if start <= t < start + 1.0) for start in stamps)
    assert len(stamps) == 22
    assert worst <= 10  # 9 per second + a burst of 1; a 1-second bucket allowed 18


class FakeTime:
    """A monotonic clock that moves only when the budget sleeps; records every sleep."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.now = 0.0
        self.frozen = frozen  # record sleeps without moving time
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        if not self.frozen:
            self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


async def test_a_reply_goes_ahead_of_scheduled_sends_already_waiting() -> None:
    clock = FakeTime()
    budget = SendBudget(1.0, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    order: list[str] = []

    async def send(name: str, priority: Priority) -> None:
        await budget.take(priority)
        order.append(name)

    tasks = [asyncio.create_task(send(f"prompt{i}", Priority.SCHEDULED)) for i in range(4)]
    await asyncio.sleep(0)  # prompt0 took the one free slot; the others wait in line
    tasks.append(asyncio.create_task(send("reply", Priority.REPLY)))
    await asyncio.gather(*tasks)
    assert order == ["prompt0", "reply", "prompt1", "prompt2", "prompt3"]


async def test_one_chat_gets_a_short_burst_then_about_one_message_a_second() -> None:
    clock = FakeTime(frozen=True)  # all five arrive in the same instant
    budget = SendBudget(100.0, 100.0, monotonic=clock.monotonic, sleep=clock.sleep)
    await asyncio.gather(*(budget.chat_turn(1001) for _ in range(5)))
    assert clock.sleeps == [1.0, 2.0]  # three at once, then one a second
    await budget.chat_turn(2002)  # another chat is not held up
    assert clock.sleeps == [1.0, 2.0]


async def test_flood_control_pauses_every_line_until_telegram_allows_again() -> None:
    clock = FakeTime()
    budget = SendBudget(100.0, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    budget.pause(5.0)
    await budget.take(Priority.REPLY)
    assert clock.now >= 5.0


@pytest.fixture
async def busy_evening(sqlite_url: str, clock: FakeClock) -> AsyncIterator[BotHarness]:
    """Production limiter at 30 messages a second and 60 users whose check-in is due."""
    from tests.helpers.seed import make_user

    base = make_settings(sqlite_url)
    # 30 a second: the most Telegram allows without paid broadcasts (a valid configuration).
    settings = base.with_overrides(
        telegram={"rate_limit": True, "max_messages_per_second": 30.0, "send_burst": 1.0}
    )
    h = BotHarness(settings, clock)
    await h.start()
    for user in range(4001, 4061):
        await make_user(h, user, at=time(19, 0))
    await make_user(h, 5001, at=time(21, 0))  # Sam's check-in is later: he just asks
    h.clock.advance(timedelta(hours=10, minutes=5))  # 19:05 Berlin: all 60 are due
    try:
        yield h
    finally:
        await h.stop()


async def test_a_users_question_is_answered_before_the_queued_check_in_prompts(
    busy_evening: BotHarness,
) -> None:
    harness = busy_evening
    tick = asyncio.create_task(harness.tick())
    for _ in range(1000):  # wait until the prompts are going out
        if len(harness.telegram.calls_to("sendMessage")) >= 5:
            break
        await asyncio.sleep(0.01)
    sent_when_asked = len(harness.telegram.calls_to("sendMessage"))
    await harness.user(5001).say("/help")
    assert await tick == 60
    sends = [c.chat_id for c in harness.telegram.calls_to("sendMessage")]
    before = sends.index(5001)  # prompts that went out before Sam's answer
    # The dispatcher's 16 senders were all waiting for the budget when Sam asked; he waited
    # for at most the slot already handed out, not behind all of them (first come, first
    # served would put about 16 prompts ahead of him).
    assert before <= sent_when_asked + 2, (before, sent_when_asked)
    assert len(sends) == 61 and sends.count(5001) == 1


async def test_a_scheduled_send_under_flood_control_waits_and_is_sent_once(
    busy_evening: BotHarness,
) -> None:
    harness = busy_evening
    harness.telegram.inject(429, method="sendMessage", chat_id=4001, times=1, retry_after=1)
    assert await harness.tick() == 60
    assert len(harness.telegram.messages(4001)) == 1  # retried by the limiter, delivered once


async def test_paid_broadcast_marks_scheduled_messages_only(
    sqlite_url: str, clock: FakeClock
) -> None:
    """With paid broadcasts chosen, the dispatcher's messages carry the flag; replies don't."""
    from tests.helpers.seed import make_user

    base = make_settings(sqlite_url)
    settings = base.with_overrides(telegram={"allow_paid_broadcast": True})
    h = BotHarness(settings, clock)
    await h.start()
    try:
        await make_user(h, 1001, at=time(19, 0))
        await h.advance(timedelta(hours=10, minutes=5))
        await h.user(1001).say("/help")
        prompt, help_reply = h.telegram.calls_to("sendMessage", 1001)
        assert prompt.params.get("allow_paid_broadcast") is True
        assert "allow_paid_broadcast" not in help_reply.params
    finally:
        await h.stop()
