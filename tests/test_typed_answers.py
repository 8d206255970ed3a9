"""A user who types everything instead of tapping: what they type where a button is offered
works like the button (walk-through of a typing Achilles runner)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.db.models import CheckIn, Exercise, User
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.seed import make_user


async def _plan(harness: BotHarness) -> list[str]:
    async with harness.services.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        rows = await session.execute(select(Exercise.name).where(Exercise.user_id == user.id))
        return sorted(rows.scalars())


async def _to_exercises(user: SimUser) -> None:
    await user.say("/start")
    await user.press("let's start")
    await user.say("achilles")
    await user.say("six weeks ago")
    await user.say("0")


async def test_typing_confirm_or_done_at_the_exercise_step_confirms_the_plan(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await _to_exercises(user)
    await user.say("Eccentric heel drops 3x15")
    before = len(user.texts)
    await user.say("confirm")  # not an exercise called "Confirm"
    said = "\n".join(user.texts[before:])
    assert "Added: Confirm" not in said
    assert "Your plan: Eccentric heel drops" in said
    assert "What time should I check in each day?" in said
    await user.say("8pm")
    await user.say("London")
    await user.press("All set")
    assert await _plan(harness) == ["Eccentric heel drops"]


async def test_typing_done_with_a_plan_moves_on(harness: BotHarness) -> None:
    user = harness.user()
    await _to_exercises(user)
    await user.say("Calf raises 3x15")
    await user.say("that's all")
    assert "What time should I check in each day?" in (user.last.text or "")


async def test_a_time_or_the_list_finished_in_other_words_is_never_added_as_an_exercise(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await _to_exercises(user)
    await user.say("Calf raises 3x15")
    await user.say("7.30pm")  # ahead of the check-in time question
    assert "That looks like a time" in (user.last.text or "")
    assert "Added: 7.30pm" not in "\n".join(user.texts)
    await user.say("that's all of them")
    assert "What time should I check in each day?" in (user.last.text or "")
    await user.say("8pm")
    await user.say("London")
    await user.press("All set")
    assert await _plan(harness) == ["Calf raises"]
    other = harness.user(1002, "Sam")
    await _to_exercises(other)
    await other.say("Heel drops 3x15")
    await other.say("nope that's everything for now")
    assert "What time should I check in each day?" in (other.last.text or "")


async def test_typing_a_summary_button_works_like_tapping_it(harness: BotHarness) -> None:
    user = harness.user()
    await _to_exercises(user)
    await user.say("Calf raises 3x15")
    await user.say("done")
    await user.say("8pm")
    await user.say("London")
    assert "Here's your setup" in (user.last.text or "")
    await user.say("change time zone")  # the words the time-zone confirmation itself suggests
    assert "which time zone are you in?" in (user.last.text or "")
    await user.say("Berlin")
    assert "Here's your setup" in (user.last.text or "")
    assert "Europe/Berlin" in (user.last.text or "")
    before = len(user.texts)
    await user.say("all set")
    said = user.texts[before:]
    assert len(said) == 1 and said[0].startswith("You're all set, Alex!")
    assert await _plan(harness) == ["Calf raises"]


async def test_sessions_a_week_typed_in_words_are_understood(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.say("achilles")
    await user.say("six weeks ago")
    assert "Two or three is common" in (user.last.text or "")
    await user.say("two")  # the question's own word
    assert "couldn't read" not in (user.last.text or "")
    assert "Which days are your sessions on?" in (user.last.text or "")
    other = harness.user(1002, "Sam")
    await other.say("/start")
    await other.press("let's start")
    await other.say("knee")
    await other.say("2 weeks ago")
    await other.say("twice a week")
    assert "Which days are your sessions on?" in (other.last.text or "")


async def test_a_red_flag_during_set_up_means_no_first_check_in_is_promised(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.press("Knee")
    stop_question = user.last
    await user.say("my knee swelled up last night, it's hot and red and I feel feverish")
    assert "doctor" in (user.last.text or "")
    await user.press("A few days ago", stop_question)
    await user.press("0")
    await user.press("Glute bridges")
    await user.press("Confirm")
    await user.press("19:00")
    await user.say("London")
    await user.press("All set")
    final = user.last.text or ""
    assert "first check-in comes" not in final and "You're all set" not in final
    assert "paused exercise check-ins" in final
    assert any("clinician has seen me" in label for label, _ in user.last.buttons)
    before = len(user.texts)
    await harness.advance(timedelta(hours=14))  # past 19:00 in London: no check-in arrives
    assert user.texts[before:] == []


async def _checkin_rows(harness: BotHarness) -> list[CheckIn]:
    async with harness.services.sessions() as session:
        return list((await session.execute(select(CheckIn).order_by(CheckIn.local_date))).scalars())


async def test_typing_the_check_in_answer_works_like_tapping_it(harness: BotHarness) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("yes")  # no check-in asked yet: a bare "yes" answers nothing
    assert await _checkin_rows(harness) == []
    await harness.advance(timedelta(hours=10, minutes=5))  # 19:05 Berlin: the prompt is out
    assert alex.last.buttons[0][0] == "✅ Did them all"
    await alex.say("yep did them all")
    assert "I'm not sure about that one" not in "\n".join(alex.texts[-2:])
    assert [label for label, _ in alex.last.buttons] == [str(n) for n in range(11)]
    await alex.say("about a 5")
    await alex.say("heel drops felt heavy")
    rows = await _checkin_rows(harness)
    assert len(rows) == 1 and rows[0].status == "done" and rows[0].pain == 5
    assert rows[0].note == "heel drops felt heavy"
    await harness.advance(timedelta(hours=14, minutes=30))  # 08:30 Berlin: how is it today?
    assert "better, the same or worse" in (alex.last.text or "")
    await alex.say("a bit worse tbh")
    assert "I'm not sure about that one" not in (alex.last.text or "")
    rows = await _checkin_rows(harness)
    assert rows[0].morning_response == "worse"
    await alex.say("worse")  # answered already: nothing opens again, the FAQ has it
    assert (await _checkin_rows(harness))[0].morning_response == "worse"


async def test_typing_not_today_asks_why_like_the_button(harness: BotHarness) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))
    await alex.say("not today")
    assert [label for label, _ in alex.last.buttons][:2] == ["No time", "Pain"]
    await alex.press("No time")
    rows = await _checkin_rows(harness)
    assert rows[0].status == "skipped" and rows[0].skip_reason == "no_time"


async def test_a_typed_yes_to_the_welcome_points_to_the_consent_button(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await user.say("/start")
    await user.say("sounds good")
    reply = user.last
    assert "tap" in (reply.text or "") and "Nothing is stored until you do" in (reply.text or "")
    async with harness.services.sessions() as session:
        assert (await session.execute(select(User))).scalar_one_or_none() is None
    await user.press("let's start", reply)  # the button right there starts the set-up
    assert "Which area is your injury in?" in (user.last.text or "")
    other = harness.user(1002, "Sam")
    await other.say("/start")
    await other.say("not now")
    assert "I haven't stored anything" in (other.last.text or "")


async def test_typing_that_a_clinician_saw_them_works_like_the_seen_button(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("my knee swelled up last night, it's hot and red and I feel feverish")
    assert alex.last.buttons[0][0] == "✅ A clinician has seen me"
    await alex.say("I haven't seen the doctor yet")  # says nothing about being seen
    assert "Did they clear you" not in (alex.last.text or "")
    await alex.say("I saw my doctor today, she said it's fine and I can carry on")
    assert "Did they clear you to carry on" in (alex.last.text or "")
    assert [label for label, _ in alex.last.buttons] == [
        "Cleared to carry on",
        "Not cleared yet",
    ]
    await alex.press("Cleared to carry on")
    async with harness.services.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        assert user.safety_resolved_at is not None  # released by the tap, not by the text


async def test_typed_answers_to_the_follow_up_work_like_its_buttons_and_never_release(
    harness: BotHarness,
) -> None:
    """On hold after an urgent flag, what a person types back to "were you able to see
    someone?" gets the button's answer; only the clearance's own words release the hold."""
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("my knee swelled up last night, it's hot and red and I feel feverish")
    not_yet_reply = "needs to be checked today"
    for typed in ("no", "Not yet.", "I haven't seen the doctor yet", "not been to the GP yet"):
        await alex.say(typed)
        assert not_yet_reply in (alex.last.text or ""), typed
    await alex.say("help me find care")
    assert "emergency department" in (alex.last.text or "")
    assert [label for label, _ in alex.last.buttons] == ["✅ A clinician has seen me"]
    await alex.say("2")  # a bare number picks no safety choice
    assert not_yet_reply not in (alex.last.text or "")
    await alex.say("I went to the GP this morning")
    assert "Did they clear you to carry on" in (alex.last.text or "")
    await alex.say("not cleared")
    assert "I'll stay quiet about exercises" in (alex.last.text or "")
    await alex.say("cleared")  # fits "Cleared to carry on" and "Not cleared yet": neither
    async with harness.services.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        assert user.safety_resolved_at is None
    await alex.say("Cleared to carry on")
    assert "I'll pick your check-ins back up" in (alex.last.text or "")
    async with harness.services.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        assert user.safety_resolved_at is not None


async def test_a_typed_no_with_no_concern_open_is_not_read_as_a_safety_answer(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("no")
    assert "Please contact your doctor" not in (alex.last.text or "")


async def test_a_place_in_a_sentence_sets_the_time_zone(harness: BotHarness) -> None:
    user = harness.user()
    await _to_exercises(user)
    await user.say("Calf raises 3x15")
    await user.say("done")
    await user.say("8pm")
    await user.say("I live in Manchester, UK")
    said = "\n".join(user.texts[-2:])
    assert "couldn't find a place" not in said
    assert "Time zone: Europe/London" in said and "Here's your setup" in said


async def test_typing_yes_delete_everything_offers_the_confirmation_again(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/delete")
    await alex.say("yes delete everything")
    reply = alex.last
    assert "Erasing is done with a tap" in (reply.text or "")
    assert "PT Coach is a companion" not in (reply.text or "")  # not an FAQ answer
    async with harness.services.sessions() as session:
        assert (await session.execute(select(User))).scalar_one_or_none() is not None
    await alex.press("Yes, delete everything", reply)
    assert "Everything is erased" in (alex.last.text or "")
    async with harness.services.sessions() as session:
        assert (await session.execute(select(User))).scalar_one_or_none() is None


async def test_after_checkin_command_the_buttons_words_typed_work_too(harness: BotHarness) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/checkin")  # hours before the scheduled prompt
    await alex.say("did some")
    assert "Clamshells" in "".join(label for label, _ in alex.last.buttons)
    await alex.press("Wall sit")
    await alex.press("Done")
    await alex.say("2")
    rows = await _checkin_rows(harness)
    assert rows[0].status == "partial" and rows[0].exercises_done == ["Wall sit"]


async def test_an_unreadable_stop_date_gets_one_clear_list_of_examples(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.say("achilles")
    await user.say("6 blorps ago")
    correction = (user.last.text or "").split("\n\n")[0]
    assert correction == (
        'I couldn\'t read "6 blorps ago" as a date. '
        'Try "yesterday", "3 weeks ago", "20 Nov" or "2026-11-20".'
    )


async def test_the_pause_date_example_is_never_a_date_already_past(harness: BotHarness) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await harness.advance(timedelta(days=40))  # 6 Jan 2027: a fixed "2026-12-24" is past
    await alex.say("/pause until christmas")
    assert "until 2026-12-24" not in (alex.last.text or "")
    assert 'Try "until friday" or "until 2027-01-20"' in (alex.last.text or "")


async def test_pause_while_paused_says_so_and_keeping_it_does_not_claim_reminders_are_on(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/pause 2 weeks")
    await alex.say("/pause")
    asked = alex.last
    assert "You're paused already: reminders start again on" in (asked.text or "")
    assert "Keep reminders on" not in [label for label, _ in asked.buttons]
    await alex.press("Keep it as it is", asked)
    assert "reminders stay on" not in (alex.last.text or "")
    assert "you stay paused" in (alex.last.text or "")
    await alex.say("/resume")
    await alex.say("/pause")
    assert "How long would you like to pause" in (alex.last.text or "")
    await alex.press("Keep reminders on")
    assert alex.last.text == "OK, reminders stay on."


async def test_a_stop_date_told_inside_a_story_is_read(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.say("achilles")
    await user.say(
        "6 weeks ago, I was training for a half marathon and my achilles started hurting"
    )
    assert "couldn't read" not in (user.last.text or "")
    assert "How many physical therapy sessions" in (user.last.text or "")
    await user.say("0")
    await user.say("Calf raises 3x15")
    await user.say("done")
    await user.say("8pm")
    await user.say("London")
    assert "Stopped running: Fri 16 Oct" in (user.last.text or "")  # 6 weeks before 27 Nov


async def test_two_dates_in_a_story_are_not_guessed_between(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.say("knee")
    await user.say("I stopped 2 weeks ago but it first hurt 6 weeks ago")
    assert "couldn't read" in (user.last.text or "")


async def test_an_area_typed_with_a_typo_or_another_word_for_it_is_understood(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.say("achilis")
    assert "Please pick one of the buttons" not in (user.last.text or "")
    assert "When did you stop running?" in (user.last.text or "")
    other = harness.user(1002, "Sam")
    await other.say("/start")
    await other.press("let's start")
    await other.say("itb")
    assert "When did you stop running?" in (other.last.text or "")
    third = harness.user(1003, "Kim")
    await third.say("/start")
    await third.press("let's start")
    await third.say("shoulder")  # no area of the bot's: the buttons, as before
    assert "Please pick one of the buttons" in (third.last.text or "")


async def test_an_area_named_once_in_a_longer_answer_is_read_and_two_areas_are_asked_about(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.say("it's my knee, runners knee they said")
    texts = [m.text or "" for m in user.tg.messages(user.id)[-2:]]
    assert any("Injury area: Knee" in t for t in texts), texts  # echoed as read
    assert "When did you stop running?" in (user.last.text or "")
    other = harness.user(1002, "Sam")
    await other.say("/start")
    await other.press("let's start")
    await other.say("pain on the outside of my knee")  # the longer name wins: IT band
    assert any("Injury area: IT band" in (m.text or "") for m in other.tg.messages(other.id))
    third = harness.user(1003, "Kim")
    await third.say("/start")
    await third.press("let's start")
    await third.say("my hip at first and now my knee too")  # two areas: not guessed
    assert "Please pick one of the buttons" in (third.last.text or "")


async def test_session_days_typed_with_their_time_answer_both_questions(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    await user.say("knee")
    await user.say("2 weeks ago")
    await user.say("2")
    await user.say("tuesdays and thursdays at 5pm")
    said = [m.text or "" for m in user.tg.messages(user.id)[-2:]]
    assert any("Tue, Thu at 17:00" in s for s in said), said  # echoed as read
    assert "What time are your sessions" not in (user.last.text or "")  # time step skipped
    assert "exercises" in (user.last.text or "").lower()
    other = harness.user(1002, "Sam")
    await other.say("/start")
    await other.press("let's start")
    await other.say("knee")
    await other.say("2 weeks ago")
    await other.say("2")
    await other.say("tue and thu at the clinic")  # no time in it: the days, then the time
    assert "What time are your sessions" in (other.last.text or "")
    assert any("Tue, Thu" in (m.text or "") for m in other.tg.messages(other.id)[-2:])
