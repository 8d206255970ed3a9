"""Safety stories end to end, through the real application and dispatcher over simulated days:
a red flag typed in the middle of a step, the hold that silences every push, its follow-up
and its release (and taking a release back), and edited messages.
"""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import func, select

from bot.db.models import RedFlagReport, RehabProfile, ScheduledMessage, User
from bot.domain.kinds import MessageKind
from tests.harness.bot import BotHarness, SimUser
from tests.harness.fake_telegram import SentMessage
from tests.helpers.onboarding import finish_onboarding, onboarded, to_area_question
from tests.helpers.running import (
    answer_run_morning,
    cleared_runner,
    log_run,
    next_day,
    open_running,
)
from tests.helpers.seed import (
    advance_to_after_pt_prompt,
    at_first_checkin,
    checkins,
    give_pt_session_today,
    make_user,
    seeded_user,
)
from tests.test_progress_report import pdf_text

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


async def _reports(h: BotHarness) -> list[RedFlagReport]:
    async with h.services.sessions() as session:
        found = await session.execute(select(RedFlagReport).order_by(RedFlagReport.id))
        return list(found.scalars())


def _since(user: SimUser, count: int) -> list[SentMessage]:
    return user.tg.messages(user.id)[count:]


async def test_a_red_flag_typed_during_onboarding_is_answered_and_never_becomes_an_answer(
    harness: BotHarness,
) -> None:
    user = harness.user()
    asked = await to_area_question(user)  # the injury-area question
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
    user = await onboarded(harness)
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
    await user.say("/checkin")  # still held, and the way out is now the clinician's go-ahead
    assert "go-ahead" in (user.last.text or "") and "Did them all" not in str(user.last.buttons)
    await user.press("Cleared to carry on")
    assert (await _user(harness)).safety_level == "none"
    assert await _count(harness, RedFlagReport, resolved_at=None) == 0
    assert "emergency" in (advice.text or "").lower()  # the advice was never edited away

    released_at = len(user.tg.messages(user.id))
    await harness.advance(timedelta(days=1), step=timedelta(minutes=30))
    assert any(
        "Did them all" in " ".join(lb for lb, _ in m.buttons) for m in _since(user, released_at)
    )


async def test_once_seen_the_follow_up_asks_about_the_go_ahead_not_about_being_seen(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say(EMERGENCY)
    await user.press("clinician has seen me")  # then no answer to "did they clear you?"
    assert (await _user(harness)).safety_level == "emergency"
    seen_from = len(user.tg.messages(user.id))

    await harness.advance(timedelta(days=4), step=timedelta(minutes=30))
    later = [m.text or "" for m in _since(user, seen_from)]
    assert any("go-ahead" in text for text in later), later
    assert not any("seen by a doctor" in text or "looked at" in text for text in later), later
    assert not any("Did them all" in text for text in later)
    await user.press("Cleared to carry on")
    assert (await _user(harness)).safety_level == "none"


async def test_a_graver_flag_after_being_seen_asks_about_being_seen_again(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say(URGENT)
    await user.press("clinician has seen me")
    await user.say(EMERGENCY)  # something new and worse: a new visit, not the old clearance
    me = await _user(harness)
    assert me.safety_level == "emergency" and me.safety_seen_at is None
    await user.say("/checkin")
    assert "emergency" in (user.last.text or "").lower()


async def test_a_release_tapped_by_mistake_can_be_taken_back(harness: BotHarness) -> None:
    user = await onboarded(harness)
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
    user = await onboarded(harness)  # first check-in today at 19:00 Berlin
    await user.say(URGENT)
    before = len(user.tg.messages(user.id))
    await harness.advance(timedelta(hours=14), step=timedelta(minutes=15))
    later = _since(user, before)
    assert not any("Did them all" in " ".join(lb for lb, _ in m.buttons) for m in later)


async def test_an_edit_is_triaged_once_and_never_handled_as_a_new_message(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    before = len(user.tg.messages(user.id))
    await user.edit(424242, "my knee is a bit sore today")
    assert _since(user, before) == []  # an edit of harmless words: no reply at all
    await user.edit(424242, URGENT)
    assert len(_since(user, before)) == 1 and "doctor" in (user.last.text or "").lower()
    await user.edit(424242, URGENT)  # the same words again: no second report, no second reply
    assert len(_since(user, before)) == 1
    assert await _count(harness, RedFlagReport) == 1
    await user.edit(424242, URGENT + "!")  # a typo fixed: the same sign, still one report
    assert len(_since(user, before)) == 1
    assert await _count(harness, RedFlagReport) == 1
    await user.edit(424243, "/delete")  # an edited command does nothing either
    assert len(_since(user, before)) == 1
    await user.edit(424244, "and now my chest hurts on my runs")  # a new sign: answered
    assert len(_since(user, before)) == 2 and "emergency" in (user.last.text or "").lower()
    assert await _count(harness, RedFlagReport) == 2


async def test_editing_a_step_answer_changes_nothing_and_a_flagged_edit_is_not_saved(
    harness: BotHarness,
) -> None:
    user = await at_first_checkin(harness)
    await user.press("Did them all")
    await user.press("3")
    await user.say("Felt fine on the bridges")
    await user.edit(777, URGENT)  # the note's message edited into a red flag
    assert "doctor" in (user.last.text or "").lower()
    assert (await checkins(harness))[0].note == "Felt fine on the bridges"


async def _nudging_user(h: BotHarness) -> SimUser:
    """An onboarded user who gets nudges (cadence normal), check-in at 19:00 Berlin."""
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
    said_at_8 = " ".join(user.texts[-3:])  # as firm as at 7: stop, not "ease off or stop"
    assert (
        "above 6 out of 10 again" in said_at_8 and "stop the exercise that hurts now" in said_at_8
    )
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
    # One clear message for the open concern, not the whole message again each session.
    full = [t for t in user.texts if "Pain above 6 out of 10" in t or "second session" in t]
    assert len(full) == 1, full
    # One line in the PT report, brought up to date with the scores behind it.
    rows = await _reports(harness)
    assert [r.flag for r in rows] == ["pain-very_high"]
    assert rows[0].text == "pain 7/10, 8/10; worse next morning 1×"
    await user.say("/report")
    report = pdf_text(user.last.file or b"")
    assert 'Pain above 6/10: "pain 7/10, 8/10; worse next morning 1×"' in report


async def test_a_typed_pain_score_is_saved_like_a_tap(harness: BotHarness) -> None:
    user = await at_first_checkin(harness)
    await user.press("Did them all")
    await user.say("pain 4/10")
    assert any("Pain during exercise: 4/10" in t for t in user.texts[-2:])
    await user.say("Felt fine on the bridges")  # the note step follows, as after a tap
    rows = await checkins(harness)
    assert rows[0].pain == 4 and rows[0].note == "Felt fine on the bridges"


async def test_a_typed_score_with_a_red_flag_is_triaged_and_saved(harness: BotHarness) -> None:
    user = await at_first_checkin(harness)
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
    user = await at_first_checkin(harness)
    await user.press("Did them all")
    pain_question = user.last
    await user.say("how long until I can run again?")
    assert "Pain during exercise" not in (user.last.text or "")
    assert "run" in (user.last.text or "").lower()  # the FAQ answered
    await user.press("3", pain_question)  # the buttons still work
    assert (await checkins(harness))[0].pain == 3


async def _sent_count(h: BotHarness, kind: MessageKind) -> int:
    async with h.services.sessions() as session:
        found = await session.execute(
            select(func.count())
            .select_from(ScheduledMessage)
            .where(ScheduledMessage.kind == kind, ScheduledMessage.status == "sent")
        )
        return int(found.scalar_one())


async def test_worse_next_morning_twice_escalates_once_and_holds_missed_day_nudges(
    harness: BotHarness,
) -> None:
    user = await _nudging_user(harness)
    await harness.advance(timedelta(hours=10, minutes=5))  # day 1, 19:05 Berlin
    await user.press("Did them all")
    await user.press("5")
    await user.press("Skip")
    await harness.advance(timedelta(hours=13, minutes=30))  # day 2, 08:35: the morning question
    await user.press("Worse")
    assert (await _user(harness)).safety_level == "none"  # once is a flare, not an escalation
    await harness.advance(timedelta(hours=10, minutes=30))  # day 2, 19:05
    await user.press("Did them all")
    await user.press("5")
    await user.press("Skip")
    await harness.advance(timedelta(hours=13, minutes=30))  # day 3, 08:35
    before = len(user.texts)
    await user.press("Worse")
    said = " ".join(user.texts[before - 1 :])
    assert "twice in a row" in said and "before your next session" in said
    assert (await _user(harness)).safety_level == "watch"
    assert [r.flag for r in await _reports(harness)] == ["pain-worse_mornings"]

    # Three silent days after: no "a mini session counts", no nudge at all.
    held_from = len(user.tg.messages(user.id))
    nudges_before = await _sent_count(harness, MessageKind.NUDGE)
    await harness.advance(timedelta(days=4), step=timedelta(hours=1))
    for message in _since(user, held_from):
        assert "mini session" not in (message.text or "").lower()
    assert await _sent_count(harness, MessageKind.NUDGE) == nudges_before


async def test_pain_on_runs_escalates_in_running_words_once_per_open_concern(
    harness: BotHarness,
) -> None:
    _, user = await cleared_runner(harness)
    await log_run(user, 7, 7)
    first = user.texts[-1]
    assert "on a run" in first and "before your next run" in first
    assert "exercise" not in first  # worded for a run, not for home exercises
    await next_day(harness)
    await next_day(harness)
    before = len(user.texts)
    await log_run(user, 8, 8)
    again = user.texts[before:]
    assert not any("Pain above 6 out of 10" in t for t in again)  # not the whole message again
    # above 6 again: shorter, and as firm as the first time (stop running now)
    assert any("above 6 out of 10 again" in t and "stop running now" in t for t in again)
    rows = await _reports(harness)
    assert [(r.flag, r.text) for r in rows] == [("pain-very_high", "on runs: pain 7/10, 8/10")]


async def test_worse_mornings_after_runs_escalate_and_hold_progression(
    harness: BotHarness,
) -> None:
    _, user = await cleared_runner(harness)
    await log_run(user, 2, 2)
    await next_day(harness)
    await answer_run_morning(user, "Worse")
    assert (await _user(harness)).safety_level == "none"
    await next_day(harness)
    await log_run(user, 2, 2)
    await next_day(harness)
    before = len(user.texts)
    await answer_run_morning(user, "Worse")
    said = " ".join(user.texts[before:])
    assert "morning after a run, twice in a row" in said and "before your next run" in said
    assert (await _user(harness)).safety_level == "watch"  # progression is held
    assert [r.flag for r in await _reports(harness)] == ["pain-worse_mornings"]


async def test_during_a_hold_checkin_today_progress_and_old_buttons_explain_the_hold(
    harness: BotHarness,
) -> None:
    user = await at_first_checkin(harness)  # 19:05: today's check-in arrives
    old_checkin = user.tg.last_with_buttons(user.id)
    await user.say(URGENT)

    reply = await user.say("/checkin")
    assert reply is not None and "paused exercise check-ins" in (reply.text or "")
    assert not any("Did them all" in label for label, _ in reply.buttons)
    assert any("clinician has seen me" in label for label, _ in reply.buttons)

    today = await user.say("/today")
    assert today is not None
    assert "Streak" not in (today.text or "") and "Send /checkin" not in (today.text or "")
    assert "paused" in (today.text or "")

    progress = await user.say("/progress")
    assert progress is not None and "every one of them counts" not in (progress.text or "")
    assert "paused exercise check-ins" in (progress.text or "")

    await user.press("Did them all", old_checkin)  # an old check-in message tapped
    assert "paused exercise check-ins" in (user.last.text or "")
    assert "brilliant" not in (user.last.text or "").lower()
    assert await checkins(harness) == []  # nothing recorded during the hold


async def test_during_a_watch_checkins_go_on_without_praise_or_streak_talk(
    harness: BotHarness,
) -> None:
    user = await seeded_user(harness)
    await user.say("my shin hurts when I hop on it")  # a "contact" sign: a watch
    assert (await _user(harness)).safety_level == "watch"
    await harness.advance(timedelta(hours=10, minutes=5))  # the check-in still comes
    await user.press("Did them all")
    assert "brilliant" not in (user.last.text or "").lower()
    said = await user.press("2")
    assert said is not None
    texts = " ".join(user.texts[-2:])
    assert "Nice work" not in texts and "Keep going" not in texts
    assert "physical therapist" in texts
    today = await user.say("/today")
    assert today is not None and "Streak" not in (today.text or "")
    assert "worth raising with your physical therapist" in (today.text or "")


async def test_red_flags_typed_as_onboarding_other_and_exercise_answers_are_never_saved(
    harness: BotHarness,
) -> None:
    from tests.test_onboarding import _dialog

    user = harness.user()
    await to_area_question(user)
    await user.press("Other")
    reply = await user.say("calf swollen and hot after my flight")
    assert reply is not None and "doctor" in (reply.text or "").lower()
    dialog = await _dialog(harness)
    assert dialog is not None and not dialog.data.get("other")  # never the injury area
    await user.say("lower back")  # the step waited: the real answer is taken
    await user.say("2 weeks ago")
    await user.say("0")
    reply = await user.say("deep groin pain when I hop")  # typed at the exercise step
    assert reply is not None and "doctor" in (reply.text or "").lower()
    dialog = await _dialog(harness)
    assert dialog is not None and dialog.data["other"] == "lower back"
    assert not any("groin" in str(name).lower() for name in dialog.data.get("own", []))
    assert len(await _reports(harness)) == 2


async def test_a_red_flag_typed_as_a_checkin_note_is_not_saved(
    harness: BotHarness,
) -> None:
    user = await at_first_checkin(harness)
    await user.press("Did them all")
    await user.press("3")  # the note step follows
    reply = await user.say(URGENT)
    assert reply is not None and "doctor" in (reply.text or "").lower()
    assert (await checkins(harness))[0].note is None
    assert await _count(harness, RedFlagReport) == 1


async def test_a_runs_pain_can_be_typed_and_a_flag_in_it_is_triaged(harness: BotHarness) -> None:
    from bot.db.models import RunLog

    _, user = await cleared_runner(harness)
    await user.press("Done as planned", await open_running(user))
    await user.say("3")
    assert "Pain during: 3/10" in (user.last.text or "")
    before = len(user.texts)
    await user.say("7 and it woke me at night")
    said = " ".join(user.texts[before:])
    assert "night" in said.lower() and "Pain above 6 out of 10 on a run" in said
    async with harness.services.sessions() as session:
        runs = list((await session.execute(select(RunLog))).scalars())
    assert [(r.pain_during, r.pain_after) for r in runs] == [(3, 7)]
    assert {r.flag for r in await _reports(harness)} == {"rest-night-pain", "pain-very_high"}


async def test_a_question_at_a_runs_pain_step_is_answered_and_the_buttons_still_work(
    harness: BotHarness,
) -> None:
    from bot.db.models import RunLog

    _, user = await cleared_runner(harness)
    await user.press("Done as planned", await open_running(user))
    asked = user.last
    await user.say("how long until I can run again?")
    assert "Pain during" not in (user.last.text or "")
    await user.press("2", asked)
    await user.press("1", user.last)
    async with harness.services.sessions() as session:
        runs = list((await session.execute(select(RunLog))).scalars())
    assert [(r.pain_during, r.pain_after) for r in runs] == [(2, 1)]


async def test_an_emergency_hold_leads_with_emergency_wording_in_every_hold_reply(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    advice = await user.say(EMERGENCY)
    assert advice is not None
    assert "emergency" in (advice.text or "").splitlines()[0].lower()
    for command in ("/checkin", "/today"):
        reply = await user.say(command)
        assert reply is not None and "emergency care now" in (reply.text or ""), command
    await user.say("my calf is swollen and hot")  # a lesser flag never lowers the hold
    assert (await _user(harness)).safety_level == "emergency"


async def test_after_a_release_the_user_can_note_what_the_clinician_advised(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await user.say(URGENT)
    await user.press("clinician has seen me")
    await user.press("Cleared to carry on")
    await user.press("Note what they advised")
    await user.say("my calf is swollen and hot again")  # a flag: answered, never saved
    assert "doctor" in (user.last.text or "").lower()
    await user.say("compression socks on flights, back to exercises")
    assert "Saved with your report" in (user.last.text or "")
    rows = await _reports(harness)
    advised = "(clinician advised: compression socks on flights, back to exercises)"
    assert rows[0].text.endswith(advised) and rows[0].resolved_at is not None
    await user.say("/report")
    assert "clinician advised" in " ".join(pdf_text(user.last.file or b"").split())


async def test_typing_that_the_pt_adjusted_the_plan_ends_a_pain_watch_as_the_button_does(
    harness: BotHarness,
) -> None:
    user = await at_first_checkin(harness)
    await user.press("Did them all")
    await user.press("8")
    assert (await _user(harness)).safety_level == "watch"
    await user.say("no")  # no hold and no follow-up: not a safety answer
    assert (await _user(harness)).safety_level == "watch"
    await user.say("/today")  # the watch came from pain scores: said so, not "you mentioned"
    assert "pain scores above the comfortable range" in " ".join(user.texts[-2:])
    await user.say("my PT adjusted my plan")
    assert (await _user(harness)).safety_level == "none"
    assert "Undo" in " ".join(label for label, _ in user.last.buttons)


async def test_a_pain_watch_ends_when_the_pt_adjusted_the_plan_or_the_pain_settles(
    harness: BotHarness,
) -> None:
    user = await at_first_checkin(harness)
    await user.press("Did them all")
    await user.press("8")
    escalation = next(
        m
        for m in reversed(user.tg.messages(user.id))
        if "adjusted" in " ".join(label for label, _ in m.buttons)
    )
    await user.press("My PT adjusted my plan", escalation)
    assert (await _user(harness)).safety_level == "none"
    assert "Pain above 6 out of 10" in (escalation.text or "")  # the advice stays in the chat
    assert "Undo" in " ".join(
        label for label, _ in user.last.buttons
    )  # the confirmation is a new message

    await harness.advance(timedelta(days=1))
    await user.press("Did them all")
    await user.press("7")  # a new concern: the whole message once more
    assert any("Pain above 6 out of 10" in t for t in user.texts[-2:])
    await harness.advance(timedelta(days=1))
    await user.press("Did them all")
    await user.press("2")
    assert any("settled back into the comfortable range" in t for t in user.texts)
    assert (await _user(harness)).safety_level == "none"
    rows = await _reports(harness)
    assert len(rows) == 2 and all(r.resolved_at is not None for r in rows)


async def test_the_weekly_summary_during_a_watch_has_no_streak_line(harness: BotHarness) -> None:
    from tests.test_weekly_and_pt import _add_checkins

    user_id = await make_user(harness, at=time(9, 0))
    await _add_checkins(harness, user_id, 10, pain=2)
    user = harness.user(1001)
    await user.say("my shin hurts when I hop on it")
    assert (await _user(harness)).safety_level == "watch"
    await harness.advance(timedelta(days=2, hours=10, minutes=5), step=timedelta(minutes=30))
    photos = [m for m in user.tg.messages(1001) if m.kind == "photo"]
    assert len(photos) == 1
    caption = photos[0].caption or ""
    assert "Adherence (7 days)" in caption and "Streak" not in caption


async def test_a_red_flag_typed_as_a_pt_note_is_answered_and_the_note_step_waits(
    harness: BotHarness,
) -> None:
    from bot.db.models import PtSession

    user_id = await make_user(harness, at=time(9, 0))
    await give_pt_session_today(harness, user_id)  # Fridays at 16:00, today
    user = harness.user(1001)
    prompt = await advance_to_after_pt_prompt(harness, user)
    await user.press("Note what changed", prompt)
    reply = await user.say("my shin hurts when I hop on it")
    assert reply is not None and "physical therapist" in (reply.text or "")
    await user.say("Added single-leg bridges")  # the step waited for the real note
    async with harness.services.sessions() as session:
        notes = list((await session.execute(select(PtSession.note))).scalars())
    assert notes == ["Added single-leg bridges"]
    assert [r.flag for r in await _reports(harness)] == ["bone-stress-signs"]


async def test_a_hold_from_a_flag_during_onboarding_gets_its_follow_up_once_set_up(
    harness: BotHarness,
) -> None:
    user = harness.user()
    asked = await to_area_question(user)
    await user.say(URGENT)  # no time zone yet: nothing can be planned
    await user.press("Knee", asked)
    await finish_onboarding(user, own_exercise=None)
    assert (await _user(harness)).safety_level == "urgent"
    before = len(user.tg.messages(user.id))
    await harness.advance(timedelta(days=2), step=timedelta(hours=1))
    later = _since(user, before)
    assert any(
        "Were you able to see" in (m.text or "") or "looked at" in (m.text or "") for m in later
    )
    assert not any("Did them all" in " ".join(lb for lb, _ in m.buttons) for m in later)
