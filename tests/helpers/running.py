"""Returning to run, as a user goes through it: the clearance at /running, logged runs, the
morning-after answers, and a cleared runner to start a test from."""

from __future__ import annotations

from datetime import timedelta

from bot.db.models import RehabProfile
from tests.harness.bot import BotHarness, SimUser
from tests.harness.fake_telegram import SentMessage
from tests.helpers.seed import make_user


async def profile_of(h: BotHarness, user_id: int) -> RehabProfile:
    """The user's rehab profile as stored now (run stage, good sessions, clearance)."""
    async with h.services.sessions() as session:
        row = await session.get(RehabProfile, user_id)
        assert row is not None
        return row


async def open_running(user: SimUser) -> SentMessage:
    """Send /running and return the reply: the running menu, the clearance offer or a hold."""
    reply = await user.say("/running")
    assert reply is not None
    return reply


async def clear_to_run(user: SimUser) -> None:
    """Give the clinician's clearance by the /running offer and confirm it: the user is
    returning to run, at stage 1 of the ladder."""
    offer = await open_running(user)
    asked = await user.press("cleared me", offer)
    assert asked is not None and "physical therapist or doctor" in (asked.text or "")
    await user.press("Yes, my clinician cleared me", asked)


async def log_run(user: SimUser, during: int, after: int, how: str = "Done as planned") -> str:
    """Log today's run from the /running menu (``how`` it went, pain ``during`` and ``after``)
    and return the bot's answer."""
    menu = await open_running(user)
    await user.press(how, menu)
    await user.press(str(during), user.last)
    await user.press(str(after), user.last)
    return user.last.text or ""


async def answer_run_morning(user: SimUser, answer: str) -> str:
    """Answer the morning-after question about a run, shown by /running, with ``answer``
    (Better, Same, Worse) and return the bot's reply."""
    asked = await open_running(user)
    assert "this morning" in (asked.text or "")
    await user.press(answer, asked)
    return user.last.text or ""


async def next_day(h: BotHarness) -> None:
    """Advance the clock one day, in six-hour steps."""
    await h.advance(timedelta(days=1), step=timedelta(hours=6))


async def cleared_runner(harness: BotHarness) -> tuple[int, SimUser]:
    """``make_user`` with its defaults (user 1001, a 19:00 Berlin check-in) who has then been
    cleared to run (``clear_to_run``), at the suite's start: returns the user's row id and the
    user, at stage 1 with no runs logged."""
    user_id = await make_user(harness)
    user = harness.user(1001)
    await clear_to_run(user)
    return user_id, user
