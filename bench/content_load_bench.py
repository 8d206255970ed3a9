"""Cost of reading and validating every file in bot/content, in a fresh process.

    .venv/bin/python bench/content_load_bench.py

Prints one JSON line: seconds to import the content code, seconds (wall and CPU) to load
every content file (nudges, exercises, check-in, safety, onboarding, replies, return to run, red
flags, synonyms, FAQ), and the process's peak resident memory.
"""

from __future__ import annotations

import time

T0, C0 = time.perf_counter(), time.process_time()

import json  # noqa: E402
import resource  # noqa: E402

from bot.domain import content, faq, return_to_run, textnorm, triage, wording  # noqa: E402

T1, C1 = time.perf_counter(), time.process_time()
content.load_exercise_templates()
content.load_nudges()
content.load_checkin_text()
content.load_safety_text()
content.load_replies_text()
wording.t("start.resume")
return_to_run.load_ladder()
faq.load_entries()
triage.load_triager()
textnorm.load_lexicon()
T2, C2 = time.perf_counter(), time.process_time()
print(
    json.dumps(
        {
            "bench": "content_load",
            "import_s": round(T1 - T0, 3),
            "load_s": round(T2 - T1, 3),
            "load_cpu_s": round(C2 - C1, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )
)
