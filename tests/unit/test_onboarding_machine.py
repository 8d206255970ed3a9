"""The onboarding state machine (bot.domain.onboarding): the order of the steps, what each
answer means, and the stored answers surviving a round trip through the dialogs table."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain import onboarding as m
from bot.domain.onboarding import Answers, Step
from bot.domain.parsing import InputError

TODAY = date(2026, 11, 27)


def test_without_pt_sessions_the_pt_day_and_time_questions_are_skipped() -> None:
    t = m.apply(Answers(area="knee"), Step.PT_COUNT, m.PtCountChosen(0), TODAY)
    assert t.step is Step.EXERCISES
    with_pt = m.apply(Answers(area="knee"), Step.PT_COUNT, m.PtCountChosen(2), TODAY)
    assert with_pt.step is Step.PT_DAYS
    no_days = m.apply(with_pt.answers, Step.PT_DAYS, m.PtDaysChosen(None, skip=True), TODAY)
    assert no_days.step is Step.EXERCISES and no_days.answers.pt_time is None


def test_the_steps_come_in_order_to_the_summary() -> None:
    answers, step = Answers(), Step.AREA
    for answer in (
        m.AreaChosen("knee"),
        m.StopChosen(date(2026, 11, 20), relative=False),
        m.PtCountChosen(1),
        m.PtDaysChosen((1,)),
        m.PtTimeChosen(time(17, 30)),
        m.ExercisesConfirmed(),
        m.CheckinTimeChosen(time(19)),
        m.ZoneChosen("Europe/Berlin", TODAY),
    ):
        moved = m.apply(answers, step, answer, TODAY)
        answers, step = moved.answers, moved.step
    assert step is Step.SUMMARY
    assert answers.pt_days == (1,) and answers.timezone == "Europe/Berlin"


def test_a_change_from_the_summary_returns_to_it_unless_a_follow_up_is_needed() -> None:
    done = Answers(area="knee", pt_count=0, stop=TODAY)
    review = m.apply(done, Step.SUMMARY, m.ChangeRequested(Step.CHECKIN_TIME), TODAY)
    assert review.step is Step.CHECKIN_TIME and review.answers.review
    back = m.apply(review.answers, review.step, m.CheckinTimeChosen(time(8)), TODAY)
    assert back.step is Step.SUMMARY and not back.answers.review
    # A new area needs its exercises chosen again, and forgets the old picks.
    area = m.apply(
        Answers(area="knee", picks=(0, 1), review=True), Step.AREA, m.AreaChosen("hip"), TODAY
    )
    assert area.step is Step.EXERCISES and area.answers.picks == ()


def test_a_relative_stop_date_is_re_anchored_to_the_users_own_today() -> None:
    stop = m.stop_from_button("3", TODAY)
    assert stop is not None
    before_zone = m.apply(Answers(), Step.STOP, stop, TODAY).answers
    assert before_zone.stop_ago == 3
    later = m.apply(
        before_zone, Step.TIMEZONE, m.ZoneChosen("Pacific/Kiritimati", date(2026, 11, 28)), TODAY
    )
    assert later.answers.stop == date(2026, 11, 25)
    # A calendar date does not move.
    fixed = m.read_stop("10 November", TODAY)
    assert not fixed.relative


def test_typed_answers_are_validated_with_a_correction_for_the_user() -> None:
    with pytest.raises(InputError):
        m.read_other_area("")
    with pytest.raises(InputError):
        m.read_other_area("x" * (m.MAX_OTHER_AREA + 1))
    assert m.read_other_area("  left   ankle ").other == "left ankle"
    with pytest.raises(InputError):
        m.read_pt_count("🙂")
    with pytest.raises(InputError):
        m.read_time("25:99")
    assert m.read_time("7:30 pm") == time(19, 30)


def test_tampered_buttons_are_refused() -> None:
    assert m.area_from_button("elbow-of-doom") is None
    assert m.stop_from_button("99", TODAY) is None
    assert m.pt_count_from_button("9") is None
    assert m.pt_days_from_button("7") is None
    assert m.time_from_data("2599") is None
    assert m.change_from_button("nope") is None
    assert m.exercise_from_button(["t", "999"], Answers(area="knee")) is None


def test_a_full_plan_takes_no_more_templates() -> None:
    own = tuple(m.ExerciseDraft(f"own {i}") for i in range(m.MAX_EXERCISES))
    with pytest.raises(m.PlanFull):
        m.exercise_from_button(["t", "0"], Answers(area="knee", own=own))
    with pytest.raises(InputError):
        m.read_own_exercise("Monster walks 3x10", Answers(area="knee", own=own))


def test_pt_day_buttons_toggle() -> None:
    a = Answers(pt_count=2)
    a = m.apply(a, Step.PT_DAYS, m.PtDayToggled(3), TODAY).answers
    a = m.apply(a, Step.PT_DAYS, m.PtDayToggled(1), TODAY).answers
    a = m.apply(a, Step.PT_DAYS, m.PtDayToggled(3), TODAY).answers
    assert a.pt_days == (1,)


def test_answers_survive_the_dialogs_table() -> None:
    answers = Answers(
        area="other",
        other="left ankle",
        stop=date(2026, 11, 20),
        stop_ago=7,
        pt_count=2,
        pt_days=(1, 3),
        pt_time=time(17, 30),
        picks=(0, 2),
        own=(m.ExerciseDraft("Monster walks", 3, 10),),
        checkin_time=time(19),
        timezone="Europe/Berlin",
        candidates=("Europe/Paris",),
        review=True,
        area_changed=True,
    )
    assert Answers.from_data(answers.to_data()) == answers
    assert Answers.from_data({}) == Answers()
    # The keys conversations already in progress were stored with.
    assert Answers.from_data({"ptn": 1, "ptd": [2], "ptt": "08:00", "ct": "19:00"}) == Answers(
        pt_count=1, pt_days=(2,), pt_time=time(8), checkin_time=time(19)
    )
