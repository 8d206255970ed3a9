"""Onboarding through the offline harness: the happy path, every correction, restarts,
out-of-order buttons, /cancel and /start for people who are already set up."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from bot.db.models import Dialog, Exercise, RehabProfile, ScheduledMessage, User
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboard, onboarded, to_area_question


async def _user_row(harness: BotHarness, telegram_id: int = 1001) -> User | None:
    async with harness.services.sessions() as session:
        return (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one_or_none()


async def _dialog(harness: BotHarness) -> Dialog | None:
    user = await _user_row(harness)
    assert user is not None
    async with harness.services.sessions() as session:
        return await session.get(Dialog, user.id)


async def test_first_start_explains_the_bot_and_stores_nothing_before_consent(
    harness: BotHarness,
) -> None:
    user = harness.user()
    welcome = await user.say("/start")
    text = user.last.text or ""
    assert "not a doctor" in text and "emergency" in text
    assert "/export" in text and "/delete" in text
    assert await _user_row(harness) is None
    await user.say("my knee hurts")  # free text before consent: still nothing stored
    assert await _user_row(harness) is None
    await user.press("Not now", welcome)
    assert await _user_row(harness) is None


async def test_happy_path_creates_profile_plan_and_first_checkin(harness: BotHarness) -> None:
    user = await onboarded(harness)
    final = user.last.text or ""
    # 08:00 UTC is 09:00 in Berlin, so 19:00 local is still today.
    assert "first check-in comes today at 19:00" in final

    row = await _user_row(harness)
    assert row is not None and row.status == "active" and row.onboarded_at is not None
    assert row.timezone == "Europe/Berlin" and row.checkin_time == time(19, 0)
    async with harness.services.sessions() as session:
        profile = await session.get(RehabProfile, row.id)
        assert profile is not None
        assert profile.injury_area == "knee"
        assert profile.stopped_running_on == date(2026, 11, 24)
        assert profile.pt_sessions_per_week == 2
        assert profile.pt_weekdays == [1, 3] and profile.pt_time == time(17, 30)
        exercises = (
            (
                await session.execute(
                    select(Exercise).where(Exercise.user_id == row.id).order_by(Exercise.position)
                )
            )
            .scalars()
            .all()
        )
        assert [(e.name, e.sets, e.reps) for e in exercises] == [
            ("Glute bridges", 3, 15),
            ("Monster walks", 3, 10),
        ]
        assert exercises[0].template_id is not None and exercises[1].template_id is None
        checkin = (
            await session.execute(
                select(ScheduledMessage).where(
                    ScheduledMessage.user_id == row.id,
                    ScheduledMessage.kind == "checkin",
                    ScheduledMessage.status == "pending",
                )
            )
        ).scalar_one()
        assert checkin.due_at == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
        assert await session.get(Dialog, row.id) is None


async def test_exercise_step_shows_doses_and_the_therapist_first_note(harness: BotHarness) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("IT band")
    await user.press("Today")
    await user.press("0")
    message = user.last
    assert "physical therapist" in (message.text or "")
    labels = [label for label, _ in message.buttons]
    assert any("Clamshells" in label and "3 × 15 each side" in label for label in labels)
    await user.press("Clamshells")
    assert any(label.startswith("✅ Clamshells") for label, _ in user.last.buttons)
    await user.press("Clamshells")  # toggles off again
    assert not any(label.startswith("✅ Clamshells") for label, _ in user.last.buttons)


async def test_every_callback_data_fits_telegram_limits(harness: BotHarness) -> None:
    user = await onboarded(
        harness
    )  # the strict fake rejects data over 64 bytes: reaching the end is proof
    assert all(
        len(data.encode()) <= 64
        for message in user.tg.messages(user.id)
        for _, data in message.buttons
    )


async def test_invalid_answers_get_a_specific_correction_and_store_nothing(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Other")
    await user.say("x" * 81)
    assert "80" in (user.last.text or "")
    await user.send_sticker()
    assert "type a few words" in (user.last.text or "")
    await user.say("lower back")
    # Stop date: a date in the future, then nonsense.
    await user.say("1 Dec 2026")
    assert "future" in (user.last.text or "")
    await user.say("🏃")
    assert "couldn't read" in (user.last.text or "")
    await user.say("2 weeks ago")
    # PT sessions: emoji where a number belongs.
    await user.say("🔥")
    assert "digits" in (user.last.text or "")
    await user.say("0")
    # Exercises: an enormous name, a photo.
    await user.say("a" * 5000)
    assert "too long" in (user.last.text or "")
    await user.send_photo()
    assert "type" in (user.last.text or "").lower()
    await user.press("Confirm")
    # Check-in time: 25:99.
    await user.say("25:99")
    assert 'couldn\'t read "25:99" as a time' in (user.last.text or "")
    await user.say("7pm")
    # Time zone: an unknown city, then a sticker.
    await user.say("Xqzvillepoortown")
    assert "couldn't find a place" in (user.last.text or "")
    await user.send_sticker()
    assert "share your location" in (user.last.text or "")

    dialog = await _dialog(harness)
    assert dialog is not None and dialog.step == "timezone"
    assert dialog.data["other"] == "lower back"
    assert dialog.data["stop"] == "2026-11-13"
    assert dialog.data["ptn"] == 0 and dialog.data.get("own", []) == []
    assert dialog.data["ct"] == "19:00" and "tz" not in dialog.data
    async with harness.services.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(RehabProfile))).scalar() == 0


async def test_thanks_or_hello_mid_set_up_is_answered_kindly_and_the_step_asked_again(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Knee")
    before = len(user.texts)
    await user.say("thanks!")
    thanks, again = user.texts[before:]
    assert thanks.startswith("You're welcome") and "couldn't read" not in again
    assert "When did you stop running?" in again
    await user.say("hi")
    assert "couldn't read" not in user.texts[-1] and "When did you stop running?" in user.texts[-1]
    await user.say("2 weeks ago")  # the step still takes its answer
    dialog = await _dialog(harness)
    assert dialog is not None and dialog.data["stop"] == "2026-11-13"


async def test_every_daily_command_says_the_same_thing_until_set_up_is_done(
    harness: BotHarness,
) -> None:
    """One rule, one message: before consent "get set up", half-way "nearly set up"."""
    user = harness.user()
    commands = ("/checkin", "/today", "/progress", "/exercises", "/settings", "/running")

    async def replies() -> set[str]:
        seen = set()
        for command in commands:
            await user.say(command)
            seen.add(user.last.text or "")
        return seen

    assert await replies() == {
        "Let's get you set up first: send /start and it takes about two minutes."
    }
    await to_area_question(user)
    await user.press("Knee")
    assert await replies() == {"You're nearly set up: send /start to finish the last steps."}


async def test_restart_mid_onboarding_continues_at_the_same_step(harness: BotHarness) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Hamstring")
    await user.press("About a week ago")
    harness = await harness.restart()
    user = harness.user()
    await user.say("3")  # typed answer to the PT-count question asked before the restart
    assert "Which days" in (user.last.text or "")
    harness = await harness.restart()
    user = harness.user()
    await user.say("/start")  # resumes, does not start over
    assert "Which days" in (user.last.text or "")
    await user.say("mon wed fri")
    await user.press("Skip")  # PT time
    await user.press("Confirm")
    await user.say("7:30")
    await user.say("Asia/Kolkata")
    await user.press("All set")
    row = await _user_row(harness)
    assert row is not None and row.status == "active" and row.timezone == "Asia/Kolkata"
    async with harness.services.sessions() as session:
        profile = await session.get(RehabProfile, row.id)
        assert profile is not None and profile.pt_weekdays == [0, 2, 4] and profile.pt_time is None
        assert profile.pt_sessions_per_week == 3


async def test_out_of_order_button_answers_kindly_and_changes_nothing(harness: BotHarness) -> None:
    user = harness.user()
    area_message = await to_area_question(user)
    await user.press("Knee")
    before = await _dialog(harness)
    await user.press_data("ob:area:hip", area_message)
    await user.press_data("ob:done", area_message)
    await user.press_data("ob:consent", area_message)
    after = await _dialog(harness)
    assert before is not None and after is not None
    assert (after.step, after.data) == (before.step, before.data) == ("stop", before.data)
    assert after.data["area"] == "knee"
    answers = list(user.tg.query_answers.values())[-3:]
    assert answers[0]["text"] == "That step is already done."
    # Every button press was answered exactly once (the fake rejects double answers).
    assert len(user.tg.calls_to("answerCallbackQuery")) == len(user.tg.answered_queries)


async def test_summary_change_returns_to_summary(harness: BotHarness) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Knee")
    await user.press("Today")
    await user.press("0")
    await user.press("Confirm")
    await user.press("08:00")
    await user.say("Berlin")
    assert "Here's your setup" in (user.last.text or "")
    await user.press("Change check-in time")
    await user.press("20:00")
    assert "Here's your setup" in (user.last.text or "")
    assert "Daily check-in: 20:00" in (user.last.text or "")
    await user.press("Change injury area")
    await user.press("Hip")  # a new area: its templates are offered, then the summary again
    assert "hip" in (user.last.text or "").lower() and any(
        "Confirm" in label for label, _ in user.last.buttons
    )
    await user.press("Confirm")
    assert "Injury area: Hip" in (user.last.text or "")
    await user.press("Change time zone")
    await user.say("Portland")  # ambiguous: candidates as buttons
    assert len([b for b in user.last.buttons]) >= 2
    await user.press("Oregon")
    assert "America/Los_Angeles" in (user.last.text or "")
    await user.press("All set")
    row = await _user_row(harness)
    assert row is not None and row.checkin_time == time(20, 0)
    assert row.timezone == "America/Los_Angeles"


async def test_location_share_sets_timezone_and_removes_the_keyboard(harness: BotHarness) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Foot / shin")
    await user.press("Today")
    await user.press("0")
    await user.press("Confirm")
    await user.press("07:00")
    ask = user.tg.calls_to("sendMessage", user.id)[-1].params["reply_markup"]
    assert "request_location" in str(ask)
    await user.share_location(40.7128, -74.0060)
    removal = [c.params.get("reply_markup") for c in user.tg.calls_to("sendMessage", user.id)]
    assert any("remove_keyboard" in str(m) for m in removal)
    assert "America/New_York" in (user.last.text or "")


async def test_cancel_leaves_onboarding_and_start_resumes(harness: BotHarness) -> None:
    user = harness.user()
    await to_area_question(user)
    await user.press("Knee")
    await user.say("/cancel")
    assert "/start" in (user.last.text or "")
    assert await _dialog(harness) is None
    await user.say("/start")
    assert "Which area" in (user.last.text or "")


async def test_start_for_active_user_offers_review_and_keeps_data(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/start")
    assert "Welcome back" in (user.last.text or "")
    labels = [label for label, _ in user.last.buttons]
    assert any("settings" in label.lower() for label in labels)
    assert any("Check in" in label for label in labels)
    assert any("Help" in label for label in labels)
    await user.press("Review settings")
    assert "Your settings" in (user.last.text or "")
    row = await _user_row(harness)
    assert row is not None and row.status == "active"
    async with harness.services.sessions() as session:
        assert await session.get(RehabProfile, row.id) is not None


async def test_logs_never_contain_what_the_user_typed(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    user = harness.user()
    # INFO and above for every logger, as in production. (PTB itself logs API payloads at
    # DEBUG, so DEBUG must never be used in production with real users.)
    with caplog.at_level(logging.INFO):
        await to_area_question(user)
        await user.press("Other")
        await user.say("sore sacroiliac joint")
        await user.say("25:99 is not a date")
        await user.say("3 weeks ago")
        await user.say("0")
        await user.say("Pelvic tilts 3x12")
        await user.press("Confirm")
        await user.say("7pm")
        await user.say("Berlin")
        await user.press("All set")
    assert any("onboarding finished" in r.getMessage() for r in caplog.records)
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    for secret in ("sacroiliac", "Pelvic", "25:99", "Berlin"):
        assert secret not in logged


async def test_check_in_and_help_buttons_on_welcome_back(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/start")
    welcome = user.last
    await user.press("Help", welcome)
    assert "/checkin" in (user.last.text or "")
    await user.press("Check in", welcome)
    assert "something went wrong" not in (user.last.text or "").lower()
    assert len(user.tg.calls_to("answerCallbackQuery")) == len(user.tg.answered_queries)


async def _stopped_on(harness: BotHarness) -> date:
    row = await _user_row(harness)
    assert row is not None
    async with harness.services.sessions() as session:
        profile = await session.get(RehabProfile, row.id)
    assert profile is not None
    return profile.stopped_running_on


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(None, date(2026, 11, 25)), ("yesterday", date(2026, 11, 27))],
    ids=["button-a-few-days-ago", "typed-yesterday"],
)
async def test_a_relative_stop_date_counts_from_the_users_own_today(
    harness: BotHarness, typed: str | None, expected: date
) -> None:
    """The stop date is asked before the time zone. At 12:00 UTC on 27 November it is already
    28 November in New Zealand: "a few days ago" there means the 25th, not the 24th."""
    harness.clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    await onboard(harness.user(), city="Wellington", typed_stop=typed)
    assert await _stopped_on(harness) == expected


async def test_a_calendar_stop_date_stays_put_whatever_the_time_zone(harness: BotHarness) -> None:
    harness.clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    await onboard(harness.user(), city="Wellington", typed_stop="20 November")
    assert await _stopped_on(harness) == date(2026, 11, 20)
