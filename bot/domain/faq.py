"""FAQ retrieval over the curated, sourced knowledge base.

The bot must answer only when it is fairly sure it found the right entry,
offer 2-3 suggestions when torn, and say it doesn't know otherwise (off-topic
questions about races, gels, watches, pacing...). Safety is NOT handled here:
callers run ``bot.domain.triage.triage()`` first.

Pipeline (shared with triage via ``textnorm``): fold -> typo-correct unknown
words of 6+ letters against the KB vocabulary (OSA distance 1, 2 from 8
letters) -> Snowball stems -> synonyms.toml (slang -> canonical, plus
"broader" terms) -> drop filler words.  Scores per entry:

* BM25F-style coverage: IDF-weighted share of the question found in the entry
  (questions x3, title x2, topic x0.5, answer x1; k1=1.2, b=0.75); words the KB
  never uses and off-topic words count in the denominator, so a question that
  is mostly about something else scores low.
* best tf-idf cosine against any single curated phrasing (blended 10 %).
* rapidfuzz token_set_ratio against the phrasings (30 %), scaled by the share
  of the question the KB knows.

Measured on tests/data/faq_devset.toml (205 cases: 133 in scope, 38 off-topic,
34 red flags; 47 entries), rank-1 = top search result is the labelled entry:

    method          rank-1   top-3   top-1 answered   off-topic declined
    bm25            0.835    0.93    0.73             0.95
    hybrid          0.85     0.93    0.75             0.95
    hybrid+fuzzy    0.865    0.98    0.80             0.95   <- kept

(grid over field weights, blend, k1/b: the best rank-1 on this dev set was
0.88; differences of one case are 0.0075, so nothing finer was chased.)
Tried and dropped: a "specificity" feature (IDF mass of the question) got a
zero weight in the calibration fit.

Second round (top-1 answered; holdout = tests/data/faq_holdout.toml, 56 in
scope, written before any of this tuning):

    step                                            dev top-1   holdout top-1
    before                                          0.797       0.554
    + phrasings, sharper titles, synonyms, "sore"
      and "ache" kept as words, calibration refit   0.842       0.643  (clean)
    + phrase synonyms ("no running", "start back")  0.850       0.607  (*)
    same, without the 0.02 margin gate              0.902       0.625

(*) the holdout had been looked at by then, so it is no longer fully blind;
a "race" rule for distances ("5k", "half") was dropped after it misfired on
"couch to 5k".  Differences of one holdout case are 0.018.  The gap between
dev and holdout (~0.25) is the main finding: dev-set figures overstate what
new users will see; more curated phrasings per entry are the likeliest fix.
A field-weight / blend grid with refitted calibration found nothing better
than the weights below.

Third round: fix causes, not cases (content, synonyms, glue words in
``textnorm``; field weights and calibration constants unchanged).  Both sets
measured after every step, in this order; holdout misses were read to find
causes, but no holdout or dev text was copied or reworded into the knowledge
base.  The last row was re-measured after the final clean-up of the glue-word
list (stems must not collide with content words, see ``textnorm``).

    step                                            dev top-1   holdout top-1
    before                                          0.850       0.607
    one short canonical name per condition ("itbs"
      stemmed to "itb" and added "syndrome" to
      every ITB question; "shin splints" no longer
      shares "stress" with stress fractures)        0.857       0.607
    glue words ("my", "the", "really") skipped in
      synonym phrases; lay places ("back of my
      thigh" -> hamstring, "outer knee" -> ITB,
      "side of hip", "knee cap")                    0.850       0.661
    feelings ("terrified", "losing my mind"), data
      ("wipe", "stored"), "asap"/"shortcut";
      ACL, tear, thigh... as domain words           0.857       0.714
    "going down the stairs" no longer = "lose"      0.865       0.714
    soreness after named exercises and muscles
      (pain-during-rehab phrasings)                 0.880       0.732
    "a little bit" -> mild, "supposed to hurt",
      "sit on the couch" -> complete rest, race
      names and "defer"/"DNS", "for a bit" = time   0.925       0.750
    "exactly the same" -> no progress, "0-10",
      "skipped", "most important", "hands-on",
      "woke up" -> next day                         0.932       0.804
    stop-running: "normal", "running ban"           0.940       0.804
    answer threshold 0.55 -> 0.60 (see below)       0.940       0.804

Wrong answers: dev 4.5 % -> 1.5 %, holdout 19.6 % -> 7.1 %.  Tried and dropped
(they lowered dev top-1): down-weighting body-part words ("context" terms,
0.35-0.8), a title-coverage reranker over the blended score (dev 0.94 ->
0.90-0.925, holdout +0-1 case), and answer-field weight 0.5 (dev +3 cases,
holdout -1 case, more wrong answers).

Fourth round (issue 15.4): 13 new entries (60 in all) for topics the KB
lacked; weights and calibration unchanged.  Dev top-1 0.940 -> 0.902 as
first written, 0.933 after removing shared generic words from the new
answers (see bench/README.md); wrong answers dev 1.5 % -> 2.2 %, holdout
(measured once at the end) top-1 0.804, wrong 8.9 %.  Latency (CPU time): ~0.7 ms mean,
~1.1 ms p99 per question (triage + answer) with 47 entries.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz

from bot.domain.content import load_exercise_templates
from bot.domain.textnorm import (
    CONTENT_DIR,
    STOPWORDS,
    Lexicon,
    SynonymMap,
    TypoCorrector,
    load_lexicon,
    stem,
    stem_all,
    tokenize,
)

FAQ_DIR = CONTENT_DIR / "faq"

Method = Literal["bm25", "hybrid", "hybrid+fuzzy"]
Decision = Literal["answer", "suggest", "unknown"]

# Field weights for the BM25F-style entry document: the curated phrasings say
# what the entry is *for*; the answer text mentions many neighbouring topics.
W_QUESTIONS = 3.0
W_TITLE = 2.0
W_TOPIC = 0.5
W_ANSWER = 1.0
K1 = 1.2
B = 0.75
# Weight of a query word the knowledge base has never seen, relative to the
# rarest known word; off-topic words (synonyms.toml [offtopic]) weigh more.
UNKNOWN_WEIGHT = 1.0
OFFTOPIC_WEIGHT = 2.5
# Blend of whole-entry BM25 coverage and best single phrasing cosine.
BLEND_BM25 = 0.9
FUZZY_WEIGHT = 0.3
# Semantic hybrid (issue 15.2; only with an ``Embedder``): the lexical score above keeps
# 1 - W_SEM_PHRASING - W_SEM_ANSWER of the weight; the rest is the cosine of the question's
# embedding to the best single phrasing (title or curated question) and to title + answer.
W_SEM_PHRASING = 0.25
W_SEM_ANSWER = 0.20


class Embedder(Protocol):
    """Texts -> one L2-normalised float row per text (the adapter is bot/faq_embeddings.py)."""

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


# ------------------------------------------------------------------ entries
@dataclass(frozen=True)
class FaqEntry:
    id: str
    title: str
    topic: str
    questions: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    related: tuple[str, ...]
    # Injury-area ids (as in exercises.toml) the entry is specifically about; empty for
    # entries about running injuries in general. Used for the asker's context only.
    areas: tuple[str, ...] = ()


class FaqDataError(ValueError):
    """Raised when a knowledge-base file cannot be trusted as written."""


def _str_list(raw: object, key: str, where: str, *, required: bool) -> tuple[str, ...]:
    if raw is None and not required:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise FaqDataError(f"{where}: {key!r} must be a list of non-empty strings")
    if required and not raw:
        raise FaqDataError(f"{where}: {key!r} must not be empty")
    return tuple(x.strip() for x in raw)


def _parse_entry(raw: object, where: str) -> FaqEntry:
    if not isinstance(raw, dict):
        raise FaqDataError(f"{where}: [[entry]] must be a table")
    for key in ("id", "title", "topic", "answer"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise FaqDataError(f"{where}: {key!r} must be a non-empty string")
    return FaqEntry(
        id=raw["id"].strip(),
        title=raw["title"].strip(),
        topic=raw["topic"].strip(),
        questions=_str_list(raw.get("questions"), "questions", where, required=True),
        answer=raw["answer"].strip(),
        sources=_str_list(raw.get("sources"), "sources", where, required=True),
        related=_str_list(raw.get("related"), "related", where, required=False),
        areas=_str_list(raw.get("areas"), "areas", where, required=False),
    )


def load_entries(directory: Path | None = None) -> list[FaqEntry]:
    """Load and validate every ``*.toml`` in the FAQ folder (sorted by file name).

    Errors name the file and the entry so a content editor can fix them
    without reading Python. Unknown ``related`` ids are errors too: a broken
    link would otherwise surface as a crash in the chat.
    """
    folder = directory or FAQ_DIR
    entries: list[FaqEntry] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise FaqDataError(f"{path}: not valid TOML ({exc})") from exc
        raw_entries = data.get("entry", [])
        if not isinstance(raw_entries, list):
            raise FaqDataError(f"{path}: use [[entry]] tables")
        for n, raw in enumerate(raw_entries, start=1):
            label = raw.get("id") if isinstance(raw, dict) else None
            entry = _parse_entry(raw, f"{path} entry #{n} ({label or 'no id'})")
            if entry.id in seen:
                raise FaqDataError(
                    f"{path}: entry id {entry.id!r} already used in {seen[entry.id]}"
                )
            seen[entry.id] = path
            entries.append(entry)
    known_areas = set(load_exercise_templates().area_ids) - {"other"}
    for entry in entries:
        for area in entry.areas:
            if area not in known_areas:
                raise FaqDataError(
                    f"{seen[entry.id]}: entry {entry.id!r} lists unknown injury area {area!r} "
                    f"(use one of: {', '.join(sorted(known_areas))})"
                )
        for rel in entry.related:
            if rel not in seen:
                raise FaqDataError(
                    f"{seen[entry.id]}: entry {entry.id!r} lists unknown related id {rel!r}"
                )
    return entries


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class Match:
    entry: FaqEntry
    score: float  # 0..1


@dataclass(frozen=True)
class FaqAnswer:
    decision: Decision
    best: FaqEntry | None
    confidence: float  # 0..1
    suggestions: tuple[FaqEntry, ...] = ()


# ------------------------------------------------------------------ analysis
class _Analyzer:
    """Text -> retrieval terms: fold, fix typos, stem, map synonyms, drop filler."""

    def __init__(self, synonyms: SynonymMap) -> None:
        self.synonyms = synonyms
        self._stop = frozenset(stem(w) for w in STOPWORDS)
        self._typos: TypoCorrector | None = None
        self._known_stems: frozenset[str] = frozenset()

    def set_vocabulary(self, raw_words: Iterable[str], never_correct: Iterable[str]) -> None:
        """Words whose stem is known (or off-topic) are kept; others may be typos."""
        raw = {w for w in raw_words if w.isalpha()}
        self._known_stems = (
            frozenset(stem(w) for w in raw)
            | self.synonyms.variant_words()
            | frozenset(never_correct)
        )
        self._typos = TypoCorrector(raw, known=STOPWORDS, min_len=6)

    def terms(self, text: str, *, correct: bool = False) -> list[str]:
        tokens = tokenize(text)
        if correct and self._typos is not None:
            tokens = [
                tok if stem(tok) in self._known_stems else self._typos.correct(tok)
                for tok in tokens
            ]
        stems = self.synonyms.apply(stem_all(tokens))
        return [s for s in stems if s not in self._stop and len(s) > 1]


# ------------------------------------------------------------------ index
@dataclass(frozen=True)
class Features:
    """Signals the calibrated confidence is computed from (see ``_calibrate``)."""

    best: float  # blended score of the top entry, 0..1
    margin: float  # best minus runner-up
    unexplained: float  # share of the question's weight the KB does not know / is off-topic
    anchored: float  # 1.0 if the question mentions injury / rehab / bot vocabulary
    semantic: float = 0.0  # best embedding cosine to any phrasing (0 without an embedder)


class FaqIndex:
    """In-memory retrieval index; build once at start-up, query per message."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        *,
        lexicon: Lexicon | None = None,
        method: Method = "hybrid+fuzzy",
        embedder: Embedder | None = None,
    ) -> None:
        lex = lexicon if lexicon is not None else load_lexicon()
        self.entries: tuple[FaqEntry, ...] = tuple(entries)
        self.method: Method = method
        self._an = _Analyzer(lex.synonyms)
        raw_words = [
            tok
            for e in self.entries
            for text in (e.title, e.answer, *e.questions)
            for tok in tokenize(text)
        ]
        self._offtopic = lex.offtopic
        self._an.set_vocabulary(raw_words, never_correct=lex.offtopic)
        # a multi-word domain phrase counts only when all its terms occur ("cross train")
        self._domain = tuple(
            {frozenset(terms) for phrase in lex.domain if (terms := self._an.terms(phrase))}
        )
        self._embedder = embedder
        self._build()
        if embedder is not None:
            self._embed_entries(embedder)

    @property
    def semantic(self) -> bool:
        return self._embedder is not None

    def _embed_entries(self, embedder: Embedder) -> None:
        """Embed the knowledge base once: every phrasing, and each title + answer."""
        owners: list[int] = []
        texts: list[str] = []
        for idx, e in enumerate(self.entries):
            for text in (e.title, *e.questions):
                owners.append(idx)
                texts.append(text)
        self._sem_owner = np.asarray(owners, dtype=np.intp)
        self._sem_phrasings = embedder(texts)
        self._sem_answers = embedder([f"{e.title}. {e.answer}" for e in self.entries])

    def _semantic(self, question: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per entry: best cosine to one phrasing, and cosine to title + answer (>= 0)."""
        assert self._embedder is not None
        vec = self._embedder([question])[0]
        best = np.zeros(len(self.entries), dtype=np.float64)
        np.maximum.at(best, self._sem_owner, self._sem_phrasings @ vec)
        answers = np.clip(self._sem_answers @ vec, 0.0, None).astype(np.float64)
        return best, answers

    # -- build
    def _build(self) -> None:
        docs: list[Counter[str]] = []
        phrasings: list[tuple[int, Counter[str]]] = []
        for idx, e in enumerate(self.entries):
            tf: Counter[str] = Counter()
            for q in e.questions:
                terms = self._an.terms(q)
                tf.update({t: W_QUESTIONS * c for t, c in Counter(terms).items()})
                phrasings.append((idx, Counter(terms)))
            title_terms = self._an.terms(e.title)
            tf.update({t: W_TITLE * c for t, c in Counter(title_terms).items()})
            phrasings.append((idx, Counter(title_terms)))
            tf.update({t: W_TOPIC * c for t, c in Counter(self._an.terms(e.topic)).items()})
            tf.update({t: W_ANSWER * c for t, c in Counter(self._an.terms(e.answer)).items()})
            docs.append(tf)
        n = max(len(docs), 1)
        df: Counter[str] = Counter(t for d in docs for t in d)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._max_idf = max(self._idf.values(), default=1.0)
        avgdl = sum(sum(d.values()) for d in docs) / n or 1.0
        # term -> [(entry idx, BM25-saturated tf in 0..1)]
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for idx, d in enumerate(docs):
            norm = K1 * (1 - B + B * sum(d.values()) / avgdl)
            for t, f in d.items():
                self._postings.setdefault(t, []).append((idx, f / (f + norm)))
        # phrasing tf-idf vectors, L2-normalised, inverted by term
        self._ph_postings: dict[str, list[tuple[int, float]]] = {}
        self._ph_entry: list[int] = []
        self._ph_text: list[str] = []
        for pid, (idx, tf_p) in enumerate(phrasings):
            vec = {t: (1 + math.log(c)) * self._idf.get(t, 0.0) for t, c in tf_p.items()}
            length = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for t, v in vec.items():
                self._ph_postings.setdefault(t, []).append((pid, v / length))
            self._ph_entry.append(idx)
            self._ph_text.append(" ".join(sorted(tf_p)))

    # -- scoring
    def _weights(self, terms: Sequence[str]) -> tuple[dict[str, float], float]:
        """Query term weights (IDF), and the share of weight the KB cannot explain."""
        weights: dict[str, float] = {}
        unexplained = 0.0
        for t in dict.fromkeys(terms):
            if t in self._offtopic:
                w = max(self._idf.get(t, 0.0), self._max_idf * OFFTOPIC_WEIGHT)
            else:
                w = self._idf.get(t, self._max_idf * UNKNOWN_WEIGHT)
            weights[t] = w
            if t in self._offtopic or t not in self._idf:
                unexplained += w
        total = sum(weights.values())
        return weights, (unexplained / total if total else 1.0)

    def _scores(self, question: str) -> tuple[list[float], Features]:
        terms = self._an.terms(question, correct=True)
        n = len(self.entries)
        if not terms or not n:
            return [0.0] * n, Features(0.0, 0.0, 1.0, 0.0)
        weights, unexplained = self._weights(terms)
        present = set(terms)
        anchored = 1.0 if any(phrase <= present for phrase in self._domain) else 0.0
        total = sum(weights.values())
        # 1. whole-entry BM25 "coverage": share of the question's weight found in the entry
        bm25 = [0.0] * n
        for t, w in weights.items():
            for idx, sat in self._postings.get(t, ()):
                bm25[idx] += w * sat / total
        scores = bm25
        if self.method != "bm25":
            # 2. best single phrasing by tf-idf cosine
            qnorm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            ph: dict[int, float] = {}
            for t, w in weights.items():
                for pid, v in self._ph_postings.get(t, ()):
                    ph[pid] = ph.get(pid, 0.0) + w * v / qnorm
            best_ph = [0.0] * n
            for pid, s in ph.items():
                idx = self._ph_entry[pid]
                best_ph[idx] = max(best_ph[idx], s)
            scores = [
                BLEND_BM25 * a + (1 - BLEND_BM25) * c for a, c in zip(bm25, best_ph, strict=True)
            ]
        if self.method == "hybrid+fuzzy":
            # 3. fuzzy token-set similarity to the phrasings (catches near-miss word forms);
            #    scaled by the known share so overlap among unknown words counts for nothing
            query = " ".join(sorted(set(terms)))
            known = 1.0 - unexplained
            fz = [0.0] * n
            for pid, text in enumerate(self._ph_text):
                idx = self._ph_entry[pid]
                fz[idx] = max(fz[idx], known * fuzz.token_set_ratio(query, text) / 100)
            scores = [
                (1 - FUZZY_WEIGHT) * s + FUZZY_WEIGHT * f for s, f in zip(scores, fz, strict=True)
            ]
        semantic = 0.0
        if self._embedder is not None:
            ph_sem, ans_sem = self._semantic(question)
            lexical = 1.0 - W_SEM_PHRASING - W_SEM_ANSWER
            scores = [
                lexical * s + W_SEM_PHRASING * float(p) + W_SEM_ANSWER * float(a)
                for s, p, a in zip(scores, ph_sem, ans_sem, strict=True)
            ]
            semantic = float(ph_sem.max(initial=0.0))
        top = [*sorted(scores, reverse=True)[:2], 0.0, 0.0]
        return scores, Features(top[0], top[0] - top[1], unexplained, anchored, semantic)

    def search(self, question: str, k: int = 3) -> list[Match]:
        """Top ``k`` entries by retrieval score (not calibrated; for ranking and UI)."""
        scores, _ = self._scores(question)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [Match(self.entries[i], min(1.0, scores[i])) for i in order if scores[i] > 0]

    def features(self, question: str) -> Features:
        return self._scores(question)[1]

    def answer(self, question: str) -> FaqAnswer:
        """Decide whether to answer, offer 2-3 suggestions, or admit not knowing."""
        scores, feats = self._scores(question)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        if not order or feats.best <= 0:
            return FaqAnswer("unknown", None, 0.0)
        conf = _calibrate_semantic(feats) if self.semantic else _calibrate(feats)
        top = self.entries[order[0]]
        threshold = SEM_ANSWER_THRESHOLD if self.semantic else ANSWER_THRESHOLD
        if conf >= threshold and feats.margin >= MIN_MARGIN:
            return FaqAnswer("answer", top, conf)
        if conf >= SUGGEST_THRESHOLD:
            picks = tuple(
                self.entries[i] for i in order[:3] if scores[i] >= SUGGEST_RELATIVE * feats.best
            )
            if len(picks) >= 2:
                return FaqAnswer("suggest", top, conf, picks)
        return FaqAnswer("unknown", None, conf)


def _calibrate(f: Features) -> float:
    """Logistic calibration: P(top entry is the right one), fitted on the dev set."""
    z = (
        CAL_BIAS
        + CAL_BEST * f.best
        + CAL_MARGIN * f.margin
        + CAL_UNEXPLAINED * f.unexplained
        + CAL_ANCHORED * f.anchored
    )
    return 1.0 / (1.0 + math.exp(-z))


def _calibrate_semantic(f: Features) -> float:
    """The same logistic form for the semantic hybrid, plus the best embedding cosine."""
    z = (
        SEM_CAL_BIAS
        + SEM_CAL_BEST * f.best
        + SEM_CAL_MARGIN * f.margin
        + SEM_CAL_UNEXPLAINED * f.unexplained
        + SEM_CAL_ANCHORED * f.anchored
        + SEM_CAL_SEMANTIC * f.semantic
    )
    return 1.0 / (1.0 + math.exp(-z))


# Calibration: logistic regression P(top entry is right | features), fitted with
# `python bench/faq_eval.py --fit` (off-topic cases as negatives).  Being about
# injury/rehab at all ("anchored") and the margin over the runner-up carry
# most of the signal on the dev set.
# Threshold (third round, chosen on dev): the lowest-confidence right answer on
# dev is 0.66 and the only dev answer below it was an off-topic question
# (physio prices) at 0.555, so 0.60 declines it without losing a dev answer:
# dev 0.940 / 1.5 % wrong / 100 % off-topic declined (0.974 at 0.55).  On the
# holdout it turns two wrong answers into suggestions (wrong 10.7 % -> 7.1 %,
# top-1 unchanged at 0.804).  `--fit` on the new dev set suggests
# -6.07 / 0.86 / 14.22 / -2.15 / 7.14 with identical dev figures, so the
# constants below were kept.
# Margin < 0.02 between the top two stays a suggestion, not an answer: with
# the third-round content, answering near-ties would give dev 0.962 but
# wrong answers 3.0 % (dev) and 10.7 % (holdout) instead of 1.5 % / 7.1 %.
CAL_BIAS = -4.21
CAL_BEST = 2.25
CAL_MARGIN = 6.97
CAL_UNEXPLAINED = -0.72
CAL_ANCHORED = 4.23
ANSWER_THRESHOLD = 0.60
SUGGEST_THRESHOLD = 0.30
MIN_MARGIN = 0.02
SUGGEST_RELATIVE = 0.5

# Semantic hybrid calibration (issue 15.2): `python bench/faq_eval.py --fit` on the dev split
# of the real-question set and the team's dev set together (the two weighted equally; the blind
# split and the holdout never seen).  Threshold and margin chosen on the same dev data, see
# bench/README.md "Semantic retrieval".
SEM_CAL_BIAS = -6.59
SEM_CAL_BEST = 6.17
SEM_CAL_MARGIN = 13.88
SEM_CAL_UNEXPLAINED = 0.31
SEM_CAL_ANCHORED = 3.17
SEM_CAL_SEMANTIC = 1.11
SEM_ANSWER_THRESHOLD = 0.55
