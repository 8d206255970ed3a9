"""The time-zone step's answers come from the content files (onboarding.toml [timezone]),
as a user sees them: an abbreviation, an offset no place uses, an unknown place."""

from __future__ import annotations

from bot.domain.wording import t
from tests.harness.bot import BotHarness, SimUser
from tests.helpers.onboarding import to_area_question


async def _at_timezone_step(user: SimUser) -> None:
    await to_area_question(user)
    await user.press("Knee")
    await user.press("A few days ago")
    await user.press("0")
    await user.press("Glute bridges")
    await user.press("Confirm")
    await user.press("19:00")


async def test_time_zone_answers_are_the_content_files_words(harness: BotHarness) -> None:
    user = harness.user()
    await _at_timezone_step(user)

    await user.say("EST")
    shown = user.last
    assert shown.text == t("timezone.abbreviation", text="EST")
    assert "daylight saving" in (shown.text or "")
    assert any("America/New_York" in label for label, _ in shown.buttons)

    await user.say("UTC+3:17")
    assert (user.last.text or "").startswith(t("timezone.offset_unused", text="UTC+3:17"))

    await user.say("UTC+25")
    assert (user.last.text or "").startswith(t("timezone.offset_invalid", text="UTC+25"))

    await user.say("Xqzvillepoortown")
    assert (user.last.text or "").startswith(t("timezone.not_found", text="Xqzvillepoortown"))
    assert "share your location" in (user.last.text or "")

    await user.say("Portland")
    assert (user.last.text or "").startswith(t("timezone.several_places", text="Portland"))
