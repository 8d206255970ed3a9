"""The production rate limiter (PTB's AIORateLimiter) in front of every Telegram call.

The other tests run with ``rate_limit = false`` so that they need no real waiting; these run
the bot as it is configured in production, on purpose, and pay about a second of real time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from telegram.ext import AIORateLimiter

from bot.clock import FakeClock
from tests.conftest import make_settings
from tests.harness.bot import BotHarness


@pytest.fixture
async def limited(sqlite_url: str, clock: FakeClock) -> AsyncIterator[BotHarness]:
    base = make_settings(sqlite_url)
    settings = dataclasses.replace(
        base, telegram=dataclasses.replace(base.telegram, rate_limit=True)
    )
    h = BotHarness(settings, clock)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def test_the_bot_is_built_with_the_rate_limiter_when_configured(limited: BotHarness) -> None:
    assert isinstance(limited.app.bot.rate_limiter, AIORateLimiter)


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
    import asyncio
    import time

    from bot.app import build_rate_limiter

    settings = make_settings(sqlite_url).with_overrides(
        telegram={"max_messages_per_second": 9.0, "send_burst": 1.0}
    )
    limiter = build_rate_limiter(settings)
    await limiter.initialize()
    stamps: list[float] = []

    async def send() -> bool:
        stamps.append(time.monotonic())
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
