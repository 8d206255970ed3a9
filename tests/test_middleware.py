"""The middleware every update passes first: a redelivered update is handled once, and every
log line written while handling an update carries that update's correlation id."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import TypeHandler

from bot.db.models import CheckIn, ProcessedUpdate
from bot.logs import _ContextFilter
from tests.harness import updates
from tests.harness.bot import BotHarness
from tests.helpers.seed import make_user


async def test_a_redelivered_update_gets_one_reply(harness: BotHarness) -> None:
    raw = updates.text_update(1001, "Alex", "/help")
    await harness.process(raw)
    await harness.process(raw)  # Telegram retries the webhook delivery
    assert len(harness.telegram.messages(1001)) == 1
    # A new update from the same user is of course answered.
    await harness.user(1001).say("/help")
    assert len(harness.telegram.messages(1001)) == 2


async def test_a_redelivered_button_press_records_the_checkin_once(harness: BotHarness) -> None:
    await make_user(harness)
    harness.clock.advance(timedelta(hours=10, minutes=5))  # Berlin 19:05
    await harness.tick()
    alex = harness.user(1001)
    prompt = harness.telegram.last_with_buttons(1001)
    raw = updates.callback_update(1001, "Alex", prompt.button_data("Did them all"), prompt)
    await harness.process(raw)
    sent_after_first = len(alex.texts)
    await harness.process(raw)
    assert len(alex.texts) == sent_after_first
    # The query was answered exactly once (Telegram refuses a second answer anyway).
    assert len(harness.telegram.calls_to("answerCallbackQuery")) == 1
    async with harness.services.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(CheckIn))).scalar_one() == 1
    assert harness.services.metrics.count("updates_ignored", reason="duplicate") == 1


async def test_old_update_ids_are_forgotten_after_two_days(harness: BotHarness) -> None:
    await harness.user(1001).say("/help")
    harness.clock.advance(timedelta(days=3))
    await harness.user(1001).say("/help")
    async with harness.services.sessions() as session:
        rows = (await session.execute(select(ProcessedUpdate))).scalars().all()
    assert len(rows) == 1 and rows[0].processed_at == harness.clock.now()


async def test_log_lines_inside_a_handler_carry_the_update_id(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    probe = logging.getLogger("tests.probe")

    async def log_something(update: Update, context: object) -> None:
        probe.info("handling")

    harness.app.add_handler(TypeHandler(Update, log_something), group=50)
    caplog.handler.addFilter(_ContextFilter())
    raw = updates.text_update(1001, "Alex", "/help")
    with caplog.at_level(logging.INFO, logger="tests.probe"):
        await harness.process(raw)
    records = [r for r in caplog.records if r.name == "tests.probe"]
    assert [r.correlation_id for r in records] == [f"u{raw['update_id']}"]  # type: ignore[attr-defined]


async def test_a_press_whose_handling_died_is_handled_when_telegram_redelivers_it(
    harness: BotHarness,
) -> None:
    """The process dies half-way through a button press (SIGKILL, a deploy), after the
    check-in was written but before it committed. Telegram redelivers the update to the
    restarted bot: it is handled at once (the claim died with the transaction), once."""
    await make_user(harness)
    harness.clock.advance(timedelta(hours=10, minutes=5))  # Berlin 19:05: the check-in is out
    await harness.tick()
    prompt = harness.telegram.last_with_buttons(1001)
    raw = updates.callback_update(1001, "Alex", prompt.button_data("Did them all"), prompt)

    from bot.services import checkin_flow

    real_press = checkin_flow.press

    async def press_then_die(*args: object, **kwargs: object) -> object:
        await real_press(*args, **kwargs)  # type: ignore[arg-type]
        raise SystemExit("killed")  # not an Exception: nothing is committed, nothing is sent

    checkin_flow.press = press_then_die  # type: ignore[assignment]
    try:
        with pytest.raises(SystemExit):
            await harness.process(raw)
    finally:
        checkin_flow.press = real_press
    assert await count_checkins(harness) == 0
    edits = len(harness.telegram.calls_to("editMessageText"))
    restarted = await harness.restart()
    try:
        restarted.clock.advance(timedelta(seconds=30))
        await restarted.process(raw)
        assert await count_checkins(restarted) == 1
        assert len(restarted.telegram.calls_to("editMessageText")) == edits + 1  # pain scale
        # Handled to the end now: any further redelivery is a plain duplicate.
        restarted.clock.advance(timedelta(minutes=10))
        await restarted.process(raw)
        assert await count_checkins(restarted) == 1
        assert len(restarted.telegram.calls_to("editMessageText")) == edits + 1
    finally:
        await restarted.stop()


async def test_a_redelivery_while_the_first_delivery_is_still_running_changes_nothing(
    harness: BotHarness,
) -> None:
    """Two deliveries of one press at the same moment (two webhook instances): one records."""
    import asyncio

    await make_user(harness)
    harness.clock.advance(timedelta(hours=10, minutes=5))
    await harness.tick()
    prompt = harness.telegram.last_with_buttons(1001)
    raw = updates.callback_update(1001, "Alex", prompt.button_data("Did them all"), prompt)
    harness.telegram.latency = 0.01
    await asyncio.gather(harness.process(raw), harness.process(raw))
    assert await count_checkins(harness) == 1
    assert len(harness.telegram.calls_to("editMessageText")) == 1
    assert harness.services.metrics.count("updates_ignored", reason="duplicate") == 1


async def test_an_update_is_marked_finished_even_when_its_handler_fails(
    harness: BotHarness,
) -> None:
    async def broken(update: Update, context: object) -> None:
        raise RuntimeError("a bug")

    harness.app.add_handler(TypeHandler(Update, broken), group=-1)
    raw = updates.text_update(1001, "Alex", "/help")
    await harness.process(raw)  # the error handler apologises
    replies = len(harness.telegram.messages(1001))
    harness.clock.advance(timedelta(minutes=5))
    await harness.process(raw)
    assert len(harness.telegram.messages(1001)) == replies, "a failed update was run twice"
    async with harness.services.sessions() as session:
        row = await session.get(ProcessedUpdate, raw["update_id"])
    assert row is not None and row.finished_at is not None


async def count_checkins(harness: BotHarness) -> int:
    async with harness.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(CheckIn))).scalar_one())
