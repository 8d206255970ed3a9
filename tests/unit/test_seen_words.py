"""How typed words answer "were you able to see someone?" (bot/domain/safety.py), with the
word lists a physical therapist edits in safety.toml [seen_words]."""

from __future__ import annotations

import pytest

from bot.domain.content import load_safety_text
from bot.domain.safety import says_not_seen_yet, says_seen

WORDS = load_safety_text()
CLINICIAN, SEEN, NEGATION, NOT_YET = (
    WORDS.variants(f"seen_words.{group}") for group in ("clinician", "seen", "negation", "not_yet")
)
AHEAD = {
    group: WORDS.variants(f"seen_words.{group}") for group in ("plans", "visits", "reported")
}


@pytest.mark.parametrize(
    "text",
    ["no", "Nope!", "not yet", "No, not yet.", "I haven't seen the doctor yet",
     "didn't get to the GP... not been to the GP yet",
     "I can't get an appointment with the physio", "I'll see the physio tomorrow",
     "I'm seeing my GP on Friday", "going to see the doctor", "booked for Friday",
     "appointment next week", "I'll go to A&E tonight", "I can't get an appointment"],
)  # fmt: skip
def test_not_seen_yet(text: str) -> None:
    assert says_not_seen_yet(text, CLINICIAN, SEEN, NEGATION, NOT_YET, **AHEAD)
    assert not says_seen(text, CLINICIAN, SEEN, NEGATION)


@pytest.mark.parametrize(
    "text",
    ["I saw my doctor today", "yes", "no pain today", "I'm not sure", "the physio is great",
     "notyet", "the doctor said I'll be fine", "I had my appointment yesterday",
     "my physio appointment went well"],
)  # fmt: skip
def test_not_a_not_yet(text: str) -> None:
    assert not says_not_seen_yet(text, CLINICIAN, SEEN, NEGATION, NOT_YET, **AHEAD)
