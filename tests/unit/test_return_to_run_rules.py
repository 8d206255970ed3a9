"""The walk-run ladder and its progression rule, from the one pain model."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import pain
from bot.domain.enums import MorningResponse as Morning
from bot.domain.enums import RunStatus
from bot.domain.return_to_run import (
    LadderError,
    Move,
    Position,
    RunReport,
    Stage,
    Verdict,
    decide,
    load_ladder,
    next_run_day,
    parse_custom_stages,
    verdict,
)

LADDER = load_ladder()
DONE = RunStatus.DONE


def run(during: int, after: int, morning: Morning | None = Morning.SAME, status: RunStatus = DONE):
    return RunReport(status, during, after, morning)


def test_the_template_goes_from_short_intervals_to_30_minutes_continuous() -> None:
    first, last = LADDER.stages[0], LADDER.stages[-1]
    assert not first.continuous and first.run_minutes < first.walk_minutes
    assert last.continuous and last.run_minutes == 30
    assert LADDER.rest_days_between == 1  # every other day
    assert all(s.sessions >= 2 for s in LADDER.stages)
    assert LADDER.sources


def test_every_text_renders_with_the_pain_models_numbers() -> None:
    values = {
        **{k: "x" for k in ("plan", "why", "whose", "day", "status", "morning", "decision")},
        **{k: 2 for k in ("peak", "good", "needed", "stage", "stages", "during", "after")},
        "runs": 2,
    }
    for key in LADDER.texts:
        LADDER.text(key, **values)
    assert f"{pain.RUN_MAX}/10" in LADDER.text("rules")
    assert f"{pain.ACCEPTABLE_MAX}/10" in LADDER.text("rules")


def test_readiness_is_labelled_as_a_check_with_the_pt() -> None:
    text = LADDER.readiness_text()
    assert "physical therapist" in text and "can't test" in text
    assert "hop" in text and "single-leg" in text
    assert f"{pain.RUN_MAX}/10" in text


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (run(pain.RUN_MAX, 1), Verdict.GOOD),
        (run(0, 0, Morning.BETTER), Verdict.GOOD),
        (run(pain.RUN_MAX + 1, 2), Verdict.REPEAT),
        (run(2, pain.ACCEPTABLE_MAX), Verdict.REPEAT),
        (run(1, 1, status=RunStatus.CUT_SHORT), Verdict.REPEAT),
        (run(pain.ACCEPTABLE_MAX + 1, 2, None), Verdict.STEP_BACK),
        (run(1, 1, Morning.WORSE), Verdict.STEP_BACK),
        (run(2, 2, None), Verdict.PENDING),
        (RunReport(RunStatus.SKIPPED), Verdict.SKIPPED),
    ],
)
def test_verdict_follows_the_pain_model(report: RunReport, expected: Verdict) -> None:
    assert verdict(report) is expected


def test_progress_only_after_the_stages_number_of_good_sessions() -> None:
    first = decide(LADDER, Position(0, 0), run(2, 1))
    assert first.move is Move.STAY and first.position == Position(0, 1)
    assert "1 of 2" in first.explanation and "2/10" in first.explanation
    second = decide(LADDER, first.position, run(1, 1))
    assert second.move is Move.PROGRESS and second.position == Position(1, 0)
    assert LADDER.stages[1].describe() in second.explanation
    assert not second.tell_pt


def test_acceptable_but_not_comfortable_repeats_without_counting() -> None:
    d = decide(LADDER, Position(2, 1), run(4, 3))
    assert d.move is Move.REPEAT and d.position == Position(2, 1)
    assert "4/10" in d.explanation and not d.tell_pt


def test_cut_short_repeats() -> None:
    d = decide(LADDER, Position(1, 0), run(1, 1, status=RunStatus.CUT_SHORT))
    assert d.move is Move.REPEAT and "repeat" in d.explanation


def test_above_the_ceiling_steps_back_at_once_and_says_tell_the_pt() -> None:
    d = decide(LADDER, Position(3, 1), run(6, 4, None))
    assert d.move is Move.STEP_BACK and d.position == Position(2, 0) and d.tell_pt
    assert "6/10" in d.explanation and "physical therapist" in d.explanation


def test_a_worse_morning_steps_back() -> None:
    d = decide(LADDER, Position(2, 1), run(2, 2, Morning.WORSE))
    assert d.move is Move.STEP_BACK and d.position == Position(1, 0) and d.tell_pt
    assert "worse this morning" in d.explanation


def test_step_back_on_the_first_stage_stays_there_and_tells_the_pt() -> None:
    d = decide(LADDER, Position(0, 1), run(1, 1, Morning.WORSE))
    assert d.position == Position(0, 0) and d.tell_pt


def test_waits_for_the_morning_and_skipped_changes_nothing() -> None:
    assert decide(LADDER, Position(1, 1), run(2, 2, None)).move is Move.WAIT
    skipped = decide(LADDER, Position(1, 1), RunReport(RunStatus.SKIPPED))
    assert skipped.move is Move.NONE and skipped.position == Position(1, 1)


def test_no_progress_while_a_safety_concern_is_open() -> None:
    d = decide(LADDER, Position(0, 1), run(1, 1), may_progress=False)
    assert d.move is Move.HELD and d.position == Position(0, 2)


def test_the_last_stage_finishes_the_ladder() -> None:
    last = len(LADDER.stages) - 1
    d = decide(LADDER, Position(last, 1), run(0, 0))
    assert d.move is Move.FINISHED and d.position.stage == last


def test_runs_are_every_other_day() -> None:
    today = date(2027, 1, 10)
    assert next_run_day(None, today, 1) == today
    assert next_run_day(date(2027, 1, 9), today, 1) == date(2027, 1, 11)
    assert next_run_day(date(2027, 1, 8), today, 1) == today


def test_a_pts_own_stages() -> None:
    stages = parse_custom_stages("run 1 walk 2 x 6\nRun 2 min, walk 1 min x5\n\nrun 20")
    assert stages == (Stage(1, 2, 6), Stage(2, 1, 5), Stage(20))
    custom = LADDER.with_stages(stages)
    assert custom.stages[-1].continuous
    with pytest.raises(LadderError):
        parse_custom_stages("jog a bit")
    with pytest.raises(LadderError):
        parse_custom_stages("run 100 walk 50 x 3")


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("My physio cleared me to start running again!", True),
        ("PT said I can start running next week", True),
        ("Doctor gave me the green light to jog", True),
        ("my PT hasn't cleared me to run yet", False),
        ("PT says no running yet", False),
        ("did my exercises, knee felt fine", False),
        ("I want to run so badly", False),
    ],
)
def test_a_typed_clearance_is_recognised_and_a_not_yet_is_not(text: str, offered: bool) -> None:
    assert LADDER.mentions_clearance(text) is offered


def test_the_ladder_numbers_agree_with_the_pain_model_everywhere() -> None:
    """The ladder's texts and the return FAQ use the pain model's numbers, no others."""
    weekly = LADDER.text("weekly_runs", runs=2, stage=1, stages=8, peak="3/10")
    assert f"{pain.RUN_MAX}/10" in weekly
    why = LADDER.text("why_pain", peak=6)
    assert f"{pain.ACCEPTABLE_MAX}/10" in why and "6/10" in why


def test_faq_and_nudges_give_runners_the_ladders_numbers() -> None:
    """No "stop and walk above 5" in one place and "walk above 3" in another: every text
    that tells a runner when to walk says the pain model's run limit, and none says to keep
    running up to the ceiling."""
    import re

    from bot.domain.content import load_nudges
    from bot.domain.faq import load_entries

    texts = [e.answer for e in load_entries()] + [n.text for n in load_nudges()]
    for text in texts:
        for number in re.findall(r"walk[^.]*?past (?:about )?(\d+)", text):
            assert int(number) == pain.RUN_MAX, text
    run_texts = [t for t in texts if "run" in t and "out of 10" in t]
    assert any(f"past {pain.RUN_MAX}" in t for t in run_texts)
    assert any(f"above {pain.ACCEPTABLE_MAX}" in t for t in run_texts)
