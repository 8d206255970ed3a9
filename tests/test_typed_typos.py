"""Answers typed the way people type them during set-up: a typo in the unit of "6 weeks
ago", a dose in the middle of an exercise's line ("calf raises 3x15 daily"), and words around
the place ("the uk one") at the time-zone question. Read by the rules in bot/domain, through
the real bot, on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.db.models import Exercise, RehabProfile, User
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import finish_onboarding, to_area_question


async def test_typos_and_mid_line_doses_and_words_around_a_place_are_read(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Knee")
    await finish_onboarding(
        user, typed_stop="6 weks ago", city="the uk one", own_exercise="calf raises 3x15 daily"
    )
    assert not any("couldn't read" in text for text in user.texts), user.texts
    async with harness.services.sessions() as session:
        row = (await session.execute(select(User))).scalar_one()
        profile = await session.get(RehabProfile, row.id)
        names = {
            e.name: (e.sets, e.reps) for e in (await session.execute(select(Exercise))).scalars()
        }
    assert row.status == "active" and row.timezone == "Europe/London"
    assert profile is not None and profile.stopped_running_on == date(2026, 10, 16)
    assert names.get("Calf raises") == (3, 15), names
