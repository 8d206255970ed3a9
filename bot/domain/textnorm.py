"""Shared text normalisation for triage and FAQ retrieval.

Runners type on phones, in a hurry, often in pain: lowercase, accents, curly
apostrophes, "7/10", "ITB", "hamstirng".  Both the red-flag triage and the FAQ
search must see the same canonical token stream, otherwise a phrase that
triage catches could slip past the FAQ (or the other way round).  Everything
here is pure and cached, so it is cheap to call on every message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.domain.content import CONTENT_DIR, load
from bot.domain.content.models import SynonymsFile

SYNONYMS_PATH = CONTENT_DIR / "synonyms.toml"

#: Token emitted for sentence/clause punctuation so negation scopes can stop there.
BREAK = "|"

_APOSTROPHES = re.compile(r"[\u2019\u2018\u02bc`'´]")
# "7/10", "7 / 10", "7 out of 10" -> "painscore7" so a score survives tokenising.
_SCORE = re.compile(r"\b(10|[0-9])(?:[.,]5)?\s*(?:/|out of)\s*10\b")
_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?]")

# Function words that carry no topic; used by retrieval (IDF handles the rest).
_STOPWORD_TEXT = """
    a about above after again all also am an and any are as at be been before being
    both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself now of off on once only or other our
    ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    im ive id ill youre thats whats hey hi hello thanks thank please ok okay yeah
    really quite bit lot lots much many get got getting gonna wanna like just still
    even ever week weeks day days today yesterday morning evening since ago back one
    two three four five six seven eight nine ten im dont doesnt didnt isnt arent cant
    wont know think wondering wonder question quick ask asking hoping hope help
    anyone somebody someone maybe perhaps actually basically kind sort thing things
    mine s t m re ve d ll go going goes went say says said feel feels felt want wants
    wanted lol tbh haha honestly honest seem seems something anything everything good
    fine done make makes made let lets try tried trying guys guess pretty little right
    gets got gotten idea things stuff literally totally definitely
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())

_stemmer = snowballstemmer.stemmer("english")

#: Tokens longer than this are never cached: no real word is, and a cache keyed by whatever a
#: user typed must stay small in bytes, not only in entries (4,000-letter "words" x 65,536).
MAX_CACHED_TOKEN = 32


def clean_text(text: str) -> str:
    """Text as every part of the bot may safely store and process it.

    Telegram's JSON can carry what no database or encoder accepts: NUL characters
    (PostgreSQL refuses them in text) and lone UTF-16 surrogates (they cannot be encoded
    as UTF-8). NULs are dropped; a lone surrogate becomes U+FFFD, the replacement
    character, which keeps Telegram's UTF-16 entity offsets right. A correct surrogate
    pair (two code points) is joined into its character. Clean text comes back unchanged.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def clean_payload(value: object) -> object:
    """``clean_text`` applied to every string (keys too) in decoded JSON."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_payload(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_payload(v) for v in value]
    return value


def fold(text: str) -> str:
    """Lowercase, strip accents and apostrophes so "Can’t" and "cant" are one word."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.lower())
    return _SCORE.sub(lambda m: f" painscore{m.group(1)} ", text)


def tokenize(text: str, *, keep_breaks: bool = False) -> list[str]:
    """Split folded text into word tokens; optionally keep clause breaks as BREAK."""
    tokens = _TOKEN.findall(fold(text))
    if keep_breaks:
        return [BREAK if tok in ".,;:!?" else tok for tok in tokens]
    return [tok for tok in tokens if tok not in ".,;:!?"]


def stem(token: str) -> str:
    """Snowball stem, cached because the same few thousand words recur endlessly (only
    tokens of up to ``MAX_CACHED_TOKEN`` characters, so the cache stays a few MB)."""
    if token == BREAK:
        return token
    if len(token) > MAX_CACHED_TOKEN:
        return str(_stemmer.stemWord(token))
    return _cached_stem(token)


@lru_cache(maxsize=65536)
def _cached_stem(token: str) -> str:
    return str(_stemmer.stemWord(token))


def stem_all(tokens: Iterable[str]) -> list[str]:
    return [stem(tok) for tok in tokens]


def stem_phrase(phrase: str) -> tuple[str, ...]:
    """Canonical stemmed form of a phrase from a content file."""
    return tuple(stem_all(tokenize(phrase)))


#: Words skipped when matching synonym phrases, so one variant covers "back of
#: thigh", "back of my thigh" and "back of the thigh", and "feeling really low"
#: matches "feeling low".  All are filler that retrieval drops anyway.  They
#: are compared as stems, so none may stem like a content word ("totally" ->
#: "total" would swallow "total rest", "quite" -> "quit" would swallow "quit").
_GLUE_TEXT = """
    a an the my your his her their our this that these those
    really so very super pretty kinda
"""
GLUE_WORDS: frozenset[str] = frozenset(_GLUE_TEXT.split())


@dataclass(frozen=True)
class SynonymMap:
    """Rewrites runner slang to one canonical wording ("itb" -> "iliotibial band").

    Works on stemmed token sequences, longest variant first, so "physio",
    "physiotherapist" and "physical therapist" all land on the same stems in
    both the knowledge base and the user's question.  "Broader" rules keep
    the word and add a general term ("clamshells" -> "clamshell exercise"), so
    a specific exercise name still reaches an entry that only says "exercises".
    """

    rules: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    max_len: int = 1
    skip: frozenset[str] = frozenset(stem(w) for w in GLUE_WORDS)

    @classmethod
    def from_mapping(
        cls,
        mapping: Mapping[str, Sequence[str]],
        broader: Mapping[str, Sequence[str]] | None = None,
    ) -> SynonymMap:
        skip = frozenset(stem(w) for w in GLUE_WORDS)

        def key_of(phrase: str) -> tuple[str, ...]:
            return tuple(s for s in stem_phrase(phrase) if s not in skip)

        rules: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in mapping.items():
            target = stem_phrase(canonical)
            for variant in variants:
                key = key_of(variant)
                if key and key != target:
                    rules[key] = target
        for general, specifics in (broader or {}).items():
            extra = stem_phrase(general)
            for specific in specifics:
                key = key_of(specific)
                current = rules.get(key, key)
                if key and current[-len(extra) :] != extra:
                    rules[key] = (*current, *extra)
        longest = max((len(key) for key in rules), default=1)
        return cls(rules=rules, max_len=longest, skip=skip)

    def apply(self, stems: Sequence[str]) -> list[str]:
        """Rewrite variants to their canonical stems; glue words are dropped."""
        stems = [s for s in stems if s not in self.skip]
        out: list[str] = []
        i = 0
        while i < len(stems):
            for size in range(min(self.max_len, len(stems) - i), 0, -1):
                target = self.rules.get(tuple(stems[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(stems[i])
                i += 1
        return out

    def variant_words(self) -> set[str]:
        """Stems that appear in synonym rules (known words, never typos)."""
        return {word for key in self.rules for word in key}


@dataclass(frozen=True)
class Lexicon:
    """Everything retrieval knows about words beyond the knowledge base itself."""

    synonyms: SynonymMap
    offtopic: frozenset[str]  # stems of words the KB deliberately does not cover
    domain: tuple[str, ...]  # phrases that mark a message as about injury / rehab
    # declined topics in a few words each, compared by meaning (faq.py, with an embedder)
    offtopic_topics: tuple[str, ...] = ()


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Load synonyms, broader terms, off-topic and domain words from TOML."""
    data = load(path or SYNONYMS_PATH, SynonymsFile)
    offtopic = frozenset(stem(w) for phrase in data.offtopic.words for w in tokenize(phrase))
    return Lexicon(
        synonyms=SynonymMap.from_mapping(
            {k: list(v) for k, v in data.synonyms.items()},
            {k: list(v) for k, v in data.broader.items()},
        ),
        offtopic=offtopic,
        domain=tuple(data.domain.words),
        offtopic_topics=tuple(data.offtopic.topics),
    )


class TypoCorrector:
    """Snaps a misspelt token to the closest known word (OSA edit distance).

    One edit (a transposition counts as one) is allowed for words of
    ``min_len`` to 7 letters, two edits from 8 letters up; shorter words are
    never touched because "might"/"night" and "tight"/"right" are one edit
    apart and both real.  Tokens listed in ``known`` are left alone.
    """

    def __init__(
        self, targets: Iterable[str], known: Iterable[str] = (), *, min_len: int = 5
    ) -> None:
        self._targets = sorted({t for t in targets if len(t) >= min_len - 1})
        # Longer than any target by more than two edits: nothing can match it.
        self._max_len = max((len(t) for t in self._targets), default=0) + 2
        self._known = frozenset(known) | frozenset(self._targets)
        self._min_len = min_len
        self._cache: dict[str, str] = {}

    def correct(self, token: str) -> str:
        if (
            token in self._known
            or not self._min_len <= len(token) <= self._max_len
            or token.isdecimal()
        ):
            return token
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        max_dist = 1 if len(token) <= 7 else 2
        found = process.extractOne(token, self._targets, scorer=OSA.distance, score_cutoff=max_dist)
        fixed = found[0] if found is not None else token
        if len(self._cache) < 50_000:
            self._cache[token] = fixed
        return fixed

    def correct_all(self, tokens: Iterable[str]) -> list[str]:
        return [self.correct(tok) for tok in tokens]
