"""Double presses and races, on SQLite and PostgreSQL: a button pressed twice on the same
message has one effect and gets one answer, whatever the clock says between the presses, and
the same press handled at once by two instances neither fails nor answers twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.db.models import ButtonPress, CheckIn, Dialog, User
from tests.conftest import START, make_settings
from tests.harness import updates
from tests.harness.bot import BotHarness
from tests.harness.fake_telegram import SentMessage
from tests.helpers.seed import checkins, make_user

APOLOGY = "Sorry, something went wrong"


def _calls(h: BotHarness, user_id: int) -> list[str]:
    """Every message the user saw arrive or change, in order."""
    return [
        str(c.params.get("text", ""))
        for c in h.telegram.calls
        if c.chat_id == user_id and c.method in ("sendMessage", "editMessageText")
    ]


def _press(user_id: int, data: str, message: SentMessage) -> dict[str, object]:
    return updates.callback_update(user_id, "Alex", data, message)


async def _checkin_prompt(h: BotHarness) -> SentMessage:
    await make_user(h)
    await h.advance(timedelta(hours=10, minutes=5))
    return h.telegram.last_with_buttons(1001)


async def test_two_quick_presses_of_did_them_all_give_one_pain_question(
    harness: BotHarness,
) -> None:
    prompt = await _checkin_prompt(harness)
    data = prompt.button_data("Did them all")
    seen = len(_calls(harness, 1001))
    await harness.process(_press(1001, data, prompt))
    harness.clock.advance(timedelta(seconds=1))  # a real double tap: not the same instant
    await harness.process(_press(1001, data, prompt))
    assert len(_calls(harness, 1001)) == seen + 1  # one pain question, shown once
    assert len(harness.telegram.answered_queries) >= 2  # both spinners stopped
    (row,) = await checkins(harness)
    assert row.status == "done"


async def test_two_quick_presses_of_a_pain_score_give_one_answer(harness: BotHarness) -> None:
    prompt = await _checkin_prompt(harness)
    alex = harness.user(1001)
    await alex.press("Did them all", message=prompt)
    pain = harness.telegram.last_with_buttons(1001)
    data = pain.button_data("7")
    seen = len(_calls(harness, 1001))
    await harness.process(_press(1001, data, pain))
    after_first = _calls(harness, 1001)[seen:]
    harness.clock.advance(timedelta(seconds=1))
    await harness.process(_press(1001, data, pain))
    assert _calls(harness, 1001)[seen:] == after_first  # nothing more: no second answer
    assert sum("7/10" in t for t in after_first) == 1
    (row,) = await checkins(harness)
    assert row.pain == 7


async def test_an_exercise_toggle_can_still_be_pressed_again(harness: BotHarness) -> None:
    prompt = await _checkin_prompt(harness)
    alex = harness.user(1001)
    await alex.press("Did some", message=prompt)
    which = harness.telegram.last_with_buttons(1001)
    data = which.button_data("Glute bridges")
    await alex.press_data(data, which)  # on
    await alex.press_data(data, harness.telegram.last_with_buttons(1001))  # off again
    labels = [label for label, _ in harness.telegram.last_with_buttons(1001).buttons]
    assert not any(label.startswith("✅") for label in labels)


# --- two instances on one database -----------------------------------------------------------


@pytest.fixture
async def pair(db_url: str) -> AsyncIterator[tuple[BotHarness, BotHarness]]:
    """Two bot processes (separate engines) sharing one database and one Telegram."""
    clock = FakeClock(START)
    first = BotHarness(make_settings(db_url), clock)
    await first.start()
    second = BotHarness(make_settings(db_url), clock, first.telegram)
    await second.start()
    try:
        yield first, second
    finally:
        await first.stop()
        await second.stop()


async def test_consent_pressed_on_two_instances_at_once_starts_onboarding_once(
    pair: tuple[BotHarness, BotHarness],
) -> None:
    a, b = pair
    people = range(2001, 2013)
    for person in people:
        await a.user(person).say("/start")
    for person in people:
        welcome = a.telegram.last_with_buttons(person)
        data = welcome.button_data("let's start")
        await asyncio.gather(
            a.process(updates.callback_update(person, "Alex", data, welcome)),
            b.process(updates.callback_update(person, "Alex", data, welcome)),
        )
    for h in (a, b):
        assert h.services.metrics.count("errors", source="handler") == 0
    async with a.services.sessions() as session:
        users = (await session.execute(select(User))).scalars().all()
        dialogs = (await session.execute(select(func.count()).select_from(Dialog))).scalar_one()
    assert sorted(u.telegram_id for u in users) == list(people)
    assert dialogs == len(people)
    for person in people:
        texts = _calls(a, person)
        assert not any(APOLOGY in t for t in texts)
        # One first question (the injury area) with its buttons, asked once.
        assert (
            sum("Knee" in label for m in a.telegram.messages(person) for label, _ in m.buttons) == 1
        )


async def test_a_pain_press_handled_by_two_instances_at_once_answers_once(
    pair: tuple[BotHarness, BotHarness],
) -> None:
    a, b = pair
    prompt = await _checkin_prompt(a)
    await a.user(1001).press("Did them all", message=prompt)
    pain = a.telegram.last_with_buttons(1001)
    data = pain.button_data("7")
    seen = len(_calls(a, 1001))
    await asyncio.gather(a.process(_press(1001, data, pain)), b.process(_press(1001, data, pain)))
    answers = _calls(a, 1001)[seen:]
    assert sum("7/10" in t for t in answers) == 1 and not any(APOLOGY in t for t in answers)
    async with a.services.sessions() as session:
        (row,) = (await session.execute(select(CheckIn))).scalars().all()
    assert row.pain == 7


async def test_remembered_presses_are_forgotten_after_two_days(harness: BotHarness) -> None:
    prompt = await _checkin_prompt(harness)
    await harness.user(1001).press("Did them all", message=prompt)
    async with harness.services.sessions() as session:
        assert (await session.execute(select(ButtonPress))).scalars().all() != []
    harness.clock.advance(timedelta(days=3))
    await harness.user(1001).say("/help")  # any update prunes, at most once an hour
    async with harness.services.sessions() as session:
        assert (await session.execute(select(ButtonPress))).scalars().all() == []
