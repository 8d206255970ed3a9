"""Updates run concurrently across chats, strictly in order within one chat, and bounded.

Every test feeds updates through the application's own update queue (what polling and the
webhook do), so PT Coach's update processor decides what runs when. A "held" chat is one
whose Telegram round trips hang until released: a slow network, made controllable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from telegram import Update

from bot.clock import FakeClock
from bot.config import Settings
from tests.harness import updates
from tests.harness.bot import BotHarness
from tests.helpers.seed import checkins, make_user


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Wait (up to 10 s) until ``condition`` holds; the bot runs on the same event loop."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    pytest.fail(f"never happened: {what}")


@pytest.fixture
async def running(harness: BotHarness) -> AsyncIterator[BotHarness]:
    """The harness with its update fetcher running, as under polling or a webhook."""
    await harness.app.start()
    try:
        yield harness
    finally:
        for event in harness.telegram.holds.values():
            event.set()
        await harness.app.stop()


async def enqueue(harness: BotHarness, *raws: dict[str, Any]) -> None:
    for raw in raws:
        await harness.app.update_queue.put(Update.de_json(raw, harness.app.bot))


async def drained(harness: BotHarness) -> None:
    await asyncio.wait_for(harness.app.update_queue.join(), 30)


def waiting_for(harness: BotHarness, chat: int) -> int:
    return sum(1 for _, c in harness.telegram.waiting if c == chat)


async def test_a_slow_chat_does_not_keep_another_user_waiting(running: BotHarness) -> None:
    harness = running
    release_alex = harness.telegram.hold(1001)
    await enqueue(
        harness,
        updates.text_update(1001, "Alex", "/help"),
        updates.text_update(1002, "Sam", "/help"),
    )
    await eventually(lambda: bool(harness.telegram.texts(1002)), "Sam gets an answer")
    assert waiting_for(harness, 1001) == 1 and harness.telegram.texts(1001) == []
    release_alex.set()
    await drained(harness)
    assert len(harness.telegram.texts(1001)) == 1


async def test_one_users_updates_are_handled_one_after_another_in_order(
    running: BotHarness,
) -> None:
    harness = running
    release_alex = harness.telegram.hold(1001)
    await enqueue(
        harness,
        updates.text_update(1001, "Alex", "/help"),
        updates.text_update(1001, "Alex", "/faq"),
        updates.text_update(1001, "Alex", "/help"),
        updates.text_update(1002, "Sam", "/help"),
    )
    await eventually(lambda: bool(harness.telegram.texts(1002)), "Sam gets an answer")
    await asyncio.sleep(0.05)  # room for Alex's later updates to start, were they allowed to
    assert waiting_for(harness, 1001) == 1, "Alex's second update started before his first ended"
    release_alex.set()
    await drained(harness)
    alex = harness.telegram.texts(1001)
    assert len(alex) == 3
    assert alex[0] == alex[2] and alex[1] != alex[0]  # help, faq, help: as sent


async def test_a_check_in_pressed_quickly_is_recorded_in_the_order_pressed(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    await harness.advance(timedelta(hours=10, minutes=5))  # the 19:00 Berlin check-in
    prompt = harness.telegram.last_with_buttons(1001)
    harness.telegram.latency = 0.01
    await harness.app.start()
    try:
        day = prompt.button_data("Did them all")
        await enqueue(harness, updates.callback_update(1001, "Alex", day, prompt))
        # The pain keyboard replaces the prompt's buttons; the user taps 6 at once.
        await eventually(
            lambda: "6" in [label for label, _ in harness.telegram.last(1001).buttons],
            "the pain question",
        )
        pain = harness.telegram.last(1001)
        await enqueue(
            harness,
            updates.callback_update(1001, "Alex", pain.button_data("6"), pain),
            updates.text_update(1001, "Alex", "Bridges were hard today"),
        )
        await drained(harness)
    finally:
        await harness.app.stop()
    rows = await checkins(harness)
    assert len(rows) == 1
    assert (rows[0].status, rows[0].pain, rows[0].note) == ("done", 6, "Bridges were hard today")


@pytest.fixture
def settings_two_at_a_time(settings: Settings) -> Settings:
    return settings.with_overrides(telegram={"max_concurrent_updates": 2})


async def test_no_more_than_the_configured_number_of_updates_run_at_once(
    settings_two_at_a_time: Settings, clock: FakeClock
) -> None:
    harness = BotHarness(settings_two_at_a_time, clock)
    await harness.start()
    await harness.app.start()
    users = range(2001, 2006)
    releases = [harness.telegram.hold(u) for u in users]
    try:
        await enqueue(harness, *(updates.text_update(u, "R", "/help") for u in users))
        await eventually(lambda: len(harness.telegram.waiting) == 2, "two updates in flight")
        await asyncio.sleep(0.05)
        assert len(harness.telegram.waiting) == 2
        for release in releases:
            release.set()
        await drained(harness)
        assert all(len(harness.telegram.texts(u)) == 1 for u in users)
        assert harness.telegram.max_in_flight == 2
    finally:
        for release in releases:
            release.set()
        await harness.app.stop()
        await harness.stop()


async def test_many_users_pressing_at_once_are_each_recorded_exactly_once(
    harness: BotHarness,
) -> None:
    users = list(range(3001, 3031))
    for user in users:
        await make_user(harness, user)
    await harness.advance(timedelta(hours=10, minutes=5))
    prompts = {u: harness.telegram.last_with_buttons(u) for u in users}
    harness.telegram.latency = 0.02
    await harness.app.start()
    try:
        presses = [
            updates.callback_update(u, "R", prompts[u].button_data("Did them all"), prompts[u])
            for u in users
        ]
        await enqueue(harness, *presses, *presses[:5])  # five impatient users tap twice
        await drained(harness)
        assert harness.telegram.max_in_flight > 1  # they really ran concurrently
    finally:
        await harness.app.stop()
    done = [r.user_id for r in await checkins(harness) if r.status == "done"]
    assert len(done) == len(users) == len(set(done))  # every press once, none twice
    assert harness.services.metrics.count("errors", source="handler") == 0
