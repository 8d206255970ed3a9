"""Defects found walking injured runners' stories in the terminal chat (walk 3): what a user
reads after a red flag's follow-up, during a pain watch and right after a hold ends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.db.models import NudgeLog, ScheduledMessage
from bot.domain.kinds import MessageKind
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboarded
from tests.helpers.running import cleared_runner, open_running
from tests.helpers.seed import (
    advance_to_after_pt_prompt,
    give_pt_session_today,
    make_user,
    start_nudges,
)

EMERGENCY = "pins and needles in both legs and I peed myself a bit"
URGENT = "my calf is swollen and hot since my flight yesterday"


async def test_not_yet_after_an_urgent_flag_keeps_the_same_day_urgency(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say(URGENT)
    assert "today" in (user.last.text or "")
    await harness.advance(timedelta(days=1, hours=2), step=timedelta(minutes=30))
    await user.press("Not yet")
    reply = user.last.text or ""
    # The flag said "today"; the follow-up must not soften that to "as soon as you can".
    assert "today" in reply and "as soon as you can" not in reply, reply
    assert "emergency number" in reply, reply


async def test_not_yet_after_an_emergency_flag_leads_with_emergency_care(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say(EMERGENCY)
    await harness.advance(timedelta(days=1, hours=2), step=timedelta(minutes=30))
    await user.press("Not yet")
    reply = user.last.text or ""
    assert "emergency care now" in reply and "as soon as you can" not in reply, reply


async def test_the_after_pt_message_during_a_watch_does_not_push_home_practice(
    harness: BotHarness,
) -> None:
    user_id = await make_user(harness)
    await give_pt_session_today(harness, user_id)
    user = harness.user(1001)
    await user.say("my shin hurts when I hop on it")  # a "contact" sign: a watch
    prompt = await advance_to_after_pt_prompt(harness, user)
    text = prompt.text or ""
    # The watch advice said "tell your PT before building up": the after-PT message asks
    # what changed and reminds them of that, and no motivational nudge pushes practice.
    assert "what you told me" in text, text
    assert "Note what changed" in " ".join(label for label, _ in prompt.buttons)


async def test_days_on_hold_are_not_a_lapse_after_the_release(harness: BotHarness) -> None:
    user_id = await make_user(harness)  # check-in 19:00 Berlin; the suite starts Fri 09:00
    await start_nudges(harness, user_id)
    user = harness.user(1001)
    await harness.advance(timedelta(hours=13), step=timedelta(minutes=15))  # Fri 19:00 unanswered
    await user.say(URGENT)  # Fri 22:00: the hold pauses check-ins
    await harness.advance(timedelta(days=2), step=timedelta(minutes=30))
    await user.press("clinician has seen me")
    await user.press("Cleared to carry on")  # Sun night
    # Monday's check-in goes unanswered: one missed day since the release, not a lapse
    # (Friday's, before the hold, and the days on hold do not make it two).
    await harness.advance(timedelta(days=2, hours=2), step=timedelta(minutes=30))
    async with harness.services.sessions() as session:
        logged = (
            await session.execute(
                select(func.count())
                .select_from(NudgeLog)
                .where(NudgeLog.user_id == user_id, NudgeLog.trigger == "missed_days")
            )
        ).scalar_one()
        planned = [
            row.payload
            for row in (
                await session.execute(
                    select(ScheduledMessage).where(ScheduledMessage.kind == MessageKind.NUDGE)
                )
            ).scalars()
            if (row.payload or {}).get("trigger") == "missed_days"
        ]
    assert logged == 0 and not planned, (logged, planned)


async def test_a_run_pain_above_6_is_answered_at_once_not_only_after_the_second_score(
    harness: BotHarness,
) -> None:
    _, user = await cleared_runner(harness)
    menu = await open_running(user)
    await user.press("Done as planned", menu)
    await user.press("7", user.last)
    # A runner may never answer "and right after?": the advice cannot wait for it.
    asked = user.last.text or ""
    assert "7/10" in asked and "physical therapist" in asked, asked
    assert "right after" in asked, asked


async def test_the_report_after_logging_todays_first_pt_session_does_not_say_none_recorded(
    harness: BotHarness,
) -> None:
    user_id = await make_user(harness)
    await give_pt_session_today(harness, user_id)
    user = harness.user(1001)
    prompt = await advance_to_after_pt_prompt(harness, user)
    await user.press("Note what changed", prompt)
    await user.say("Added single leg calf raises 3x12, no hopping for 2 weeks")
    assert "Saved with today's session" in (user.last.text or "")
    await user.say("/report")
    caption = user.last.caption or ""
    assert "no PT session recorded" not in caption, caption
    assert "today's PT session" in caption, caption


async def test_today_during_a_hold_shows_no_adherence_the_user_was_told_to_stop(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say(URGENT)
    await harness.advance(timedelta(days=2), step=timedelta(minutes=30))
    await user.say("/today")
    text = user.last.text or ""
    assert "paused" in text and "Adherence" not in text, text
