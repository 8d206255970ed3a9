"""The daily check-in, end to end through the real Application: scheduled, answered, recorded."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import event, select

from bot.db.models import CheckIn, User
from tests.harness.bot import BotHarness
from tests.helpers.seed import at_first_checkin, checkins, make_user, seeded_user


async def test_checkin_arrives_at_local_time_and_done_all_records_pain_and_note(
    harness: BotHarness,
) -> None:
    alex = await seeded_user(harness)
    # 08:00 UTC: nothing due yet. Berlin 19:00 is 18:00 UTC in winter.
    await harness.advance(timedelta(hours=9, minutes=55))
    assert alex.texts == []
    await harness.advance(timedelta(minutes=10))
    assert len(alex.texts) == 1
    assert "Day 12" in alex.texts[0]  # stopped running 16 Nov, today 27 Nov
    await alex.press("Did them all")
    assert [label for label, _ in alex.last.buttons] == [str(n) for n in range(11)]
    await alex.press("4")
    assert any("4/10" in t for t in alex.texts)
    await alex.say("Bridges felt easier today")
    rows = await checkins(harness)
    assert len(rows) == 1 and rows[0].status == "done" and rows[0].pain == 4
    assert rows[0].note == "Bridges felt easier today"
    assert rows[0].exercises_done == ["Clamshells", "Glute bridges", "Wall sit"]


async def test_did_some_records_only_the_chosen_exercises(harness: BotHarness) -> None:
    alex = await at_first_checkin(harness)
    await alex.press("Did some")
    await alex.press("Done")  # nothing chosen yet: refused, nothing stored
    assert await checkins(harness) == []
    await alex.press("Clamshells")
    await alex.press("Wall sit")
    await alex.press("Clamshells")  # toggled off again
    await alex.press("Done")
    await alex.press("2")
    await alex.press("Skip")
    rows = await checkins(harness)
    assert (
        rows[0].status == "partial" and rows[0].exercises_done == ["Wall sit"] and rows[0].pain == 2
    )


async def test_not_today_asks_why_and_answers_the_reason(harness: BotHarness) -> None:
    alex = await at_first_checkin(harness)
    await alex.press("Not today")
    await alex.press("No time")
    rows = await checkins(harness)
    assert rows[0].status == "skipped" and rows[0].skip_reason == "no_time"


async def test_one_gentle_follow_up_and_never_a_second(harness: BotHarness) -> None:
    alex = await seeded_user(harness)
    await harness.advance(timedelta(hours=13, minutes=30))  # past 19:00 + 3 h? no: 21:00 is quiet
    # Follow-up would land at 22:00 Berlin, inside quiet hours, so none is sent.
    assert len(alex.texts) == 1


async def test_follow_up_when_there_is_room_before_quiet_hours(harness: BotHarness) -> None:
    await make_user(harness, at=time(12, 0))
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=12))
    texts = alex.texts
    assert len(texts) == 2  # the check-in at 12:00 and one follow-up at 15:00, nothing more


@pytest.mark.parametrize("answer", ["Did them all", "Not today", "Ask me later"])
async def test_an_answered_check_in_gets_no_follow_up_and_no_second_prompt(
    harness: BotHarness, answer: str
) -> None:
    """The follow-up (15:00) and a snoozed reminder skip a day that has its answer; nothing
    cancels them at the press, so this is the only thing keeping the reminder away."""
    await make_user(harness, at=time(12, 0))
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=3, minutes=5))  # 12:05 Berlin: the check-in is out
    prompt = alex.last
    await alex.press(answer, prompt)
    if answer == "Not today":
        await alex.press("No time")
    elif answer == "Ask me later":
        await alex.press(alex.last.buttons[0][0])  # the first delay offered
        await alex.say("/checkin")  # ... but checks in before the reminder is due
        await alex.press("Did them all", alex.last)
        await alex.press("2")
    else:
        await alex.press("2")
    answered = len(alex.texts)
    await harness.advance(timedelta(hours=8))  # past the 15:00 follow-up and any snooze
    assert len(alex.texts) == answered, alex.texts[answered:]


async def test_a_press_on_yesterdays_checkin_is_closed_and_changes_nothing(
    harness: BotHarness,
) -> None:
    alex = await at_first_checkin(harness)
    old = alex.tg.last_with_buttons(1001)
    await harness.advance(timedelta(hours=8))  # next local day
    await alex.press("Did them all", message=old)
    assert await checkins(harness) == [] or all(
        c.status == "missed" for c in await checkins(harness)
    )
    answers = list(harness.telegram.query_answers.values())
    assert "closed" in answers[-1].get("text", "")


async def test_double_press_records_once(harness: BotHarness) -> None:
    alex = await at_first_checkin(harness)
    msg = alex.tg.last_with_buttons(1001)
    data = msg.button_data("Did them all")
    await alex.press_data(data, msg)
    await alex.press_data(data, msg)
    rows = await checkins(harness)
    assert len(rows) == 1 and rows[0].status == "done"


async def test_another_users_button_is_refused_and_changes_nothing(harness: BotHarness) -> None:
    await make_user(harness, 1001)
    await make_user(harness, 1002)
    await harness.advance(timedelta(hours=10, minutes=5))
    alex_msg = harness.telegram.last_with_buttons(1001)
    mallory = harness.user(1002, "Mallory")
    sent_before = len(harness.telegram.calls_to("sendMessage"))
    await mallory.press_data(alex_msg.button_data("Not today"), alex_msg)
    # The spinner is stopped with an explanation, nothing is sent, and no check-in is touched.
    answer = list(harness.telegram.query_answers.values())[-1]
    assert "someone else" in answer.get("text", "") and answer.get("show_alert")
    assert len(harness.telegram.calls_to("sendMessage")) == sent_before
    async with harness.services.sessions() as session:
        rows = (await session.execute(select(CheckIn))).scalars().all()
    assert rows == []


async def test_checkin_command_offers_to_update_today(harness: BotHarness) -> None:
    alex = await seeded_user(harness)
    await alex.say("/checkin")
    await alex.press("Not today")
    await alex.press("Forgot")
    await alex.say("/checkin")
    assert "already" in (alex.last.text or "").lower()
    await alex.press("Update today")
    await alex.press("Did them all")
    await alex.press("1")
    rows = await checkins(harness)
    assert len(rows) == 1 and rows[0].status == "done" and rows[0].skip_reason is None


async def test_scheduled_checkin_is_not_sent_when_already_logged(harness: BotHarness) -> None:
    alex = await seeded_user(harness)
    await alex.say("/checkin")
    await alex.press("Did them all")
    await alex.press("0")
    sent_before = len(alex.texts)
    await harness.advance(timedelta(hours=11))
    assert len(alex.texts) == sent_before


async def test_next_morning_question_after_pain_and_its_answers(harness: BotHarness) -> None:
    alex = await at_first_checkin(harness)
    await alex.press("Did them all")
    await alex.press("5")
    await alex.press("Skip")
    await harness.advance(timedelta(hours=14, minutes=30))  # 08:30 Berlin next day
    assert "morning" in (alex.last.text or "").lower()
    await alex.press("Worse")
    assert "physical therapist" in (alex.last.text or "").lower()
    rows = await checkins(harness)
    assert rows[0].morning_response == "worse"


async def test_snooze_asks_again_later(harness: BotHarness) -> None:
    await make_user(harness, at=time(12, 0))
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=3, minutes=5))  # 12:05 Berlin
    choices = await alex.press("Ask me later")
    assert choices is not None
    assert [label for label, _ in choices.buttons] == ["30 min", "1 hour", "3 hours"]
    ack = await alex.press("1 hour")
    assert ack is not None and "1 hour" in (ack.text or "")  # the delay as the user chose it
    count = len(alex.texts)
    await harness.advance(timedelta(minutes=55))
    assert len(alex.texts) == count
    await harness.advance(timedelta(minutes=10))
    assert len(alex.texts) == count + 1 and "exercises" in alex.texts[-1]


async def test_today_shows_streak_and_adherence(harness: BotHarness) -> None:
    alex = await seeded_user(harness)
    await alex.say("/checkin")
    await alex.press("Did them all")
    await alex.press("2")
    await alex.say("/today")
    text = alex.last.text or ""
    assert "Streak: 1 day" in text and "Adherence" in text and "pain 2/10" in text


async def test_each_button_press_is_answered_exactly_once(harness: BotHarness) -> None:
    alex = await seeded_user(harness)
    await alex.say("/checkin")
    await alex.press("Did them all")
    await alex.press("3")
    await alex.press_data("zz:unknown", alex.tg.last_with_buttons(1001))
    answers = harness.telegram.calls_to("answerCallbackQuery")
    ids = [c.params["callback_query_id"] for c in answers]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert "expired" in (answers[-1].params.get("text") or "")


async def test_a_completed_check_in_costs_two_chat_messages_and_skip_keeps_the_advice(
    harness: BotHarness,
) -> None:
    """At the evening peak every call to a chat counts against Telegram's budget: after the
    prompt, "did them all" and the pain score take two, and the answer stays readable."""
    alex = await at_first_checkin(harness)
    harness.telegram.reset_calls()
    await alex.press("Did them all")
    await alex.press("4")
    to_chat = [c.method for c in harness.telegram.calls if c.chat_id == 1001]
    assert to_chat == ["editMessageText", "editMessageText"]
    answer = alex.last
    assert "4/10" in (answer.text or "") and "note" in (answer.text or "").lower()
    await alex.press("Skip")
    assert "4/10" in (alex.last.text or "")  # the advice was not edited away
    assert alex.last.buttons == []
    assert any(
        "no note today" in (c.params.get("text") or "").lower()
        for c in harness.telegram.calls_to("answerCallbackQuery")
    )
    rows = await checkins(harness)
    assert rows[0].pain == 4 and rows[0].note is None


async def test_a_planned_rest_day_gets_no_check_in_and_the_next_day_does(
    harness: BotHarness,
) -> None:
    """Friday is Alex's rest day: no "did you do your exercises?" that evening."""
    user_id = await make_user(harness)
    async with harness.services.sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.rest_weekdays = [harness.clock.now().date().weekday()]  # today (a Friday)
        await session.commit()
    alex = harness.user(1001)
    await harness.advance(timedelta(hours=14))  # past 19:00 and the follow-up window
    assert alex.texts == []
    await harness.advance(timedelta(hours=24))  # Saturday evening
    assert len(alex.texts) == 1 and "Did them all" in " ".join(
        label for label, _ in alex.last.buttons
    )


async def test_a_done_press_is_one_transaction_of_at_most_five_statements(
    harness: BotHarness,
) -> None:
    """Issue 20.6: the press users make every evening costs one transaction of at most five
    statements (update claim, user with profile and plan, button claim, check-in upsert,
    dialog step). Counted, not timed: a sixth statement on this path fails here."""
    alex = await at_first_checkin(harness)  # 19:05 Berlin: the prompt is out
    prompt = alex.last
    # The hourly clean-up of old update ids runs after the first update; let it happen first.
    await alex.say("/help")
    statements: list[str] = []
    transactions: list[str] = []

    def on_statement(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        if sql.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(sql)

    def on_begin(_conn: object) -> None:
        transactions.append("begin")

    sync_engine = harness.services.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", on_statement)
    event.listen(sync_engine, "begin", on_begin)
    try:
        await alex.press("Did them all", prompt)
    finally:
        event.remove(sync_engine, "before_cursor_execute", on_statement)
        event.remove(sync_engine, "begin", on_begin)
    edited = next(m for m in harness.telegram.chats[1001] if m.message_id == prompt.message_id)
    assert [label for label, _ in edited.buttons][:3] == ["0", "1", "2"]  # the pain scale
    assert (await checkins(harness))[0].status == "done"
    assert len(transactions) == 1, transactions
    assert len(statements) <= 5, "\n".join(statements)
