"""/cancel says what a user expects in every step: a menu or a question that was only shown
is "closed, nothing changed", a change in progress is stopped with nothing saved, and what was
already saved (a check-in, a PT session, rest days tapped) is said to be kept. Through the
real bot, on both databases."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Dialog
from tests.harness.bot import BotHarness
from tests.helpers.running import clear_to_run, open_running
from tests.helpers.seed import make_user


async def _dialog(harness: BotHarness) -> Dialog | None:
    async with harness.services.sessions() as session:
        return (await session.execute(select(Dialog))).scalar_one_or_none()


async def test_cancel_under_a_menu_says_it_closed_and_nothing_changed(harness: BotHarness) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await alex.say("/cancel")
    assert alex.last.text == "There's nothing to cancel right now."

    await alex.say("/settings")
    await alex.say("/cancel")
    assert "closed the settings menu" in (alex.last.text or "")
    assert "Nothing was changed" in (alex.last.text or "")
    assert "cancelled" not in (alex.last.text or "").lower()
    assert await _dialog(harness) is None

    await alex.say("/pause")
    await alex.say("/cancel")
    assert "not paused" in (alex.last.text or "").lower()
    assert "cancelled" not in (alex.last.text or "").lower()

    await alex.say("/settings")
    await alex.press("Check-in time")
    await alex.say("/cancel")
    assert "cancelled that change" in (alex.last.text or "")
    assert "as they were" in (alex.last.text or "")


async def test_cancel_after_a_run_was_tapped_says_the_run_is_not_logged(
    harness: BotHarness,
) -> None:
    await make_user(harness)
    alex = harness.user(1001)
    await clear_to_run(alex)
    await open_running(alex)
    await alex.press("Done as planned")
    await alex.say("/cancel")
    assert "haven't logged that run" in (alex.last.text or "")
    assert await _dialog(harness) is None


async def test_cancel_under_the_running_menu_the_faq_topics_and_a_check_in(
    harness: BotHarness,
) -> None:
    from tests.helpers.seed import at_first_checkin

    alex = await at_first_checkin(harness)
    prompt = alex.last
    await alex.say("/running")
    await alex.say("/cancel")
    assert alex.last.text == "Okay, I've closed the menu. Nothing was changed."
    await alex.say("/faq")
    await alex.say("/cancel")
    assert alex.last.text == "Okay, I've closed the menu. Nothing was changed."
    await alex.press("Did them all", prompt)
    await alex.say("/cancel")  # at the pain question: the check-in itself is saved
    assert "Your check-in so far is saved" in (alex.last.text or "")
    await alex.say("/cancel")
    assert alex.last.text == "There's nothing to cancel right now."
