"""A pain score typed instead of tapped is read by the one pain model's parser."""

from __future__ import annotations

import pytest

from bot.domain.pain import parse_typed_pain


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("6", 6),
        ("0", 0),
        ("10", 10),
        ("6/10", 6),
        ("8 out of 10", 8),
        ("pain 5/10", 5),
        ("Pain: 3", 3),
        ("about a 7", 7),
        ("7 and it woke me at night again", 7),
        ("4, bit sore", 4),
        ("six", 6),
        ("Six.", 6),
        ("no pain", 0),
        ("No pain at all today", 0),
    ],
)
def test_typed_scores_are_read(text: str, score: int) -> None:
    assert parse_typed_pain(text) == score


@pytest.mark.parametrize(
    "text",
    [
        "11",
        "-1",
        "100",
        "3.5",
        "7am",
        "5k run today",
        "my knee hurts",
        "one of my exercises hurt",
        "",
    ],
)
def test_out_of_range_and_other_text_is_not_a_score(text: str) -> None:
    assert parse_typed_pain(text) is None
