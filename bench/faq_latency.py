"""Per-question latency of triage + FAQ answer over the dev set.

The bot answers inside a Telegram update handler, so one question must cost
well under 5 ms.  Prints one JSON line:
{"questions", "repeats", "model_load_ms", "index_build_ms", "rss_mb", "mean_ms", "p50_ms",
 "p99_ms", "max_ms", "cpu_p50_ms", "cpu_p99_ms"} (``cpu``: this process's CPU time per
question, steadier than the wall clock on a shared machine).

    python -m bench.faq_latency [--repeats 20] [--lexical] [--set dev|real]

By default the index is the bot's semantic hybrid (all-MiniLM-L6-v2 int8 sentence
embeddings, bot/faq_embeddings.py, blended with the lexical scores, issue 15.2; every
question is embedded each time, as ``FaqIndex.answer`` keeps no vector it did not prepare):
``model_load_ms`` is loading the model from its wheel (once per process), ``index_build_ms``
building the index and embedding the knowledge base. ``rss_mb`` is the process's peak
resident memory after the run (``ru_maxrss``); run once with ``--lexical`` for the
difference the model makes. ``--set real`` times the real-question set (both splits; texts
only, no labels are read), whose questions are longer.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.faq_eval import SETS, load_cases  # noqa: E402
from bot.domain.faq import FaqIndex, load_entries  # noqa: E402
from bot.domain.triage import triage  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="which", choices=sorted(SETS), default="dev")
    parser.add_argument("--devset", type=Path, default=None, help="case file (overrides --set)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--lexical", action="store_true", help="lexical scorer only")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    embedder = None
    if not args.lexical:
        from bot.faq_embeddings import load_embedder

        embedder = load_embedder()
    load_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    index = FaqIndex(load_entries(), embedder=embedder)
    build_ms = (time.perf_counter() - start) * 1000
    questions = [case.text for case in load_cases(args.devset or SETS[args.which])]
    # First pass is timed too: the caches start cold in production as well.
    samples: list[float] = []
    cpu: list[float] = []
    for _ in range(args.repeats):
        for question in questions:
            t0, c0 = time.perf_counter(), time.process_time()
            if not triage(question).is_red_flag:
                index.answer(question)
            samples.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    samples.sort()
    cpu.sort()
    result = {
        "questions": len(questions),
        "entries": len(index.entries),
        "repeats": args.repeats,
        "semantic": index.semantic,
        "model_load_ms": round(load_ms, 2),
        "index_build_ms": round(build_ms, 2),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "mean_ms": round(statistics.fmean(samples), 4),
        "p50_ms": round(samples[len(samples) // 2], 4),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 4),
        "max_ms": round(samples[-1], 4),
        "cpu_p50_ms": round(cpu[len(cpu) // 2], 4),
        "cpu_p99_ms": round(cpu[min(len(cpu) - 1, int(len(cpu) * 0.99))], 4),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
