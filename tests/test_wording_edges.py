"""Words that fit the person (issue 18, "Wrong words"): no template placeholder ever reaches a
user, and every figure a message states agrees with the others in the same message.

Every harness test also fails on a "{placeholder}" sent to a user (tests/conftest.py), so the
whole suite doubles as a rendering check; the content test below renders each template of
every content file with realistic values, so a misspelt placeholder fails before any user.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.db.models import CheckIn, User
from bot.domain.content import CONTENT_DIR, render_text
from tests.harness.bot import BotHarness
from tests.helpers.seed import at_first_checkin, make_user, seeded_user

LEFTOVER = re.compile(r"\{[^{}\s]*\}")

# What the bot passes at run time, as a real user would see it.
REALISTIC: dict[str, object] = {
    "line": 2,
    "most": 12,
    "title": "Before your first run",
    "run": 2,
    "walk": 3,
    "repeats": 5,
    "total": 25,
    "scores": "7/10, 8/10",
    "detail": "pain 7/10",
    "dose": "3 × 15",
    "weekday": "Friday",
    "zone": "Europe/Berlin",
    "year": 2026,
    "amount": "15",
    "first_name": "Priya",
    "day": 12,
    "injury": "knee",
    "delay": "1 hour",
    "done": 5,
    "planned": 7,
    "when": "tomorrow at 09:30",
    "plan": "1. Clamshells · 3 × 15\n2. Glute bridges · 3 × 12",
    "value": "19:00",
    "time": "19:00",
    "exercise": "Clamshells · 3 × 15",
    "area": "Knee",
    "stage": "Run 2 min / walk 3 min × 5",
    "run_max": 3,
    "peak": 4,
    "date": "Fri 4 Dec",
    "timezone": "Europe/Berlin",
    "pt": "twice a week",
    "nudges": "now and then",
    "note": "a bit stiff on the stairs",
    "needed": 2,
    "name": "Clamshells",
    "local": "Berlin (Europe/Berlin)",
    "count": 3,
    "checkin_time": "19:00",
    "ceiling": 3,
    "until": "Fri 4 Dec",
    "start": "22:00",
    "resume": "Sat 5 Dec",
    "quiet_start": "22:00",
    "quiet_end": "07:30",
    "position": 1,
    "max": 3,
    "length": 14,
    "good": 1,
    "end": "07:30",
    "days": 3,
    "how": "Lie on your side, knees bent; open the top knee.",
    "after": "07:30",
    "decision": "repeat this stage",
    "during": 3,
    "morning": "the same",
    "rest_days": "Sun",
    "runs": "2 runs this week, both as planned",
    "stages": "1. Run 1 min / walk 4 min × 5",
    "status": "done as planned",
    "whose": "your PT's",
    "why": "pain stayed at 3/10 or below",
    "command": "/foobar",
    "entry_area": "Achilles",
    "sources": "NICE guideline NG226",
    "topic": "Pain during rehab",
    "what": "sticker",
    "pain": 3,
    "streak": "4 days",
    "so_far": "So far you have 2 check-ins",
    "weeks": 12,
    "period": "the last 2 weeks",
    "percent": "86 %",
    "problem": "line 2 has no run minutes",
    "known": "5 days",
    "week": "86 %",
    "month": "79 %",
    "min": 3,
    "scored": 2,
    "trend": "improving",
    "early": "2.5",
    "late": "2.0",
    "avg": "2.2",
    "low": 0,
    "high": 5,
    "better": 3,
    "same": 3,
    "worse": 3,
    "example": "7:30, 19:00 or 7pm",
    "text": "25:99",
    "first": "3 April",
    "second": "4 March",
    "short": "3 Apr",
    "earliest": "7 Dec 2024",
    "sets": 12,
    "reps": 150,
    "seconds": 900,
    "lo": 0,
    "hi": 10,
    "mid": 5,
    "what_capitalised": "The pain score",
    "number": "3",
    "place": "Springfeld",
    "hint": "Illinois",
    "offset": "UTC+05:45",
    "advice": "rest two weeks",
}


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


def _content_files() -> list[Path]:
    return sorted(CONTENT_DIR.rglob("*.toml"))


def test_every_template_renders_without_a_leftover_placeholder() -> None:
    leftovers = []
    checked = 0
    for path in _content_files():
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for where, template in _strings(data, path.name):
            checked += 1
            rendered = render_text(template, **REALISTIC)
            if LEFTOVER.search(rendered):
                leftovers.append(f"{where}: {rendered[:120]!r}")
    assert checked > 500  # every file, every variant: not an empty walk
    assert leftovers == []


def test_no_time_of_day_words_in_the_check_in_the_user_times_themselves() -> None:
    """The check-in goes out at the user's own time, 07:30 as well as 19:00."""
    with (CONTENT_DIR / "checkin.toml").open("rb") as handle:
        data = tomllib.load(handle)
    for where, text in _strings(data["prompt"], "prompt"):
        assert not re.search(r"evening|tonight|morning|afternoon", text, re.I), where


def test_settings_confirmation_reads_naturally_for_every_cadence() -> None:
    from bot.domain.wording import t

    for cadence in ("off", "low", "normal"):
        words = t(f"settings.nudges_{cadence}")
        text = t("settings.saved_nudges", nudges=words)
        assert "now now" not in text and words in text


# --------------------------------------------------------------------------- through the bot


async def test_morning_question_names_the_injury(harness: BotHarness) -> None:
    alex = await at_first_checkin(harness)  # a knee user
    await alex.press("Did them all")
    await alex.press("5")
    await alex.press("Skip")
    await harness.advance(timedelta(hours=14, minutes=30))  # 08:30 Berlin next day
    question = alex.last.text or ""
    assert "morning" in question.lower() and "knee" in question


async def test_today_after_one_check_in_says_it_is_too_early_for_a_percentage(
    harness: BotHarness,
) -> None:
    user_id = await make_user(harness)
    async with harness.services.sessions() as session:  # set up this morning
        await session.execute(
            update(User).where(User.id == user_id).values(onboarded_at=harness.clock.now())
        )
        await session.commit()
    alex = harness.user(1001)
    await alex.say("/checkin")
    await alex.press("Did them all")
    await alex.press("2")
    await alex.say("/today")
    text = alex.last.text or ""
    assert "too early to tell" in text
    assert "100 %" not in text and "over 28 days" not in text


def _dated(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def _every_day_done(harness: BotHarness, user_id: int, first: date, last: date) -> None:
    now = harness.clock.now()
    async with harness.services.sessions() as session:
        day = first
        while day <= last:
            session.add(
                CheckIn(
                    user_id=user_id,
                    local_date=day,
                    status="done",
                    exercises_done=["Clamshells"],
                    created_at=now,
                    updated_at=now,
                )
            )
            day += timedelta(days=1)
        await session.commit()


def _summary(texts: list[str | None]) -> str:
    found = [t for t in texts if t and t.startswith(("Your week", "Weekly round-up"))]
    assert len(found) == 1, texts
    return found[0]


async def test_weekly_summary_counts_and_percentage_agree(harness: BotHarness) -> None:
    """Exercised every day, summary before today's check-in: 6 of 6 and 100 %, not 6 of 7."""
    user_id = await make_user(harness, at=time(20, 30))
    await _every_day_done(harness, user_id, date(2026, 11, 17), date(2026, 11, 28))
    alex = harness.user(1001)
    # Friday 08:00 UTC -> Sunday 19:00 Berlin; the user had already done Fri and Sat above.
    await harness.advance(timedelta(days=2, hours=10, minutes=5), step=timedelta(minutes=30))
    messages = alex.tg.messages(1001)
    text = _summary([m.caption if m.kind == "photo" else m.text for m in messages])
    counts = re.search(r"(\d+) of (\d+) days|(\d+)/(\d+) days", text)
    assert counts is not None
    done, planned = (int(g) for g in counts.groups() if g is not None)
    assert (done, planned) == (6, 6)
    assert "Adherence (7 days): 100 %" in text
    assert "tougher" not in text


async def test_weekly_summary_under_a_safety_hold_without_pain_scores_does_not_claim_pain(
    harness: BotHarness,
) -> None:
    user_id = await make_user(harness, at=time(20, 30))
    await _every_day_done(harness, user_id, date(2026, 11, 23), date(2026, 11, 28))
    async with harness.services.sessions() as session:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(safety_level="watch", safety_since=harness.clock.now())
        )
        await session.commit()
    alex = harness.user(1001)
    await harness.advance(timedelta(days=2, hours=10, minutes=5), step=timedelta(minutes=30))
    messages = alex.tg.messages(1001)
    text = _summary([m.caption if m.kind == "photo" else m.text for m in messages])
    assert "pain was higher" not in text.lower() and "more painful" not in text.lower()
    assert "physical therapist" in text


async def test_report_caption_states_the_period_length_once(harness: BotHarness) -> None:
    alex = await seeded_user(harness)
    await alex.say("/report")
    caption = next(m.caption for m in reversed(alex.tg.messages(1001)) if m.kind == "document")
    assert caption is not None
    assert "no PT session recorded yet" in caption
    assert caption.count("14 days") == 1


def _cut_at_word_boundary(label: str, title: str) -> bool:
    if not label.endswith("…"):
        return label == " ".join(title.split())
    kept = label[:-1].split()
    words = title.split()[: len(kept)]
    if len(kept) == 1:  # a single over-long word has no boundary to cut at
        return words[0].startswith(kept[0])
    return kept[:-1] == words[:-1] and words[-1].rstrip(",;:.-–—(") == kept[-1]


def test_faq_button_labels_are_shortened_at_word_boundaries() -> None:
    from bot.domain.faq import FaqIndex, load_entries
    from bot.services.faq import entry_button

    entries = FaqIndex(load_entries()).entries
    long_titles = [e for e in entries if len(e.title) > 46]
    assert long_titles  # the related-question buttons (46 characters) do cut some titles
    for entry in entries:
        for width, prefix in ((60, ""), (48, "→ ")):
            label, _data = entry_button(entry, width, prefix)
            assert len(label) <= width
            assert _cut_at_word_boundary(label.removeprefix(prefix), entry.title), label


async def test_faq_topic_buttons_through_the_bot_end_on_whole_words(harness: BotHarness) -> None:
    alex = await seeded_user(harness)
    await alex.say("/faq")
    topics = [label for label, data in alex.last.buttons if data.startswith("faq:t:")]
    assert topics
    await alex.press(topics[0])
    labels = [label for label, data in alex.last.buttons if data.startswith("faq:e:")]
    assert labels and all(not label.endswith("…") or label[-2].isalnum() for label in labels)
