"""Semantic FAQ retrieval (issue 15.2): sentence embeddings from a model inside the wordllama
wheel, blended with the lexical scores. Paraphrases the words alone missed now reach the
right entry in the chat, and the model loads with no network at all."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from bot.domain.faq import FaqIndex, load_entries
from bot.faq_embeddings import load_embedder, model_folder
from tests.harness.bot import BotHarness
from tests.test_onboarding import onboard

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
    user = harness.user()
    await onboard(user)
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
    load_embedder.cache_clear()
    try:
        embed = load_embedder()
        vecs = embed(["Do I have to stop running?", "Should I quit running for now?", "gels"])
    finally:
        load_embedder.cache_clear()

    folder = model_folder()
    assert any(Path(folder, "weights").glob("*.safetensors"))
    assert any(Path(folder, "tokenizers").glob("*.json"))
    assert vecs.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    # two ways of asking the same thing sit closer than an unrelated word
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2])
