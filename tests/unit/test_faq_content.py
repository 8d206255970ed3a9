"""Guards for the FAQ knowledge base and its labelled development set.

The FAQ files are edited by people who never read the retrieval code, so these
tests encode the rules a content author can break by accident: a typo in a
`related` id, an answer that grows past what fits on a phone screen, a red-flag
answer that forgets to send people to a clinician, or a dev-set question copied
from an entry (which would make the retrieval benchmark meaningless).
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FAQ_DIR = ROOT / "bot" / "content" / "faq"
DEVSET_PATH = ROOT / "tests" / "data" / "faq_devset.toml"

ENTRY_KEYS = frozenset({"id", "title", "topic", "questions", "answer", "sources", "related"})
REQUIRED_IDS = frozenset(
    [
        "stop-running",
        "run-through-pain",
        "when-to-get-help",
        "time-to-return",
        "cross-training",
        "losing-fitness",
        "pain-during-rehab",
        "home-exercise-routine",
        "why-hip-for-knee",
        "pt-vs-others",
        "first-visit",
        "how-many-sessions",
        "imaging",
        "surgery",
        "injections-painkillers",
        "foam-rolling-stretching",
        "supports-tape-insoles",
        "ice-heat",
        "manual-therapy",
        "equipment",
        "return-to-run",
        "motivation-fear",
        "rest-vs-activity",
        "keys-to-success",
        "it-band",
        "runners-knee",
        "hamstring",
        "groin-adductor",
        "hip-bursitis",
    ]
)
# Entries about warning signs: they must route people to a clinician and to
# emergency services, instead of ending on the usual "check with your PT".
RED_FLAG_IDS = frozenset({"when-to-get-help", "stress-fracture"})
SPECIAL_LABELS = frozenset({"off-topic", "red-flag"})

MIN_ENTRIES = 40
MIN_QUESTIONS = 5
MAX_ANSWER_CHARS = 900
MAX_TOPICS = 8
MAX_TOPIC_CHARS = 30
DEFER_PHRASE = "check with your physical therapist"
NEAR_COPY_RATIO = 0.85

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Telegram shows these literally when sent as plain text; prices are never quoted.
MARKUP = re.compile(r"\*\*|__|</?[a-z]+>|\]\(|^\s*[#*-] |`", re.MULTILINE)
PRICE = re.compile(r"[$€£]|\b(?:usd|eur|gbp|dollars?|euros?|pounds?)\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@cache
def entries() -> tuple[dict[str, Any], ...]:
    found: list[dict[str, Any]] = []
    for path in sorted(FAQ_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            found.extend(tomllib.load(fh).get("entry", []))
    return tuple(found)


@cache
def entry_ids() -> frozenset[str]:
    return frozenset(e["id"] for e in entries())


@cache
def cases() -> tuple[dict[str, Any], ...]:
    with DEVSET_PATH.open("rb") as fh:
        return tuple(tomllib.load(fh)["case"])


def norm(text: str) -> str:
    return " ".join(text.casefold().split())


def last_sentence(text: str) -> str:
    return SENTENCE_END.split(text.strip())[-1]


# ---------------------------------------------------------------- knowledge base


def test_every_faq_file_holds_entries() -> None:
    paths = sorted(FAQ_DIR.glob("*.toml"))
    assert paths, "no FAQ files found"
    for path in paths:
        with path.open("rb") as fh:
            assert tomllib.load(fh).get("entry"), f"{path.name} has no [[entry]] tables"


def test_enough_entries() -> None:
    assert len(entries()) >= MIN_ENTRIES


OPTIONAL_ENTRY_KEYS = {"areas"}


def test_entries_have_exactly_the_schema_keys() -> None:
    for e in entries():
        keys = set(e) - OPTIONAL_ENTRY_KEYS
        assert keys == ENTRY_KEYS, f"{e.get('id')}: keys {sorted(keys ^ ENTRY_KEYS)}"


def test_ids_are_unique_kebab_case() -> None:
    ids = [e["id"] for e in entries()]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"
    bad = [i for i in ids if not KEBAB.match(i)]
    assert not bad, f"ids not kebab-case: {bad}"


def test_required_ids_present() -> None:
    missing = REQUIRED_IDS - entry_ids()
    assert not missing, f"missing required entries: {sorted(missing)}"
    assert entry_ids() >= RED_FLAG_IDS


def test_titles_present_and_unique() -> None:
    titles = [norm(e["title"]) for e in entries()]
    assert all(titles)
    assert len(set(titles)) == len(titles)


def test_questions_are_many_and_not_shared_between_entries() -> None:
    owner: dict[str, str] = {}
    for e in entries():
        qs = e["questions"]
        assert len(qs) >= MIN_QUESTIONS, f"{e['id']} has only {len(qs)} questions"
        for q in qs:
            assert q.strip(), f"{e['id']} has an empty question"
            key = norm(q)
            assert key not in owner, f"{q!r} is in both {owner[key]} and {e['id']}"
            owner[key] = e["id"]


def test_answers_fit_and_are_plain_text() -> None:
    for e in entries():
        answer = e["answer"].strip()
        assert answer, f"{e['id']} has an empty answer"
        assert len(answer) <= MAX_ANSWER_CHARS, f"{e['id']} answer is {len(answer)} chars"
        assert not MARKUP.search(answer), f"{e['id']} answer contains markup"
        assert not PRICE.search(answer), f"{e['id']} answer mentions a price"


def test_ordinary_answers_end_by_deferring_to_the_therapist() -> None:
    for e in entries():
        if e["id"] in RED_FLAG_IDS:
            continue
        assert DEFER_PHRASE in last_sentence(e["answer"]).casefold(), (
            f"{e['id']} answer should end with a sentence containing {DEFER_PHRASE!r}"
        )


def test_red_flag_answers_send_people_to_a_clinician_and_emergency_services() -> None:
    for e in entries():
        if e["id"] not in RED_FLAG_IDS:
            continue
        answer = e["answer"].casefold()
        assert "physical therapist or doctor" in answer, e["id"]
        assert "emergency services" in answer, e["id"]


def test_sources_are_listed() -> None:
    for e in entries():
        assert e["sources"], f"{e['id']} has no sources"
        assert all(isinstance(s, str) and s.strip() for s in e["sources"]), e["id"]


def test_related_ids_exist_and_are_not_self() -> None:
    for e in entries():
        related = e["related"]
        assert 1 <= len(related) <= 4, f"{e['id']} has {len(related)} related ids"
        assert len(set(related)) == len(related), f"{e['id']} repeats a related id"
        assert e["id"] not in related, f"{e['id']} is related to itself"
        unknown = set(related) - entry_ids()
        assert not unknown, f"{e['id']} relates to unknown ids {sorted(unknown)}"


def test_topics_form_a_small_browsable_set() -> None:
    per_topic = Counter(e["topic"] for e in entries())
    assert 2 <= len(per_topic) <= MAX_TOPICS, sorted(per_topic)
    for topic, count in per_topic.items():
        assert 0 < len(topic) < MAX_TOPIC_CHARS, f"topic too long for a button: {topic!r}"
        assert count >= 2, f"topic {topic!r} has a single entry"


# ------------------------------------------------------------------ dev set


def test_devset_is_big_enough_in_every_category() -> None:
    labels = Counter(c["expect"] for c in cases())
    in_scope = sum(n for label, n in labels.items() if label not in SPECIAL_LABELS)
    assert len(cases()) >= 150
    assert in_scope >= 110
    assert labels["off-topic"] >= 30
    assert labels["red-flag"] >= 25


def test_devset_labels_are_known() -> None:
    allowed = entry_ids() | SPECIAL_LABELS
    bad = [c["expect"] for c in cases() if c["expect"] not in allowed]
    assert not bad, f"unknown expect labels: {bad}"
    for c in cases():
        assert set(c) == {"text", "expect"} and c["text"].strip()


def test_devset_covers_every_required_entry_twice() -> None:
    labels = Counter(c["expect"] for c in cases())
    thin = sorted(i for i in REQUIRED_IDS if labels[i] < 2)
    assert not thin, f"fewer than two dev-set questions for: {thin}"


def test_devset_texts_are_unique() -> None:
    texts = Counter(norm(c["text"]) for c in cases())
    dupes = [t for t, n in texts.items() if n > 1]
    assert not dupes, f"duplicate dev-set texts: {dupes}"


def test_devset_does_not_copy_entry_questions() -> None:
    questions = [norm(q) for e in entries() for q in e["questions"]]
    exact = set(questions)
    for c in cases():
        text = norm(c["text"])
        assert text not in exact, f"dev-set text copies an entry question: {c['text']!r}"
        for q in questions:
            matcher = SequenceMatcher(None, text, q)
            if matcher.real_quick_ratio() < NEAR_COPY_RATIO:
                continue
            if matcher.quick_ratio() < NEAR_COPY_RATIO:
                continue
            assert matcher.ratio() < NEAR_COPY_RATIO, (
                f"dev-set text {c['text']!r} is a trivial edit of entry question {q!r}"
            )


def test_every_entry_has_a_source_a_user_can_open_and_none_cites_internal_notes() -> None:
    for e in entries():
        assert any("http" in s for s in e["sources"]), f"{e['id']} has no source with a link"
        internal = [s for s in e["sources"] if "pt coach" in s.casefold()]
        assert not internal, f"{e['id']} cites internal notes: {internal}"


PAIN_NUMBER = re.compile(r"\b(\d+)(?: to (\d+))?(?:/10| out of 10)")


def test_pain_numbers_in_answers_are_the_pain_models_bands() -> None:
    """An answer may quote a score inside the safe band, the start or end of the acceptable
    band, or the see-a-professional line from bot/domain/pain.py, and nothing higher."""
    from bot.domain import pain

    allowed = {
        *range(pain.PAIN_MIN, pain.SAFE_MAX + 1),
        pain.SAFE_MAX + 1,
        pain.ACCEPTABLE_MAX,
        pain.SEE_PROFESSIONAL_ABOVE,
    }
    for e in entries():
        for match in PAIN_NUMBER.finditer(e["answer"]):
            numbers = {int(n) for n in match.groups() if n is not None}
            assert numbers <= allowed, f"{e['id']}: {match.group(0)!r} is not a pain-model band"
