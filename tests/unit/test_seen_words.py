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


@pytest.mark.parametrize(
    "text",
    ["no", "Nope!", "not yet", "No, not yet.", "I haven't seen the doctor yet",
     "didn't get to the GP... not been to the GP yet",
     "I can't get an appointment with the physio"],
)  # fmt: skip
def test_not_seen_yet(text: str) -> None:
    assert says_not_seen_yet(text, CLINICIAN, SEEN, NEGATION, NOT_YET)
    assert not says_seen(text, CLINICIAN, SEEN, NEGATION)


@pytest.mark.parametrize(
    "text",
    ["I saw my doctor today", "yes", "no pain today", "I'm not sure", "the physio is great",
     "notyet"],
)  # fmt: skip
def test_not_a_not_yet(text: str) -> None:
    assert not says_not_seen_yet(text, CLINICIAN, SEEN, NEGATION, NOT_YET)
