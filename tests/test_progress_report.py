"""/progress and /report end to end: seeded check-ins in, a PNG or a PDF out, numbers that match."""

from __future__ import annotations

import re
import struct
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.db.models import CheckIn, FaqQuestion, Pause, PtSession, RedFlagReport
from bot.reports import chart, pdf  # imported up front: timings below measure work, not imports
from bot.services.reports import flag_label
from tests.harness.bot import BotHarness
from tests.helpers.pdf import pdf_text as read_pdf_text
from tests.helpers.seed import make_user

TODAY = date(2026, 11, 27)  # the harness clock is 08:00 UTC = 09:00 in Berlin
STOPPED = date(2026, 10, 20)
NOTE = "Bridges felt easier today"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Oldest first, ending yesterday: D done, P partial, S skipped, blank = no row at all.
# 24 days: 3 Nov .. 26 Nov. Pain falls from 6 to 3, so the trend is "improving".
PATTERN = "DDPDSDDDDPDDSDDDDPDDSDDD"


def seeded_days() -> list[tuple[date, str]]:
    first = TODAY - timedelta(days=len(PATTERN))
    return [(first + timedelta(days=i), code) for i, code in enumerate(PATTERN)]


def pain_for(day: date) -> int:
    return 6 if day < TODAY - timedelta(days=7) else 3


async def seed(harness: BotHarness, user_id: int, days: list[tuple[date, str]]) -> None:
    status = {"D": "done", "P": "partial", "S": "skipped"}
    now = harness.clock.now()
    async with harness.services.sessions() as session:
        for day, code in days:
            done = status[code] in ("done", "partial")
            session.add(
                CheckIn(
                    user_id=user_id,
                    local_date=day,
                    status=status[code],
                    exercises_done=["Clamshells"]
                    if code == "P"
                    else (["Clamshells", "Glute bridges", "Wall sit"] if code == "D" else []),
                    pain=pain_for(day) if done else None,
                    skip_reason="no_time" if code == "S" else None,
                    note=NOTE if day == TODAY - timedelta(days=2) else None,
                    morning_response="better" if done and day.day % 3 == 0 else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        await session.commit()


# Independent arithmetic: what a person counting on a calendar would get.
def expected_streak(days: list[tuple[date, str]]) -> int:
    by_day = dict(days)
    count, day = 0, TODAY - timedelta(days=1)
    while by_day.get(day) in ("D", "P"):
        count += 1
        day -= timedelta(days=1)
    return count


def expected_adherence(days: list[tuple[date, str]], window: int) -> int:
    """Percent over the window ending today; today (not logged yet) is not counted."""
    credit = {"D": 1.0, "P": 0.5, "S": 0.0}
    start = TODAY - timedelta(days=window - 1)
    inside = [credit[c] for d, c in days if start <= d < TODAY]
    return round(100 * sum(inside) / len(inside))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def pdf_text(data: bytes) -> str:
    """All text drawn on the PDF's pages, decoded from the embedded font."""
    return read_pdf_text(data)


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def utc(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# --- /progress -------------------------------------------------------------------------------


async def test_progress_sends_a_chart_whose_caption_matches_the_data(harness: BotHarness) -> None:
    uid = await make_user(harness, stopped=STOPPED)
    days = seeded_days()
    await seed(harness, uid, days)
    alex = harness.user(1001)
    await alex.say("/progress")

    actions = harness.telegram.calls_to("sendChatAction", 1001)
    assert [a.params["action"] for a in actions] == ["upload_photo"]
    photo = alex.last
    assert photo.kind == "photo" and photo.file is not None
    assert png_size(photo.file) == (1040, 650)
    assert 20_000 < len(photo.file) < 250_000
    caption = photo.caption or ""
    streak = expected_streak(days)
    assert streak == 3  # the seed ends "...S D D D": worth checking the helper itself
    assert f"Streak: {streak} days" in caption
    assert f"Adherence: {expected_adherence(days, 7)} % over 7 days" in caption
    assert f"{expected_adherence(days, 28)} % over your first {len(days)} days" in caption
    assert "Pain: improving" in caption
    # The same day number as the check-in and /today (bot.services.context.rehab_day).
    assert f"Day {(TODAY - STOPPED).days + 1} of your rehab" in caption
    assert [label for label, _ in photo.buttons] == ["Show 12 weeks"]


async def test_twelve_week_button_shows_twelve_weeks_for_the_presser(harness: BotHarness) -> None:
    uid = await make_user(harness, stopped=STOPPED)
    await seed(harness, uid, seeded_days())
    alex = harness.user(1001)
    await alex.say("/progress")
    await alex.press("12 weeks")
    photo = alex.last
    assert photo.kind == "photo" and photo.file is not None
    assert png_size(photo.file) == (1040, 650)
    assert photo.buttons == [("Show 4 weeks", "pg:4")]
    assert harness.telegram.query_answers  # the spinner was stopped

    # Someone else pressing Alex's button is refused: no chart is sent to anyone.
    await make_user(harness, 2002, stopped=STOPPED)
    sam = harness.user(2002, "Sam")
    await sam.press_data("pg:12", photo)
    photos = [m for m in harness.telegram.messages(1001) if m.kind == "photo"]
    assert len(photos) == 2 and harness.telegram.calls_to("sendPhoto", 2002) == []
    answer = list(harness.telegram.query_answers.values())[-1]
    assert "someone else" in answer.get("text", "")


async def test_little_data_gets_kind_words_instead_of_an_empty_chart(harness: BotHarness) -> None:
    uid = await make_user(harness, stopped=STOPPED)
    await seed(harness, uid, [(TODAY - timedelta(days=2), "D"), (TODAY - timedelta(days=1), "D")])
    alex = harness.user(1001)
    await alex.say("/progress")
    assert harness.telegram.calls_to("sendPhoto") == []
    text = alex.last.text or ""
    assert alex.last.kind == "text"
    assert "After three check-ins I can draw your chart" in text
    assert "2 check-ins" in text and "Streak: 2 days" in text


async def test_a_user_who_is_not_set_up_is_sent_to_start(harness: BotHarness) -> None:
    stranger = harness.user(3003, "Kim")
    await stranger.say("/progress")
    assert "/start" in (stranger.last.text or "")
    await stranger.say("/report")
    assert "/start" in (stranger.last.text or "")
    assert harness.telegram.calls_to("sendPhoto") == harness.telegram.calls_to("sendDocument") == []


async def test_paused_days_keep_the_streak_and_adherence(harness: BotHarness) -> None:
    uid = await make_user(harness, stopped=STOPPED)
    done = [(TODAY - timedelta(days=n), "D") for n in (10, 9, 8, 7, 3, 2, 1)]
    await seed(harness, uid, done)
    async with harness.services.sessions() as session:
        session.add(
            Pause(
                user_id=uid,
                start_date=TODAY - timedelta(days=6),
                end_date=TODAY - timedelta(days=4),
            )
        )
        await session.commit()
    alex = harness.user(1001)
    await alex.say("/progress")
    caption = alex.last.caption or ""
    assert (
        "Streak: 7 days" in caption
        and "Adherence: 100 % over 7 days, 100 % over your first 10 days" in caption
    )


# --- /report ---------------------------------------------------------------------------------


async def seed_report_extras(harness: BotHarness, uid: int) -> None:
    async with harness.services.sessions() as session:
        session.add(
            PtSession(
                user_id=uid, session_date=TODAY - timedelta(days=14), created_at=harness.clock.now()
            )
        )
        session.add(
            RedFlagReport(
                user_id=uid,
                flag="calf-pain-swelling",
                level="urgent",
                text="My calf is swollen and warm since the flight",
                created_at=utc(TODAY - timedelta(days=5), 18),
            )
        )
        for text, decision in [
            ("Can I cycle instead of running?", "answer"),
            ("[browsed] How long until I can run?", "answer"),
            ("My calf is swollen and warm since the flight", "red_flag"),
        ]:
            session.add(
                FaqQuestion(
                    user_id=uid,
                    text=text,
                    decision=decision,
                    created_at=utc(TODAY - timedelta(days=5), 18),
                )
            )
        # Before the period: must not appear.
        session.add(
            FaqQuestion(
                user_id=uid,
                text="Is ice better than heat?",
                decision="answer",
                created_at=utc(TODAY - timedelta(days=20), 10),
            )
        )
        await session.commit()


async def test_report_is_a_one_page_pdf_since_the_last_pt_session(harness: BotHarness) -> None:
    uid = await make_user(harness, stopped=STOPPED)
    days = seeded_days()
    await seed(harness, uid, days)
    await seed_report_extras(harness, uid)
    alex = harness.user(1001)
    await alex.say("/report")

    actions = harness.telegram.calls_to("sendChatAction", 1001)
    assert [a.params["action"] for a in actions] == ["upload_document"]
    doc = alex.last
    assert doc.kind == "document" and doc.file is not None
    assert doc.filename == "ptcoach-report-2026-11-27.pdf"
    assert "physical therapist" in (doc.caption or "")
    assert "since your PT session on 13 Nov" in (doc.caption or "")
    assert doc.file.startswith(b"%PDF-") and doc.file.rstrip().endswith(b"%%EOF")
    assert page_count(doc.file) == 1
    assert 5_000 < len(doc.file) < 500_000

    text = pdf_text(doc.file)
    assert "Period 13 Nov 2026 - 27 Nov 2026 (15 days)" in text
    # 13 Nov .. 26 Nov are planned (today is not logged yet): counted by hand.
    credit = {"D": 1.0, "P": 0.5, "S": 0.0}
    planned = [credit[c] for d, c in days if d >= TODAY - timedelta(days=14)]
    share = round(100 * sum(planned) / len(planned))
    assert f"{share} % of {len(planned)} planned days" in text
    assert NOTE in text
    assert "No time" in text  # the reason in the user's words, not "no_time"
    # The flag in plain words a physical therapist reads at a glance, with the user's own.
    assert flag_label("calf-pain-swelling") == "Painful, swollen or warm calf"
    assert 'Painful, swollen or warm calf: "My calf is swollen and warm since the flight"' in text
    assert "Can I cycle instead of running?" in text
    assert "[browsed]" not in text and "ice better than heat" not in text
    assert "22 Nov 19:00" in text  # 18:00 UTC shown in Berlin time


async def test_report_period_buttons_and_the_fourteen_day_fallback(harness: BotHarness) -> None:
    uid = await make_user(harness, stopped=STOPPED)
    await seed(harness, uid, seeded_days())
    alex = harness.user(1001)
    await alex.say("/report")  # no PT session recorded: the last 14 days
    first = alex.last
    assert first.file is not None
    assert "Period 14 Nov 2026 - 27 Nov 2026 (14 days)" in pdf_text(first.file)
    assert "no PT session recorded yet" in (first.caption or "")
    assert [label for label, _ in first.buttons] == ["Last 2 weeks", "Last 4 weeks"]
    await alex.press("Last 4 weeks")
    second = alex.last
    assert second.file is not None and second.message_id != first.message_id
    assert "Period 31 Oct 2026 - 27 Nov 2026 (28 days)" in pdf_text(second.file)
    assert page_count(second.file) == 1


# --- off the event loop ----------------------------------------------------------------------


def _recording(original: Callable[..., bytes], seen: list[int]) -> Callable[..., bytes]:
    def wrapper(*args: Any, **kwargs: Any) -> bytes:
        seen.append(threading.get_ident())
        return original(*args, **kwargs)

    return wrapper


async def test_rendering_runs_off_the_event_loop(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = await make_user(harness, stopped=STOPPED)
    await seed(harness, uid, seeded_days())
    chart_threads: list[int] = []
    pdf_threads: list[int] = []
    monkeypatch.setattr(
        chart, "render_progress_chart", _recording(chart.render_progress_chart, chart_threads)
    )
    monkeypatch.setattr(pdf, "render_pt_report", _recording(pdf.render_pt_report, pdf_threads))
    loop_thread = threading.get_ident()
    alex = harness.user(1001)
    await alex.say("/progress")
    await alex.say("/report")
    assert chart_threads and pdf_threads
    assert loop_thread not in chart_threads + pdf_threads
    kinds = [m.kind for m in harness.telegram.messages(1001)]
    assert kinds == ["photo", "document"]


async def test_a_long_streak_reads_the_same_everywhere_not_cut_to_a_window(
    harness: BotHarness,
) -> None:
    """47 days in a row: /today, /progress, the PT report and the weekly summary all count the
    whole streak (each once read only its own window: 28 days, 84 days, the report's period)."""
    uid = await make_user(harness, stopped=STOPPED)
    first = TODAY - timedelta(days=45)
    await seed(harness, uid, [(first + timedelta(days=i), "D") for i in range(47)])  # to Sat
    alex = harness.user(1001)

    today = await alex.say("/today")
    assert today is not None and "Streak: 46 days" in (today.text or "")
    progress = await alex.say("/progress")
    assert progress is not None and "Streak: 46 days" in (progress.caption or "")
    await alex.say("/report")
    text = " ".join(pdf_text(alex.last.file or b"").split())
    assert "Current streak 46 days" in text

    # Sunday 19:00 Berlin: the weekly summary (Sunday itself not logged yet: up to Saturday).
    await harness.advance(timedelta(days=2, hours=10, minutes=5), step=timedelta(minutes=30))
    sent = [m.text or m.caption or "" for m in alex.tg.messages(1001)]
    (summary,) = [t for t in sent if t.startswith("Your week in rehab")]
    assert "Streak: 47 days" in summary
