"""Return to running over simulated days, through the real Application and dispatcher, on
both databases: the morning-after question that the bot sends by itself, which respects quiet
hours and the safety hold, and whose answer moves the ladder."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import RehabProfile, RunLog, ScheduledMessage
from tests.harness.bot import BotHarness, SimUser
from tests.harness.fake_telegram import SentMessage
from tests.helpers.running import clear_to_run, cleared_runner, log_run
from tests.helpers.seed import make_user, start_nudges
from tests.test_return_to_run import URGENT

BERLIN = ZoneInfo("Europe/Berlin")


def _run_mornings(user: SimUser) -> list[SentMessage]:
    return [
        m for m in user.tg.messages(user.id) if any(d.startswith("rr:mo:") for _, d in m.buttons)
    ]


async def _run_morning_rows(h: BotHarness) -> list[ScheduledMessage]:
    async with h.services.sessions() as session:
        return list(
            (
                await session.execute(
                    select(ScheduledMessage).where(ScheduledMessage.kind == "run_morning")
                )
            ).scalars()
        )


async def test_the_morning_after_a_run_the_bot_asks_after_quiet_hours_and_the_answer_counts(
    harness: BotHarness,
) -> None:
    user_id, user = await cleared_runner(harness)
    logged = await log_run(user, 2, 1)  # Friday morning, Berlin
    assert "ask you tomorrow morning" in logged

    # The evening and the night pass: nothing about the run is asked in quiet hours.
    await harness.advance(timedelta(hours=21), step=timedelta(minutes=30))
    assert _run_mornings(user) == []
    await harness.advance(timedelta(hours=3), step=timedelta(minutes=30))
    asked = _run_mornings(user)
    assert len(asked) == 1 and "this morning" in (asked[0].text or "")
    (row,) = await _run_morning_rows(harness)
    assert row.status == "sent" and row.sent_at is not None
    sent_local = row.sent_at.astimezone(BERLIN).time()
    assert time(8, 0) <= sent_local < time(21, 0)

    worse = asked[0].button_data("Worse")
    await user.press("Better", asked[0])
    assert "1 of 2" in (user.last.text or "") and "2/10" in (user.last.text or "")
    async with harness.services.sessions() as session:
        run = (await session.execute(select(RunLog))).scalar_one()
        profile = await session.get(RehabProfile, user_id)
    assert run.morning_response == "better" and run.decision == "stay"
    assert profile is not None and profile.run_good_sessions == 1

    # The button answered it: a second press and the following days ask nothing more.
    await user.press_data(worse)
    async with harness.services.sessions() as session:
        run = (await session.execute(select(RunLog))).scalar_one()
    assert run.morning_response == "better"
    before = len(user.texts)
    await harness.advance(timedelta(days=2), step=timedelta(hours=2))
    assert not any("this morning" in t for t in user.texts[before:])
    assert [r.status for r in await _run_morning_rows(harness)] == ["sent"]


async def test_a_morning_answered_in_running_first_is_not_asked_again(
    harness: BotHarness,
) -> None:
    _, user = await cleared_runner(harness)
    await log_run(user, 1, 1)
    # Just after midnight the user opens /running and answers there.
    await harness.advance(timedelta(hours=15), step=timedelta(hours=1))
    menu = await user.say("/running")
    assert menu is not None and "this morning" in (menu.text or "")
    await user.press("Same", menu)
    before = len(user.texts)
    await harness.advance(timedelta(hours=12), step=timedelta(minutes=30))
    assert not any("this morning" in t for t in user.texts[before:])
    (row,) = await _run_morning_rows(harness)
    assert row.status == "skipped"


async def test_no_morning_run_question_goes_out_during_a_safety_hold(harness: BotHarness) -> None:
    user_id, user = await cleared_runner(harness)
    await log_run(user, 2, 2)
    await user.say(URGENT)  # an urgent red flag the same day: the hold starts
    before = len(user.texts)
    await harness.advance(timedelta(days=1, hours=4), step=timedelta(hours=1))
    assert not any("this morning" in t for t in user.texts[before:])
    (row,) = await _run_morning_rows(harness)
    assert row.status == "skipped"
    async with harness.services.sessions() as session:
        profile = await session.get(RehabProfile, user_id)
    assert profile is not None and profile.run_good_sessions == 0  # nothing moved on


def _by_button(user: SimUser) -> SentMessage:
    asked = _run_mornings(user)
    assert asked, "no morning-after question was sent"
    return asked[-1]


async def test_a_week_of_running_shows_in_the_weekly_summary_progress_and_the_pt_report(
    harness: BotHarness,
) -> None:
    _, user = await cleared_runner(harness)
    await log_run(user, 2, 1)  # Friday
    await harness.advance(timedelta(hours=24), step=timedelta(minutes=30))  # Saturday 09:00
    await user.press("Better", _by_button(user))
    rest = await user.say("/running")
    assert rest is not None and "rest day" in (rest.text or "")
    await harness.advance(timedelta(hours=25), step=timedelta(minutes=30))  # Sunday 10:00
    await log_run(user, 1, 3)

    # Sunday 19:00: the weekly summary speaks about the runs.
    await harness.advance(timedelta(hours=9, minutes=30), step=timedelta(minutes=30))
    (summary,) = [t for t in user.texts if "Runs this week" in t]
    assert "Runs this week: 2 (now at stage 1 of 8)" in summary
    assert "Highest pain on a run: 3/10" in summary

    # Monday morning: the question comes by itself; a settled morning moves the user on.
    await harness.advance(timedelta(hours=13, minutes=30), step=timedelta(minutes=30))
    await user.press("Same", _by_button(user))
    assert "move on to stage 2" in (user.last.text or "")

    progress = await user.say("/progress")
    shown = (progress.text or progress.caption or "") if progress else ""
    assert "stage 2 of 8" in shown and "Runs logged: 2" in shown
    assert "27 Nov 2/1" in shown and "29 Nov 1/3" in shown
    # Friday run, Saturday rest day, Sunday run: no home-exercise check-in, and the streak
    # still counts the days that followed the plan (the rest day does not break it).
    assert "Streak: 2 days" in shown

    await user.say("/report")
    doc = user.last
    assert doc.kind == "document" and doc.file is not None
    from tests.unit.test_reports import _pdf_text

    # Long lines wrap in the PDF; compare the words, not where a line happens to break.
    text = " ".join(_pdf_text(doc.file).split())
    assert "Stopped running 16 Nov 2026 (14 days before the end of this period)" in text
    assert "Return to running" in text
    assert "stage 2 of 8" in text
    assert "Fri 27 Nov: stage 1, done as planned; pain 2/10 during, 1/10 right after" in text
    assert "next morning same: good session, moved on to the next" in text


async def test_a_painful_run_brings_the_gentle_flare_nudge_not_cheering(
    harness: BotHarness,
) -> None:
    from bot.db.models import NudgeLog, User
    from bot.domain.content import load_nudges
    from bot.services.outgoing_nudges import GENTLE_THEMES

    user_id = await make_user(harness, at=time(19, 0))
    await start_nudges(harness, user_id)
    user = harness.user(1001)
    await clear_to_run(user)
    said = await log_run(user, 6, 4)  # above the 5/10 ceiling, not high enough to escalate
    assert "6/10" in said and "tell your physical therapist" in said
    async with harness.services.sessions() as session:
        me = await session.get(User, user_id)
        assert me is not None and me.safety_level == "none"
    await harness.advance(timedelta(days=3), step=timedelta(hours=1))
    async with harness.services.sessions() as session:
        sent = list((await session.execute(select(NudgeLog).order_by(NudgeLog.sent_at))).scalars())
    theme = {n.id: n.theme for n in load_nudges()}
    assert [n.trigger for n in sent][:1] == ["pain_flare"]
    assert all(theme[n.nudge_id] in GENTLE_THEMES for n in sent), [n.nudge_id for n in sent]


async def test_a_runner_on_plan_is_not_nagged_about_missed_check_ins(harness: BotHarness) -> None:
    """Run day, rest day, run day...: the home-exercise check-ins go unanswered, but those
    days followed the plan, so no "you've missed two days" nudge and the streak holds."""
    from bot.db.models import NudgeLog

    user_id = await make_user(harness, at=time(19, 0))
    await start_nudges(harness, user_id)
    user = harness.user(1001)
    await clear_to_run(user)
    for _ in range(3):  # Friday, Sunday, Tuesday
        await log_run(user, 1, 1)
        await harness.advance(timedelta(hours=24), step=timedelta(minutes=30))
        await user.press("Better", _by_button(user))
        await harness.advance(timedelta(hours=24), step=timedelta(minutes=30))
    async with harness.services.sessions() as session:
        triggers = list((await session.execute(select(NudgeLog.trigger))).scalars())
    assert "missed_days" not in triggers
    progress = await user.say("/progress")
    shown = (progress.text or progress.caption or "") if progress else ""
    # Fri run, Sat rest, Sun run, Mon rest, Tue run, Wed rest: three planned days done, the
    # rest days stepped over (they neither add to the streak nor break it).
    assert "Streak: 3 days" in shown


async def test_a_week_with_a_painful_run_gets_the_flare_summary_not_cheering(
    harness: BotHarness,
) -> None:
    _, user = await cleared_runner(harness)
    await log_run(user, 6, 4)  # Friday: above the ceiling, a step back
    await harness.advance(timedelta(days=2, hours=10, minutes=30), step=timedelta(minutes=30))
    (summary,) = [t for t in user.texts if "Runs this week" in t]
    assert "Highest pain on a run: 6/10" in summary
    # A painful run holds the user: the calm "ease off" line, never the count's cheering.
    assert "more painful than is comfortable" in summary and "ease off" in summary
    assert not any(word in summary for word in ("Great", "Well done", "Nice work"))


async def test_the_morning_after_a_run_a_typed_answer_counts_as_the_button_does(
    harness: BotHarness,
) -> None:
    user_id, user = await cleared_runner(harness)
    await log_run(user, 2, 1)
    await harness.advance(timedelta(hours=24), step=timedelta(minutes=30))
    assert len(_run_mornings(user)) == 1
    await user.say("a bit better thanks")
    assert "1 of 2" in (user.last.text or "")
    async with harness.services.sessions() as session:
        run = (await session.execute(select(RunLog))).scalar_one()
        profile = await session.get(RehabProfile, user_id)
    assert run.morning_response == "better" and run.decision == "stay"
    assert profile is not None and profile.run_good_sessions == 1
    await user.say("worse")  # answered already: no second answer changes the run
    async with harness.services.sessions() as session:
        run = (await session.execute(select(RunLog))).scalar_one()
    assert run.morning_response == "better"
