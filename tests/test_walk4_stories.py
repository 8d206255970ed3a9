"""Defects found walking runners' stories in the terminal chat (walk 4): answers typed in a
runner's own words at the safety follow-up, at the check-in and the morning after, and what
the bot says about the user's data while they do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.content import load_safety_text
from bot.domain.safety import SafetyLevel
from bot.services.safety import state_of
from bot.services.users import get_user
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.onboarding import onboarded

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
