"""Sentence embeddings for FAQ retrieval, from a model that ships inside a PyPI wheel.

The adapter behind ``bot.domain.faq.Embedder``: the domain scorer takes any callable that
turns texts into L2-normalised vectors; this module builds the production one from
``wordllama`` (0.4.x), whose default model (``l2_supercat``, 256 dimensions, ~16 MB of
weights) and tokenizer are files inside the installed package. Nothing is downloaded:
``WordLlama.load()`` would look for the tokenizer under ``~/.cache`` and then the Hugging Face
hub, so it is pointed at the package's own folder with ``disable_download=True`` (a missing
file is an error at start-up, never a network call). A question costs ~0.05 ms to embed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

MODEL_CONFIG = "l2_supercat"  # wordllama's default; its files are in the wheel
DIM = 256


def model_folder() -> Path:
    """The installed wordllama package: weights/ and tokenizers/ live here."""
    import wordllama

    return Path(wordllama.__file__).resolve().parent


class WordLlamaEmbedder:
    """Texts -> float32 rows of unit length (``bot.domain.faq.Embedder``)."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vecs = np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)
        return vecs


@lru_cache(maxsize=1)
def load_embedder() -> WordLlamaEmbedder:
    """Load once per process (~0.3-0.5 s) from the package folder; never downloads."""
    from wordllama import WordLlama

    model = WordLlama.load(
        config=MODEL_CONFIG, dim=DIM, cache_dir=model_folder(), disable_download=True
    )
    return WordLlamaEmbedder(model)
