"""Safety stories end to end, through the real application and dispatcher over simulated days:
a red flag typed in the middle of a step, the hold that silences every push, its follow-up
and its release (and taking a release back), and edited messages.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.db.models import RedFlagReport, RehabProfile, ScheduledMessage, User
from bot.domain.kinds import MessageKind
from tests.harness.bot import BotHarness, SimUser
from tests.harness.fake_telegram import SentMessage
from tests.test_onboarding import onboard

EMERGENCY = "pins and needles in both legs and I peed myself a bit"
URGENT = "my calf is swollen and hot since my flight yesterday"
EXERCISE_WORDS = ("exercise", "Did them all", "check-in")


async def _count(h: BotHarness, model: type, **where: object) -> int:
    async with h.services.sessions() as session:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int((await session.execute(stmt)).scalar_one())


async def _user(h: BotHarness, telegram_id: int = 1001) -> User:
    async with h.services.sessions() as session:
        row = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()
        return row


def _since(user: SimUser, count: int) -> list[SentMessage]:
    return user.tg.messages(user.id)[count:]


async def test_a_red_flag_typed_during_onboarding_is_answered_and_never_becomes_an_answer(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await user.say("/start")
    await user.press("let's start")
    asked = user.tg.last_with_buttons(user.id)  # the injury-area question
    reply = await user.say(URGENT)
    assert reply is not None and "doctor" in (reply.text or "").lower()
    assert await _count(harness, RedFlagReport) == 1
    # The step still waits: the area question's buttons still work, and nothing was saved.
    await user.press("Knee", asked)
    async with harness.services.sessions() as session:
        assert await session.get(RehabProfile, (await _user(harness)).id) is None
    assert "stop running" in (user.last.text or "")  # the flow moved on from the area


async def test_the_hold_silences_checkins_nudges_and_summaries_until_a_clinician_cleared(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await onboard(user)
    await user.say(EMERGENCY)
    advice = user.last
    assert "emergency" in (advice.text or "").lower()
    held_from = len(user.tg.messages(user.id))

    # Ten days on hold: only the follow-up (and PT reminders) may reach the user.
    await harness.advance(timedelta(days=10), step=timedelta(minutes=30))
    during = _since(user, held_from)
    assert during, "the follow-up should have come"
    for message in during:
        text = message.text or ""
        assert not any(word in text for word in ("Did them all", "streak", "brilliant")), text
    followups = [m for m in during if "seen by a doctor" in (m.text or "")]
    assert 1 <= len(followups) <= 3  # repeated gently, at most a few times
    async with harness.services.sessions() as session:
        sent_kinds = set(
            (
                await session.execute(
                    select(ScheduledMessage.kind).where(ScheduledMessage.status == "sent")
                )
            ).scalars()
        )
    assert MessageKind.CHECKIN not in sent_kinds
    assert MessageKind.NUDGE not in sent_kinds and MessageKind.WEEKLY not in sent_kinds

    # "A clinician has seen me" asks whether they were cleared; only "cleared" releases.
    await user.press("clinician has seen me", followups[-1])
    assert "clear you" in (user.last.text or "")
    await user.press("Not cleared yet")
    assert (await _user(harness)).safety_level == "emergency"
    await user.press("clinician has seen me")
    await user.press("Cleared to carry on")
    assert (await _user(harness)).safety_level == "none"
    assert await _count(harness, RedFlagReport, resolved_at=None) == 0
    assert "emergency" in (advice.text or "").lower()  # the advice was never edited away

    released_at = len(user.tg.messages(user.id))
    await harness.advance(timedelta(days=1), step=timedelta(minutes=30))
    assert any(
        "Did them all" in " ".join(lb for lb, _ in m.buttons) for m in _since(user, released_at)
    )


async def test_a_release_tapped_by_mistake_can_be_taken_back(harness: BotHarness) -> None:
    user = harness.user()
    await onboard(user)
    await user.say(URGENT)
    await user.press("clinician has seen me")
    await user.press("Cleared to carry on")
    assert (await _user(harness)).safety_level == "none"
    await user.press("Undo")
    me = await _user(harness)
    assert me.safety_level == "urgent"
    assert await _count(harness, RedFlagReport, resolved_at=None) == 1
    assert "holding the exercise reminders" in (user.last.text or "")


async def test_checkins_do_not_come_the_evening_of_an_urgent_flag(harness: BotHarness) -> None:
    user = harness.user()
    await onboard(user)  # first check-in today at 19:00 Berlin
    await user.say(URGENT)
    before = len(user.tg.messages(user.id))
    await harness.advance(timedelta(hours=14), step=timedelta(minutes=15))
    later = _since(user, before)
    assert not any("Did them all" in " ".join(lb for lb, _ in m.buttons) for m in later)


async def test_an_edit_is_triaged_once_and_never_handled_as_a_new_message(
    harness: BotHarness,
) -> None:
    user = harness.user()
    await onboard(user)
    before = len(user.tg.messages(user.id))
    await user.edit(424242, "my knee is a bit sore today")
    assert _since(user, before) == []  # an edit of harmless words: no reply at all
    await user.edit(424242, URGENT)
    assert len(_since(user, before)) == 1 and "doctor" in (user.last.text or "").lower()
    await user.edit(424242, URGENT)  # the same words again: no second report, no second reply
    assert len(_since(user, before)) == 1
    assert await _count(harness, RedFlagReport) == 1
    await user.edit(424243, "/delete")  # an edited command does nothing either
    assert len(_since(user, before)) == 1


async def _nudging_user(h: BotHarness) -> SimUser:
    """An onboarded user who gets nudges (cadence normal), check-in at 19:00 Berlin."""
    from tests.test_checkin_flow import make_user

    await make_user(h)
    async with h.services.sessions() as session:
        row = (await session.execute(select(User).where(User.telegram_id == 1001))).scalar_one()
        row.nudge_cadence = "normal"
        await session.commit()
    return h.user(1001)


async def test_pain_7_then_8_then_worse_escalates_and_silences_cheering_nudges(
    harness: BotHarness,
) -> None:
    user = await _nudging_user(harness)
    await harness.advance(timedelta(hours=10, minutes=5))  # day 1, 19:05 Berlin
    await user.press("Did them all")
    await user.press("7")
    assert any("contact your physical therapist" in t for t in user.texts[-3:])
    await user.press("Skip")
    await harness.advance(timedelta(hours=24))  # day 2, 19:05: morning question answered late
    await user.press("Did them all")
    await user.press("8")
    await user.press("Skip")
    await harness.advance(timedelta(hours=13, minutes=30))  # day 3, 08:35: how is it today?
    assert "morning" in (user.last.text or "").lower()
    before = len(user.texts)
    await user.press("Worse")
    answer = " ".join(user.texts[before - 1 :])
    assert "physical therapist" in answer and "before your next session" in answer
    assert "Keep it steady" not in answer
    held_from = len(user.tg.messages(user.id))

    await harness.advance(timedelta(days=2), step=timedelta(minutes=30))
    for message in _since(user, held_from):
        text = message.text or ""
        assert not any(w in text.lower() for w in ("mini session", "isn't damage", "brilliant")), (
            text
        )
    async with harness.services.sessions() as session:
        sent_nudges = (
            await session.execute(
                select(func.count())
                .select_from(ScheduledMessage)
                .where(
                    ScheduledMessage.kind == MessageKind.NUDGE, ScheduledMessage.status == "sent"
                )
            )
        ).scalar_one()
    assert sent_nudges == 0
    flags = await _count(harness, RedFlagReport)
    assert flags >= 2  # each escalation is a line for the PT report


async def test_a_typed_pain_score_is_saved_like_a_tap(harness: BotHarness) -> None:
    from tests.test_checkin_flow import checkins, make_user

    await make_user(harness)
    user = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))
    await user.press("Did them all")
    await user.say("pain 4/10")
    assert any("Pain during exercise: 4/10" in t for t in user.texts[-2:])
    await user.say("Felt fine on the bridges")  # the note step follows, as after a tap
    rows = await checkins(harness)
    assert rows[0].pain == 4 and rows[0].note == "Felt fine on the bridges"


async def test_a_typed_score_with_a_red_flag_is_triaged_and_saved(harness: BotHarness) -> None:
    from tests.test_checkin_flow import checkins, make_user

    await make_user(harness)
    user = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))
    await user.press("Did them all")
    before = len(user.texts)
    await user.say("7 and it woke me at night again")
    said = " ".join(user.texts[before:])
    assert "night" in said.lower() and ("doctor" in said.lower() or "therapist" in said.lower())
    assert "Pain during exercise: 7/10" in said
    assert (await checkins(harness))[0].pain == 7
    assert await _count(harness, RedFlagReport) >= 1


async def test_a_question_while_the_pain_buttons_show_still_gets_an_answer(
    harness: BotHarness,
) -> None:
    from tests.test_checkin_flow import checkins, make_user

    await make_user(harness)
    user = harness.user(1001)
    await harness.advance(timedelta(hours=10, minutes=5))
    await user.press("Did them all")
    pain_question = user.last
    await user.say("how long until I can run again?")
    assert "Pain during exercise" not in (user.last.text or "")
    assert "run" in (user.last.text or "").lower()  # the FAQ answered
    await user.press("3", pain_question)  # the buttons still work
    assert (await checkins(harness))[0].pain == 3
