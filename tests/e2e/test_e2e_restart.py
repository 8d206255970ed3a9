"""A crash while check-ins are going out: SIGKILL mid-send, start again, and every runner
has their check-in, once, except where a send was in flight at the moment of the kill.

The dispatcher documents its one duplicate window: Telegram accepted a message but the
process died before recording it. The server here delays each send's *response* (the
message is delivered at once), so the kill lands inside that window for the sends in flight;
those rows stay ``sending`` until their lease runs out. The test ages the leases instead of
waiting five minutes, then checks: no runner got zero check-ins, and only runners whose send
was in flight got two: Telegram had it, the database did not yet say ``sent``.

The window is judged from the database as the kill left it, not from a clock: under load the
group commit that records a wave can lag its responses by more than a second, and a timing
rule then blames the bot for a duplicate its design allows (at most ``CONCURRENCY``, all of
them unrecorded). What it must never do is send again a message it had recorded.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from scheduler.dispatcher import CONCURRENCY, LEASE
from tests.botapi.server import BotApiServer
from tests.e2e.conftest import (
    StartBot,
    chats_recorded_sent,
    expire_leases,
    scheduled_statuses,
    seed_users,
)

pytestmark = pytest.mark.slow  # SIGKILLs a real bot process

USERS = 40
FIRST_ID = 10_000
DELAY = 0.5  # seconds between delivering a message and answering the bot


def test_sigkill_while_sending_then_restart_sends_each_checkin_once(
    db_url: str, botapi: BotApiServer, start_bot: StartBot
) -> None:
    ids = list(range(FIRST_ID, FIRST_ID + USERS))
    seed_users(db_url, ids, due_in=0)
    runners = {i: botapi.user(i) for i in ids}
    botapi.response_delay = DELAY

    bot = start_bot(db_url, botapi)
    botapi.wait(
        lambda: len(botapi.calls_to("sendMessage")) > CONCURRENCY + 2,
        30,
        "the second wave of sends",
    )
    bot.kill()
    before = Counter(c.chat_id for c in botapi.calls_to("sendMessage"))
    recorded_at_kill = chats_recorded_sent(db_url)
    in_flight = set(before) - recorded_at_kill  # delivered (or sending), not recorded
    assert 0 < len(before) < USERS, "the kill should land while check-ins are going out"
    assert len(in_flight) <= CONCURRENCY, "a sender waits for its record before the next send"

    botapi.response_delay = 0.0
    aged = expire_leases(db_url, LEASE)
    start_bot(db_url, botapi)
    botapi.wait(lambda: all(runners[i].messages for i in ids), 30, "a check-in for every runner")

    def all_recorded_sent() -> bool:
        # Every runner may already hold a message from before the kill, so wait for the
        # records: the rows aged back to pending go out again on the restarted bot's next
        # tick, which a loaded machine can delay by seconds.
        statuses = scheduled_statuses(db_url)
        return statuses.get("sent", 0) >= USERS and statuses.get("sending", 0) == 0

    botapi.wait(all_recorded_sent, 30, "every check-in recorded as sent, no row left sending")
    time.sleep(2.5)  # a few more ticks: nothing else may go out

    received = Counter(c.chat_id for c in botapi.calls_to("sendMessage") if c.status == 200)
    duplicates = {chat: n for chat, n in received.items() if n > 1}
    print(
        f"{USERS} runners; {sum(before.values())} delivered before the kill, "
        f"{len(in_flight)} of them not recorded at the kill, {aged} rows left sending; "
        f"duplicates after restart: {sum(n - 1 for n in duplicates.values())} "
        f"{sorted(duplicates, key=str)}"
    )
    assert all(received[i] >= 1 for i in ids), "every runner got their check-in"
    assert max(received.values()) <= 2
    assert not set(duplicates) & recorded_at_kill, "a message recorded as sent went out again"
    assert set(duplicates) <= in_flight
    assert len(duplicates) <= CONCURRENCY
    statuses = scheduled_statuses(db_url)
    assert statuses.get("sent") == USERS and "failed" not in statuses
