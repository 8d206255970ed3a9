"""Behaviour of the progress figures, the chart PNG and the one-page PT report.

Days are seeded from compact code strings (one letter per day, the last letter is
"today") so each scenario reads like a calendar: D done, P partial, S skipped,
M missed, Z paused, R rest, N nothing recorded yet.
"""

from __future__ import annotations

import asyncio
import io
import re
import struct
import threading
from datetime import date, datetime, timedelta

import pytest
from matplotlib import image as mpimg

from bot.reports import chart, pdf
from bot.reports.chart import has_enough_data, render_progress_chart
from bot.reports.data import DayRecord, ReportInput
from bot.reports.pdf import render_pt_report, sanitize
from bot.reports.stats import (
    adherence,
    caption,
    exercise_adherence,
    exercise_name,
    morning_counts,
    pain_trend,
    streak,
    streak_may_go_further,
)
from tests.helpers.pdf import pdf_text as read_pdf_text

TODAY = date(2025, 6, 29)
CODES = {
    "D": "done",
    "P": "partial",
    "S": "skipped",
    "M": "missed",
    "Z": "paused",
    "R": "rest",
    "N": "none",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def seed(
    codes: str, *, today: date = TODAY, pains: dict[int, int] | None = None, **fields: object
) -> tuple[DayRecord, ...]:
    """Days ending at ``today``; ``pains`` maps days-ago to a pain score."""
    pains = pains or {}
    n = len(codes)
    return tuple(
        DayRecord(
            day=today - timedelta(days=n - 1 - i),
            status=CODES[code],  # type: ignore[arg-type]
            pain=pains.get(n - 1 - i),
            **fields,  # type: ignore[arg-type]
        )
        for i, code in enumerate(codes)
    )


# The caption scenario: 28 days, 4 rest days, 19 of 24 planned days done (79 %),
# 6 of the last 7 done (86 %), a 5-day streak, pain 5 -> 3 between the two weeks.
MONTH_CODES = "DDDRDDSDDMRDDDSMRDRDDDSDDDDD"
MONTH_PAINS = {10: 5, 8: 5, 7: 5, 6: 3, 4: 3, 3: 3, 2: 3, 1: 3, 0: 3}
STOPPED = TODAY - timedelta(days=23)


def month() -> tuple[DayRecord, ...]:
    return seed(MONTH_CODES, pains=MONTH_PAINS)


# --------------------------------------------------------------------------- streak
@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ("DDDDD", 5),
        ("DDDN", 3),  # today not checked in yet: still a 3-day streak
        ("DDZZZDD", 4),  # a pause never breaks a streak, nor adds to it
        ("DDRDD", 4),  # nor does a rest day
        ("DDZ", 2),  # paused today
        ("PPD", 3),  # partly done counts as done
        ("DDSDD", 2),
        ("DDMDD", 2),
        ("DDNDD", 2),  # a past day with nothing recorded is not done
        ("DDDS", 0),  # skipped today
        ("ZZZ", 0),
        ("", 0),
    ],
)
def test_streak(codes: str, expected: int) -> None:
    assert streak(seed(codes), TODAY) == expected


def test_streak_breaks_on_a_day_missing_from_the_records() -> None:
    days = [d for d in seed("DDDDD") if d.day != TODAY - timedelta(days=2)]
    assert streak(days, TODAY) == 2


def test_streak_ignores_input_order_and_future_days() -> None:
    days = list(seed("DDSDDD"))
    days.append(DayRecord(TODAY + timedelta(days=1), "skipped"))
    assert streak(reversed(days), TODAY) == 3


# ------------------------------------------------------------------------ adherence
def test_adherence_counts_partial_as_half_and_skips_pauses_and_rest() -> None:
    # planned: D D P S M -> (1 + 1 + 0.5) / 5
    assert adherence(seed("DDPSMZR"), TODAY, 7) == pytest.approx(0.5)


def test_adherence_is_none_without_planned_days() -> None:
    assert adherence(seed("ZZZRR"), TODAY, 7) is None
    assert adherence((), TODAY, 7) is None


def test_adherence_does_not_count_today_before_check_in() -> None:
    assert adherence(seed("DDDN"), TODAY, 4) == 1.0
    # ...but an unanswered earlier day does count against it.
    assert adherence(seed("DNDD"), TODAY, 4) == pytest.approx(0.75)


def test_adherence_only_looks_inside_the_window() -> None:
    days = seed("SSSSDDD")
    assert adherence(days, TODAY, 3) == 1.0
    assert adherence(days, TODAY, 7) == pytest.approx(3 / 7)
    assert adherence(days, TODAY - timedelta(days=3), 4) == 0.0


# ----------------------------------------------------------------------- pain trend
def _pain_days(earlier: list[int], recent: list[int]) -> tuple[DayRecord, ...]:
    pains = {7 + i: p for i, p in enumerate(earlier)} | {i: p for i, p in enumerate(recent)}
    return seed("D" * 14, pains=pains)


@pytest.mark.parametrize(
    ("earlier", "recent", "expected"),
    [
        ([6, 6, 6], [3, 3, 3], "improving"),
        ([3, 3, 3], [6, 5, 6], "worsening"),
        ([4, 4, 4], [4, 4, 5], "steady"),
        ([4, 4, 4], [3, 3, 3], "improving"),  # exactly the 1-point threshold
        ([4, 4, 4], [4, 3, 3], "steady"),  # a drop of 0.67 is noise
        ([6, 6], [1, 1, 1], "not enough data"),  # only 2 scores in the earlier week
        ([], [], "not enough data"),
    ],
)
def test_pain_trend(earlier: list[int], recent: list[int], expected: str) -> None:
    assert pain_trend(_pain_days(earlier, recent), TODAY) == expected


def test_pain_trend_ignores_scores_outside_the_window() -> None:
    days = seed("D" * 21, pains={20: 10, 19: 10, 18: 10, 10: 4, 9: 4, 8: 4, 3: 4, 2: 4, 1: 4})
    assert pain_trend(days, TODAY) == "steady"


# ------------------------------------------------------------- exercises and caption
def test_exercise_name_strips_the_dose() -> None:
    assert exercise_name("Clamshells 3 × 15") == "Clamshells"
    assert exercise_name("Side plank 3 x 30 s") == "Side plank"
    assert exercise_name("90/90 hip switch 2 × 8") == "90/90 hip switch"
    assert exercise_name("Calf raises") == "Calf raises"


def test_exercise_adherence_matches_names_without_dose_or_case() -> None:
    plan = ("Clamshells 3 × 15", "Side plank 3 × 30 s")
    days = (
        DayRecord(TODAY - timedelta(days=3), "done"),  # "did everything"
        DayRecord(TODAY - timedelta(days=2), "partial", exercises_done=("clamshells",)),
        DayRecord(TODAY - timedelta(days=1), "skipped"),
        DayRecord(TODAY, "paused"),
    )
    assert exercise_adherence(days, plan) == [
        ("Clamshells 3 × 15", 2, 3),
        ("Side plank 3 × 30 s", 1, 3),
    ]


def test_morning_counts() -> None:
    days = (
        DayRecord(TODAY - timedelta(days=2), "done", morning="better"),
        DayRecord(TODAY - timedelta(days=1), "done", morning="better"),
        DayRecord(TODAY, "done", morning="worse"),
    )
    assert morning_counts(days) == {"better": 2, "same": 0, "worse": 1}


def test_caption_numbers_match_the_data() -> None:
    assert caption(month(), TODAY, 24, streak_days=streak(month(), TODAY)) == (
        "Streak: 5 days · Adherence: 86 % over 7 days, 79 % over 28 days · Pain: improving"
        " · Day 24 of your rehab"
    )


def test_caption_without_a_streak_during_a_concern() -> None:
    assert not caption(month(), TODAY, 24).startswith("Streak")


def test_a_streak_that_runs_into_the_first_loaded_day_may_go_further() -> None:
    days = month()
    assert not streak_may_go_further(days, TODAY)  # it starts after a missed day
    done = tuple(DayRecord(TODAY - timedelta(days=i), "done") for i in range(10))
    assert streak_may_go_further(done, TODAY)


def test_caption_for_a_new_user_is_kind_not_zero() -> None:
    text = caption(seed("N"), TODAY, 2, streak_days=0)
    assert text == (
        "Streak: 0 days · Adherence: no planned days yet"
        " · Pain trend: after 3 scores in each of two weeks (0 so far)"
        " · Day 2 of your rehab"
    )


# ---------------------------------------------------------------------------- chart
def _png_size(png: bytes) -> tuple[int, int]:
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def _has_colour(png: bytes, hex_colour: str) -> bool:
    pixels = mpimg.imread(io.BytesIO(png))[..., :3]
    target = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return bool((abs(pixels - target).max(axis=-1) < 0.01).any())


def test_chart_is_a_phone_sized_png() -> None:
    png = render_progress_chart(
        month(), today=TODAY, title="Your last 4 weeks", pt_sessions=(TODAY - timedelta(days=9),)
    )
    assert png.startswith(PNG_SIGNATURE)
    assert 10_000 < len(png) < 250_000
    assert _png_size(png) == (1040, 650)


def test_chart_twelve_weeks_stays_small() -> None:
    days = seed(("DDPDDSR" * 12)[:84], pains={i: 3 + i % 4 for i in range(84)})
    png = render_progress_chart(days, today=TODAY, weeks=12, title="12 weeks")
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) < 250_000


def test_chart_colours_days_by_status() -> None:
    done_only = render_progress_chart(seed("DDDD"), today=TODAY, title="t")
    with_skips = render_progress_chart(seed("DSDM"), today=TODAY, title="t")
    assert _has_colour(done_only, chart.GREEN)
    assert not _has_colour(done_only, chart.VERMILLION)
    assert _has_colour(with_skips, chart.VERMILLION)


def test_chart_renders_without_any_data() -> None:
    png = render_progress_chart((), today=TODAY, title="Nothing yet")
    assert png.startswith(PNG_SIGNATURE)
    assert _png_size(png) == (1040, 650)


def test_has_enough_data_needs_three_check_ins() -> None:
    assert not has_enough_data(())
    assert not has_enough_data(seed("MZZRDSN"))  # only 2 real check-ins
    assert has_enough_data(seed("DSP"))


# ------------------------------------------------------------------------------ PDF
def _pdf_text(data: bytes) -> str:
    """All text drawn on the PDF's pages, decoded from the embedded font."""
    return read_pdf_text(data)


def _page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def _report(days: tuple[DayRecord, ...], **overrides: object) -> ReportInput:
    fields: dict[str, object] = {
        "first_name": "Anna",
        "injury_label": "Knee (IT band)",
        "stopped_running": STOPPED,
        "period_start": TODAY - timedelta(days=27),
        "period_end": TODAY,
        "days": days,
        "plan": ("Clamshells 3 × 15", "Side plank 3 × 30 s"),
        "pt_sessions": (TODAY - timedelta(days=9),),
        "red_flags": ((datetime(2025, 6, 20, 21, 5), "Sharp pain and swelling"),),
        "questions": ((datetime(2025, 6, 21, 8, 0), "Can I cycle instead?"),),
    }
    fields.update(overrides)
    return ReportInput(**fields)  # type: ignore[arg-type]


def test_pt_report_is_one_page_with_the_key_figures() -> None:
    days = list(month())
    days[-3] = DayRecord(days[-3].day, "done", pain=3, note="Stairs felt easier today")
    days[14] = DayRecord(days[14].day, "skipped", skip_reason="Late shift at work")
    data = render_pt_report(_report(tuple(days)))
    assert data.startswith(b"%PDF")
    assert _page_count(data) == 1
    text = _pdf_text(data)
    assert "79 % of 24 planned days" in text
    assert "Stairs felt easier today" in text
    assert "Late shift at work" in text
    assert "Sharp pain and swelling" in text
    assert "Can I cycle instead?" in text
    assert "Clamshells 3 × 15" in text
    assert "Generated by PT Coach from the user's self-reports; not a clinical record." in text


def test_pt_report_stays_one_page_with_lots_of_data() -> None:
    n = 84
    days = tuple(
        DayRecord(
            TODAY - timedelta(days=n - 1 - i),
            "skipped" if i % 5 == 0 else "done",
            pain=i % 7,
            morning="better",
            skip_reason="Too tired after a long day " * 3 if i % 5 == 0 else None,
            note=f"Note number {i}: " + "the knee felt stiff on the stairs " * 8,
        )
        for i in range(n)
    )
    start = TODAY - timedelta(days=n - 1)
    flags = tuple((datetime(2025, 6, 1, 8) + timedelta(hours=i), f"Flag {i}") for i in range(30))
    questions = tuple(
        (datetime(2025, 5, 1, 8) + timedelta(hours=5 * i), f"Question {i}: " + "why? " * 40)
        for i in range(120)
    )
    plan = tuple(f"Exercise {i} 3 × 10" for i in range(20))
    data = render_pt_report(
        _report(days, period_start=start, red_flags=flags, questions=questions, plan=plan)
    )
    assert _page_count(data) == 1
    text = _pdf_text(data)
    assert "Note number 83" in text  # latest note first
    assert "Note number 0:" not in text
    assert "Flag 29" in text  # the latest red flag always makes it
    assert re.search(r"\.\.\. and \d+ more", text)
    assert "... and 12 more exercises" in text


def test_pt_report_with_almost_no_data_says_so() -> None:
    data = render_pt_report(_report(seed("D"), red_flags=(), questions=()))
    assert data.startswith(b"%PDF")
    assert _page_count(data) == 1
    text = _pdf_text(data)
    assert "Little data so far: 1 check-in in this period" in text
    assert "None reported." in text


def test_pt_report_survives_emoji_and_odd_unicode() -> None:
    note = "Felt 💪🏽 “great” — no pain… 👩‍👩‍👧 ő 中文 \u202e\x00 end"
    days = seed("DDD", note=note)
    data = render_pt_report(_report(days, first_name="Zoë 🏃‍♀️", injury_label="Hüfte – links"))
    assert _page_count(data) == 1
    text = _pdf_text(data)
    assert "Felt “great” — no pain… ő end" in text
    assert "Zoë  ·" in text and "Hüfte – links" in text


def test_sanitize_keeps_what_the_font_draws_and_drops_the_rest() -> None:
    assert sanitize("Ça va ‘bien’ → 2–3 × 10 😀") == "Ça va ‘bien’ → 2–3 × 10"
    assert sanitize("Колено болит") == "Колено болит"
    assert sanitize("Zoë 🏃‍♀️") == "Zoë"
    assert sanitize(None) == ""
    assert sanitize("line\nbreak\ttab") == "line break tab"


# ---------------------------------------------------------------------------- async
async def test_chart_async_runs_off_the_event_loop_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    real = chart.render_progress_chart

    def spy(*args: object, **kwargs: object) -> bytes:
        seen.append(threading.get_ident())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(chart, "render_progress_chart", spy)
    png = await chart.render_progress_chart_async(month(), today=TODAY, title="t")
    assert png.startswith(PNG_SIGNATURE)
    assert seen and seen[0] != threading.get_ident()


async def test_pdf_async_runs_off_the_event_loop_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    real = pdf.render_pt_report

    def spy(inp: ReportInput) -> bytes:
        seen.append(threading.get_ident())
        return real(inp)

    monkeypatch.setattr(pdf, "render_pt_report", spy)
    loop_thread = threading.get_ident()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    data = await pdf.render_pt_report_async(_report(month()))
    task.cancel()
    assert data.startswith(b"%PDF")
    assert seen and seen[0] != loop_thread
    assert ticks > 1  # the loop kept running while the PDF was drawn


async def test_concurrent_charts_match_a_sequential_render() -> None:
    """Two users asking for /progress at once must each get their own, intact chart."""
    first, second = seed("DDSDPDD", pains={0: 2, 1: 3, 3: 4}), month()
    expected = [
        render_progress_chart(first, today=TODAY, title="A"),
        render_progress_chart(second, today=TODAY, title="B"),
    ]
    got = await asyncio.gather(
        chart.render_progress_chart_async(first, today=TODAY, title="A"),
        chart.render_progress_chart_async(second, today=TODAY, title="B"),
    )
    assert list(got) == expected
