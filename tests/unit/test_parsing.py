"""What users type must either work or get a message that tells them how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.parsing import (
    InputError,
    ParsedExercise,
    parse_duration,
    parse_exercise,
    parse_int_in_range,
    parse_pause,
    parse_stop_date,
    parse_time_of_day,
    parse_times_a_week,
    parse_weekdays,
    read_typed_checkin,
    read_typed_morning,
)

TODAY = date(2026, 11, 25)  # a Wednesday
HOSTILE_INPUTS = [None, "", "   ", "🙂", "🏃‍♀️🦵", "x" * 5000, "\n\t", "🦵" * 3000]


# --- time of day ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("19:00", time(19, 0)),
        ("7pm", time(19, 0)),
        ("7 pm", time(19, 0)),
        ("7 PM", time(19, 0)),
        ("7.30pm", time(19, 30)),
        ("7:30 a.m.", time(7, 30)),
        ("7:30 p.m.", time(19, 30)),
        ("noon", time(12, 0)),
        ("midnight", time(0, 0)),
        ("1930", time(19, 30)),
        ("730", time(7, 30)),
        ("19h", time(19, 0)),
        ("19h30", time(19, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("  8:05  ", time(8, 5)),
        ("at 6am", time(6, 0)),
        ("7 o'clock", time(7, 0)),
    ],
)
def test_time_of_day_accepts_common_spellings(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["25:99", "abc", "7:75", "99", "7:3", "13pm", "0am", "2500"])
def test_time_of_day_rejects_with_example(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_time_of_day(text)
    assert "7pm" in caught.value.message


def test_bad_time_message_quotes_the_input() -> None:
    with pytest.raises(InputError, match=r'"25:99" as a time'):
        parse_time_of_day("25:99")


def test_24_00_is_refused_with_a_pointer_to_midnight() -> None:
    with pytest.raises(InputError, match="00:00"):
        parse_time_of_day("24:00")


# --- stop date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("Yesterday", date(2026, 11, 24)),
        ("3 days ago", date(2026, 11, 22)),
        ("a week ago", date(2026, 11, 18)),
        ("2 weeks ago", date(2026, 11, 11)),
        ("three weeks ago", date(2026, 11, 4)),
        ("a month ago", date(2026, 10, 25)),
        ("last monday", date(2026, 11, 23)),
        ("last wednesday", date(2026, 11, 18)),  # said on a Wednesday: a week ago
        ("2026-11-20", date(2026, 11, 20)),
        ("20/11/2026", date(2026, 11, 20)),
        ("20.11.2026", date(2026, 11, 20)),
        ("20 Nov", date(2026, 11, 20)),
        ("Nov 20", date(2026, 11, 20)),
        ("20 november 2026", date(2026, 11, 20)),
        ("November 20, 2026", date(2026, 11, 20)),
        ("11/20/2026", date(2026, 11, 20)),
        ("the 3rd of March", date(2026, 3, 3)),
        ("25 Dec", date(2025, 12, 25)),  # no year and in the future: last year's
    ],
)
def test_stop_date_accepts(text: str, expected: date) -> None:
    assert parse_stop_date(text, TODAY) == expected


def test_stop_date_ambiguous_numeric_date_asks_for_month_name() -> None:
    with pytest.raises(InputError) as caught:
        parse_stop_date("05/06/2026", TODAY)
    assert "5 June" in caught.value.message and "6 May" in caught.value.message


def test_stop_date_in_future_is_refused() -> None:
    with pytest.raises(InputError, match="future"):
        parse_stop_date("2026-12-01", TODAY)


def test_stop_date_more_than_two_years_back_is_refused() -> None:
    with pytest.raises(InputError, match="two years"):
        parse_stop_date("2024-11-24", TODAY)
    assert parse_stop_date("2024-11-25", TODAY) == date(2024, 11, 25)


@pytest.mark.parametrize("text", ["31/02/2026", "soon", "the other day", "13/13/2026"])
def test_stop_date_nonsense_is_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_stop_date(text, TODAY)


# --- exercises -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Monster walks 3x10", ParsedExercise("Monster walks", 3, 10, None, False)),
        ("clamshells 3 x 15", ParsedExercise("Clamshells", 3, 15, None, False)),
        ("Wall sit 3x30s", ParsedExercise("Wall sit", 3, None, 30, False)),
        ("plank 3 x 45 sec", ParsedExercise("Plank", 3, None, 45, False)),
        ("calf raises 3x15 each side", ParsedExercise("Calf raises", 3, 15, None, True)),
        ("Foam rolling quads", ParsedExercise("Foam rolling quads", None, None, None, False)),
        ("3x10 clamshells", ParsedExercise("Clamshells", 3, 10, None, False)),
        ("Bridges 3 sets of 12", ParsedExercise("Bridges", 3, 12, None, False)),
        ("Foam rolling 2 min", ParsedExercise("Foam rolling", None, None, 120, False)),
        ("Glute bridge 10 reps", ParsedExercise("Glute bridge", None, 10, None, False)),
        ("Step downs 3X12 per leg", ParsedExercise("Step downs", 3, 12, None, True)),
        ("90/90 hip switch 3x8", ParsedExercise("90/90 hip switch", 3, 8, None, False)),
    ],
)
def test_exercise_lines(text: str, expected: ParsedExercise) -> None:
    assert parse_exercise(text) == expected


def test_exercise_name_longer_than_40_says_the_limit() -> None:
    with pytest.raises(InputError, match="40 characters"):
        parse_exercise("Single leg Romanian deadlift with a kettlebell slowly 3x8")
    assert parse_exercise("A" * 40 + " 3x10").name == "A" * 40


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("3x10", "name"),
        ("123 456", "name"),
        ("Squats 11x10", "sets"),
        ("Squats 3x200", "reps"),
        ("Hold 3x20min", "10 minutes"),
        ("Squats 0x10", "sets"),
    ],
)
def test_exercise_out_of_range_or_nameless(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_exercise(text)


# --- plain integers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), ("7/10", 7), (" 3 ", 3), ("0", 0), ("10", 10), ("7 out of 10", 7)],
)
def test_pain_score_accepted(text: str, expected: int) -> None:
    assert parse_int_in_range(text, 0, 10, "your pain score") == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("🙂", "digits"),
        ("ten", "digits"),
        ("11", "above"),
        ("-1", "below"),
        ("7.5", "whole number"),
        ("7/5", "scale"),
    ],
)
def test_pain_score_refused_with_reason(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        parse_int_in_range(text, 0, 10, "your pain score")
    assert "0" in caught.value.message and "10" in caught.value.message


# --- durations and pauses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("3 h", timedelta(hours=3)),
        ("1d", timedelta(days=1)),
        ("2 days", timedelta(days=2)),
        ("90 min", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("1 h 30 min", timedelta(minutes=90)),
        ("a week", timedelta(days=7)),
        ("7d", timedelta(days=7)),
    ],
)
def test_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("7", "unit"), ("abc", "30m"), ("0m", "more than zero"), ("400 days", "year")],
)
def test_duration_refused(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("   ", None),
        ("7", date(2026, 12, 2)),
        ("7 days", date(2026, 12, 2)),
        ("7d", date(2026, 12, 2)),
        ("2 weeks", date(2026, 12, 9)),
        ("for 2 weeks", date(2026, 12, 9)),
        ("until 2026-12-24", date(2026, 12, 24)),
        ("until 24 Dec", date(2026, 12, 24)),
        ("until friday", date(2026, 11, 27)),
        ("until wednesday", date(2026, 12, 2)),  # said on a Wednesday: next week's
        ("until tomorrow", date(2026, 11, 26)),
        ("until 5 Jan", date(2027, 1, 5)),  # no year: the next one
    ],
)
def test_pause_returns_resume_date(text: str, expected: date | None) -> None:
    assert parse_pause(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0", "future"),
        ("until 2026-11-01", "future"),
        ("12h", "whole days"),
        ("500", "more than a year"),
        ("3000000", "more than a year"),  # found by hypothesis: once overflowed the date
        ("366 days", "more than a year"),
        ("until whenever", "until friday"),
    ],
)
def test_pause_refused(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_pause(text, TODAY)


# --- weekdays ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon wed fri", {0, 2, 4}),
        ("Tue, Thu", {1, 3}),
        ("monday and thursday", {0, 3}),
        ("Saturdays & Sundays", {5, 6}),
        ("weekdays", {0, 1, 2, 3, 4}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("fri to mon", {4, 5, 6, 0}),
        ("every day", set(range(7))),
    ],
)
def test_weekdays(text: str, expected: set[int]) -> None:
    assert parse_weekdays(text) == frozenset(expected)


def test_weekdays_names_the_unknown_word() -> None:
    with pytest.raises(InputError, match='"funday"'):
        parse_weekdays("mon funday")


# --- robustness ----------------------------------------------------------------------------------

PARSERS: list[Callable[[object], object]] = [
    parse_time_of_day,
    lambda t: parse_stop_date(t, TODAY),
    parse_exercise,
    lambda t: parse_int_in_range(t, 0, 10, "your pain score"),
    parse_duration,
    parse_weekdays,
]


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("text", HOSTILE_INPUTS, ids=lambda t: repr(t)[:12])
def test_hostile_input_gives_input_error_only(
    parser: Callable[[object], object], text: object
) -> None:
    with pytest.raises(InputError) as caught:
        parser(text)
    message = caught.value.message
    assert message and len(message) < 300


def test_pause_with_sticker_is_indefinite_not_a_crash() -> None:
    assert parse_pause(None, TODAY) is None
    with pytest.raises(InputError):
        parse_pause("🙂", TODAY)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_value_or_input_error(text: str) -> None:
    for parser in [*PARSERS, lambda t: parse_pause(t, TODAY)]:
        try:
            parser(text)
        except InputError as error:
            assert error.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        ("two", 2),
        ("Twice a week", 2),
        ("3 times a week", 3),
        ("2x", 2),
        ("once a week", 1),
        ("none", 0),
        ("usually 4 per week", 4),
    ],
)
def test_times_a_week_reads_words_and_phrases(text: str, expected: int) -> None:
    assert parse_times_a_week(text, 7, "the number of sessions a week") == expected


@pytest.mark.parametrize("text", ["8", "eight", "tuesday and friday", "a"])
def test_times_a_week_refuses_what_is_not_a_count_up_to_the_limit(text: str) -> None:
    with pytest.raises(InputError):
        parse_times_a_week(text, 7, "the number of sessions a week")


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("Did them all", "done"),
        ("yep did them all!", "done"),
        ("done", "done"),
        ("yes", "done"),
        ("did some", "some"),
        ("I did some of them", "some"),
        ("not today", "no"),
        ("nope", "no"),
        ("didnt manage", "no"),
        ("ask me later", "later"),
        ("my knee hurts", None),
        ("did them all but it hurt a lot and I'm worried", None),
        ("not today, too busy at work", "no"),
        ("did some of them, only the heel drops", "some"),
        ("nope - too tired", "no"),
        ("Not today because of work", "no"),
        ("no, I did them all", None),
        ("my knee hurts, not today", None),
        ("how many should I do?", None),
        ("I only did the wall sits", "some"),
        ("just did the heel drops today", "some"),
        ("I only did it", None),
        ("I did my exercises", "done"),
        ("did all my home exercises today", "done"),
        ("I did the wall sits", None),
    ],
)
def test_a_typed_check_in_answer_reads_as_its_button(text: str, action: str | None) -> None:
    assert read_typed_checkin(text) == action


@pytest.mark.parametrize(
    ("text", "answer"),
    [("Better!", "better"), ("about the same", "same"), ("a bit worse tbh", "worse"),
     ("not worse", None), ("worse when I climb stairs", None)],
)
def test_a_typed_morning_answer_reads_as_its_button(text: str, answer: str | None) -> None:
    assert read_typed_morning(text) == answer
