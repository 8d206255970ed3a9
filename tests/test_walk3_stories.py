"""Defects found walking injured runners' stories in the terminal chat (walk 3): what a user
reads after a red flag's follow-up, during a pain watch and right after a hold ends."""

from __future__ import annotations

from datetime import timedelta

from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboarded
from tests.helpers.seed import advance_to_after_pt_prompt, give_pt_session_today, make_user

EMERGENCY = "pins and needles in both legs and I peed myself a bit"
URGENT = "my calf is swollen and hot since my flight yesterday"


async def test_not_yet_after_an_urgent_flag_keeps_the_same_day_urgency(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say(URGENT)
    assert "today" in (user.last.text or "")
    await harness.advance(timedelta(days=1, hours=2), step=timedelta(minutes=30))
    await user.press("Not yet")
    reply = user.last.text or ""
    # The flag said "today"; the follow-up must not soften that to "as soon as you can".
    assert "today" in reply and "as soon as you can" not in reply, reply
    assert "emergency number" in reply, reply


async def test_not_yet_after_an_emergency_flag_leads_with_emergency_care(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say(EMERGENCY)
    await harness.advance(timedelta(days=1, hours=2), step=timedelta(minutes=30))
    await user.press("Not yet")
    reply = user.last.text or ""
    assert "emergency care now" in reply and "as soon as you can" not in reply, reply


async def test_the_after_pt_message_during_a_watch_does_not_push_home_practice(
    harness: BotHarness,
) -> None:
    user_id = await make_user(harness)
    await give_pt_session_today(harness, user_id)
    user = harness.user(1001)
    await user.say("my shin hurts when I hop on it")  # a "contact" sign: a watch
    prompt = await advance_to_after_pt_prompt(harness, user)
    text = prompt.text or ""
    # The watch advice said "tell your PT before building up": the after-PT message asks
    # what changed and reminds them of that, and no motivational nudge pushes practice.
    assert "what you told me" in text, text
    assert "Note what changed" in " ".join(label for label, _ in prompt.buttons)
