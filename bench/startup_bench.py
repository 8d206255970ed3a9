"""Start-up time and memory with many users, against one PTB JobQueue job per user.

    .venv/bin/python bench/startup_bench.py [--backend sqlite|postgres] [--users 10000,100000]

For each user count, one database is seeded and two fresh processes start on it:
- ``ptcoach``: build and initialise the Application, run ``post_init`` (migrations check,
  command menu, the single dispatcher job, the FAQ warm-up started in the background) and
  the first dispatcher tick; then the first FAQ question (``first_question_s``, asked once
  the warm-up has finished) and the time and memory once the FAQ index is built.
  ``--no-faq-warm-up`` measures it with ``faq.warm_up = false`` (the index built by that
  first question).
- ``jobqueue``: the common alternative: read every user and create one ``run_daily`` job
  per user in PTB's JobQueue, then start it.
Each child reports seconds from process start (imports included) and resident memory
(VmRSS and peak VmHWM). Target for PT Coach: under 3 s and 150 MB, flat in the number of users.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from _seed import NOW, fresh_database, machine, seed_users  # noqa: E402

HERE = Path(__file__).resolve()


def memory_mb() -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


async def child_ptcoach(url: str, faq_warm_up: bool = True) -> dict[str, Any]:
    from dispatch_bench import InstantTelegram, bench_settings

    from bot.app import build_application
    from bot.clock import FakeClock
    from scheduler.dispatcher import Dispatcher

    settings = bench_settings(url, 200).with_overrides(faq={"warm_up": faq_warm_up})
    app = build_application(
        settings, request=InstantTelegram(), clock=FakeClock(NOW), run_ticks=True
    )
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    services = app.bot_data["services"]
    t_tick = time.perf_counter()
    sent = await Dispatcher(services, app.bot).tick()
    tick_s = time.perf_counter() - t_tick
    ready = time.perf_counter() - T0
    jobs = len(app.job_queue.jobs()) if app.job_queue else 0
    result = {
        "mode": "ptcoach",
        "faq_warm_up": faq_warm_up,
        "seconds": round(ready, 3),
        "first_tick_s": round(tick_s, 3),
        "first_tick_sent": sent,
        "jobs": jobs,
        **memory_mb(),
    }
    # The first question: with the warm-up, asked once it has finished (faq_ready_s after
    # process start); without, asked the moment PT Coach is ready, so it builds the index.
    # (A question during the warm-up waits for the rest of that build: never longer.)
    from bot.services.faq import answer_question

    warm_up = app.bot_data.get("faq_warm_up")
    if warm_up is not None:
        await warm_up
    t_question = time.perf_counter()
    answer_question(services.faq, "Do I really have to stop running?")
    result["first_question_s"] = round(time.perf_counter() - t_question, 3)
    result["faq_ready_s"] = round(time.perf_counter() - T0, 3)
    result["rss_after_faq_mb"] = memory_mb()["rss_mb"]
    await app.post_shutdown(app)  # type: ignore[misc]
    await app.shutdown()
    return result


async def child_jobqueue(url: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from dispatch_bench import InstantTelegram, bench_settings
    from sqlalchemy import select

    from bot.app import build_application
    from bot.clock import FakeClock
    from bot.db.models import User

    settings = bench_settings(url, 200)
    app = build_application(
        settings, request=InstantTelegram(), clock=FakeClock(NOW), run_ticks=False
    )
    await app.initialize()
    services = app.bot_data["services"]

    async def checkin(context: Any) -> None:  # never runs during the measurement
        await context.bot.send_message(context.job.chat_id, "How did your exercises go?")

    async with services.sessions() as session:
        rows = (
            await session.execute(
                select(User.id, User.chat_id, User.timezone, User.checkin_time).where(
                    User.status == "active"
                )
            )
        ).all()
    assert app.job_queue is not None
    for user_id, chat_id, zone, at in rows:
        app.job_queue.run_daily(
            checkin,
            at.replace(tzinfo=ZoneInfo(zone)),
            chat_id=chat_id,
            user_id=user_id,
            name=f"checkin-{user_id}",
        )
    await app.job_queue.start()
    ready = time.perf_counter() - T0
    result = {
        "mode": "jobqueue",
        "seconds": round(ready, 3),
        "jobs": len(app.job_queue.jobs()),
        **memory_mb(),
    }
    await app.job_queue.stop(wait=False)
    await app.shutdown()
    await services.engine.dispose()
    return result


def run_child(mode: str, url: str, faq_warm_up: bool = True) -> dict[str, Any]:
    extra = [] if faq_warm_up else ["--no-faq-warm-up"]
    out = subprocess.run(
        [sys.executable, str(HERE), "--child", mode, "--url", url, *extra],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


async def seed(url: str, users: int) -> float:
    from bot.db.engine import create_engine

    engine = create_engine(url)
    t = time.perf_counter()
    # The next check-ins are due tomorrow: a steady-state start, nothing overdue.
    await seed_users(engine, users, now=NOW + timedelta(days=1))
    await engine.dispose()
    return time.perf_counter() - t


async def parent(backend: str, counts: list[int], faq_warm_up: bool) -> list[dict[str, Any]]:
    results = []
    for users in counts:
        async with fresh_database(backend) as url:
            seed_s = await seed(url, users)
            for mode in ("ptcoach", "jobqueue"):
                result = {
                    "bench": "startup",
                    "backend": backend,
                    "users": users,
                    "seed_seconds": round(seed_s, 1),
                    **await asyncio.to_thread(run_child, mode, url, faq_warm_up),
                }
                print(json.dumps(result), flush=True)
                results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--users", default="10000,100000", help="comma-separated user counts")
    parser.add_argument("--child", choices=["ptcoach", "jobqueue"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-faq-warm-up", action="store_true", help="start with faq.warm_up = false"
    )
    args = parser.parse_args()
    warm = not args.no_faq_warm_up
    if args.child == "ptcoach":
        print(json.dumps(asyncio.run(child_ptcoach(args.url, warm))))
        return
    if args.child:
        print(json.dumps(asyncio.run(child_jobqueue(args.url))))
        return
    counts = [int(c) for c in args.users.split(",")]
    results = asyncio.run(parent(args.backend, counts, warm))
    print(json.dumps({"bench": "startup", "machine": machine(), "results": results}))


if __name__ == "__main__":
    main()
