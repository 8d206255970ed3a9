"""The weekly summary and the PT-session messages, end to end through the real bot."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from bot.db.models import CheckIn, PtSession
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.seed import give_pt_session_today, make_user


async def _add_checkins(harness: BotHarness, user_id: int, days: int, pain: int) -> None:
    now = harness.clock.now()
    async with harness.services.sessions() as session:
        for back in range(1, days + 1):
            session.add(
                CheckIn(
                    user_id=user_id,
                    local_date=date(2026, 11, 27) - timedelta(days=back),
                    status="done",
                    exercises_done=["Clamshells"],
                    pain=pain,
                    created_at=now,
                    updated_at=now,
                )
            )
        await session.commit()


async def test_weekly_summary_on_sunday_evening_with_figures_and_chart(harness: BotHarness) -> None:
    user_id = await make_user(harness, at=time(9, 0))
    await _add_checkins(harness, user_id, 10, pain=2)
    alex = harness.user(1001)
    # Friday 08:00 UTC -> Sunday 19:00 Berlin (18:00 UTC) is 2 days 10 hours away.
    await harness.advance(timedelta(days=2, hours=9, minutes=55), step=timedelta(minutes=30))
    assert not [m for m in alex.tg.messages(1001) if m.kind == "photo"]
    await harness.advance(timedelta(minutes=10))
    photos = [m for m in alex.tg.messages(1001) if m.kind == "photo"]
    assert len(photos) == 1 and photos[0].file and photos[0].file.startswith(b"\x89PNG")
    caption = photos[0].caption or ""
    assert "Alex" in caption and "Streak:" in caption and "Adherence (7 days)" in caption
    assert "Pain: about the same" in caption


async def test_weekly_summary_without_enough_data_is_text_and_says_so(harness: BotHarness) -> None:
    await make_user(harness, at=time(9, 0))
    alex = harness.user(1001)
    await harness.advance(timedelta(days=2, hours=10, minutes=5), step=timedelta(minutes=30))
    summaries = [t for t in alex.texts if t.startswith(("Your week", "Weekly round-up"))]
    assert len(summaries) == 1
    assert "not enough scores" in summaries[0]
    assert not [m for m in alex.tg.messages(1001) if m.kind == "photo"]


async def test_pt_day_reminder_before_and_note_after_are_saved(harness: BotHarness) -> None:
    user_id = await make_user(harness, at=time(9, 0))
    await give_pt_session_today(harness, user_id)  # Fridays at 16:00, today
    alex = harness.user(1001)
    # Berlin 14:00 (two hours before) is 13:00 UTC: 5 hours after the start.
    await harness.advance(timedelta(hours=4, minutes=55), step=timedelta(minutes=15))
    assert not any("16:00" in t for t in alex.texts)
    await harness.advance(timedelta(minutes=10))
    assert "today at 16:00" in alex.texts[-1]
    # The prompt comes two hours after the session, with its buttons.
    await harness.advance(timedelta(hours=4), step=timedelta(minutes=15))
    prompt = alex.tg.last_with_buttons(1001)
    assert any(d.startswith("pt:") for _, d in prompt.buttons)
    plan_button = prompt.button_data("Update my plan")
    await alex.press("Note what changed", prompt)
    await alex.say("Added single-leg bridges, 3 x 10")
    assert "/exercises" in alex.texts[-1]
    async with harness.services.sessions() as session:
        rows = list((await session.execute(select(PtSession))).scalars())
    assert [(r.session_date, r.note) for r in rows] == [
        (date(2026, 11, 27), "Added single-leg bridges, 3 x 10")
    ]
    await alex.press_data(plan_button, prompt)
    assert "/exercises" in (prompt.text or "")
    # Next Friday's reminder is already planned: a week later it comes again.
    await harness.advance(timedelta(days=7), step=timedelta(hours=1))
    assert sum("today at 16:00" in t for t in alex.texts) == 2


async def _at_the_after_session_prompt(harness: BotHarness) -> tuple[int, SimUser]:
    user_id = await make_user(harness, at=time(9, 0))
    await give_pt_session_today(harness, user_id)  # Fridays at 16:00, today
    await harness.advance(timedelta(hours=9, minutes=5), step=timedelta(minutes=15))
    alex = harness.user(1001)
    prompt = alex.tg.last_with_buttons(1001)
    assert any(d.startswith("pt:") for _, d in prompt.buttons)
    return user_id, alex


async def _notes(harness: BotHarness) -> list[tuple[date, str | None]]:
    async with harness.services.sessions() as session:
        rows = (await session.execute(select(PtSession))).scalars()
        return [(r.session_date, r.note) for r in rows]


async def test_a_note_typed_under_the_after_session_prompt_is_saved_as_its_note(
    harness: BotHarness,
) -> None:
    """The prompt asks to jot down what the therapist changed: typing it, without tapping
    "Note what changed" first, saves it; a question or a "thanks" is not taken as the note."""
    _, alex = await _at_the_after_session_prompt(harness)
    await alex.say("thanks")
    await alex.say("should I ice my knee after the session?")
    assert await _notes(harness) == []
    await alex.say("She added side planks and said to slow down the lowering")
    assert "Saved with today's session" in alex.texts[-1]
    assert await _notes(harness) == [
        (date(2026, 11, 27), "She added side planks and said to slow down the lowering")
    ]
    await alex.say("My calves are a bit tired but otherwise fine")
    assert len(await _notes(harness)) == 1  # the prompt was answered: no second note


async def test_typing_nothing_changed_under_the_after_session_prompt_records_the_session(
    harness: BotHarness,
) -> None:
    _, alex = await _at_the_after_session_prompt(harness)
    await alex.say("nothing changed")
    assert "same plan as before" in alex.texts[-1]
    assert await _notes(harness) == [(date(2026, 11, 27), None)]


async def test_words_typed_under_the_next_check_in_are_not_saved_as_the_session_note(
    harness: BotHarness,
) -> None:
    """The after-session prompt went unanswered, then the next day's check-in asked about the
    exercises: "I only did the ..." answers that check-in (which did you do?), and is not
    confirmed as "Saved with today's session" for yesterday's physio visit."""
    _, alex = await _at_the_after_session_prompt(harness)
    await harness.advance(timedelta(days=1), step=timedelta(minutes=15))
    prompt = alex.tg.last_with_buttons(1001)
    assert "Did them all" in " ".join(label for label, _ in prompt.buttons)
    await alex.say("I only did the first one today")
    assert "Saved with today's session" not in alex.texts[-1]
    assert await _notes(harness) == []
    which = alex.tg.last_with_buttons(1001)  # as after "Did some": the exercises to tick
    assert which is not prompt and "Done" in " ".join(label for label, _ in which.buttons)
