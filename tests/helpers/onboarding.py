"""Onboarding as a user goes through it, by the bot's own buttons and typed answers, for
tests that need a user part-way or all the way through set-up."""

from __future__ import annotations

from tests.harness.bot import BotHarness, SimUser
from tests.harness.fake_telegram import SentMessage


async def to_area_question(user: SimUser) -> SentMessage:
    """Send /start and give consent ("let's start"): the user has a dialog at its first step,
    and the bot's question about the injury area, with its buttons, is returned."""
    await user.say("/start")
    await user.press("let's start")
    return user.tg.last_with_buttons(user.id)


async def onboard(
    user: SimUser,
    *,
    area: str = "Knee",
    city: str = "Berlin",
    checkin: str = "19:00",
    typed_stop: str | None = None,
) -> None:
    """The quickest complete setup, by buttons and two typed answers: ``area``, then
    ``finish_onboarding`` with a typed "Monster walks 3x10"; ends active."""
    await to_area_question(user)
    await user.press(area)
    await finish_onboarding(user, city=city, checkin=checkin, typed_stop=typed_stop)


async def finish_onboarding(
    user: SimUser,
    *,
    city: str = "Berlin",
    checkin: str = "19:00",
    typed_stop: str | None = None,
    own_exercise: str | None = "Monster walks 3x10",
) -> None:
    """From the stop-date question (the area chosen) to the end of set-up: stopped a few days
    ago (or ``typed_stop`` typed), PT twice a week on Tue and Thu at 17:30, Glute bridges and
    ``own_exercise`` typed (none if None), the check-in at ``checkin`` in ``city``, All set."""
    if typed_stop is None:
        await user.press("A few days ago")
    else:
        await user.say(typed_stop)
    await user.press("2")
    await user.press("Tue")
    await user.press("Thu")
    await user.press("Done")
    await user.say("17:30")
    await user.press("Glute bridges")
    if own_exercise is not None:
        await user.say(own_exercise)
    await user.press("Confirm")
    await user.press(checkin)
    await user.say(city)
    await user.press("All set")


async def onboarded(harness: BotHarness) -> SimUser:
    """User 1001 (Alex) set up by ``onboard`` with its defaults: a knee, PT on Tue and Thu,
    Glute bridges and Monster walks, the check-in at 19:00 in Berlin (so the first one is due
    today, 19:00 Berlin, ten hours after the suite's start). Returns the user."""
    user = harness.user()
    await onboard(user)
    return user
