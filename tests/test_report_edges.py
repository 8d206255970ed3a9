"""The PT report and the chart for people who write in their own script or have just
started (issue 18, "Reports"), through the real bot on both databases."""

from __future__ import annotations

from datetime import timedelta

from tests.harness.bot import BotHarness
from tests.helpers.pdf import pdf_text
from tests.helpers.seed import seeded_user


async def _report(harness: BotHarness) -> tuple[str, str]:
    alex = harness.user(1001)
    await alex.say("/report")
    doc = next(m for m in reversed(alex.tg.messages(1001)) if m.kind == "document")
    assert doc.file is not None
    return pdf_text(doc.file), doc.caption or ""


async def test_a_note_in_cyrillic_survives_into_the_report_and_long_text_wraps(
    harness: BotHarness,
) -> None:
    alex = await seeded_user(harness)
    await alex.say("/checkin")
    await alex.press("Did them all")
    await alex.press("2")
    note = "Колено болит после лестницы, " + "очень-" * 30 + "долго"
    await alex.say(note)
    text, caption = await _report(harness)
    flat = " ".join(text.split())
    assert "Колено болит после лестницы" in flat
    assert "долго" in flat or "..." in flat  # wrapped onto its lines, not cut off at once
    assert "questions you asked me" in caption


async def test_the_report_caption_says_questions_are_included(harness: BotHarness) -> None:
    alex = await seeded_user(harness)
    await alex.say("Can I cycle instead of running?")
    text, caption = await _report(harness)
    assert "Can I cycle instead of running?" in " ".join(text.split())
    assert "word for word" in caption


async def test_a_new_users_chart_says_when_the_pain_trend_becomes_readable(
    harness: BotHarness,
) -> None:
    alex = await seeded_user(harness)
    for _ in range(3):
        await alex.say("/checkin")
        await alex.press("Did them all")
        await alex.press("2")
        await alex.press("Skip")
        harness.clock.advance(timedelta(days=1))
    await alex.say("/progress")
    photo = alex.last
    assert photo.kind == "photo"
    caption = photo.caption or ""
    assert "Pain trend: after 3 scores in each of two weeks (3 so far)" in caption
