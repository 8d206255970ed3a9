"""Where the bot has just shown a menu of choices, typing a choice's words (or, for /pause
and the snooze question, a length of time) works like tapping it; anything else still goes
where it would have gone (a question to the FAQ). The open menu is the user's dialog step,
in the database. Through the real bot, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.db.models import Dialog, RehabProfile, ScheduledMessage, User
from tests.harness.bot import BotHarness
from tests.helpers.seed import make_user


async def _user(harness: BotHarness) -> User:
    async with harness.services.sessions() as session:
        return (await session.execute(select(User))).scalar_one()


async def _dialog(harness: BotHarness) -> Dialog | None:
    async with harness.services.sessions() as session:
        return (await session.execute(select(Dialog))).scalar_one_or_none()


async def test_a_settings_menu_entry_typed_opens_it_like_a_tap(harness: BotHarness) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/settings")
    await alex.say("injury area")
    asked = alex.last
    assert "I'm not sure about that one" not in (asked.text or "")
    assert any("Achilles" in label for label, _ in asked.buttons)  # the area question
    await alex.say("hip")
    assert "hip" in (alex.last.text or "").lower()
    async with harness.services.sessions() as session:
        profile = (await session.execute(select(RehabProfile))).scalar_one()
    assert profile.injury_area == "hip"

    await alex.say("/settings")
    await alex.say("change my nudges")
    assert [label for label, _ in alex.last.buttons] == ["Off", "Now and then", "Normal"]
    await alex.say("now and then")
    assert (await _user(harness)).nudge_cadence == "low"
    assert await _dialog(harness) is None

    await alex.say("/settings")
    await alex.say("return to running")  # the menu's /running button, typed
    assert "I'm not sure about that one" not in (alex.last.text or "")
    assert "clear" in (alex.last.text or "").lower()
    opened = await _dialog(harness)  # the /running menu, open for its own typed choices
    assert opened is not None and opened.flow == "run_menu"

    # A question under the menu is still a question: the FAQ answers, the menu closes.
    await alex.say("/settings")
    assert (await _dialog(harness)) is not None
    await alex.say("Can I cycle while my achilles heals?")
    assert "Sources:" in (alex.last.text or "")
    assert await _dialog(harness) is None


async def test_a_length_typed_under_the_pause_question_pauses_like_a_tap(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/pause")
    assert "How long would you like to pause" in (alex.last.text or "")
    await alex.say("1 week")
    user = await _user(harness)
    assert user.status == "paused" and user.paused_until is not None
    assert "Paused" in (alex.last.text or "") or "paused" in (alex.last.text or "")
    assert await _dialog(harness) is None

    await alex.say("/pause")  # paused already: "keep it as it is", typed
    await alex.say("keep it as it is")
    assert "you stay paused" in (alex.last.text or "")
    await alex.say("/resume")
    await alex.say("/pause")
    await alex.say("10 days")
    assert (await _user(harness)).status == "paused"
    await alex.say("/resume")
    await alex.say("/pause")
    await alex.say("500 days")  # a length it cannot use: why, and the question stays
    assert (await _user(harness)).status == "active"
    assert await _dialog(harness) is not None
    await alex.say("Can I cycle while my achilles heals?")  # a question is still one
    assert "Sources:" in (alex.last.text or "")
    assert (await _user(harness)).status == "active" and await _dialog(harness) is None


async def test_a_length_typed_under_the_snooze_question_snoozes_like_a_tap(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))  # 19:05 Berlin: the prompt is out
    await alex.press("Ask me later")
    assert [label for label, _ in alex.last.buttons] == ["30 min", "1 hour", "3 hours"]
    await alex.say("in 45 min")
    assert "I'm not sure about that one" not in (alex.last.text or "")
    async with harness.services.sessions() as session:
        snooze = (
            await session.execute(select(ScheduledMessage).where(ScheduledMessage.kind == "snooze"))
        ).scalar_one()
    assert snooze.status == "pending"
    assert snooze.due_at.replace(tzinfo=None) == (
        harness.clock.now() + timedelta(minutes=45)
    ).replace(tzinfo=None)
    assert await _dialog(harness) is None

    await harness.advance(timedelta(minutes=46))  # the reminder is out
    await alex.press("Ask me later")
    await alex.say("did them all")  # not a length: it answers the day, as with no question
    assert [label for label, _ in alex.last.buttons] == [str(n) for n in range(11)]


async def test_weekdays_typed_at_the_rest_day_toggle_toggle_them_like_taps(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/settings")
    await alex.press("Rest days")
    await alex.say("sunday")
    assert "I'm not sure about that one" not in (alex.last.text or "")
    assert "Now: Sun." in (alex.last.text or "")
    assert (await _user(harness)).rest_weekdays == [6]
    await alex.say("Sat")
    assert (await _user(harness)).rest_weekdays == [5, 6]
    await alex.say("sun")  # typed again: unmarked, as a second tap
    assert (await _user(harness)).rest_weekdays == [5]
    await alex.say("done")
    assert (alex.last.text or "").startswith("Done: rest days are Sat.")
    assert await _dialog(harness) is None
    # Anything else closes the toggle and goes on as with no step: a question is answered.
    await alex.say("/settings")
    await alex.press("Rest days")
    await alex.say("Can I cycle while my achilles heals?")
    assert "Sources:" in (alex.last.text or "")
    assert (await _user(harness)).rest_weekdays == [5] and await _dialog(harness) is None


async def test_a_running_menu_choice_typed_acts_like_its_tap(harness: BotHarness) -> None:
    from tests.helpers.running import open_running

    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/running")
    await alex.say("my pt cleared me to run")  # the clearance offer, typed
    assert "physical therapist or doctor" in (alex.last.text or "")
    await alex.say("yes, my clinician cleared me")  # the confirmation, typed as it reads
    assert (alex.last.text or "") != "" and "Sources:" not in (alex.last.text or "")
    assert alex.last.buttons[0][0] == "✅ Done as planned"
    await open_running(alex)
    await alex.say("done")  # "✅ Done as planned", short
    assert "I'm not sure about that one" not in (alex.last.text or "")
    assert [label for label, _ in alex.last.buttons][:3] == ["0", "1", "2"]  # pain during
    await alex.say("2")
    await alex.say("1")
    assert "logged" in (alex.last.text or "").lower() or "run" in (alex.last.text or "").lower()
    await open_running(alex)
    assert await _dialog(harness) is not None
    await alex.say("Can I cycle while my achilles heals?")  # not a choice: a question
    assert "Sources:" in (alex.last.text or "")
    assert await _dialog(harness) is None


async def test_a_faq_topic_typed_or_numbered_opens_it_like_a_tap(harness: BotHarness) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/faq")
    topics = [label for label, _ in alex.last.buttons]
    await alex.say("pain")
    assert alex.last.text == "Pain and warning signs:"
    await alex.say("/faq")
    await alex.say("2")
    assert alex.last.text == f"{topics[1]}:"
    first_entry = alex.last.buttons[0][0]
    await alex.say("1")  # the topic's first question, by its number
    assert (alex.last.text or "").startswith(first_entry.rstrip("…"))
    # A menu left for long is closed: a "2" typed an hour later is not its second button.
    await alex.say("/faq")
    await harness.advance(timedelta(hours=1))
    await alex.say("2")
    assert alex.last.text != f"{topics[1]}:"
    assert await _dialog(harness) is None
    await alex.say("/faq")
    await alex.say("Can I cycle while my achilles heals?")
    assert "Sources:" in (alex.last.text or "")
    assert await _dialog(harness) is None


async def test_exercises_typed_under_did_some_toggle_them_like_taps(harness: BotHarness) -> None:
    from tests.helpers.seed import at_first_checkin, checkins

    alex = await at_first_checkin(harness)
    await alex.press("Did some")
    await alex.say("done")  # nothing chosen yet: said, not a silent toast; nothing stored
    assert "Tap" in (alex.last.text or "") and await checkins(harness) == []
    await alex.say("wall sit")
    assert any(label.startswith("✅") and "Wall sit" in label for label, _ in alex.last.buttons)
    await alex.say("1")  # the first exercise by its number
    await alex.say("done")
    assert [label for label, _ in alex.last.buttons] == [str(n) for n in range(11)]
    await alex.say("2")
    rows = await checkins(harness)
    assert rows[0].status == "partial" and sorted(rows[0].exercises_done or []) == [
        "Clamshells",
        "Wall sit",
    ]


async def test_a_reason_typed_under_not_today_is_recorded_like_its_tap(
    harness: BotHarness,
) -> None:
    from tests.helpers.seed import at_first_checkin, checkins

    alex = await at_first_checkin(harness)
    await alex.press("Not today")
    await alex.say("no time")
    rows = await checkins(harness)
    assert rows[0].status == "skipped" and rows[0].skip_reason == "no_time"
    assert await _dialog(harness) is None


async def test_a_place_offered_at_the_time_zone_question_is_picked_by_its_number(
    harness: BotHarness,
) -> None:
    from tests.helpers.onboarding import to_area_question

    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/settings")
    await alex.press("Time zone")
    await alex.say("Portland")
    assert [label for label, _ in alex.last.buttons][1].startswith("Portland, Maine")
    await alex.say("2")
    assert (await _user(harness)).timezone == "America/New_York"

    sam = harness.user(1002, "Sam")
    await to_area_question(sam)
    for tap in ("Knee", "A few days ago", "0", "Glute bridges", "Confirm", "19:00"):
        await sam.press(tap)
    await sam.say("Portland")
    await sam.say("2")
    assert any("Time zone: America/New_York" in text for text in sam.texts[-2:]), sam.texts[-2:]
