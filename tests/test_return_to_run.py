"""Return to running, told as stories through the real bot on both databases: a clearance
refused during a safety hold, a smooth progression to the next stage, a repeat after
acceptable but uncomfortable pain, a step back after a bad morning, and a PT's own plan."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select, update

from bot.db.models import CheckIn, NudgeLog, RehabProfile, RunLog, User
from bot.domain.content import load_nudges
from bot.domain.return_to_run import load_ladder
from bot.services.context import today_of
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.running import (
    answer_run_morning,
    cleared_runner,
    log_run,
    next_day,
    open_running,
    profile_of,
)
from tests.helpers.seed import (
    advance_to_after_pt_prompt,
    give_pt_session_today,
    make_user,
    start_nudges,
)

URGENT = "my calf is swollen and hot since my flight yesterday"
LADDER = load_ladder()


async def test_clearance_is_refused_during_a_hold_and_offered_once_it_is_released(
    harness: BotHarness,
) -> None:
    user_id = await make_user(harness, at=time(19, 0))
    user = harness.user(1001)
    await user.say(URGENT)

    refused = await open_running(user)
    assert "hold off" in (refused.text or "")
    assert not any("cleared me" in label for label, _ in refused.buttons)
    await user.press_data("rr:yes")  # an old confirmation button changes nothing either
    assert "hold off" in (user.last.text or "")
    assert not (await profile_of(harness, user_id)).returning_to_run

    async with harness.services.sessions() as session:
        await session.execute(update(User).values(safety_level="none"))
        await session.commit()
    offer = await open_running(user)
    asked = await user.press("cleared me", offer)
    text = asked.text if asked else ""
    assert "physical therapist or doctor" in (text or "")
    assert "hop 10 times" in (text or "") and "can't test" in (text or "")
    await user.press("Yes, my clinician cleared me", asked)
    assert "Stage 1" in (user.last.text or "")
    profile = await profile_of(harness, user_id)
    assert profile.returning_to_run and profile.run_stage == 0


async def test_two_good_runs_settled_by_the_morning_move_the_user_to_stage_2(
    harness: BotHarness,
) -> None:
    user_id, user = await cleared_runner(harness)

    logged = await log_run(user, 2, 1)
    assert "next morning decides" in logged
    await next_day(harness)
    first = await answer_run_morning(user, "Better")
    assert "1 of 2" in first and "2/10" in first
    rest = await open_running(user)
    assert "rest day" in (rest.text or "")  # every other day

    await next_day(harness)
    await log_run(user, 1, 1)
    await next_day(harness)
    second = await answer_run_morning(user, "Same")
    assert "move on to stage 2" in second and LADDER.stages[1].describe() in second
    profile = await profile_of(harness, user_id)
    assert (profile.run_stage, profile.run_good_sessions) == (1, 0)
    async with harness.services.sessions() as session:
        logs = list((await session.execute(select(RunLog).order_by(RunLog.local_date))).scalars())
    assert [(r.stage, r.pain_during, r.morning_response, r.decision) for r in logs] == [
        (0, 2, "better", "stay"),
        (0, 1, "same", "progress"),
    ]


async def test_acceptable_but_not_comfortable_pain_repeats_the_stage_then_it_moves_on(
    harness: BotHarness,
) -> None:
    """A 4/10 run settled by the morning is acceptable, not comfortable: the stage is repeated
    (the good-session count stays), and two comfortable runs later the user moves on."""
    user_id, user = await cleared_runner(harness)

    said = await log_run(user, 4, 3)
    assert "4/10" in said
    await next_day(harness)
    morning = await answer_run_morning(user, "Same")
    assert "repeat this stage" in morning.lower() and "4/10" in morning
    assert "move on" not in morning
    profile = await profile_of(harness, user_id)
    assert (profile.run_stage, profile.run_good_sessions) == (0, 0)

    for _ in range(2):
        await next_day(harness)  # the rest day
        await log_run(user, 2, 2)
        await next_day(harness)
        last = await answer_run_morning(user, "Better")
    assert "move on to stage 2" in last
    assert (await profile_of(harness, user_id)).run_stage == 1
    async with harness.services.sessions() as session:
        decisions = list(
            (await session.execute(select(RunLog.decision).order_by(RunLog.local_date))).scalars()
        )
    assert decisions == ["repeat", "stay", "progress"]


async def test_a_worse_morning_steps_back_a_stage_and_says_tell_the_pt(harness: BotHarness) -> None:
    user_id, user = await cleared_runner(harness)
    async with harness.services.sessions() as session:
        await session.execute(update(RehabProfile).values(run_stage=2, run_good_sessions=1))
        await session.commit()

    await log_run(user, 2, 2)
    await next_day(harness)
    said = await answer_run_morning(user, "Worse")
    assert "worse this morning" in said and "step back to stage 2" in said
    assert "tell your physical therapist" in said
    profile = await profile_of(harness, user_id)
    assert (profile.run_stage, profile.run_good_sessions) == (1, 0)


async def test_pain_above_the_ceiling_steps_back_at_once(harness: BotHarness) -> None:
    user_id, user = await cleared_runner(harness)
    async with harness.services.sessions() as session:
        await session.execute(update(RehabProfile).values(run_stage=3))
        await session.commit()
    said = await log_run(user, 6, 4, how="Cut short")
    assert "6/10" in said and "step back to stage 3" in said
    assert (await profile_of(harness, user_id)).run_stage == 2


async def _asked_for_pts_stages(harness: BotHarness) -> tuple[int, SimUser]:
    """A cleared user who tapped "PT’s stages": the bot waits for the plan."""
    user_id, user = await cleared_runner(harness)
    await user.press("PT’s stages", await open_running(user))
    return user_id, user


async def test_a_pts_own_stages_replace_the_template(harness: BotHarness) -> None:
    user_id, user = await _asked_for_pts_stages(harness)
    reply = await user.say("run 1 walk 2 x 6\nrun 3 walk 1 x 5\nrun 25")
    assert reply is not None and "run 25 min without stopping" in (reply.text or "")
    shown = await open_running(user)
    assert "stage 1 of 3" in (shown.text or "") and "your PT’s plan" in (shown.text or "")
    assert (await profile_of(harness, user_id)).run_plan is not None


async def test_a_pts_plan_that_cannot_be_read_says_which_line_and_keeps_the_template(
    harness: BotHarness,
) -> None:
    user_id, user = await _asked_for_pts_stages(harness)
    reply = await user.say("run 1 walk 2 x 6\njog for a while")
    text = (reply.text if reply else "") or ""
    assert "I couldn't read that: line 2: write it like “run 1 walk 2 x 6”" in text
    assert (await profile_of(harness, user_id)).run_plan is None
    reply = await user.say("run 1 walk 2 x 6\n" * 21)
    assert "a plan needs 1 to 20 stages, got 21" in ((reply.text if reply else "") or "")


async def test_once_cleared_the_return_to_running_nudges_go_out_but_not_during_a_hold(
    harness: BotHarness,
) -> None:
    user_id, _ = await cleared_runner(harness)
    await start_nudges(harness, user_id)

    async def days(n: int) -> None:
        for _ in range(n):
            async with harness.services.sessions() as session:
                me = await session.get(User, user_id)
                assert me is not None
                day = today_of(me, harness.clock.now())
                if (
                    await session.scalar(select(CheckIn.id).where(CheckIn.local_date == day))
                    is None
                ):
                    now = harness.clock.now()
                    session.add(
                        CheckIn(
                            user_id=user_id,
                            local_date=day,
                            status="done",
                            exercises_done=[],
                            created_at=now,
                            updated_at=now,
                        )
                    )
                await session.commit()
            await next_day(harness)

    async def sent() -> list[str]:
        async with harness.services.sessions() as session:
            return list((await session.execute(select(NudgeLog.nudge_id))).scalars())

    await days(10)
    phase_of = {n.id: n.phases for n in load_nudges()}
    ids = await sent()
    assert ids and all("return_to_running" in phase_of.get(i, ()) for i in ids), ids
    assert any(phase_of[i] == ("return_to_running",) for i in ids)

    async with harness.services.sessions() as session:
        await session.execute(update(User).values(safety_level="watch"))
        await session.commit()
    await days(10)
    assert await sent() == ids  # the safety gate still silences them


async def test_the_after_pt_prompt_offers_clearance_only_in_rehab(harness: BotHarness) -> None:
    user_id = await make_user(harness, at=time(9, 0))
    await give_pt_session_today(harness, user_id)  # Fridays at 16:00, today
    user = harness.user(1001)
    prompt = await advance_to_after_pt_prompt(harness, user)
    assert any(d.startswith("pt:") for _, d in prompt.buttons)
    asked = await user.press("cleared me", prompt)
    assert asked is not None and "physical therapist or doctor" in (asked.text or "")
    await user.press("Yes, my clinician cleared me", asked)
    assert (await profile_of(harness, user_id)).returning_to_run

    await harness.advance(timedelta(days=7), step=timedelta(hours=1))
    prompts = [m for m in user.tg.messages(1001) if any(d.startswith("pt:") for _, d in m.buttons)]
    assert len(prompts) == 2
    assert not any(d.startswith("rr:") for _, d in prompts[-1].buttons)


async def test_very_high_pain_on_a_run_raises_the_pain_escalation_and_holds_progress(
    harness: BotHarness,
) -> None:
    user_id, user = await cleared_runner(harness)
    await log_run(user, 7, 7)
    decision, escalation = user.texts[-2:]
    assert "first stage" in decision and "tell your physical therapist" in decision
    assert "Pain above 6" in escalation
    async with harness.services.sessions() as session:
        me = await session.get(User, user_id)
        assert me is not None and me.safety_level == "watch"
    # While the concern is open, good runs do not move the user on.
    async with harness.services.sessions() as session:
        await session.execute(update(RehabProfile).values(run_good_sessions=1))
        await session.commit()
    await next_day(harness)
    await next_day(harness)
    await log_run(user, 1, 1)
    await next_day(harness)
    held = await answer_run_morning(user, "Better")
    assert "don't move you on" in held
    assert (await profile_of(harness, user_id)).run_stage == 0
