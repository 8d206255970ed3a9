"""Clearance given as a typed reply: to the daily check-in's note question and to the
after-PT-session prompt. The bot offers the clearance step (which still asks the user to
confirm) only in rehab and never while a safety concern is open. Both databases."""

from __future__ import annotations

from datetime import time, timedelta

from bot.db.models import User
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.running import profile_of
from tests.helpers.seed import advance_to_after_pt_prompt, give_pt_session_today, make_user


async def _checkin_with_note(h: BotHarness, user: SimUser, note: str) -> list[str]:
    await h.advance(timedelta(hours=10, minutes=5))  # Berlin 19:00: the check-in
    await user.press("Did them all")
    await user.press("2")
    before = len(user.texts)
    await user.say(note)
    return user.texts[before:]


async def test_a_checkin_note_saying_the_pt_cleared_me_offers_the_clearance_step(
    harness: BotHarness,
) -> None:
    user_id = await make_user(harness)
    user = harness.user(1001)
    said = await _checkin_with_note(harness, user, "Physio cleared me to start running again!")
    assert any("cleared you to run" in t for t in said)
    asked = await user.press("cleared me", user.last)
    assert asked is not None and "physical therapist or doctor" in (asked.text or "")
    assert "hop 10 times" in (asked.text or "")
    await user.press("Yes, my clinician cleared me", asked)
    assert "Stage 1" in (user.last.text or "")
    assert (await profile_of(harness, user_id)).returning_to_run


async def test_no_offer_for_a_not_yet_or_while_a_concern_is_open(harness: BotHarness) -> None:
    user_id = await make_user(harness)
    user = harness.user(1001)
    said = await _checkin_with_note(harness, user, "My PT says no running yet")
    assert not any("cleared you to run" in t for t in said)
    assert not any(d.startswith("rr:") for _, d in user.last.buttons)

    await harness.advance(timedelta(hours=14))  # next morning
    await user.say("pinpoint pain on my shin bone")  # a red flag: contact the PT (watch)
    async with harness.services.sessions() as session:
        me = await session.get(User, user_id)
        assert me is not None and me.safety_level == "watch"
    said = await _checkin_with_note(harness, user, "my physio cleared me to run")
    assert not any("cleared you to run" in t for t in said)
    assert not any(d.startswith("rr:") for m in user.tg.messages(1001) for _, d in m.buttons)
    assert not (await profile_of(harness, user_id)).returning_to_run


async def test_a_note_after_the_pt_session_can_carry_the_clearance(harness: BotHarness) -> None:
    user_id = await make_user(harness, at=time(9, 0))
    await give_pt_session_today(harness, user_id)  # Fridays at 16:00, today
    user = harness.user(1001)
    prompt = await advance_to_after_pt_prompt(harness, user)
    await user.press("Note what changed", prompt)
    await user.say("PT gave me the green light to start a walk-run plan")
    assert "cleared you to run" in (user.last.text or "")
    asked = await user.press("cleared me", user.last)
    assert asked is not None
    await user.press("Yes, my clinician cleared me", asked)
    assert (await profile_of(harness, user_id)).returning_to_run


async def test_rest_days_marked_in_settings_never_break_the_streak(harness: BotHarness) -> None:
    """In rehab: exercises on Friday, Saturday marked as a rest day in /settings (no check-in
    comes that day), exercises on Sunday: the streak is 2, not broken by Saturday."""
    from sqlalchemy import select

    from bot.db.models import CheckIn

    user_id = await make_user(harness)
    user = harness.user(1001)
    menu = await user.say("/settings")
    assert menu is not None and "Rest days: none" in (menu.text or "")
    asked = await user.press("Rest days", menu)
    assert asked is not None and "never breaks your streak" in (asked.text or "")
    await user.press("Sat", asked)
    assert "✅ Sat" in [label for label, _ in user.last.buttons]
    await user.press("Done", user.last)
    assert "rest days are Sat" in (user.last.text or "")
    async with harness.services.sessions() as session:
        me = await session.get(User, user_id)
        assert me is not None and me.rest_weekdays == [5]

    await harness.advance(timedelta(hours=10, minutes=5))  # Friday 19:00 Berlin
    await user.press("Did them all")
    await user.press("1")

    def checkin_prompts() -> int:
        return sum(
            1
            for m in harness.telegram.messages(1001)
            if any("Did them all" in label for label, _ in m.buttons)
        )

    prompts = checkin_prompts()
    await harness.advance(timedelta(days=1), step=timedelta(minutes=30))  # Saturday 19:05
    assert checkin_prompts() == prompts, "no exercise check-in on a planned rest day"
    await harness.advance(timedelta(days=1), step=timedelta(minutes=30))  # Sunday 19:05
    await user.press("Did them all")
    await user.press("1")
    async with harness.services.sessions() as session:
        statuses = list(
            (await session.execute(select(CheckIn.status).order_by(CheckIn.local_date))).scalars()
        )
    assert statuses == ["done", "done"]  # nothing asked, nothing missed on Saturday
    shown = await user.say("/progress")
    text = (shown.text or shown.caption or "") if shown else ""
    assert "Streak: 2 days" in text
