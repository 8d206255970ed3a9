"""The one safety gate and the one pain model, as pure rules."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain import pain
from bot.domain.kinds import MessageKind
from bot.domain.safety import (
    FOLLOWUP_MAX,
    HOLD_TRIAGE_LEVELS,
    SafetyLevel,
    SafetyState,
    hold_days,
    level_for_triage,
)

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
PUSHING = {
    MessageKind.CHECKIN,
    MessageKind.FOLLOWUP,
    MessageKind.SNOOZE,
    MessageKind.MORNING,
    MessageKind.NUDGE,
    MessageKind.WEEKLY,
    MessageKind.PT_AFTER,
}


def test_without_a_concern_everything_goes_out_except_the_safety_followup() -> None:
    state = SafetyState()
    assert all(state.allows_kind(k) for k in MessageKind if k is not MessageKind.SAFETY_FOLLOWUP)
    assert not state.allows_kind(MessageKind.SAFETY_FOLLOWUP)
    assert state.allows_cheering


@pytest.mark.parametrize("level", [SafetyLevel.URGENT, SafetyLevel.EMERGENCY])
def test_on_hold_nothing_that_pushes_goes_out(level: SafetyLevel) -> None:
    state = SafetyState().raised_to(level, NOW)
    assert state.on_hold and not state.allows_cheering
    assert not any(state.allows_kind(k) for k in PUSHING)
    assert state.allows_kind(MessageKind.SAFETY_FOLLOWUP)


def test_an_urgent_hold_lets_the_neutral_pt_reminder_through_an_emergency_hold_does_not() -> None:
    urgent = SafetyState().raised_to(SafetyLevel.URGENT, NOW)
    assert urgent.allows_kind(MessageKind.PT_REMINDER)  # the way to a clinician stays open
    emergency = urgent.raised_to(SafetyLevel.EMERGENCY, NOW)
    allowed = {k for k in MessageKind if emergency.allows_kind(k)}
    assert allowed == {MessageKind.SAFETY_FOLLOWUP}


def test_watch_keeps_the_record_going_but_stops_nudges_and_praise() -> None:
    state = SafetyState().raised_to(SafetyLevel.WATCH, NOW)
    assert state.allows_kind(MessageKind.CHECKIN) and state.allows_kind(MessageKind.MORNING)
    assert not state.allows_kind(MessageKind.NUDGE)
    assert not state.allows_cheering and not state.on_hold


def test_a_level_only_rises_and_keeps_its_start() -> None:
    urgent = SafetyState().raised_to(SafetyLevel.URGENT, NOW)
    later = NOW + timedelta(hours=5)
    assert urgent.raised_to(SafetyLevel.WATCH, later) == urgent
    emergency = urgent.raised_to(SafetyLevel.EMERGENCY, later)
    assert emergency.level is SafetyLevel.EMERGENCY and emergency.since == NOW
    resolved = emergency.resolved(later)
    assert resolved.level is SafetyLevel.NONE and resolved.resolved_at == later


def test_followups_come_after_a_day_then_every_two_days_a_few_times_only() -> None:
    state = SafetyState().raised_to(SafetyLevel.URGENT, NOW)
    dues = []
    while (due := state.next_followup_due()) is not None:
        dues.append(due)
        state = SafetyState(state.level, state.since, None, state.followups_sent + 1)
    assert dues[0] == NOW + timedelta(days=1)
    assert [b - a for a, b in itertools.pairwise(dues)] == [timedelta(days=2)] * (FOLLOWUP_MAX - 1)
    assert SafetyState().raised_to(SafetyLevel.WATCH, NOW).next_followup_due() is None


def test_triage_levels_map_onto_safety_levels() -> None:
    assert level_for_triage("contact") is SafetyLevel.WATCH
    assert level_for_triage("urgent") is SafetyLevel.URGENT
    assert level_for_triage("emergency") is SafetyLevel.EMERGENCY
    assert level_for_triage(None) is SafetyLevel.NONE


def test_pain_bands_follow_the_pain_monitoring_model() -> None:
    assert [pain.band(p) for p in range(11)] == ["low"] * 4 + ["moderate"] * 2 + ["high"] * 5
    assert not pain.above_ceiling(5) and pain.above_ceiling(6)
    assert not pain.needs_professional(6) and pain.needs_professional(7)
    assert not pain.ask_next_morning(3) and pain.ask_next_morning(4)
    with pytest.raises(ValueError):
        pain.band(11)


def test_pain_escalates_on_very_high_two_ceilings_two_worse_mornings_or_a_rising_run() -> None:
    day = pain.PainDay
    assert pain.escalation([day(2), day(7)]) is pain.EscalationReason.VERY_HIGH
    assert pain.escalation([day(6), day(6)]) is pain.EscalationReason.CEILING_TWICE
    assert pain.escalation([day(6), day(3), day(6)]) is None
    assert (
        pain.escalation([day(3, "worse"), day(3, "worse")]) is pain.EscalationReason.WORSE_MORNINGS
    )
    assert pain.escalation([day(2), day(3), day(4)]) is pain.EscalationReason.RISING
    assert pain.escalation([day(1), day(2), day(3)]) is None  # still in the safe band
    assert pain.escalation([day(4), day(5), day(3)]) is None
    assert pain.escalation([]) is None


# --- which days a hold covers (bot.domain.safety.hold_days) ------------------------------------

BERLIN = "Europe/Berlin"
CHECKIN_AT = time(19, 0)  # 18:00 UTC in winter


def _held(raised: datetime, released: datetime | None) -> set[date]:
    return hold_days([(raised, released)], BERLIN, CHECKIN_AT, date(2026, 11, 1), date(2026, 12, 6))


def test_only_urgent_and_emergency_flags_make_a_hold() -> None:
    assert sorted(HOLD_TRIAGE_LEVELS) == ["emergency", "urgent"]  # a "contact" watch: no hold


def test_the_flag_day_and_every_day_to_a_release_after_check_in_time_are_held() -> None:
    raised = datetime(2026, 11, 29, 21, tzinfo=UTC)  # Sun 22:00 Berlin, after the check-in
    released = datetime(2026, 12, 2, 19, tzinfo=UTC)  # Wed 20:00: that day's check-in was held
    assert _held(raised, released) == {date(2026, 11, d) for d in (29, 30)} | {
        date(2026, 12, 1),
        date(2026, 12, 2),
    }


def test_a_release_before_the_check_in_leaves_that_day_an_ordinary_day() -> None:
    raised = datetime(2026, 11, 29, 9, tzinfo=UTC)
    released = datetime(2026, 12, 2, 9, tzinfo=UTC)  # Wed 10:00: Wednesday's check-in went out
    assert max(_held(raised, released)) == date(2026, 12, 1)
    same_morning = datetime(2026, 11, 29, 10, tzinfo=UTC)
    assert _held(raised, same_morning) == set()


def test_an_open_hold_runs_to_the_end_of_the_window() -> None:
    held = _held(datetime(2026, 12, 4, 9, tzinfo=UTC), None)
    assert held == {date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)}
