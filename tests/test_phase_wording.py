"""Advice fits the user's phase: PT Coach users have stopped running, so a red flag's advice
does not tell them to "ease off running"; once their PT has cleared them and they are back
on the return-to-running ladder, it does. Through the real bot, on both databases."""

from __future__ import annotations

import re

from bot.domain.content import load_nudges
from bot.domain.triage import default_triager
from tests.harness.bot import BotHarness
from tests.helpers.running import clear_to_run
from tests.helpers.seed import make_user

NIGHT_PAIN = "my knee aches even when I'm resting and it woke me at night"
HOP_PAIN = "my shin hurts when I hop on it"
# Advice that only fits someone who is running now.
RUNNING_NOW = re.compile(
    r"\b(?:ease off|stop|hold off|keep|before you keep) running\b|\byour (?:next )?runs?\b"
    r"|\bfrom run to run\b|\beach run\b",
    re.IGNORECASE,
)


async def test_a_user_in_rehab_is_not_told_to_ease_off_running(harness: BotHarness) -> None:
    await make_user(harness)
    user = harness.user(1001)
    advice = await user.say(NIGHT_PAIN)
    assert advice is not None
    text = advice.text or ""
    assert "deserves a proper check" in text  # the rest-and-night-pain advice
    assert "ease off the exercises that bring it on" in text
    assert not RUNNING_NOW.search(text), text
    await user.say(HOP_PAIN)
    hop = user.last.text or ""
    assert "bone stress" in hop and not RUNNING_NOW.search(hop), hop


async def test_a_user_back_to_running_is_told_to_ease_off_running(harness: BotHarness) -> None:
    await make_user(harness)
    user = harness.user(1001)
    await clear_to_run(user)  # cleared by the clinician: the return-to-running phase
    advice = await user.say(NIGHT_PAIN)
    assert advice is not None and "Please ease off running" in (advice.text or "")
    await user.say(HOP_PAIN)
    assert "stop running and hopping" in (user.last.text or "")


async def test_the_faq_path_words_the_advice_for_the_phase_too(harness: BotHarness) -> None:
    """A question carrying a red flag, asked through /faq's path, gets the same advice."""
    await make_user(harness)
    user = harness.user(1001)
    await user.say("/faq")
    await user.say("is it normal that my knee hurts at rest and wakes me at night?")
    text = user.last.text or ""
    assert "deserves a proper check" in text and not RUNNING_NOW.search(text), text


def test_no_default_advice_assumes_the_user_is_running() -> None:
    """Content check: every red flag's default advice, and every nudge outside the
    return-to-running phase, fits someone who has stopped running."""
    for flag in default_triager()._flags:
        assert not RUNNING_NOW.search(flag.message), flag.id
    for nudge in load_nudges():
        if "return_to_running" not in nudge.phases:
            assert not RUNNING_NOW.search(nudge.text), nudge.id
