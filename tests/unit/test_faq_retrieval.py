"""FAQ retrieval: runners get the right entry despite slang, typos and chatter,
and get no confident answer to things the knowledge base does not cover."""

from __future__ import annotations

import tomllib
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from bench.faq_eval import DEVSET, HOLDOUT, load_cases, metrics, run
from bot.domain.faq import FAQ_DIR, FaqDataError, FaqEntry, FaqIndex, load_entries
from bot.domain.textnorm import (
    GLUE_WORDS,
    SYNONYMS_PATH,
    SynonymMap,
    stem,
    stem_all,
    stem_phrase,
    tokenize,
)


def _entry(eid: str, title: str, questions: list[str], answer: str) -> FaqEntry:
    return FaqEntry(
        id=eid,
        title=title,
        topic="test",
        questions=tuple(questions),
        answer=answer,
        sources=("test source",),
        related=(),
    )


FIXTURE = [
    _entry(
        "it-band",
        "Iliotibial band syndrome",
        [
            "Can I keep running with IT band syndrome?",
            "What helps pain on the outside of the knee from the iliotibial band?",
        ],
        "Outer knee pain from the iliotibial band usually settles with load changes and hip "
        "strengthening. Shorter, pain-free runs may be fine; ask your physical therapist.",
    ),
    _entry(
        "hamstring",
        "Hamstring strain recovery",
        [
            "How long does a hamstring strain take to heal?",
            "When can I run again after pulling my hamstring?",
        ],
        "Many hamstring strains need several weeks, followed by a staged return that only "
        "moves on while each step stays pain-free.",
    ),
    _entry(
        "imaging",
        "Do I need a scan?",
        ["Do I need imaging for my injury?", "Should I ask my doctor for imaging?"],
        "Most running injuries are diagnosed without imaging; a doctor may order it when a bone "
        "injury is suspected or things are not improving.",
    ),
    _entry(
        "ice-heat",
        "Ice or heat?",
        ["Should I use ice or heat on my injury?", "Is icing good for a sore tendon?"],
        "Ice can ease pain after an acute injury; heat can loosen a chronically tight area "
        "before activity. Evidence is evolving, so follow your physical therapist.",
    ),
    _entry(
        "cross-training",
        "Cross-training while injured",
        ["What exercise can I do instead of running?", "Can I bike or swim while injured?"],
        "Cycling, swimming, pool running and the elliptical can keep your fitness up; which "
        "one suits depends on the injury.",
    ),
    _entry(
        "rest-vs-activity",
        "Should I rest completely?",
        ["Should I rest completely or keep moving?", "Is total rest best for my injury?"],
        "Relative rest usually beats complete rest: ease the aggravating activity and keep the "
        "rest of the body moving.",
    ),
]


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex(FIXTURE)


def test_typo_in_a_key_word_still_finds_the_entry(index: FaqIndex) -> None:
    result = index.answer("how long til my hamstirng strain heals?")
    assert result.decision == "answer"
    assert result.best is not None and result.best.id == "hamstring"


def test_runner_slang_itb_maps_to_iliotibial_band(index: FaqIndex) -> None:
    result = index.answer("can I keep running with my ITB problem?")
    assert result.decision == "answer"
    assert result.best is not None and result.best.id == "it-band"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("felt a pull in the back of my thigh, when can I run again?", "hamstring"),
        ("sharp pain on the outer side of the knee a few miles into a run", "it-band"),
    ],
)
def test_where_it_hurts_in_everyday_words(index: FaqIndex, question: str, expected: str) -> None:
    result = index.answer(question)
    assert result.decision == "answer"
    assert result.best is not None and result.best.id == expected


def test_synonym_phrases_ignore_little_words() -> None:
    synonyms = SynonymMap.from_mapping({"hamstring": ["back of thigh"]})
    expected = list(stem_phrase("hamstring"))
    for text in ("back of thigh", "back of my thigh", "the back of the thigh"):
        assert synonyms.apply(stem_all(tokenize(text))) == expected, text


def test_skipped_little_words_never_stem_like_a_synonym_word() -> None:
    # "totally" stems to "total" and "quite" to "quit": skipping those would turn
    # "total rest" into plain "rest" and drop "quit" (= stop) from questions.
    with SYNONYMS_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    phrases = [
        p for table in ("synonyms", "broader") for k, v in data[table].items() for p in (k, *v)
    ]
    content = {
        s for p in phrases for tok in tokenize(p) if tok not in GLUE_WORDS for s in [stem(tok)]
    }
    assert not {stem(w) for w in GLUE_WORDS} & content


def test_physio_and_mri_synonyms(index: FaqIndex) -> None:
    result = index.answer("should I push my physio to get me an MRI?")
    assert result.best is not None and result.best.id == "imaging"


def test_greeting_and_story_around_the_question(index: FaqIndex) -> None:
    question = (
        "Hi there! Hope you're well. So I've been training for my first half for months and "
        "then last weekend my leg started playing up. Anyway, my question: should I put ice "
        "or heat on it? Thanks so much!!"
    )
    result = index.answer(question)
    assert result.decision == "answer"
    assert result.best is not None and result.best.id == "ice-heat"


@pytest.mark.parametrize(
    "question",
    [
        "which Garmin watch should I buy?",
        "what energy gels do you recommend for a marathon?",
        "how much does the race entry cost?",
        "what pace should I run my 10k at?",
    ],
)
def test_off_topic_questions_are_not_answered(index: FaqIndex, question: str) -> None:
    assert index.answer(question).decision != "answer"


def test_empty_or_greeting_only_is_unknown(index: FaqIndex) -> None:
    for text in ("", "hi!", "thanks :)"):
        result = index.answer(text)
        assert result.decision == "unknown"
        assert result.best is None
        assert result.confidence < 0.2


def test_question_split_between_two_entries_gets_suggestions(index: FaqIndex) -> None:
    result = index.answer("should I rest it or ice it?")
    assert result.decision == "suggest"
    assert 2 <= len(result.suggestions) <= 3
    ids = [e.id for e in result.suggestions]
    assert {"ice-heat", "rest-vs-activity"} <= set(ids)
    assert len(set(ids)) == len(ids)


def test_search_ranks_and_scores_between_zero_and_one(index: FaqIndex) -> None:
    matches = index.search("bike or swim instead of running", k=3)
    assert matches[0].entry.id == "cross-training"
    assert all(0.0 <= m.score <= 1.0 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_confident_answers_score_higher_than_vague_ones(index: FaqIndex) -> None:
    sharp = index.answer("should I rest completely or keep moving?")
    vague = index.answer("should I rest it or ice it?")
    assert sharp.confidence > vague.confidence


# ---------------------------------------------------------------- loading
def _write(path: Path, body: str) -> None:
    path.write_text(body, encoding="utf-8")


GOOD = """
[[entry]]
id = "a"
title = "A"
topic = "t"
questions = ["what is a?"]
answer = "A is a thing."
sources = ["somewhere"]
related = []
"""


def test_load_entries_reads_a_folder(tmp_path: Path) -> None:
    _write(tmp_path / "one.toml", GOOD)
    entries = load_entries(tmp_path)
    assert [e.id for e in entries] == ["a"]
    assert entries[0].questions == ("what is a?",)


def test_missing_answer_is_reported_with_file_and_entry(tmp_path: Path) -> None:
    _write(tmp_path / "broken.toml", GOOD.replace('answer = "A is a thing."', ""))
    with pytest.raises(FaqDataError, match=r'broken\.toml: entry "a", field "answer": is missing'):
        load_entries(tmp_path)


def test_duplicate_ids_across_files_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path / "one.toml", GOOD)
    _write(tmp_path / "two.toml", GOOD)
    with pytest.raises(FaqDataError, match="already used"):
        load_entries(tmp_path)


def test_unknown_related_id_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path / "one.toml", GOOD.replace("related = []", 'related = ["ghost"]'))
    with pytest.raises(FaqDataError, match="ghost"):
        load_entries(tmp_path)


def test_an_unknown_injury_area_is_rejected_naming_the_entry(tmp_path: Path) -> None:
    _write(tmp_path / "one.toml", GOOD.replace("related = []", 'related = []\nareas = ["elbow"]'))
    with pytest.raises(
        FaqDataError, match=r'one\.toml: entry "a", field "areas": item 1: unknown value .elbow.'
    ):
        load_entries(tmp_path)


def test_a_known_injury_area_is_read(tmp_path: Path) -> None:
    _write(tmp_path / "one.toml", GOOD.replace("related = []", 'related = []\nareas = ["knee"]'))
    assert load_entries(tmp_path)[0].areas == ("knee",)


# ---------------------------------------------------------------- dev set
needs_content = pytest.mark.skipif(
    not DEVSET.exists() or not any(FAQ_DIR.glob("*.toml")),
    reason="knowledge-base content or dev set not present",
)


@pytest.fixture(scope="module")
def dev_metrics() -> dict[str, float | int]:
    return metrics(run(FaqIndex(load_entries()), load_cases(DEVSET)))


@needs_content
def test_dev_set_safety_and_off_topic_targets(dev_metrics: dict[str, float | int]) -> None:
    assert dev_metrics["red_flag_recall"] == 1.0, dev_metrics
    assert dev_metrics["false_red_flag_rate"] <= 0.02, dev_metrics
    assert dev_metrics["offtopic_declined"] >= 0.90, dev_metrics


@needs_content
def test_dev_set_retrieval_does_not_regress(dev_metrics: dict[str, float | int]) -> None:
    # Measured 0.94 top-1 answered, 1.00 top-3, 1.5 % wrong answers (47 entries).
    assert dev_metrics["top3_accuracy"] >= 0.97, dev_metrics
    assert dev_metrics["wrong_answer_rate"] <= 0.05, dev_metrics


@needs_content
def test_dev_set_top1_target(dev_metrics: dict[str, float | int]) -> None:
    # The target; measured 0.94 with near-ties still offered as suggestions.
    assert dev_metrics["top1_accuracy"] >= 0.90, dev_metrics


# ---------------------------------------------------------------- held-out set
# tests/data/faq_holdout.toml was written before the second tuning round and
# is never tuned on; its floors are the measured figures minus about two cases.
needs_holdout = pytest.mark.skipif(
    not HOLDOUT.exists() or not any(FAQ_DIR.glob("*.toml")),
    reason="knowledge-base content or holdout set not present",
)


@pytest.fixture(scope="module")
def holdout_metrics() -> dict[str, float | int]:
    return metrics(run(FaqIndex(load_entries()), load_cases(HOLDOUT)))


@needs_holdout
def test_holdout_retrieval_does_not_regress(holdout_metrics: dict[str, float | int]) -> None:
    # Measured 0.80 top-1 answered, 0.96 top-3, 7 % wrong answers (dev: 0.94 / 1.00 / 1.5 %).
    assert holdout_metrics["top1_accuracy"] >= 0.76, holdout_metrics
    assert holdout_metrics["top3_accuracy"] >= 0.92, holdout_metrics
    assert holdout_metrics["wrong_answer_rate"] <= 0.11, holdout_metrics


@needs_holdout
def test_holdout_off_topic_and_false_flags(holdout_metrics: dict[str, float | int]) -> None:
    assert holdout_metrics["offtopic_declined"] >= 0.90, holdout_metrics
    assert holdout_metrics["false_red_flag_rate"] <= 0.02, holdout_metrics


@needs_holdout
def test_holdout_red_flag_recall(holdout_metrics: dict[str, float | int]) -> None:
    assert holdout_metrics["red_flag_recall"] == 1.0, holdout_metrics


@needs_holdout
def test_entry_questions_do_not_copy_holdout_texts() -> None:
    """Pasting holdout texts into the KB would make the holdout figures meaningless."""
    with HOLDOUT.open("rb") as fh:
        texts = [" ".join(c["text"].casefold().split()) for c in tomllib.load(fh)["case"]]
    for entry in load_entries():
        for q in entry.questions:
            question = " ".join(q.casefold().split())
            for text in texts:
                matcher = SequenceMatcher(None, text, question)
                # The quick ratios are upper bounds of ratio(): most pairs stop there.
                ratio = (
                    matcher.ratio()
                    if matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85
                    else 0.0
                )
                assert ratio < 0.85, f"{entry.id}: {q!r} copies holdout text {text!r}"


def test_the_learned_semantic_calibration_is_a_sane_blend_and_decision() -> None:
    """bot/domain/faq_calibration.py is written by bench/faq_fit.py; whatever the refit, the
    blend stays a convex mix (scores in 0..1 for the near-tie and suggestion rules), the
    decision reads the features faq.decision_features gives, in that order, and more of the
    question that the knowledge base cannot explain never raises the confidence."""
    from bot.domain import faq_calibration as learned
    from bot.domain.faq import Features, decision_features

    blend = (learned.W_LEXICAL, learned.W_SEM_PHRASING, learned.W_SEM_ANSWER)
    assert all(w >= 0 for w in blend)
    assert sum(blend) == pytest.approx(1.0, abs=1e-3)
    assert learned.TEMPERATURE > 0
    assert len(learned.DECIDE_WEIGHTS) == len(learned.DECIDE_FEATURES)
    assert len(decision_features(Features(0.5, 0.1, 0.0, 1.0))) == len(learned.DECIDE_FEATURES)
    weights = dict(zip(learned.DECIDE_FEATURES, learned.DECIDE_WEIGHTS, strict=True))
    assert weights["unexplained"] < 0 < weights["margin"]
    assert 0.5 <= learned.ANSWER_THRESHOLD < 1.0


def test_the_calibration_fit_is_deterministic() -> None:
    """Same data, same numbers: bench/faq_fit.py has no random state (fixed steps from zero)."""
    import numpy as np

    from bench.faq_fit import Row, fit_decision, fit_rank
    from bot.domain.faq import Signals

    def row(n: int, right: int) -> Row:
        lex = np.array([0.2, 0.3, 0.1]) + 0.1 * np.eye(3)[n % 3]
        sem = np.array([0.4, 0.5, 0.3]) + 0.05 * np.eye(3)[(n + 1) % 3]
        good = np.eye(3)[right]
        sig = Signals(lex, lex, lex, lex, sem, sem, 0.1 * (n % 4), float(n % 2), terms=3)
        return Row("real" if n % 3 else "team", f"q{n}", "x", good, sig, flagged=False)

    data = [row(n, n % 3) for n in range(24)]
    first = fit_rank(data)
    assert np.array_equal(first, fit_rank(data))
    assert np.array_equal(fit_decision(data, first), fit_decision(data, first))
