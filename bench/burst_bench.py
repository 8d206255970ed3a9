"""Check-in time burst: N users press "Did them all" at the same moment while every Telegram
call takes L ms; how long until the last of them sees the button react?

    .venv/bin/python bench/burst_bench.py [--backend sqlite|postgres|both] [--users 300]
                                          [--latency-ms 50,0]

Both contenders get their updates through their own ``Application.update_queue`` (what
polling and the webhook feed), with the same fake Telegram that answers every call after L ms:

* **PT Coach**: the real application (dedupe middleware, check-in use case, its update
  processor with ``telegram.max_concurrent_updates``), on a fresh migrated database whose
  users got their check-in prompt from a real dispatcher tick;
* **bare PTB**: ``ApplicationBuilder().concurrent_updates(True)`` with one
  ``CallbackQueryHandler`` that answers the query and edits the message (two calls, as the
  check-in press makes at least), no database;
* **floor**: the same bare handler, plus what any bot that records a press must do at the
  least: one short transaction with one ``INSERT … ON CONFLICT DO UPDATE`` through the
  project's own engine (``bot.db.engine.create_engine``: WAL and ``BEGIN IMMEDIATE`` on
  SQLite, the pool on PostgreSQL), 64 updates at once like PT Coach. It is the cheapest a
  press can be once it touches the database, so it says how much of PT Coach's time is the
  database itself and how much is PT Coach.

Drain time is from the first ``put`` to ``update_queue.join()``. After PT Coach's run the
database is checked: every user's check-in recorded as done exactly once. Target: 300 users
at 50 ms within 2x bare PTB, on SQLite and PostgreSQL. Zero latency is printed too: it hides
sequential waiting, so it is the CPU cost alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from _seed import NOW, fresh_database, machine, require, seed_users
from dispatch_bench import InstantTelegram, bench_settings
from sqlalchemy import func, select, text
from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

from bot.app import build_application, start_services
from bot.clock import FakeClock
from bot.db.engine import create_engine
from bot.db.models import CheckIn
from bot.domain.callbacks import ButtonFamily, encode
from bot.transport import Upload
from tests.harness import updates
from tests.harness.fake_telegram import SentMessage


class SlowTelegram(InstantTelegram):
    """Every Bot API call answers after ``latency`` seconds (a network round trip)."""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency
        self.calls: Counter[str] = Counter()

    async def answer(
        self, api: str, params: dict[str, Any], files: dict[str, Upload]
    ) -> tuple[int, bytes]:
        self.calls[api] += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        return await super().answer(api, params, files)


def press(user: int) -> dict[str, Any]:
    day = NOW.strftime("%Y%m%d")
    prompt = SentMessage(chat_id=user, message_id=2, text="How did today go?", reply_markup=None)
    return updates.callback_update(user, "R", encode(ButtonFamily.CHECKIN, day, "done"), prompt)


async def drain(app: Any, raws: list[dict[str, Any]]) -> float:
    await app.start()
    try:
        t0 = time.perf_counter()
        for raw in raws:
            await app.update_queue.put(Update.de_json(raw, app.bot))
        await app.update_queue.join()
        return time.perf_counter() - t0
    finally:
        await app.stop()


async def _bare_app(
    users: list[int],
    latency: float,
    concurrency: bool | int,
    record: Callable[[int], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Bare PTB answering and editing each press; ``record`` (if any) runs first, with the
    presser's id: the floor's one database write."""
    telegram = SlowTelegram(latency)

    async def on_press(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if record is not None:
            await record(query.from_user.id)
        await query.answer()
        await query.edit_message_text("Nice work! How much did it hurt?")

    app = (
        ApplicationBuilder()
        .token("123456:BENCH")
        .request(telegram)
        .get_updates_request(telegram)
        .concurrent_updates(concurrency)
        .build()
    )
    app.add_handler(CallbackQueryHandler(on_press))
    await app.initialize()
    calls0 = sum(telegram.calls.values())
    cpu0 = time.process_time()
    seconds = await drain(app, [press(u) for u in users])
    cpu = time.process_time() - cpu0
    calls = sum(telegram.calls.values()) - calls0
    await app.shutdown()
    return {
        "seconds": round(seconds, 3),
        "cpu_ms_per_press": round(cpu / len(users) * 1000, 2),
        "api_calls_per_press": round(calls / len(users), 2),
        "concurrency": app.update_processor.max_concurrent_updates,
    }


async def bare_ptb(users: list[int], latency: float) -> dict[str, Any]:
    return await _bare_app(users, latency, True)


FLOOR_CONCURRENCY = 64  # as telegram.max_concurrent_updates ships


async def floor(backend: str, users: list[int], latency: float) -> dict[str, Any]:
    """Bare PTB plus one one-statement write transaction per press (see the module doc)."""
    async with fresh_database(backend) as url:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE press (user_id BIGINT PRIMARY KEY, n INT)"))
        statement = text(
            "INSERT INTO press (user_id, n) VALUES (:user_id, 1) "
            "ON CONFLICT (user_id) DO UPDATE SET n = press.n + 1"
        )

        async def record(user_id: int) -> None:
            async with engine.begin() as connection:
                await connection.execute(statement, {"user_id": user_id})

        result = await _bare_app(users, latency, FLOOR_CONCURRENCY, record)
        async with engine.connect() as connection:
            recorded = await connection.scalar(text("SELECT count(*) FROM press WHERE n = 1"))
        await engine.dispose()
    require(recorded == len(users), f"floor: every press recorded once ({recorded})")
    return result


async def pt_coach(
    backend: str, users: int, latency: float, max_concurrent: int | None = None
) -> dict[str, Any]:
    from scheduler.dispatcher import Dispatcher

    async with fresh_database(backend) as url:
        settings = bench_settings(url, 1000)
        if max_concurrent is not None:
            settings = settings.with_overrides(
                telegram={
                    "max_concurrent_updates": max_concurrent,
                    "max_pending_updates": max(max_concurrent, 1024),
                }
            )
        telegram = SlowTelegram(0.0)
        app = build_application(settings, request=telegram, clock=FakeClock(NOW), run_ticks=False)
        services = app.bot_data["services"]
        tg_ids = await seed_users(services.engine, users)
        await app.initialize()
        await start_services(app)
        await Dispatcher(services, app.bot).tick()  # everyone gets today's check-in prompt
        telegram.latency = latency
        calls0 = sum(telegram.calls.values())
        cpu0 = time.process_time()
        seconds = await drain(app, [press(u) for u in tg_ids])
        cpu = time.process_time() - cpu0
        calls = sum(telegram.calls.values()) - calls0
        async with services.sessions() as session:
            done = await session.scalar(
                select(func.count()).select_from(CheckIn).where(CheckIn.status == "done")
            )
            distinct = await session.scalar(
                select(func.count(func.distinct(CheckIn.user_id))).where(CheckIn.status == "done")
            )
        errors = int(services.metrics.count("errors", source="handler"))
        require(done == users and distinct == users, f"every press recorded once ({done})")
        require(errors == 0, f"no handler errors ({errors} seen)")
        processor = app.update_processor
        await app.shutdown()
        await services.engine.dispose()
    return {
        "seconds": round(seconds, 3),
        "cpu_ms_per_press": round(cpu / users * 1000, 2),
        "api_calls_per_press": round(calls / users, 2),
        "concurrency": getattr(processor, "max_running_updates", None),
        "recorded_done": done,
        "exactly_once": done == users and distinct == users,
        "handler_errors": errors,
    }


async def run(
    backend: str, users: int, latency_ms: float, max_concurrent: int | None
) -> dict[str, Any]:
    latency = latency_ms / 1000
    ours = await pt_coach(backend, users, latency, max_concurrent)
    ids = list(range(10_000_000, 10_000_000 + users))
    bare = await bare_ptb(ids, latency)
    least = await floor(backend, ids, latency)
    ratio = ours["seconds"] / bare["seconds"] if bare["seconds"] else float("inf")
    floor_ratio = least["seconds"] / bare["seconds"] if bare["seconds"] else float("inf")
    return {
        "bench": "burst",
        "backend": backend,
        "users": users,
        "latency_ms": latency_ms,
        "pt_coach": ours,
        "bare_ptb": bare,
        "floor": least,
        "ratio": round(ratio, 2),
        "floor_ratio": round(floor_ratio, 2),
        "over_floor": round(ours["seconds"] / least["seconds"], 2) if least["seconds"] else None,
        "within_2x": ratio <= 2.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--latency-ms", default="50,0")
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=None,
        help="PT Coach's telegram.max_concurrent_updates (default: the configured value)",
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        for latency_ms in (float(x) for x in args.latency_ms.split(",")):
            result = asyncio.run(run(backend, args.users, latency_ms, args.max_concurrent))
            print(json.dumps(result), flush=True)
            results.append(result)
    print(json.dumps({"bench": "burst", "machine": machine(), "results": results}))


if __name__ == "__main__":
    main()
