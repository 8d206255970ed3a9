"""The daily budget rule and the quiet-hours move for reminders: pure, in their one home."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.domain import pain as pain_model
from bot.domain.dispatch_policy import over_budget, proactive_rank
from bot.domain.kinds import MessageKind
from bot.domain.timing import last_before_quiet_hours


def test_what_the_budget_counts_and_in_which_order() -> None:
    # The check-in, what answers it and every safety message are never held back.
    for kind in (
        MessageKind.CHECKIN,
        MessageKind.FOLLOWUP,
        MessageKind.SNOOZE,
        MessageKind.MORNING,
        MessageKind.SAFETY_FOLLOWUP,
    ):
        assert proactive_rank(kind) is None
    order = [
        proactive_rank(MessageKind.PT_REMINDER),
        proactive_rank(MessageKind.NUDGE, "pain_flare"),
        proactive_rank(MessageKind.PT_AFTER),
        proactive_rank(MessageKind.WEEKLY),
        proactive_rank(MessageKind.NUDGE, "missed_days"),
        proactive_rank(MessageKind.NUDGE, "plateau"),
        proactive_rank(MessageKind.NUDGE, "milestone"),
        proactive_rank(MessageKind.NUDGE, "scheduled"),
    ]
    assert order == sorted(order, reverse=True)  # type: ignore[type-var]
    assert len(set(order)) == len(order)


@pytest.mark.parametrize(
    ("earlier", "outranking", "budget", "held"),
    [(0, 0, 2, False), (1, 0, 2, False), (2, 0, 2, True), (1, 1, 2, True), (0, 2, 2, True),
     (0, 0, 0, True)],
)  # fmt: skip
def test_over_budget(earlier: int, outranking: int, budget: int, held: bool) -> None:
    assert over_budget(earlier, outranking, budget) is held


BERLIN = "Europe/Berlin"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ("2026-11-29T05:00+01:00", "2026-11-28T20:45+01:00"),  # early morning: the evening before
        ("2026-11-28T22:30+01:00", "2026-11-28T20:45+01:00"),  # late evening: just before 21:00
        ("2026-11-28T14:00+01:00", "2026-11-28T14:00+01:00"),  # allowed: unchanged
        ("2027-03-28T06:00+02:00", "2027-03-27T20:45+01:00"),  # across the spring-forward night
    ],
)
def test_a_reminder_in_quiet_hours_moves_before_them(wanted: str, expected: str) -> None:
    moved = last_before_quiet_hours(_at(wanted), BERLIN, time(21, 0), time(8, 0))
    assert moved == _at(expected)


def test_quiet_hours_not_wrapping_midnight() -> None:
    moved = last_before_quiet_hours(_at("2026-11-28T03:00+01:00"), BERLIN, time(1, 0), time(6, 0))
    assert moved == _at("2026-11-28T00:45+01:00")


@pytest.mark.parametrize(("score", "asked"), [(None, False), (0, False), (3, False), (4, True)])
def test_the_morning_question_matters_only_above_the_comfortable_band(
    score: int | None, asked: bool
) -> None:
    assert pain_model.ask_next_morning(score) is asked
