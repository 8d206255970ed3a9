"""A typed answer is echoed back as the bot read it, as a tapped one is: a time, a date, the
days and the time zone, in onboarding and in /settings, so a misreading shows at once."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from bot.db.models import RehabProfile, User
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard


async def test_typed_onboarding_answers_are_echoed_in_the_parsed_form(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.say("my knee")
    assert "Injury area: Knee" in user.texts[-2]
    await user.say("3 weeks ago")  # today is Friday 27 November 2026
    assert "Stopped running: " in user.texts[-2] and "6 Nov" in user.texts[-2]
    await user.say("2")
    assert user.texts[-2] == "PT sessions per week: 2"
    await user.say("tuesdays and thursdays")
    assert user.texts[-2] == "PT days: Tue, Thu"
    await user.say("5:30pm")
    assert user.texts[-2] == "PT sessions: Tue, Thu at 17:30"
    assert "common home exercises" in user.texts[-1]  # and on to the next question
    await user.press("Confirm")
    await user.say("7pm")
    assert user.texts[-2] == "Daily check-in: 19:00"
    await user.say("Berlin")
    assert "Time zone: Europe/Berlin" in user.texts[-2]
    await user.press("All set")
    async with harness.services.sessions() as session:
        row = (await session.execute(select(User).where(User.telegram_id == 1001))).scalar_one()
        profile = await session.get(RehabProfile, row.id)
        assert profile is not None and profile.pt_time == time(17, 30)
        assert profile.pt_weekdays == [1, 3] and row.checkin_time == time(19, 0)


async def test_tapped_answers_still_replace_their_question(harness: BotHarness) -> None:
    user = harness.user()
    await onboard(user)  # PT by buttons: 2, Tue, Thu, Done; the time typed
    texts = user.texts
    assert "PT sessions per week: 2" in texts and "PT days: Tue, Thu" in texts
    assert "PT sessions: Tue, Thu at 17:30" in texts


async def test_a_rejected_typed_answer_is_not_echoed(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.press("Knee")
    await user.press("A few days ago")
    await user.press("2")
    await user.press("Tue")
    await user.press("Done")
    before = len(user.texts)
    await user.say("25:99")
    assert len(user.texts) == before + 1 and "couldn't read" in user.texts[-1]


async def test_typed_settings_values_are_echoed(harness: BotHarness) -> None:
    user = harness.user()
    await onboard(user)
    await user.say("/settings")
    await user.press("PT sessions")
    await user.press("3")
    await user.say("mon wed fri")
    assert user.texts[-2] == "PT days: Mon, Wed, Fri"
    assert "What time" in user.texts[-1]
    await user.say("noon")
    assert "Mon, Wed, Fri, 12:00" in user.texts[-1]
    await user.say("/settings")
    await user.press("Quiet hours")
    await user.say("10pm")
    assert user.texts[-2] == "Quiet hours start: 22:00"
    await user.say("6:30")
    assert "22:00 to 06:30" in user.texts[-1]
    await user.say("/settings")
    await user.press("Quiet hours")
    await user.press("21:00")  # tapped: the question is replaced by the same echo
    assert "Quiet hours start: 21:00" in user.texts


async def test_a_typed_injury_area_in_settings_is_read_like_the_button(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await onboard(user)  # knee
    await user.say("/settings")
    await user.press("Injury area")
    await user.say("my achilles")
    assert "injury area set to Achilles / calf" in user.texts[-1]
    await user.say("/settings")
    await user.press("Injury area")
    await user.say("elbow")  # no such button: asked again, nothing changed
    assert "Please pick one of the buttons" in user.texts[-1]
    async with harness.services.sessions() as session:
        row = (await session.execute(select(User).where(User.telegram_id == 1001))).scalar_one()
        profile = await session.get(RehabProfile, row.id)
        assert profile is not None and profile.injury_area == "achilles_calf"
