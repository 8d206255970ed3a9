"""Small talk typed where a step waits for an answer ("thanks", "hi", "ok") gets a friendly
word where one fits and the step again, never a "couldn't read that" and never a saved
value: in /settings as in onboarding (the one rule, ``bot.services.small_talk``), in a plan
change and in the after-PT note. Through the real bot, on both databases."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select, update

from bot.db.models import CheckIn, Exercise, PtSession, RedFlagReport, RehabProfile, User
from bot.services.planner import schedule_user
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard, onboarded
from tests.helpers.seed import make_user
from tests.test_return_to_run import _asked_for_pts_stages
from tests.test_safety_stories import URGENT

ERRORS = ("couldn't read", "doesn't look like", "Please type", "looks empty")


async def _row(harness: BotHarness) -> User:
    async with harness.services.sessions() as session:
        return (await session.execute(select(User).where(User.telegram_id == 1001))).scalar_one()


async def test_small_talk_in_a_settings_step_is_not_a_bad_value(harness: BotHarness) -> None:
    user = harness.user()
    await onboard(user)  # check-in at 19:00
    await user.say("/settings")
    await user.press("Check-in time")
    before = len(user.texts)
    await user.say("thanks")
    thanked, again = user.texts[before:]
    assert thanked.startswith("You're welcome")
    assert again.startswith("Back to your settings change:") and "What time" in again
    for word in ("hi", "ok", "👍"):
        await user.say(word)
        assert "What time" in user.texts[-1], word
        assert not any(e in user.texts[-1] for e in ERRORS), (word, user.texts[-1])
    assert (await _row(harness)).checkin_time == time(19, 0)  # nothing saved yet
    await user.say("8pm")
    assert "20:00" in user.texts[-1]
    assert (await _row(harness)).checkin_time == time(20, 0)
    await user.say("/settings")
    await user.press("Time zone")
    await user.say("hello")  # not read as a place
    assert "time zone" in user.texts[-1].lower()
    assert (await _row(harness)).timezone == "Europe/Berlin"
    await user.say("/settings")
    await user.press("Quiet hours")
    await user.say("thank you")
    assert "quiet hours start" in user.texts[-1]


async def test_ok_in_an_onboarding_time_step_asks_again_without_an_error(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.press("Knee")
    await user.press("A few days ago")
    await user.press("2")
    await user.press("Tue")
    await user.press("Done")
    await user.say("ok")
    assert "What time are your sessions" in user.texts[-1]
    assert not any(e in user.texts[-1] for e in ERRORS), user.texts[-1]
    await user.say("17:30")
    assert user.texts[-2] == "PT sessions: Tue at 17:30"


async def test_small_talk_is_not_added_as_an_exercise_or_saved_as_a_dose(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await onboard(user)
    await user.say("/exercises")
    await user.press("Add")
    await user.say("thanks")
    assert user.texts[-2].startswith("You're welcome")
    assert "Type the exercise with its dose" in user.texts[-1]
    await user.say("/exercises")
    await user.press("Glute bridges")
    await user.press("Change dose")
    await user.say("ok")
    assert "Glute bridges" in user.texts[-1] and not any(e in user.texts[-1] for e in ERRORS)
    async with harness.services.sessions() as session:
        names = list((await session.execute(select(Exercise.name))).scalars())
        doses = list((await session.execute(select(Exercise.sets, Exercise.reps))).all())
    assert sorted(names) == ["Glute bridges", "Monster walks"]
    assert sorted(tuple(d) for d in doses) == [(3, 10), (3, 15)]


async def test_thanks_is_not_saved_as_the_pt_session_note(harness: BotHarness) -> None:
    user_id = await make_user(harness, at=time(9, 0))
    async with harness.services.sessions() as session:
        await session.execute(
            update(RehabProfile)
            .where(RehabProfile.user_id == user_id)
            .values(pt_weekdays=[4], pt_time=time(16, 0))  # Fridays at 16:00, today
        )
        row = await session.get(User, user_id)
        assert row is not None
        await schedule_user(session, row, harness.clock.now(), harness.settings)
        await session.commit()
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=9, minutes=10), step=timedelta(minutes=15))
    prompt = alex.tg.last_with_buttons(1001)
    await alex.press("Note what changed", prompt)
    await alex.say("thanks!")
    assert alex.texts[-2].startswith("You're welcome")
    assert "What did your therapist change" in alex.texts[-1]
    await alex.say("New: side planks 3 x 20 s")
    async with harness.services.sessions() as session:
        notes = list((await session.execute(select(PtSession.note))).scalars())
    assert notes == ["New: side planks 3 x 20 s"]


async def test_thanks_after_a_checkin_is_not_saved_as_its_note(harness: BotHarness) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))  # 19:05 Berlin: the check-in
    await alex.press("Did them all")
    await alex.press("3")
    await alex.say("thanks")
    assert alex.texts[-2].startswith("You're welcome")
    assert "Skip" in " ".join(label for label, _ in alex.last.buttons)  # the note step again
    async with harness.services.sessions() as session:
        notes = list((await session.execute(select(CheckIn.note))).scalars())
    assert notes == [None]
    await alex.say("Bridges felt easier today")
    async with harness.services.sessions() as session:
        notes = list((await session.execute(select(CheckIn.note))).scalars())
    assert notes == ["Bridges felt easier today"]


async def test_thanks_while_the_pts_stages_are_awaited_is_not_an_unreadable_plan(
    harness: BotHarness,
) -> None:
    _, user = await _asked_for_pts_stages(harness)
    await user.say("thank you")
    assert user.texts[-2].startswith("You're welcome")
    assert "couldn't read" not in user.texts[-1]
    reply = await user.say("run 1 walk 2 x 6\nrun 25")  # the step still waits
    assert reply is not None and "run 25 min without stopping" in (reply.text or "")


async def test_thanks_is_not_saved_as_what_the_clinician_advised(harness: BotHarness) -> None:
    user = harness.user()
    await onboard(user)
    await user.say(URGENT)
    await user.press("clinician has seen me")
    await user.press("Cleared to carry on")
    await user.press("Note what they advised")
    await user.say("thanks so much")
    assert user.texts[-2].startswith("You're welcome")
    assert "What did they advise?" in user.texts[-1]
    await user.say("rest two weeks")
    assert "Saved with your report" in user.texts[-1]
    async with harness.services.sessions() as session:
        reports = list((await session.execute(select(RedFlagReport.text))).scalars())
    assert len(reports) == 1 and reports[0].endswith("(clinician advised: rest two weeks)")
    assert "thanks" not in reports[0]


async def test_small_talk_at_the_check_in_pain_step_keeps_the_step(harness: BotHarness) -> None:
    from tests.helpers.seed import at_first_checkin, checkins

    alex = await at_first_checkin(harness)
    await alex.press("Did them all")
    before = len(alex.texts)
    await alex.say("thanks")
    thanked, again = alex.texts[before:]
    assert thanked.startswith("You're welcome")
    assert "10" in again and [label for label, _ in alex.last.buttons][:2] == ["0", "1"]
    await alex.say("ok")  # cannot be a score: what the step needs, then the question
    needs, again = alex.texts[-2:]
    assert needs.startswith("To carry on, I need your answer to this question")
    assert "10" in again and len(alex.last.buttons) == 11
    await alex.say("3")  # the step was kept: the typed score is taken
    assert (await checkins(harness))[0].pain == 3


async def test_small_talk_at_a_runs_pain_step_keeps_the_step(harness: BotHarness) -> None:
    from tests.helpers.running import clear_to_run, open_running

    await make_user(harness)
    alex = harness.user(1001)
    await clear_to_run(alex)
    await open_running(alex)
    await alex.press("Done as planned")
    before = len(alex.texts)
    await alex.say("hi")
    needs, again = alex.texts[before:]
    assert needs.startswith("To carry on, I need your answer")
    assert again.startswith("Pain during the run")
    await alex.say("thank you")
    assert alex.texts[-2].startswith("You're welcome")
    assert alex.texts[-1].startswith("Pain during the run")
    await alex.say("2")
    assert "after" in (alex.last.text or "").lower()


async def test_ok_at_a_settings_time_step_says_what_the_step_needs(harness: BotHarness) -> None:
    user = harness.user()
    await onboard(user)
    await user.say("/settings")
    await user.press("Check-in time")
    await user.say("ok")
    needs, again = user.texts[-2:]
    assert needs.startswith("To carry on, I need your answer to this question: tap one")
    assert "What time" in again
    assert (await _row(harness)).checkin_time == time(19, 0)


async def test_a_hello_before_set_up_points_to_start_and_after_it_to_checkin(
    harness: BotHarness,
) -> None:
    newcomer = harness.user(1002, "Sam")
    await newcomer.say("/start")
    await newcomer.say("hi")  # at the welcome, before agreeing: /checkin would go nowhere
    assert "/start" in (newcomer.last.text or "") and "/checkin" not in (newcomer.last.text or "")
    runner = await onboarded(harness)
    await runner.say("hello")
    assert "/checkin" in (runner.last.text or "")
