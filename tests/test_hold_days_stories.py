"""Days on a safety hold, as the user reads them afterwards: an urgent red flag stops the
exercise check-ins until a clinician cleared the user, and once they carry on, /today, the
weekly summary, /progress and the PT report count those days as neither done nor missed.
"""

from __future__ import annotations

from datetime import timedelta

from tests.harness.bot import BotHarness, SimUser
from tests.harness.fake_telegram import SentMessage
from tests.helpers.onboarding import onboarded
from tests.test_progress_report import pdf_text

URGENT = "my calf is swollen and hot since my flight yesterday"


def _checkin_prompt(user: SimUser) -> SentMessage:
    """The latest message with the check-in's buttons."""
    prompts = [
        m
        for m in user.tg.messages(user.id)
        if any("Did them all" in label for label, _ in m.buttons)
    ]
    assert prompts, user.texts[-3:]
    return prompts[-1]


async def _did_them_all(user: SimUser, pain: str = "2") -> None:
    await user.press("Did them all", _checkin_prompt(user))
    await user.press(pain, user.tg.last_with_buttons(user.id))


async def _story(harness: BotHarness) -> SimUser:
    """Onboarded on Friday 27 Nov (check-in 19:00 Berlin). Fri and Sat done; Sunday morning an
    urgent red flag; cleared on Thursday morning; Thu, Fri, Sat done. The clock ends on Sunday
    6 Dec, 19:05 Berlin, just after the weekly summary and that day's check-in."""
    user = await onboarded(harness)
    await harness.advance(timedelta(hours=10, minutes=5), step=timedelta(minutes=30))
    await _did_them_all(user)  # Fri 27
    await harness.advance(timedelta(days=1), step=timedelta(minutes=30))
    await _did_them_all(user)  # Sat 28
    await harness.advance(timedelta(hours=14, minutes=55), step=timedelta(minutes=30))
    await user.say(URGENT)  # Sun 29, 10:00: the hold starts
    await harness.advance(timedelta(days=4), step=timedelta(minutes=30))
    await user.say("/checkin")  # Thu 3 Dec, 10:00: still held until cleared
    await user.press("clinician has seen me")
    await user.press("Cleared to carry on")
    await harness.advance(timedelta(hours=9, minutes=5), step=timedelta(minutes=30))
    for _ in range(3):  # Thu 3, Fri 4, Sat 5
        await _did_them_all(user)
        await harness.advance(timedelta(days=1), step=timedelta(minutes=30))
    return user


async def test_hold_days_are_not_missed_in_today_the_weekly_summary_progress_and_report(
    harness: BotHarness,
) -> None:
    user = await _story(harness)
    # Sunday 19:00: the weekly summary counts Thu, Fri and Sat (Sunday is not over yet), not
    # the three days of the hold on Mon, Tue and Wed.
    weekly = [t for t in user.texts if "Adherence (7 days)" in t]
    assert weekly, user.texts[-4:]
    assert "on 3 of 3 days" in weekly[-1] or "3/3 days" in weekly[-1], weekly[-1]
    assert "Adherence (7 days): 100 %" in weekly[-1], weekly[-1]

    await _did_them_all(user)  # Sun 6
    today = (await user.say("/today")) or user.last
    text = today.text or ""
    # Fri, Sat, (hold Sun-Wed), Thu, Fri, Sat, Sun: one unbroken streak of six planned days.
    assert "Streak: 6 days" in text, text
    assert "Adherence: 100 % over 7 days" in text, text
    assert "days on safety hold not counted" in text, text

    progress = await user.say("/progress")
    assert progress is not None
    caption = progress.caption or progress.text or ""
    assert "Streak: 6 days" in caption and "100 %" in caption, caption
    assert "days on safety hold not counted" in caption, caption

    await user.say("/report")
    report = " ".join(pdf_text(user.last.file or b"").split())
    # Done / partly / skipped / missed, then paused / rest / safety-hold days.
    assert "Done / partly / skipped / missed 6 / 0 / 0 / 0" in report, report
    assert "Paused / rest / safety-hold days 0 / 0 / 4" in report, report


async def test_a_check_in_left_unanswered_after_the_release_is_still_missed(
    harness: BotHarness,
) -> None:
    user = await onboarded(harness)
    await harness.advance(timedelta(hours=10, minutes=5), step=timedelta(minutes=30))
    await _did_them_all(user)  # Fri 27
    await harness.advance(timedelta(hours=14, minutes=55), step=timedelta(minutes=30))
    await user.say(URGENT)  # Sat 28, 10:00
    await harness.advance(timedelta(days=1), step=timedelta(minutes=30))
    await user.say("/checkin")  # Sun 29, 10:00: cleared before that evening's check-in
    await user.press("clinician has seen me")
    await user.press("Cleared to carry on")
    # Sunday's and Monday's check-ins go out and stay unanswered: those are ordinary misses.
    await harness.advance(timedelta(days=1, hours=10), step=timedelta(minutes=30))
    await _did_them_all(user)  # Monday 30 Nov, 20:00
    today = (await user.say("/today")) or user.last
    text = today.text or ""
    # Fri done, Sat on hold (not counted), Sun missed, Mon done: 2 of 3 planned days.
    assert "Streak: 1 day" in text, text
    assert "67 %" in text, text
