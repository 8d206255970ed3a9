"""Red-flag triage: the first thing every user message goes through.

A runner who writes "my calf is swollen and hot" must be told to get care,
not handed a stretching tip.  The words, rules, levels and messages live in
``bot/content/red_flags.toml`` so a physical therapist can edit them; this
module only knows how to match them.

Matching works on folded, typo-corrected, stemmed tokens:

* concepts are lists of phrases ("pins and needles", "even ... sitting" where
  "..." is a gap of up to three words that never crosses a clause break);
* a flag fires when all concepts of any one of its rules occur, and none of
  its ``unless`` concepts do;
* a negator ("no", "doesn't", ...) switches off the next few words, unless
  the negator is itself part of a matched phrase ("can not walk",
  "haven't had a period") or is followed by an idiom word ("no idea why");
* an idiom ("faint-hearted", "hip hop", "warm up", "a faint ache") masks every
  concept word it covers, so a figure of speech never reads as a symptom;
* a symptom followed in its clause by a resolution ("the swelling has gone
  down", "the numbness went away") is switched off, unless it came back;
* a symptom in a clause told as history ("I had a DVT years ago", "a cancer
  survivor") is switched off, unless the clause also says it is back or still
  there ("still", "again", "now"); concepts listed in ``[history].keep`` are
  history by nature and stay on;
* a story that ends in recovery ("... I took two months off, and now I have zero
  pain anywhere", "... Now I'm back to running marathons") switches off every
  symptom told before it, as long as nothing after it is a symptom, a relapse or
  a present word (a concept of ``[recovery].neutral``, a place or a guess, is no
  symptom); concepts in ``[recovery].keep`` (chest pain, fainting: "it has passed"
  still needs a doctor) are switched off only when the story is marked as history
  ("in the fall of 2016");
* a flag's ``unless`` concepts (an explained cause: "because I'd laced my shoes too
  tightly") cancel it, except when one of its ``unless_cancelled_by`` concepts is
  there too ("I loosened my laces but it still happens");
* a flag with ``same_clause = true`` fires only when all concepts of one rule come in
  one clause (clauses end at punctuation and at ``[clauses].breaks``): "I can walk,
  I just can't run" is not "can't walk".

False alarms cost trust but a missed emergency costs far more, so ties and
doubts resolve towards firing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Literal, cast

from bot.domain.content import load
from bot.domain.content.loaders import RED_FLAGS_FILE
from bot.domain.content.models import RedFlagsFile
from bot.domain.textnorm import BREAK, TypoCorrector, stem, stem_all, tokenize

Level = Literal["emergency", "urgent", "contact"]

RED_FLAGS_PATH = RED_FLAGS_FILE
GAP = "..."
MAX_GAP = 3
# Reserved names for the modifier phrases of red_flags.toml, matched like concepts.
_IDIOM, _RESOLVED, _RELAPSE, _HISTORY, _PRESENT, _RECOVERED = (
    "@idiom",
    "@resolved",
    "@relapse",
    "@history",
    "@present",
    "@recovered",
)
_MODIFIERS = frozenset({_IDIOM, _RESOLVED, _RELAPSE, _HISTORY, _PRESENT, _RECOVERED})
# Words that carry a symptom over a clause break into its resolution ("but it's gone").
_PRONOUNS = frozenset({"it", "that", "this", "they", "which", "thank", "thankfully"})
_LEVEL_RANK: dict[str, int] = {"emergency": 0, "urgent": 1, "contact": 2}


@dataclass(frozen=True)
class TriageResult:
    """What triage decided; ``message`` is what the bot should say verbatim."""

    flag: str | None
    level: Level | None
    message: str
    also: tuple[str, ...] = ()  # other flags that fired, for logging
    message_running: str | None = None

    @property
    def is_red_flag(self) -> bool:
        return self.flag is not None

    def message_for(self, running: bool) -> str:
        """The advice for the user's phase: PT Coach users have stopped running, so
        ``message`` must fit them; ``running`` (the return-to-running phase) gets the flag's
        running wording where it has one ("ease off running")."""
        return self.message_running if running and self.message_running else self.message


NO_FLAG = TriageResult(flag=None, level=None, message="")


@dataclass(frozen=True)
class RedFlag:
    id: str
    level: Level
    message: str
    rules: tuple[frozenset[str], ...]
    unless: frozenset[str]
    unless_cancelled_by: frozenset[str] = frozenset()
    # All concepts of a rule must come in one clause: "I can walk, but I can't run" is no
    # "can't walk".
    same_clause: bool = False
    message_running: str | None = None


@dataclass(frozen=True)
class _Match:
    concept: str
    positions: tuple[int, ...]  # matched (non-gap) token positions
    has_negator: bool


class Triager:
    """Compiled red-flag rules; build once, call ``triage`` per message."""

    def __init__(
        self,
        concepts: dict[str, Sequence[str]],
        flags: Sequence[RedFlag],
        *,
        negators: Iterable[str],
        scope: int,
        breakers: Iterable[str],
        exempt_next: Iterable[str],
        typo_targets: Iterable[str],
        typo_protect: Iterable[str],
        idioms: Iterable[str] = (),
        resolved: Iterable[str] = (),
        resolved_then: Iterable[str] = (),
        relapse: Iterable[str] = (),
        history_markers: Iterable[str] = (),
        history_stops: Iterable[str] = (),
        history_present: Iterable[str] = (),
        history_keep: Iterable[str] = (),
        history_year_after: Iterable[str] = (),
        recovered: Iterable[str] = (),
        recovery_keep: Iterable[str] = (),
        recovery_neutral: Iterable[str] = (),
        clause_breaks: Iterable[str] = (),
    ) -> None:
        self._flags = tuple(flags)
        self._clause_breaks = frozenset(stem(w) for w in clause_breaks)
        # Modifier phrases are matched like concepts, under reserved names.
        modifiers = {
            _IDIOM: list(idioms),
            _RESOLVED: list(resolved),
            _RELAPSE: list(relapse),
            _HISTORY: list(history_markers),
            _PRESENT: list(history_present),
            _RECOVERED: list(recovered),
        }
        clash = set(modifiers) & set(concepts)
        if clash:
            raise ValueError(f"concept names {sorted(clash)} are reserved")
        concepts = {**concepts, **{k: v for k, v in modifiers.items() if v}}
        self._resolved_then = frozenset(stem(w) for w in resolved_then)
        self._history_stops = frozenset(stem(w) for w in history_stops)
        self._history_keep = frozenset(history_keep)
        self._year_after = frozenset(stem(w) for w in history_year_after)
        self._recovery_keep = frozenset(recovery_keep)
        self._recovery_neutral = frozenset(recovery_neutral)
        self._negators = frozenset(stem(w) for w in negators)
        self._scope = scope
        self._breakers = frozenset(stem(w) for w in breakers)
        self._exempt = frozenset(stem(w) for w in exempt_next)
        # first stem -> [(concept, phrase stems)]
        self._phrases: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        known_words: set[str] = set()
        for name, phrases in concepts.items():
            for phrase in phrases:
                words = [w for w in phrase.split() if w != GAP]
                known_words.update(t for w in words for t in tokenize(w))
                parts: list[str] = []
                for raw in phrase.split():
                    parts.extend([GAP] if raw == GAP else stem_all(tokenize(raw)))
                if not parts or parts[0] == GAP or parts[-1] == GAP:
                    raise ValueError(f"concept {name!r}: bad phrase {phrase!r}")
                self._phrases.setdefault(parts[0], []).append((name, tuple(parts)))
        self._typos = TypoCorrector(typo_targets, known=known_words | set(typo_protect), min_len=6)

    # ------------------------------------------------------------ matching
    def _match_at(self, stems: Sequence[str], start: int, phrase: tuple[str, ...]) -> list[int]:
        """Positions of the phrase's words if it matches at ``start``, else []."""

        def walk(i: int, p: int, acc: list[int]) -> list[int]:
            if p == len(phrase):
                return acc
            if phrase[p] == GAP:
                for skip in range(MAX_GAP + 1):
                    j = i + skip
                    if j > len(stems) or BREAK in stems[i:j]:
                        break
                    found = walk(j, p + 1, acc)
                    if found:
                        return found
                return []
            if i < len(stems) and stems[i] == phrase[p]:
                return walk(i + 1, p + 1, [*acc, i])
            return []

        return walk(start, 0, [])

    def _matches(self, stems: Sequence[str]) -> list[_Match]:
        found: list[_Match] = []
        for i, word in enumerate(stems):
            for concept, phrase in self._phrases.get(word, ()):
                positions = self._match_at(stems, i, phrase)
                if positions:
                    has_neg = any(stems[p] in self._negators for p in positions)
                    found.append(_Match(concept, tuple(positions), has_neg))
        return found

    def _negated(self, stems: Sequence[str], matches: Sequence[_Match]) -> set[int]:
        neutral = {p for m in matches if m.has_negator for p in m.positions}
        negated: set[int] = set()
        for i, word in enumerate(stems):
            if word not in self._negators or i in neutral:
                continue
            if i + 1 < len(stems) and stems[i + 1] in self._exempt:
                continue
            for j in range(i + 1, min(len(stems), i + 1 + self._scope)):
                if stems[j] == BREAK or stems[j] in self._breakers:
                    break
                negated.add(j)
        return negated

    def _resolved(
        self,
        stems: Sequence[str],
        m: _Match,
        mods: Sequence[_Match],
        symptom: set[int],
        negated: set[int],
        cross_ok: bool = True,
    ) -> bool:
        """``m`` is followed in its clause by "has gone down", "went away", ... and not
        by "came back"; the clause may run over "and" only between two symptoms.  The
        resolution may also open the next clause with a pronoun ("a fever last week but
        it's gone now", "pins and needles, it went away when I stood up"), except for
        messages with an emergency concept of ``[recovery].keep`` ("chest pain on my run,
        it went away after a minute" still needs a doctor): ``cross_ok`` is False there,
        and nothing in such a message counts as resolved."""
        if not cross_ok:
            return False  # chest pain, fainting: "it went away" still needs a doctor
        end = m.positions[-1]
        for r in mods:
            if r.concept != _RESOLVED or r.positions[0] <= end or r.positions[0] in negated:
                continue  # "the pain did not subside" is no resolution
            between = range(end + 1, r.positions[0])
            bounds = [
                i
                for i in between
                if stems[i] == BREAK
                or (stems[i] in self._breakers and not {i - 1, i + 1} <= symptom)
            ]
            if bounds and not (
                len(bounds) == 1
                and cross_ok
                and all(stems[i] in _PRONOUNS for i in range(bounds[0] + 1, r.positions[0]))
            ):
                continue
            after = r.positions[-1] + 1
            if (
                after < len(stems)
                and stems[after] != BREAK
                and (stems[after] not in self._resolved_then)
            ):
                continue  # "gone down my leg" is spreading, not settling
            stop = next((i for i in range(after, len(stems)) if stems[i] == BREAK), len(stems))
            if any(x.concept == _RELAPSE and after <= x.positions[0] < stop for x in mods):
                continue
            return True
        return False

    def _dates(self, stems: Sequence[str]) -> list[_Match]:
        """A year after "in", "of" or a month ("in June 2015", "the fall of 2016") marks
        its clause as history, like the phrases of ``[history].markers``."""
        return [
            _Match(_HISTORY, (i,), False)
            for i in range(1, len(stems))
            if len(stems[i]) == 4
            and stems[i].isdecimal()
            and 1950 <= int(stems[i]) <= 2099
            and stems[i - 1] in self._year_after
        ]

    def _clause(self, stems: Sequence[str], pos: int) -> tuple[int, int]:
        """Bounds [start, stop) of the history clause around ``pos``."""

        def edge(i: int) -> bool:
            return stems[i] == BREAK or stems[i] in self._history_stops

        start = pos
        while start > 0 and not edge(start - 1):
            start -= 1
        stop = pos + 1
        while stop < len(stems) and not edge(stop):
            stop += 1
        return start, stop

    def _historical(self, stems: Sequence[str], m: _Match, mods: Sequence[_Match]) -> bool:
        if m.concept in self._history_keep:
            return False
        start, stop = self._clause(stems, m.positions[0])
        inside = [x for x in mods if start <= x.positions[0] < stop]
        return any(x.concept == _HISTORY for x in inside) and not any(
            x.concept == _PRESENT for x in inside
        )

    def _recovered_before(
        self,
        stems: Sequence[str],
        mods: Sequence[_Match],
        matches: Sequence[_Match],
        live: set[int],
    ) -> tuple[int, bool]:
        """Position of the recovery that ends the story (-1 if none), and whether the
        story is marked as history.  A recovery counts only when no live symptom,
        relapse or present word follows it; a bare "again" after it is about running
        ("how soon can I run again?"), not the symptom, and a concept of
        ``[recovery].neutral`` (a place, a guess) is no symptom ("no pain whatsoever ...
        he thinks it was a bone bruise")."""
        for r in sorted(
            (m for m in mods if m.concept == _RECOVERED), key=lambda m: -m.positions[0]
        ):
            end = r.positions[-1]
            after_symptom = any(
                i in live and m.positions[0] > end and m.concept not in self._recovery_neutral
                for i, m in enumerate(matches)
            )
            after_mod = any(
                x.concept in (_RELAPSE, _PRESENT)
                and x.positions[0] > end
                and [stems[p] for p in x.positions] != ["again"]
                for x in mods
            )
            if after_symptom or after_mod:
                return -1, False
            start = r.positions[0]
            history = any(x.concept == _HISTORY and x.positions[0] < start for x in mods)
            return start, history
        return -1, False

    def present_concepts(self, text: str) -> set[str]:
        """Concepts found un-negated in ``text`` (exposed for tests and tuning)."""
        return {concept for concept, _ in self._live(text)}

    def _live(self, text: str) -> set[tuple[str, int]]:
        """Live concepts of ``text``, each with the number of the clause it starts in
        (clauses end at punctuation and at the words of ``[clauses].breaks``)."""
        tokens = tokenize(text, keep_breaks=True)
        tokens = [tok if tok == BREAK else self._typos.correct(tok) for tok in tokens]
        stems = stem_all(tokens)
        found = self._matches(stems)
        mods = [m for m in found if m.concept in _MODIFIERS]
        mods += self._dates(stems)
        masked = {p for m in mods if m.concept in (_IDIOM, _RECOVERED) for p in m.positions}
        matches = [
            m for m in found if m.concept not in _MODIFIERS and not masked.intersection(m.positions)
        ]
        negated = self._negated(stems, [*matches, *mods])
        mods = [
            m for m in mods if not (m.concept == _RECOVERED and negated.intersection(m.positions))
        ]
        symptom = {p for m in matches for p in m.positions}
        cross_ok = not any(
            m.concept in self._recovery_keep and not negated.intersection(m.positions)
            for m in matches
        )
        live = {
            i
            for i, m in enumerate(matches)
            if not negated.intersection(m.positions)
            and not self._resolved(stems, m, mods, symptom, negated, cross_ok)
            and not self._historical(stems, m, mods)
        }
        cut, history = self._recovered_before(stems, mods, matches, live)
        if not history and any(
            matches[i].concept in self._recovery_keep and matches[i].positions[-1] < cut
            for i in live
        ):
            cut = -1  # chest pain, fainting: "I'm fine now" still needs a doctor
        clause_of = list(
            accumulate(
                (1 if s == BREAK or s in self._clause_breaks else 0 for s in stems), initial=0
            )
        )
        return {
            (m.concept, clause_of[m.positions[0]])
            for i, m in enumerate(matches)
            if i in live and m.positions[-1] >= cut
        }

    def triage(self, text: str) -> TriageResult:
        live = self._live(text)
        present = {concept for concept, _ in live}
        clauses: dict[int, set[str]] = {}
        for concept, clause in live:
            clauses.setdefault(clause, set()).add(concept)

        def holds(rule: frozenset[str], same_clause: bool) -> bool:
            if not same_clause:
                return rule <= present
            return any(rule <= found for found in clauses.values())

        fired = [
            flag
            for flag in self._flags
            if (not (flag.unless & present) or (flag.unless_cancelled_by & present))
            and any(holds(rule, flag.same_clause) for rule in flag.rules)
        ]
        if not fired:
            return NO_FLAG
        ranked = sorted(fired, key=lambda f: _LEVEL_RANK[f.level])  # stable: file order
        top = ranked[0]
        return TriageResult(
            flag=top.id,
            level=top.level,
            message=top.message,
            also=tuple(f.id for f in ranked[1:]),
            message_running=top.message_running,
        )

    @property
    def flag_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self._flags)


def load_triager(path: Path | None = None) -> Triager:
    """Build a Triager from TOML; a mistake raises ``ContentError`` naming the flag."""
    data = load(path or RED_FLAGS_PATH, RedFlagsFile)
    flags = [
        RedFlag(
            id=raw.id,
            level=cast(Level, raw.level),
            message=raw.message,
            rules=tuple(frozenset(rule) for rule in raw.rules),
            unless=frozenset(raw.unless),
            unless_cancelled_by=frozenset(raw.unless_cancelled_by),
            same_clause=raw.same_clause,
            message_running=raw.message_running,
        )
        for raw in data.flag
    ]
    neg, res, hist, rec = data.negation, data.resolution, data.history, data.recovery
    return Triager(
        dict(data.concepts),
        flags,
        negators=neg.negators,
        scope=neg.scope,
        breakers=neg.breakers,
        exempt_next=neg.exempt_next,
        typo_targets=data.typo.targets,
        typo_protect=data.typo.protect,
        idioms=data.idioms.phrases,
        resolved=res.phrases,
        resolved_then=res.then,
        relapse=res.relapse,
        history_markers=hist.markers,
        history_stops=hist.stops,
        history_present=hist.present,
        history_keep=hist.keep,
        history_year_after=hist.year_after,
        recovered=rec.phrases,
        recovery_keep=rec.keep,
        recovery_neutral=rec.neutral,
        clause_breaks=data.clauses.breaks,
    )


@lru_cache(maxsize=1)
def default_triager() -> Triager:
    return load_triager()


def triage(text: str) -> TriageResult:
    """Check one user message against the red flags in ``red_flags.toml``."""
    return default_triager().triage(text)
