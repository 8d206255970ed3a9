"""Defects found walking runners' stories in the terminal chat (walk 4): answers typed in a
runner's own words at the safety follow-up, at the check-in and the morning after, and what
the bot says about the user's data while they do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.content import load_checkin_text, load_safety_text
from bot.domain.safety import SafetyLevel
from bot.services.safety import state_of
from bot.services.users import get_user
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.onboarding import onboarded
from tests.helpers.seed import at_first_checkin, checkins

EMERGENCY = "numb between my legs and trouble peeing since this morning"
URGENT = "my calf is swollen and hot since my flight yesterday"


async def _level(harness: BotHarness, user: SimUser) -> SafetyLevel:
    async with harness.services.sessions() as session:
        row = await get_user(session, user.id)
        assert row is not None
        return state_of(row).level


async def _at_followup(harness: BotHarness, flag: str) -> SimUser:
    user = await onboarded(harness)
    await user.say(flag)
    await harness.advance(timedelta(days=1, hours=2), step=timedelta(minutes=30))
    assert "see" in (user.last.text or "") or "seen" in (user.last.text or "")
    return user


@pytest.mark.parametrize(
    "typed",
    ["I'll see the physio tomorrow", "I'm seeing my GP on friday", "booked for Friday",
     "appointment next week", "going to see the doctor later", "I can't get an appointment"],
)  # fmt: skip
async def test_a_visit_still_ahead_typed_at_the_follow_up_is_not_yet(
    harness: BotHarness, typed: str
) -> None:
    user = await _at_followup(harness, URGENT)
    reply = await user.say(typed)
    text = (reply.text if reply else "") or ""
    # The "Not yet" answer: it keeps the first advice's urgency ("today"), and the hold.
    assert text in load_safety_text().variants("answer.not_yet"), text
    assert await _level(harness, user) is SafetyLevel.URGENT


async def test_a_plan_to_see_the_physio_tomorrow_after_an_emergency_sign_is_told_now(
    harness: BotHarness,
) -> None:
    user = await _at_followup(harness, EMERGENCY)
    reply = await user.say("I'll see the physio tomorrow")
    text = (reply.text if reply else "") or ""
    assert "emergency care now" in text, text
    assert await _level(harness, user) is SafetyLevel.EMERGENCY


async def test_no_typed_to_did_they_clear_you_keeps_the_hold_and_says_so(
    harness: BotHarness,
) -> None:
    user = await _at_followup(harness, EMERGENCY)
    asked = await user.say("saw the GP, she said carry on")
    assert "clear you" in ((asked.text if asked else "") or "")
    reply = await user.say("no")
    text = (reply.text if reply else "") or ""
    assert text == load_safety_text().render("answer.not_cleared"), text
    assert await _level(harness, user) is SafetyLevel.EMERGENCY
    assert "Cleared to carry on" in " ".join(label for label, _ in user.last.buttons)


async def _left_the_note_question_open(harness: BotHarness, pain: str) -> SimUser:
    """The first check-in (Berlin 19:05, Friday): done, ``pain`` tapped, and the "want to add
    a note?" question left unanswered, as most people leave it."""
    user = await at_first_checkin(harness)
    await user.press("Did them all")
    await user.press(pain)
    assert "note" in (user.last.text or "")
    return user


async def test_the_morning_answer_typed_after_an_unanswered_note_question_is_recorded(
    harness: BotHarness,
) -> None:
    user = await _left_the_note_question_open(harness, "6")
    await harness.advance(timedelta(hours=14), step=timedelta(minutes=30))  # Saturday morning
    assert "this morning" in (user.last.text or "") or "today" in (user.last.text or "")
    reply = await user.say("worse")
    text = (reply.text if reply else "") or ""
    assert "closed" not in text, text
    assert text in load_checkin_text().variants("morning_response.worse"), text
    rows = await checkins(harness)
    assert rows[0].morning_response == "worse" and rows[0].note is None


async def test_the_next_evenings_typed_check_in_is_not_lost_to_last_nights_note_question(
    harness: BotHarness,
) -> None:
    user = await _left_the_note_question_open(harness, "2")
    await harness.advance(timedelta(days=1), step=timedelta(minutes=30))  # Saturday 19:05
    reply = await user.say("did them all")
    text = (reply.text if reply else "") or ""
    assert "closed" not in text and "10" in [label for label, _ in user.last.buttons], text
    days = [(row.local_date.isoformat(), row.status) for row in await checkins(harness)]
    assert days == [("2026-11-27", "done"), ("2026-11-28", "done")], days


async def test_an_answer_to_the_safety_follow_up_is_not_lost_to_an_old_note_question(
    harness: BotHarness,
) -> None:
    user = await _left_the_note_question_open(harness, "2")
    await harness.advance(timedelta(hours=16), step=timedelta(minutes=30))
    await user.say(EMERGENCY)
    await harness.advance(timedelta(days=1, hours=2), step=timedelta(minutes=30))
    reply = await user.say("not yet")
    text = (reply.text if reply else "") or ""
    # Not "Today's check-in will come at the usual time": check-ins are paused.
    assert "emergency care now" in text, text


async def test_not_today_typed_with_the_reason_answers_the_check_in(harness: BotHarness) -> None:
    user = await at_first_checkin(harness)
    reply = await user.say("not today, too busy at work")
    text = (reply.text if reply else "") or ""
    # As the "Not today" tap: what got in the way, its buttons, then the day is recorded.
    asked = {v.split("{")[0] for v in load_checkin_text().variants("ask_reason")}
    assert any(text.startswith(v) for v in asked), text
    await user.press("No time")
    assert [row.status for row in await checkins(harness)] == ["skipped"]


async def test_did_some_typed_with_which_ones_asks_which_like_the_tap(harness: BotHarness) -> None:
    user = await at_first_checkin(harness)
    reply = await user.say("did some of them, only the glute bridges")
    text = (reply.text if reply else "") or ""
    assert any(v in text for v in load_checkin_text().variants("ask_which")), text
    assert "Glute bridges" in " ".join(label for label, _ in user.last.buttons)
