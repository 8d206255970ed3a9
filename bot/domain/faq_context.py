"""The asker's context in FAQ answers: their injury area and phase break near-ties, shape the
wording, and a message with several questions gets its main answer plus the rest as buttons.

Pure rules on top of ``FaqIndex``: the index ranks entries for the words alone; this module
decides what the user's own situation changes. It never overrides a clear winner: only
entries the index scores almost equally are reordered, and only when the question does not
name an injury area itself (someone with an Achilles problem asking about their knee means
the knee).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.faq import FaqEntry, Match

NEAR_TIE = 0.10
"""Entries scoring within this share of the top score count as tied for the user's context."""

RETURN_TOPIC = "Return to running"
"""The FAQ topic that a user who is back to running is most likely asking about."""

MIN_QUESTION_CHARS = 8
MAX_EXTRA_QUESTIONS = 3


@dataclass(frozen=True)
class Asker:
    """What the FAQ may use about the person asking (nothing else about them)."""

    area_id: str | None = None  # an injury-area id from exercises.toml; None when unknown
    area_phrase: str = ""  # how the area reads in a sentence ("Achilles")
    returning: bool = False  # cleared by their PT and following the return-to-run ladder

    @property
    def knows_area(self) -> bool:
        return self.area_id is not None and self.area_id != "other"


def _mentions(text: str, names: Sequence[str]) -> bool:
    """Whether ``text`` uses one of ``names`` as a word (or its plural: "knees")."""
    lowered = text.lower().replace("\u2019", "'")
    return any(
        re.search(rf"\b{re.escape(name.strip().lower())}s?\b", lowered)
        for name in names
        if name.strip()
    )


def areas_named(text: str, area_names: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The injury areas a piece of text names ("my heel and calf" names the Achilles area)."""
    return frozenset(area for area, names in area_names.items() if _mentions(text, names))


def entry_areas(entry: FaqEntry) -> frozenset[str]:
    """The injury areas an entry is specifically about, as its author tagged it (``areas``).
    Not read from its words: a general entry about imaging may well mention a knee."""
    return frozenset(entry.areas)


def _closeness(entry: FaqEntry, asker: Asker) -> int:
    """2: about the asker's own area; 1: about injuries in general; 0: about another area."""
    about = entry_areas(entry)
    if not about:
        return 1
    return 2 if asker.area_id in about else 0


def prefer_for_asker(
    matches: Sequence[Match],
    question: str,
    asker: Asker,
    area_names: Mapping[str, Sequence[str]],
) -> FaqEntry | None:
    """The entry to answer with among near-ties, or None to keep the index's choice.

    Only an entry about *another* injury area is ever displaced: by a tied entry about the
    user's own area, else by a tied general one (an Achilles runner's "it only hurt a bit at
    the end" is not about the IT band). A general entry is never displaced by an area entry:
    "can I cycle with my IT band problem" is still about cycling. For a user back to running,
    a tied return-to-running entry wins over a general one."""
    if not matches:
        return None
    top = matches[0]
    tied = [m for m in matches[1:] if m.score >= top.score * (1 - NEAR_TIE)]
    if not tied:
        return None
    if (
        asker.knows_area
        and _closeness(top.entry, asker) == 0
        and not areas_named(question, area_names)
    ):
        best = max(tied, key=lambda m: _closeness(m.entry, asker))
        if _closeness(best.entry, asker) > 0:
            return best.entry
    if asker.returning and top.entry.topic != RETURN_TOPIC and not entry_areas(top.entry):
        for match in tied:
            if match.entry.topic == RETURN_TOPIC:
                return match.entry
    return None


def order_for_asker(
    entries: Sequence[FaqEntry],
    question: str,
    asker: Asker | None,
    area_names: Mapping[str, Sequence[str]],
) -> tuple[FaqEntry, ...]:
    """Suggestions for an unclear question, the user's own area first and other areas last
    (keeping the index's order otherwise); as given when the question names an area."""
    if asker is None or not asker.knows_area or areas_named(question, area_names):
        return tuple(entries)
    return tuple(sorted(entries, key=lambda e: -_closeness(e, asker)))


class Fit(StrEnum):
    """How an answer relates to the asker's own injury area."""

    UNKNOWN = "unknown"  # we do not know their area, or the entry is about no area
    OWN_AREA = "own_area"  # the entry is about their area
    OTHER_AREA = "other_area"  # about another area, which their question did not name


@dataclass(frozen=True)
class AreaFit:
    fit: Fit
    entry_area: str = ""  # for OTHER_AREA: the area id the entry is about


def area_fit(
    entry: FaqEntry, question: str, asker: Asker | None, area_names: Mapping[str, Sequence[str]]
) -> AreaFit:
    """Whether an answer is about the user's own area, or about another one they did not ask
    about (so that a general answer is not taken as advice on their injury)."""
    if asker is None or not asker.knows_area:
        return AreaFit(Fit.UNKNOWN)
    about = entry_areas(entry)
    if asker.area_id in about:
        return AreaFit(Fit.OWN_AREA)
    others = sorted(about)
    if others and not areas_named(question, area_names):
        return AreaFit(Fit.OTHER_AREA, others[0])
    return AreaFit(Fit.UNKNOWN)


_SENTENCE_END = re.compile(r"(?<=[?!.])\s+|\n+")


def questions_in(text: str) -> tuple[str, ...]:
    """The separate questions in a message, in order ("How long...? And can I swim?" is two).
    A message with fewer than two questions gives ()."""
    found = [
        part.strip()
        for part in _SENTENCE_END.split(text)
        if part.strip().endswith("?") and len(part.strip()) >= MIN_QUESTION_CHARS
    ]
    return tuple(found) if len(found) >= 2 else ()
