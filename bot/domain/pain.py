"""The one pain model: every threshold PT Coach applies to a 0-10 pain score lives here.

It follows the pain-monitoring model used in Achilles tendinopathy research (Silbernagel et
al., AJSM 2007) as physiotherapists teach it, plus the clinic guidance in
``shared/reference/clinical-facts.md``:

* during rehab exercise, 0-3 is safe, 4-5 is acceptable if it has settled by the next
  morning, and above 5 is too much: ease off and tell the physical therapist;
* above 6, or the ceiling broken in two sessions running, or "worse next morning" twice, or
  a rising run of scores, is an escalation: stop the painful exercise and contact the
  physical therapist before the next session;
* on a run (return to running), keep pain at 3 or below and walk if it climbs past 3;
* the next morning matters more than the score during exercise, so the morning question is
  asked only when the score was above the safe band.

Content (FAQ answers, nudges, check-in replies) quotes these numbers; a test in
``tests/unit/test_content_pain_numbers.py`` fails when a text disagrees with them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

PAIN_MIN = 0
PAIN_MAX = 10

SAFE_MAX = 3
"""Up to here during exercise is fine."""
ACCEPTABLE_MAX = 5
"""4-5 is acceptable if it has settled by the next morning; above this is too much."""
SEE_PROFESSIONAL_ABOVE = 6
"""Above this, contact a physical therapist or doctor (not just ease off)."""
RUN_MAX = 3
"""On a run: keep pain at or below this; walk if it climbs past it."""
RISE_MIN_POINTS = 2
"""A run of scores that never falls and climbs at least this much is "rising"."""
RISE_MIN_SCORES = 3
CEILING_BREAKS_TO_ESCALATE = 2
"""Sessions in a row above ``ACCEPTABLE_MAX`` that make an escalation."""
WORSE_MORNINGS_TO_ESCALATE = 2
"""Next-morning "worse" answers in a row that make an escalation."""


class PainBand(StrEnum):
    LOW = "low"  # 0-3
    MODERATE = "moderate"  # 4-5
    HIGH = "high"  # 6 and above (above the ceiling)


def check_score(pain: int) -> int:
    if not PAIN_MIN <= pain <= PAIN_MAX:
        raise ValueError(f"pain must be {PAIN_MIN}-{PAIN_MAX}, got {pain}")
    return pain


def band(pain: int) -> PainBand:
    """Which band of the model a score during exercise falls into."""
    check_score(pain)
    if pain <= SAFE_MAX:
        return PainBand.LOW
    if pain <= ACCEPTABLE_MAX:
        return PainBand.MODERATE
    return PainBand.HIGH


def above_ceiling(pain: int | None) -> bool:
    """Too much for an exercise session: ease off and tell the therapist."""
    return pain is not None and pain > ACCEPTABLE_MAX


def needs_professional(pain: int | None) -> bool:
    """High enough on its own to contact a physical therapist or doctor."""
    return pain is not None and pain > SEE_PROFESSIONAL_ABOVE


def above_safe_band(pain: int | None) -> bool:
    """Above the comfortable 0-3 band: worth watching how it settles."""
    return pain is not None and pain > SAFE_MAX


def ask_next_morning(pain: int | None) -> bool:
    """Whether the next-morning question matters: only above the safe band."""
    return above_safe_band(pain)


def painful_day(pain: int | None, morning: str | None) -> bool:
    """A day with pain worth taking into account: above the safe band, or worse next morning."""
    return above_safe_band(pain) or morning == "worse"


def is_flare(pain: int | None, morning: str | None) -> bool:
    """A day that counts as a flare: above the ceiling, or worse the next morning."""
    return above_ceiling(pain) or morning == "worse"


def rising(pains: Sequence[int]) -> bool:
    """Pain climbing across recent sessions: enough scores, never falling, up by enough."""
    if len(pains) < RISE_MIN_SCORES:
        return False
    return (
        all(b >= a for a, b in itertools.pairwise(pains))
        and pains[-1] - pains[0] >= RISE_MIN_POINTS
    )


class EscalationReason(StrEnum):
    VERY_HIGH = "very_high"  # one score above SEE_PROFESSIONAL_ABOVE
    CEILING_TWICE = "ceiling_twice"  # above the ceiling in consecutive sessions
    WORSE_MORNINGS = "worse_mornings"  # "worse" next morning in a row
    RISING = "rising"  # a rising run of scores


PAIN_FLAG_PREFIX = "pain-"
"""Report rows for pain escalations are named ``pain-<reason>``; red flags use triage ids."""


def pain_flag(reason: EscalationReason) -> str:
    return f"{PAIN_FLAG_PREFIX}{reason.value}"


@dataclass(frozen=True)
class PainDay:
    """One session as the pain model sees it (oldest first in a sequence)."""

    pain: int | None
    morning: str | None = None


def escalation(recent: Sequence[PainDay]) -> EscalationReason | None:
    """Whether the latest sessions call for contacting the physical therapist.

    ``recent`` is the user's recent sessions with a score or a morning answer, oldest first,
    ending with the one just recorded.
    """
    if not recent:
        return None
    last = recent[-1]
    if last.pain is not None and last.pain > SEE_PROFESSIONAL_ABOVE:
        return EscalationReason.VERY_HIGH
    scored = [d.pain for d in recent if d.pain is not None]
    if len(scored) >= CEILING_BREAKS_TO_ESCALATE and all(
        p > ACCEPTABLE_MAX for p in scored[-CEILING_BREAKS_TO_ESCALATE:]
    ):
        return EscalationReason.CEILING_TWICE
    answered = [d.morning for d in recent if d.morning is not None]
    if len(answered) >= WORSE_MORNINGS_TO_ESCALATE and all(
        m == "worse" for m in answered[-WORSE_MORNINGS_TO_ESCALATE:]
    ):
        return EscalationReason.WORSE_MORNINGS
    if rising(scored[-5:]) and scored[-1] > SAFE_MAX:
        return EscalationReason.RISING
    return None


_WORD_SCORES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_NO_PAIN = re.compile(r"^\s*(no|zero|nil|none)\s+pain\b|^\s*(no pain|pain[- ]free)\b", re.I)
_LEADING_SCORE = re.compile(
    r"^\s*(?:(?:my\s+)?pain(?:\s+(?:is|was|of|at))?[\s:=]*|about\s+(?:an?\s+)?|around\s+(?:an?\s+)?"
    r"|maybe\s+(?:an?\s+)?|a\s+|an\s+)?"
    r"(?P<score>-?\d{1,3}|zero|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"(?:\s*(?:/|out\s+of|of)\s*10)?(?!\d|[.,/]\d)(?P<rest>.*)$",
    re.I | re.S,
)


def parse_typed_pain(text: str) -> int | None:
    """A pain score typed instead of tapped ("6", "6/10", "about a 7", "pain 5/10",
    "7 and it woke me at night", "six", "no pain"), or None when the text does not start
    with a score in the model's range (so "11", "-1" or a sentence are not guessed at)."""
    if _NO_PAIN.match(text):
        return PAIN_MIN
    match = _LEADING_SCORE.match(text)
    if match is None:
        return None
    raw = match.group("score").lower()
    score = _WORD_SCORES[raw] if raw in _WORD_SCORES else int(raw)
    rest = match.group("rest")
    if raw in _WORD_SCORES and rest.strip(" .!"):
        return None  # "one of my exercises hurt": a word is a score only on its own
    if rest and rest[0].isalnum():  # "7am", "5k": not a score
        return None
    if not PAIN_MIN <= score <= PAIN_MAX:
        return None
    return score
