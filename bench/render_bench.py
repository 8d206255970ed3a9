"""Time the progress chart and the PT report on realistic seeded data.

The bot renders these on request in a worker thread; the target is under 0.5 s per
chart on the 2-core CI machine. Run: ``python bench/render_bench.py [--runs N]``.
The last line printed is one JSON object, so CI or a person can compare runs.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.reports.chart import render_progress_chart
from bot.reports.data import DayRecord, ReportInput
from bot.reports.pdf import render_pt_report

TODAY = date(2025, 6, 29)


def seeded_days(n_days: int, seed: int = 7) -> tuple[DayRecord, ...]:
    """A plausible history: mostly done, some skips, a pause, Sunday rest, pain easing."""
    rng = random.Random(seed)
    days: list[DayRecord] = []
    for i in range(n_days):
        day = TODAY - timedelta(days=n_days - 1 - i)
        if n_days // 2 <= i < n_days // 2 + 4:
            days.append(DayRecord(day, "paused", note="Cold, paused for a few days"))
            continue
        if day.weekday() == 6:
            days.append(DayRecord(day, "rest"))
            continue
        status = rng.choices(["done", "partial", "skipped", "missed"], [70, 12, 10, 8])[0]
        pain = None
        if status in ("done", "partial"):
            pain = max(0, min(10, round(6 - 4 * i / n_days + rng.gauss(0, 1))))
        days.append(
            DayRecord(
                day,
                status,  # type: ignore[arg-type]
                pain=pain,
                morning=rng.choice(["better", "same", "worse", None]) if pain is not None else None,
                exercises_done=("Clamshells",) if status == "partial" else (),
                skip_reason="Long shift, no energy left" if status == "skipped" else None,
                note="Outside of the knee a bit sore on stairs 🙂" if rng.random() < 0.3 else None,
            )
        )
    return tuple(days)


def timed(fn: Callable[[], bytes], runs: int) -> tuple[list[float], bytes]:
    fn()  # warm-up: font cache and first-call imports are not what users wait for
    times: list[float] = []
    out = b""
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, out


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"mean_ms": round(statistics.fmean(times), 1), "p95_ms": round(p95, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    results: dict[str, object] = {"runs": args.runs}
    sessions = (TODAY - timedelta(days=9), TODAY - timedelta(days=37))
    for weeks in (4, 12):
        days = seeded_days(weeks * 7)
        times, png = timed(
            functools.partial(
                render_progress_chart,
                days,
                today=TODAY,
                weeks=weeks,
                pt_sessions=sessions,
                title="Your progress",
            ),
            args.runs,
        )
        results[f"chart_{weeks}w"] = summary(times) | {"png_bytes": len(png)}
        print(f"chart {weeks:>2} weeks: {summary(times)}  {len(png)} bytes")

    days = seeded_days(84)
    report = ReportInput(
        first_name="Anna",
        injury_label="Knee (IT band)",
        stopped_running=TODAY - timedelta(days=90),
        period_start=TODAY - timedelta(days=27),
        period_end=TODAY,
        days=days,
        plan=("Clamshells 3 × 15", "Side plank 3 × 30 s", "Single-leg bridge 3 × 10"),
        pt_sessions=sessions,
        red_flags=((datetime(2025, 6, 20, 21, 5), "Sharp pain with swelling"),),
        questions=tuple(
            (datetime(2025, 6, 2, 9) + timedelta(hours=11 * k), "Can I cycle instead?")
            for k in range(40)
        ),
    )
    times, data = timed(functools.partial(render_pt_report, report), args.runs)
    results["pdf"] = summary(times) | {"pdf_bytes": len(data)}
    print(f"pdf report: {summary(times)}  {len(data)} bytes")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
