"""The real ``python -m bot run`` process, long polling a Telegram-compatible HTTP server, on
SQLite and on PostgreSQL: a runner sets up by buttons, asks a question, reports a red flag,
gets the check-in at the time they chose, answers it, exports and erases their data.

A check-in time has minute precision and the bot runs on the real clock, so the check-in is
set for the next whole minute. To wait for that minute once rather than once per backend,
both bots are started and both runners onboarded together (module fixture), with the same
check-in minute; each backend's test then plays the rest of the journey.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, pool, select

from bot.db.engine import create_engine
from bot.db.models import CheckIn, RedFlagReport, User
from tests.botapi.server import BotApiServer, TestUser
from tests.conftest import BACKENDS, fresh_database
from tests.e2e.conftest import TOKEN, BotProcess, BotRunner, StartBot

pytestmark = pytest.mark.slow  # real subprocess bots, seconds each

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LEAD_SECONDS = 6  # finishing onboarding (two steps) must take less than this


def next_minute(zone: ZoneInfo, lead: float) -> datetime:
    """The first whole minute at least ``lead`` seconds from now, in ``zone``."""
    soon = datetime.now(zone) + timedelta(seconds=lead)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


def db_counts(db_url: str) -> dict[str, int]:
    async def _go() -> dict[str, int]:
        engine = create_engine(db_url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as conn:
                return {
                    model.__name__: int(
                        (await conn.execute(select(func.count()).select_from(model))).scalar_one()
                    )
                    for model in (User, CheckIn, RedFlagReport)
                }
        finally:
            await engine.dispose()

    return asyncio.run(_go())


def onboard_until_checkin_time(alex: TestUser) -> None:
    """Every step before the check-in time, by its buttons (and two typed answers)."""
    welcome = alex.say("/start")
    assert welcome is not None and "not a doctor" in welcome.body and "/delete" in welcome.body
    assert "Which area" in alex.press("let's start").body  # type: ignore[union-attr]
    alex.press("Knee")
    alex.press("A few days ago")
    alex.press("1")  # one PT session a week...
    far_day = WEEKDAYS[(datetime.now(BERLIN).weekday() + 3) % 7]  # ...never during this test
    alex.press(far_day)
    assert any(label.startswith("✅") for label in alex.last_with_buttons.labels)
    alex.press("Done")
    alex.press("08:00")
    alex.press("Glute bridges")
    alex.say("Monster walks 3x10")
    assert "Monster walks" in alex.bodies_since()
    alex.press("Confirm")
    assert "check in each day" in alex.last.body.lower()


def finish_onboarding(alex: TestUser, checkin_at: str) -> None:
    alex.say(checkin_at)
    alex.share_location(52.52, 13.405)  # Berlin
    summary = alex.last_with_buttons
    assert "Europe/Berlin" in summary.body and "Monster walks" in summary.body
    alex.press("All set")
    finished = alex.wait_for("You're all set")
    assert checkin_at in finished.body


def _alex(journey: Journey) -> TestUser:
    assert journey.alex is not None
    return journey.alex


@dataclass
class Journey:
    db_url: str = ""
    server: BotApiServer | None = None
    alex: TestUser | None = None
    due: datetime | None = None
    onboarded_seq: int = 0
    proc: BotProcess | None = None
    problem: BaseException | None = None  # raised again by this backend's test

    def ready(self) -> tuple[BotApiServer, TestUser, datetime]:
        if self.problem is not None:
            raise self.problem
        assert self.server and self.alex and self.due
        return self.server, self.alex, self.due


@pytest.fixture(scope="module")
def journeys(
    templates: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Journey]]:
    tmp = tmp_path_factory.mktemp("journeys")
    runner = BotRunner(tmp)
    result = {backend: Journey() for backend in BACKENDS}
    with contextlib.ExitStack() as stack:
        for backend, journey in result.items():
            try:
                journey.db_url = stack.enter_context(
                    contextlib.contextmanager(fresh_database)(templates, backend, Path(tmp))  # type: ignore[arg-type]
                )
            except (pytest.skip.Exception, pytest.fail.Exception) as exc:
                journey.problem = exc
                continue
            journey.server = stack.enter_context(BotApiServer(TOKEN))
        stack.callback(runner.close)  # first out: bots stop before their servers and databases
        live = [j for j in result.values() if j.problem is None]
        starting = [(j, runner.launch(j.db_url, j.server)) for j in live]  # type: ignore[arg-type]
        for journey, proc in starting:
            try:
                proc.wait_ready(journey.server, "getUpdates", after=0)  # type: ignore[arg-type]
            except Exception as exc:
                journey.problem = exc
            else:
                journey.alex = journey.server.user(4242, "Alex")  # type: ignore[union-attr]
                journey.proc = proc
        live = [j for j in result.values() if j.problem is None]

        def _each(step: Callable[[Journey], object]) -> None:
            with ThreadPoolExecutor(len(live) or 1) as pool_:
                for journey, future in [(j, pool_.submit(step, j)) for j in live]:
                    try:
                        future.result()
                    except Exception as exc:
                        journey.problem = exc

        _each(lambda j: onboard_until_checkin_time(_alex(j)))
        due = next_minute(BERLIN, LEAD_SECONDS)
        for journey in live:
            journey.due = due
        _each(
            lambda j: (
                finish_onboarding(_alex(j), due.strftime("%H:%M")) if j.problem is None else None
            )
        )
        for journey in live:
            journey.onboarded_seq = journey.server.seq if journey.server else 0
        yield result


def _played(
    journey: Journey, chapter: Callable[[Journey, BotApiServer, TestUser, datetime], None]
) -> None:
    botapi, alex, due = journey.ready()
    try:
        chapter(journey, botapi, alex, due)
    except BaseException:
        print(f"--- bot log ---\n{journey.proc.log_tail(80) if journey.proc else ''}")
        raise


# The chapters run in file order: while the check-in minute approaches, the first chapter
# and the blocked-user test run, so the wait for the minute is mostly spent doing something.


@pytest.mark.parametrize("backend", BACKENDS)
def test_1_the_runner_asks_reports_a_red_flag_and_exports(
    journeys: dict[str, Journey], backend: str
) -> None:
    _played(journeys[backend], ask_flag_and_export)


def ask_flag_and_export(
    journey: Journey, botapi: BotApiServer, alex: TestUser, due: datetime
) -> None:
    # A question from the knowledge base, with its sources and feedback buttons.
    alex.say("How long until I can run again?")
    answer = alex.wait_for("Sources:")
    assert "How long until I can run again" in answer.body
    alex.press("Helpful", answer)
    assert any("Thanks" in a.get("text", "") for a in botapi.query_answers.values())

    # A red flag: stop, contact a clinician; no FAQ answer in the same breath.
    alex.say("my shin hurts in one spot even when I'm sitting")
    flag = alex.last
    assert "physical therapist or doctor" in flag.body
    assert "Sources:" not in alex.bodies_since()
    alex.press("clinician has seen me", flag)
    asked = alex.last
    assert asked is not flag and "glad you" in asked.body  # a new message
    assert "physical therapist or doctor" in flag.body  # the advice stays in the chat
    if "clear you" in asked.body:  # urgent and emergency flags: cleared to carry on?
        alex.press("Cleared to carry on", asked)
        assert "check-ins back up" in alex.last.body

    # /export: two files, the JSON holding what the runner told us.
    alex.say("/export")
    docs = [m for m in alex.touched_since() if m.kind == "document"]
    assert [d.filename for d in docs] == ["pt-coach-data.json", "pt-coach-checkins.csv"]
    exported = json.dumps(json.loads(docs[0].file or b""))
    assert "Monster walks" in exported and "knee" in exported
    assert "here is your data" in alex.last.body.lower()


def test_2_a_blocked_user_is_not_written_to_again(
    sqlite_url: str, botapi: BotApiServer, start_bot: StartBot
) -> None:
    from tests.e2e.conftest import seed_users

    seed_users(sqlite_url, [5001, 5002], due_in=4)
    start_bot(sqlite_url, botapi)
    kept, gone = botapi.user(5001), botapi.user(5002)
    gone.block()
    botapi.wait(lambda: kept.messages, 20, "the check-in of the user who stayed")
    time.sleep(1.5)  # a few more ticks
    assert gone.messages == []
    assert all(c.status == 403 for c in botapi.calls_to("sendMessage", gone.id))
    assert len(botapi.calls_to("sendMessage", gone.id)) <= 1  # at most the one that found out


@pytest.mark.parametrize("backend", BACKENDS)
def test_3_the_checkin_arrives_on_time_is_answered_and_everything_is_deleted(
    journeys: dict[str, Journey], backend: str
) -> None:
    _played(journeys[backend], checkin_and_delete)


def checkin_and_delete(
    journey: Journey, botapi: BotApiServer, alex: TestUser, due: datetime
) -> None:
    # The check-in arrives at the chosen minute (not before), over the long poll.
    wait = max(0.0, due.timestamp() - time.time()) + 15
    checkin = botapi.wait(
        lambda: next(
            (
                m
                for m in alex.touched_since(journey.onboarded_seq)
                if "Did them all" in " ".join(m.labels)
            ),
            None,
        ),
        wait,
        f"the check-in due at {due:%H:%M:%S}",
    )
    sent_at = next(
        c.wall
        for c in botapi.calls_to("sendMessage", alex.id)
        if c.message_id == checkin.message_id
    )
    assert due.timestamp() <= sent_at <= due.timestamp() + 5, sent_at - due.timestamp()
    print(f"check-in sent {sent_at - due.timestamp():.2f}s after it was due")
    alex.press("Did them all", checkin)
    pain = alex.message(checkin.message_id)  # edited in place into the pain scale
    assert pain.labels == [str(n) for n in range(11)]
    alex.press("3", pain)
    assert "3/10" in alex.message(checkin.message_id).body
    note = alex.wait_for("note")
    alex.press("Skip", note)
    assert db_counts(journey.db_url) == {"User": 1, "CheckIn": 1, "RedFlagReport": 1}

    # /delete, confirmed: everything goes; a second /export finds nothing.
    alex.say("/delete")
    alex.press("Yes, delete everything")
    assert "Everything is erased" in alex.last.body
    assert db_counts(journey.db_url) == {"User": 0, "CheckIn": 0, "RedFlagReport": 0}
    alex.say("/export")
    assert "no data about you" in alex.last.body

    # Telegram never refused anything the bot sent.
    assert [(c.method, c.status) for c in botapi.calls if c.status >= 400] == []
