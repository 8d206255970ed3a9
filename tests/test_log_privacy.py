"""Health data never reaches a log line: not the words a user typed, not which red flag they
reported or how grave it was, not a pain score, not a clinician's advice.

Production logs at INFO for every logger (see bot/logs.py); these stories capture every record
at that level, with everything a formatter could print (the message, its arguments and every
``extra`` attribute), while a user goes through the health-heavy paths.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboarded

URGENT = "my calf is swollen and hot since my flight yesterday"
NOTE = "calves felt tight on the stairs afterwards"
ADVICE = "lymphatic massage and compression socks"


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)


async def test_a_red_flag_its_hold_and_release_leave_no_health_detail_in_the_logs(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    user = await onboarded(harness)
    with caplog.at_level(logging.INFO):
        await user.say(URGENT)
        assert "doctor" in (user.last.text or "").lower()
        await harness.advance(timedelta(days=2), step=timedelta(hours=1))
        await user.say("/checkin")
        await user.press("clinician has seen me")
        await user.press("Cleared to carry on")
        await user.say(ADVICE)
        await user.say("/export")  # its file holds all of the above
    logged = _everything_logged(caplog)
    assert "data exported" in logged  # the capture works: the story did log
    for detail in ("swollen", "calf", "flight", "lymphatic", "compression"):
        assert detail not in logged, detail
    for flag_word in ("calf-pain-swelling", "urgent", "emergency"):
        assert flag_word not in logged, flag_word


async def test_a_painful_check_in_and_its_note_leave_no_health_detail_in_the_logs(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    user = await onboarded(harness)
    with caplog.at_level(logging.INFO):
        await user.say("/checkin")
        await user.press("Did them all")
        await user.press("7")
        await user.say(NOTE)
        await user.say("/export")
    logged = _everything_logged(caplog)
    assert "data exported" in logged
    for detail in ("tight", "stairs", "7/10", "'pain'"):
        assert detail not in logged, detail
