"""Anything a user (or an attacker) can send: the bot answers or ignores cleanly, and never
touches another user's data.

Hypothesis drives the real Application (one per module and backend: SQLite and PostgreSQL) with
random text, emojis, 4096-character messages, NUL characters and lone surrogates (in text, first
names, edits and callback data), edits of earlier messages, unknown and known commands, random
and forged callback data, and buttons pressed out of order or from someone else's chat. A victim
user never acts; their rows are compared before and after every example.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import Base, User
from tests.conftest import BACKENDS, START, _Templates, fresh_database, make_settings
from tests.harness import updates
from tests.harness.bot import BotHarness
from tests.harness.fake_telegram import SentMessage
from tests.helpers.seed import make_user

VICTIM, ATTACKER, STRANGER = 4001, 4002, 4003
PREFIXES = ("ci", "mo", "fb", "rf", "faq", "pt", "ob", "st", "ex", "dr", "pg", "rp")


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    harness: BotHarness
    victim_id: int
    victim_message: SentMessage
    victim_buttons: list[tuple[str, str]]

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest,
    templates: _Templates,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    database: Generator[str, None, None] = fresh_database(
        templates, request.param, tmp_path_factory.mktemp("fuzz")
    )
    url = next(database)
    loop = asyncio.new_event_loop()
    harness = BotHarness(make_settings(url), FakeClock(START))

    async def _setup() -> World:
        await harness.start()
        victim_id = await make_user(harness, VICTIM)
        await make_user(harness, ATTACKER)
        await harness.advance(timedelta(hours=10, minutes=5))  # both get today's check-in
        victim_msg = harness.telegram.last_with_buttons(VICTIM)
        # The victim asks a question, so there is feedback of theirs to forge.
        await harness.user(VICTIM).say("Is it normal for my knee to ache after the exercises?")
        return World(loop, harness, victim_id, victim_msg, list(victim_msg.buttons))

    w = loop.run_until_complete(_setup())
    try:
        yield w
    finally:
        loop.run_until_complete(harness.stop())
        loop.close()
        database.close()  # drops the PostgreSQL database


async def snapshot(harness: BotHarness, user_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to the user, in every table, as plain values."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with harness.services.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == User.__tablename__:
                stmt = select(table).where(table.c.id == user_id)
            elif "user_id" in table.c:
                stmt = select(table).where(table.c.user_id == user_id)
            else:
                continue
            out[table.name] = sorted(
                (tuple(r) for r in (await session.execute(stmt)).all()), key=repr
            )
    return out


# --- what the fuzzer sends ------------------------------------------------------------------

garbage = st.text(min_size=0, max_size=40)
# What Telegram's JSON can carry but no database or UTF-8 encoder accepts, mixed with words.
hostile = st.lists(
    st.sampled_from(["\x00", "\ud800", "\udfff", "\ud83c", "knee", " ", "7", "/start", "🏃"]),
    min_size=1,
    max_size=12,
).map("".join)
names = st.one_of(st.just("Mallory"), hostile.map(lambda s: s[:60]), st.text(max_size=64))
texts = st.one_of(
    st.text(min_size=1, max_size=200),
    hostile,
    st.text(alphabet=st.characters(exclude_categories=()), min_size=1, max_size=100),
    st.text(alphabet="🏃🦵💪😭🔥❤️‍🩹👍🏽 \n", min_size=1, max_size=50),
    st.text(min_size=4096, max_size=4096, alphabet=st.characters(codec="utf-8")),
    st.sampled_from(
        [
            "/start",
            "/help",
            "/checkin",
            "/today",
            "/settings",
            "/pause",
            "/resume",
            "/export",
            "/delete",
            "/exercises",
            "/progress",
            "/report",
            "/stop",
        ]
    ),
    st.builds(lambda s: "/" + s, st.from_regex(r"[a-z_]{1,20}", fullmatch=True)),
    st.sampled_from(["skip", "yes", "no", "7", "-1", "11", "stop", "DELETE", "", " "]),
)
callback_data = st.one_of(
    st.text(min_size=1, max_size=64).filter(lambda s: len(s.encode()) <= 64),
    st.builds(lambda p, g: f"{p}:{g}", st.sampled_from(PREFIXES), hostile),
    st.builds(lambda p, g: f"{p}:{g}"[:64], st.sampled_from(PREFIXES), garbage),
    st.sampled_from(
        [
            "ci:99999999:p:42",
            "ci:20261127:p:42",
            "ci:20261127:t:1",
            "ci:20261127:t:999999",
            "ci:20261127:ok",
            "ci:20261127:r:999",
            "ci:20261127:z:-5",
            "ci:20261127:nonote",
            "ci:20261127:upd",
            "ci:20261126:done",
            "ci:00000000:done",
            "mo:20261126:worse",
            "fb:1:y",
            "fb:1:n",
            "fb:999999:y",
            "rf:ok",
            "faq:1",
            "faq:-1",
            "ob:tz:Mars/Base",
            "st:time:25:61",
            "ex:del:1",
            "dr:delete:yes",
            "pt:done:1",
            "pg:9999",
            "rp:x",
        ]
    ),
)
actor = st.sampled_from([ATTACKER, STRANGER])
action = st.one_of(
    st.tuples(st.just("say"), actor, st.tuples(names, texts)),
    st.tuples(st.just("edit"), actor, st.tuples(st.integers(0, 50), texts)),
    st.tuples(st.just("press"), actor, callback_data),
    st.tuples(st.just("press_victims_button"), actor, st.integers(0, 10)),
    st.tuples(st.just("press_own_old_button"), actor, st.integers(0, 50)),
)


async def perform(w: World, act: tuple[str, int, Any]) -> list[str]:
    """Do one thing as ``who``; returns the callback query ids it produced."""
    kind, who, arg = act
    h = w.harness
    if kind == "say":
        name, text = arg
        await h.process(updates.text_update(who, name, text))
        return []
    if kind == "edit":  # an edit of one of the actor's earlier messages (any id)
        message_id, text = arg
        await h.process(updates.edited_text_update(who, "Mallory", message_id, text))
        return []
    if kind == "press":
        data, message = arg, h.telegram.messages(who)[-1] if h.telegram.messages(who) else None
    elif kind == "press_victims_button":
        buttons = w.victim_buttons
        data, message = buttons[arg % len(buttons)][1], w.victim_message
    else:  # an old button of the actor's own, in any order
        with_buttons = [m for m in h.telegram.messages(who) if m.buttons]
        if not with_buttons:
            return []
        message = with_buttons[arg % len(with_buttons)]
        data = message.buttons[arg % len(message.buttons)][1]
    raw = updates.callback_update(who, "Mallory", data, message)
    await h.process(raw)
    return [raw["callback_query"]["id"]]


def is_routed(data: str) -> bool:
    """Data some handler claims (the patterns in handlers/*.py); the rest has no handler at all."""
    if data.startswith("rf:"):
        return data == "rf:ok"
    return data.startswith(tuple(f"{p}:" for p in PREFIXES))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, min_size=1, max_size=6))
@example(  # always tried: what PostgreSQL and UTF-8 refuse, in every place a user can put it
    actions=[
        ("say", ATTACKER, ("Mal\x00lory\ud800", "my knee\x00 hurts \ud83c")),
        ("say", STRANGER, ("Eve\x00", "/start")),
        ("edit", ATTACKER, (1, "calf swollen\x00 and hot \udfff")),
        ("press", ATTACKER, "ci:\x00\ud800"),
    ]
)
def test_random_input_never_breaks_the_bot_or_touches_another_users_data(
    world: World, actions: list[tuple[str, int, Any]]
) -> None:
    h = world.harness
    before = world.run(snapshot(h, world.victim_id))
    errors_before = h.services.metrics.count("errors", source="handler")
    victim_chat_before = len(h.telegram.messages(VICTIM))
    unanswered: list[tuple[str, str]] = []
    for act in actions:
        for query_id in world.run(perform(world, act)):
            if query_id not in h.telegram.answered_queries:
                unanswered.append((act[0], str(act[2])))
    assert h.services.metrics.count("errors", source="handler") == errors_before, "a handler raised"
    routed = [u for u in unanswered if u[0] != "press" or is_routed(u[1])]
    assert not routed, f"button presses left spinning: {routed}"
    assert world.run(snapshot(h, world.victim_id)) == before, "another user's data changed"
    assert len(h.telegram.messages(VICTIM)) == victim_chat_before, "the bot wrote to the victim"


def test_a_button_with_unknown_data_is_still_answered(world: World) -> None:
    """An old client or a forged query with data no handler knows must not leave a spinner."""
    raw = updates.callback_update(STRANGER, "Mallory", "zz:unknown", None)
    world.run(world.harness.process(raw))
    assert raw["callback_query"]["id"] in world.harness.telegram.answered_queries
