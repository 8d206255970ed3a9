"""Updates through the full Application: check-in button presses and FAQ questions from many
concurrent users, with the real handlers, middleware (dedupe) and database.

    .venv/bin/python bench/updates_bench.py [--backend sqlite|postgres|both] [--users N]
                                            [--concurrency C]

Each check-in user presses "Did them all" and then a pain score (two updates); each FAQ user
asks one question. Updates run ``C`` at a time with ``asyncio.gather`` (what PTB does with
``concurrent_updates``). Reports updates/s and p50/p99 latency per kind. Target: p99 < 25 ms
on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from _seed import NOW, fresh_database, machine, require, seed_users
from dispatch_bench import InstantTelegram, bench_settings
from sqlalchemy import func, select
from telegram import Update

from bot.app import build_application, start_services
from bot.clock import FakeClock
from bot.db.models import CheckIn
from tests.harness import updates
from tests.harness.fake_telegram import SentMessage

QUESTIONS = (
    "Can I still run with a sore IT band?",
    "How long until I can run again after a knee injury?",
    "Is it normal that my exercises feel boring?",
    "Should I ice or heat my hamstring?",
    "What is a good pain level during rehab exercises?",
    "Can I cycle while I can't run?",
)


def faq_available() -> bool:
    try:
        import bot.domain.faq  # noqa: F401
    except Exception:
        return False
    return True


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run_backend(
    backend: str, users: int, concurrency: int, with_faq: bool, realistic: bool = True
) -> dict[str, Any]:
    async with fresh_database(backend) as url:
        settings = bench_settings(url, 200)
        app = build_application(
            settings, request=InstantTelegram(), clock=FakeClock(NOW), run_ticks=False
        )
        services = app.bot_data["services"]
        tg_ids = await seed_users(
            services.engine,
            users * (2 if with_faq else 1),
            due_checkins=False,
            realistic=realistic,
        )
        await app.initialize()
        await start_services(app)
        if with_faq:
            _ = services.faq  # built once at first use; not part of a user's latency
        checkin_ids, faq_ids = tg_ids[:users], tg_ids[users:]
        day = NOW.strftime("%Y%m%d")
        latencies: dict[str, list[float]] = {"press_done": [], "press_pain": [], "faq": []}

        async def one(kind: str, raw: dict[str, Any]) -> None:
            update = Update.de_json(raw, app.bot)
            t = time.perf_counter()
            await app.process_update(update)
            latencies[kind].append((time.perf_counter() - t) * 1000)

        def prompt(chat: int) -> SentMessage:
            return SentMessage(
                chat_id=chat, message_id=1, text="How did today go?", reply_markup=None
            )

        waves: list[list[tuple[str, dict[str, Any]]]] = [
            [
                ("press_done", updates.callback_update(u, "R", f"ci:{day}:done", prompt(u)))
                for u in checkin_ids
            ],
            [
                ("press_pain", updates.callback_update(u, "R", f"ci:{day}:p:3", prompt(u)))
                for u in checkin_ids
            ],
        ]
        if with_faq:
            waves.append(
                [
                    ("faq", updates.text_update(u, "R", QUESTIONS[u % len(QUESTIONS)]))
                    for u in faq_ids
                ]
            )
        wall0, cpu0 = time.perf_counter(), time.process_time()
        total = 0
        for wave in waves:
            for i in range(0, len(wave), concurrency):
                batch = wave[i : i + concurrency]
                await asyncio.gather(*(one(kind, raw) for kind, raw in batch))
                total += len(batch)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        async with services.sessions() as session:
            recorded = await session.scalar(
                select(func.count())
                .select_from(CheckIn)
                .where(
                    CheckIn.local_date == NOW.date(), CheckIn.status == "done", CheckIn.pain == 3
                )
            )
        errors = int(services.metrics.count("errors", source="handler"))
        await app.shutdown()
        await services.engine.dispose()
    require(errors == 0, f"no handler errors ({errors} seen)")
    require(recorded == users, f"every press recorded: {recorded} of {users} check-ins with pain 3")
    per_kind = {
        kind: {
            "n": len(v),
            "p50_ms": round(statistics.median(v), 2),
            "p99_ms": round(percentile(v, 99), 2),
        }
        for kind, v in latencies.items()
        if v
    }
    everything = [x for v in latencies.values() for x in v]
    return {
        "bench": "updates",
        "backend": backend,
        "users": users,
        "concurrency": concurrency,
        "faq_included": with_faq,
        "realistic_data": realistic,
        "recorded": recorded,
        "updates": total,
        "seconds": round(wall, 2),
        "updates_per_s": round(total / wall, 1),
        "cpu_ms_per_update": round(cpu / total * 1000, 2),
        "p50_ms": round(statistics.median(everything), 2),
        "p99_ms": round(percentile(everything, 99), 2),
        "by_kind": per_kind,
        "handler_errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--users", type=int, default=1000, help="check-in users (and as many FAQ users)"
    )
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--ideal", action="store_true", help="day-one users with no history (the best case)"
    )
    args = parser.parse_args()
    with_faq = faq_available()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        result = asyncio.run(
            run_backend(backend, args.users, args.concurrency, with_faq, realistic=not args.ideal)
        )
        print(json.dumps(result), flush=True)
        results.append(result)
    print(json.dumps({"bench": "updates", "machine": machine(), "results": results}))


if __name__ == "__main__":
    main()
