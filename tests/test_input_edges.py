"""What users type where the bot expects something else (issue 18, "Input"): typed answers
that say what a button says are taken, questions are answered instead of being stored as
exercises, unknown commands get a reply, and a typed answer closes the question's keyboard."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.db.models import Exercise, RehabProfile
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.onboarding import to_area_question


async def _to_exercises(user: SimUser) -> None:
    await to_area_question(user)
    await user.press("Knee")
    await user.press("A few days ago")
    await user.press("0")  # no PT sessions: straight to the exercises


async def _plan(harness: BotHarness) -> list[str]:
    async with harness.services.sessions() as session:
        return list((await session.execute(select(Exercise.name))).scalars())


async def test_injury_area_typed_as_the_button_reads_is_accepted(harness: BotHarness) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.say("my knee")
    assert (user.last.text or "").startswith("When did you stop running?")
    await user.say("about a week ago")  # the "About a week ago" button, typed
    assert (user.last.text or "").startswith("How many physical therapy sessions")


async def test_unmatched_area_text_still_asks_for_a_button(harness: BotHarness) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.say("lower back")
    assert "pick one of the buttons" in (user.last.text or "")


async def test_questions_and_places_at_the_exercise_step_never_become_exercises(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await _to_exercises(user)
    for text in ("U a real person?", "Should i ice or heat it", "New york", "hi"):
        before = len(user.texts)
        await user.say(text)
        replies = user.texts[before:]
        assert replies and not any(r.startswith("Added:") for r in replies), (text, replies)
    await user.say("Monster walks 3x10")
    assert any("Added: Monster walks" in t for t in user.texts[-2:])
    await user.press("Confirm")
    await user.press("19:00")
    await user.say("Berlin")
    await user.press("All set")
    assert await _plan(harness) == ["Monster walks"]


async def test_a_question_during_set_up_gets_an_answer_then_the_step_again(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await _to_exercises(user)
    before = len(user.texts)
    await user.say("Should I ice or heat my knee?")
    replies = user.texts[before:]
    assert len(replies) >= 2
    assert replies[-1].startswith("Back to set-up:")
    assert "ice" in replies[0].lower() or "/faq" in replies[0]


async def test_unknown_command_gets_a_friendly_pointer_to_help(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/foobar")
    assert "/foobar" in (user.last.text or "") and "/help" in (user.last.text or "")


async def test_typed_area_is_stored(harness: BotHarness) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.say("Achilles")
    await user.press("A few days ago")
    await user.press("0")
    await user.press("Confirm")
    await user.press("19:00")
    await user.say("Berlin")
    await user.press("All set")
    async with harness.services.sessions() as session:
        area = (await session.execute(select(RehabProfile.injury_area))).scalar_one()
    assert area == "achilles_calf"


async def test_a_typed_answer_closes_the_questions_keyboard_like_a_tap(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Knee")
    question = user.last  # "When did you stop running?" with its buttons
    assert question.buttons
    await user.say("3 days ago")
    assert not question.buttons  # the old "Today / A few days ago" buttons are gone
    assert user.last.buttons  # the next question has its own
    pt_question = user.last
    await user.say("0")
    assert not pt_question.buttons


async def test_a_refused_typed_answer_leaves_a_live_keyboard_to_answer_with(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Knee")
    await user.say("sometime")
    assert "couldn't read" in (user.last.text or "")
    assert user.last.buttons  # asked again, with buttons
    await user.press("A few days ago")
    assert (user.last.text or "").startswith("How many physical therapy sessions")


async def test_digits_python_cannot_read_as_a_number_get_an_answer_not_an_error(
    harness: BotHarness,
) -> None:
    """ "³" and "²" are digits to str.isdigit() but int() refuses them: typed under a menu, at
    the safety follow-up or anywhere a number is read, they are text like any other."""
    from tests.helpers.onboarding import onboarded
    from tests.test_safety_stories import URGENT

    user = await onboarded(harness)
    errors = harness.services.metrics.count("errors", source="handler")
    await user.say("/settings")
    await user.say("³")
    await user.say(URGENT)
    await harness.advance(timedelta(days=2), step=timedelta(hours=1))  # the follow-up is open
    assert any("able to see" in t for t in user.texts[-3:]), user.texts[-3:]
    await user.say("²")
    await user.say("/running")
    await user.say("¹")
    assert harness.services.metrics.count("errors", source="handler") == errors
    assert not any("went wrong" in t.lower() for t in user.texts)
