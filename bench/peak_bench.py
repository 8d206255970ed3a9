"""The evening peak as users live it: N users' check-ins due at once, in the shipped
configuration, and how long each user waits for the bot to react to a tap.

    .venv/bin/python bench/peak_bench.py [--backend sqlite|postgres|both] [--users 6000]
                                         [--latency-ms 50] [--seed 1]

What runs is the real application with the settings a deployment ships with: the rate limiter
on (29 messages a second, replies first), `schedule.batch_size` and `schedule.tick_seconds`
from config.toml, updates through the application's own queue (concurrent across chats, each
chat in order). Time is real: the clock is the wall clock shifted to the seed's evening, so
the limiter and the dispatcher pace themselves as in production. Every Bot API call takes
``--latency-ms``.

Each user, when the check-in prompt arrives, taps "Did them all" 5-60 s later and a pain
score 3-10 s after the pain question appears. Measured: prompts sent per second, the wait
from each tap to the bot's answer (the message edited in place: what the user sees change),
p50/p95/p99, and every 10 s the number of taps still waiting. Target (issue 20.4): with
6,000 users, press-to-answer p95 under 2 s on both databases, nothing lost. At the end the
database must show every user's check-in done with pain 3, else the script exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from _seed import NOW, ROOT, fresh_database, machine, require, seed_users
from dispatch_bench import InstantTelegram
from sqlalchemy import func, select
from telegram import Update

from bot.app import build_application, start_services
from bot.config import load_settings
from bot.db.models import CheckIn
from bot.transport import Upload
from tests.harness import updates
from tests.harness.fake_telegram import SentMessage


class EveningClock:
    """The wall clock, moved to the seed's evening: time passes at its real pace."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


@dataclass
class Tap:
    chat: int
    kind: str  # "done" or "pain"
    at: float  # when the user tapped (monotonic)
    answered: float | None = None


@dataclass
class Evening:
    """What the simulated users see and do."""

    app: Any
    rng: random.Random
    waiting: dict[tuple[int, str], Tap] = field(default_factory=dict)
    taps: list[Tap] = field(default_factory=list)
    prompts_at: list[float] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def later(self, delay: float, chat: int, kind: str, data: str, message_id: int) -> None:
        task = asyncio.create_task(self._tap(delay, chat, kind, data, message_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _tap(self, delay: float, chat: int, kind: str, data: str, message_id: int) -> None:
        await asyncio.sleep(delay)
        message = SentMessage(chat_id=chat, message_id=message_id, text="", reply_markup=None)
        tap = Tap(chat, kind, time.monotonic())
        self.waiting[(chat, kind)] = tap
        self.taps.append(tap)
        raw = updates.callback_update(chat, "R", data, message)
        await self.app.update_queue.put(Update.de_json(raw, self.app.bot))


def _button(params: dict[str, Any], suffix: str) -> str | None:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data", "")
            if data.endswith(suffix):
                return str(data)
    return None


class PeakTelegram(InstantTelegram):
    """Every call takes ``latency``; prompts and pain questions make the users tap."""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency
        self.evening: Evening | None = None

    async def answer(
        self, api: str, params: dict[str, Any], files: dict[str, Upload]
    ) -> tuple[int, bytes]:
        await asyncio.sleep(self.latency)
        status, body = await super().answer(api, params, files)
        evening = self.evening
        if evening is None or "chat_id" not in params:
            return status, body
        chat = int(params["chat_id"])
        if api == "sendMessage":
            done = _button(params, ":done")
            if done is not None:
                evening.prompts_at.append(time.monotonic())
                message_id = int(json.loads(body)["result"]["message_id"])
                evening.later(evening.rng.uniform(5, 60), chat, "done", done, message_id)
        elif api == "editMessageText":
            tap = evening.waiting.pop((chat, "done"), None) or evening.waiting.pop(
                (chat, "pain"), None
            )
            if tap is not None:
                tap.answered = time.monotonic()
            pain = _button(params, ":p:3")
            if pain is not None:
                message_id = int(params.get("message_id", 1))
                evening.later(evening.rng.uniform(3, 10), chat, "pain", pain, message_id)
        return status, body


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


async def run_backend(backend: str, users: int, latency: float, seed: int) -> dict[str, Any]:
    from scheduler.dispatcher import Dispatcher

    async with fresh_database(backend) as url:
        shipped = load_settings(environ={}, dotenv=ROOT / ".env.does-not-exist")
        settings = shipped.with_overrides(database={"url": url}, token="123456:PEAK")
        telegram = PeakTelegram(latency)
        clock = EveningClock(NOW)
        app = build_application(settings, request=telegram, clock=clock, run_ticks=False)
        services = app.bot_data["services"]
        await seed_users(services.engine, users, realistic=True)
        await app.initialize()
        await start_services(app)
        evening = Evening(app, random.Random(seed))
        telegram.evening = evening
        await app.start()
        dispatcher = Dispatcher(services, app.bot)
        stop = asyncio.Event()

        async def ticking() -> None:  # what the JobQueue does: one tick every tick_seconds
            while not stop.is_set():
                await dispatcher.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.schedule.tick_seconds)

        t0 = time.monotonic()
        ticker = asyncio.create_task(ticking())
        queue: list[tuple[int, int]] = []
        deadline = t0 + users / 5 + 300  # far beyond any acceptable evening
        while time.monotonic() < deadline:
            await asyncio.sleep(10)
            queue.append((round(time.monotonic() - t0), len(evening.waiting)))
            answered = sum(1 for t in evening.taps if t.answered is not None)
            if answered >= 2 * users:
                break
        stop.set()
        await ticker
        await app.stop()
        async with services.sessions() as session:
            done = await session.scalar(
                select(func.count())
                .select_from(CheckIn)
                .where(
                    CheckIn.local_date == NOW.date(), CheckIn.status == "done", CheckIn.pain == 3
                )
            )
        errors = int(services.metrics.count("errors", source="handler"))
        await app.shutdown()
        await services.engine.dispose()
    waits = [t.answered - t.at for t in evening.taps if t.answered is not None]
    prompts = sorted(evening.prompts_at)
    span = (prompts[-1] - prompts[0]) if len(prompts) > 1 else 0.0
    require(errors == 0, f"no handler errors ({errors})")
    require(len(prompts) == users, f"every user got one prompt ({len(prompts)} of {users})")
    require(done == users, f"every check-in recorded with its pain score ({done} of {users})")
    return {
        "bench": "peak",
        "backend": backend,
        "users": users,
        "latency_ms": latency * 1000,
        "batch_size": settings.schedule.batch_size,
        "tick_seconds": settings.schedule.tick_seconds,
        "messages_per_second_budget": settings.telegram.max_messages_per_second,
        "prompts_per_s": round(len(prompts) / span, 1) if span else None,
        "all_prompts_out_after_s": round(prompts[-1] - t0, 1) if prompts else None,
        "taps": len(evening.taps),
        "answered": len(waits),
        "press_to_answer_s": {
            "p50": round(statistics.median(waits), 2) if waits else None,
            "p95": round(percentile(waits, 0.95), 2),
            "p99": round(percentile(waits, 0.99), 2),
            "max": round(max(waits), 2) if waits else None,
        },
        "waiting_taps_every_10s": queue,
        "recorded_done": done,
        "within_target": bool(waits) and percentile(waits, 0.95) < 2.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=6000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        result = asyncio.run(run_backend(backend, args.users, args.latency_ms / 1000, args.seed))
        print(json.dumps(result), flush=True)
        results.append(result)
    print(json.dumps({"bench": "peak", "machine": machine(), "results": results}))


if __name__ == "__main__":
    main()
