"""Health data stays in the user's private chat (issue 17.1, 17.2): in a group the bot says
"message me privately" and shows nothing, and a button acts only in the presser's own chat."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import User
from bot.domain.wording import say
from tests.harness import updates
from tests.harness.bot import BotHarness
from tests.harness.updates import GROUP_CHAT_ID
from tests.helpers.onboarding import onboard

PRIVATE_ONLY = say("fallback.private_only")
NOT_YOURS = say("fallback.not_yours")

FEATURE_COMMANDS = (
    "/start", "/help", "/today", "/checkin", "/progress", "/report", "/settings",
    "/exercises", "/export", "/delete", "/pause", "/pt", "/ask",
)  # fmt: skip


async def _users(harness: BotHarness) -> int:
    async with harness.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def test_every_command_in_a_group_only_points_to_the_private_chat(
    harness: BotHarness,
) -> None:
    alex = harness.user(1001, "Alex")
    await onboard(alex, area="Knee")
    private_before = list(alex.texts)
    harness.telegram.reset_calls()

    for command in FEATURE_COMMANDS:
        await harness.process(updates.group_text_update(1001, "Alex", command))

    in_group = harness.telegram.calls_to("sendMessage", GROUP_CHAT_ID)
    assert [c.params["text"] for c in in_group] == [PRIVATE_ONLY] * len(FEATURE_COMMANDS)
    # No file, chart or report anywhere, and nothing new in Alex's private chat either.
    assert harness.telegram.calls_to("sendDocument") == []
    assert harness.telegram.calls_to("sendPhoto") == []
    assert alex.texts == private_before
    assert "Knee" not in PRIVATE_ONLY and "Alex" not in PRIVATE_ONLY


async def test_group_chatter_is_ignored_and_stores_nothing(harness: BotHarness) -> None:
    for text in ("anyone up for a run?", "my calf is swollen and hot since my flight"):
        await harness.process(updates.group_text_update(2002, "Sam", text))
    assert harness.telegram.calls_to("sendMessage", GROUP_CHAT_ID) == []
    assert await _users(harness) == 0


async def test_a_button_pressed_in_a_group_does_nothing(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await onboard(alex)
    await alex.say("/delete")
    confirm = alex.tg.last_with_buttons(alex.id).button_data("Yes, delete everything")
    harness.telegram.reset_calls()

    await harness.process(updates.group_callback_update(1001, "Alex", confirm))

    answers = list(harness.telegram.query_answers.values())
    assert answers[-1]["text"] == PRIVATE_ONLY
    assert harness.telegram.calls_to("editMessageText") == []
    assert harness.telegram.calls_to("sendMessage") == []
    assert await _users(harness) == 1


async def test_another_users_press_on_my_message_changes_nothing(harness: BotHarness) -> None:
    alex, sam = harness.user(1001, "Alex"), harness.user(1002, "Sam")
    await onboard(alex)
    await onboard(sam)
    await alex.say("/delete")
    alex_prompt = alex.tg.last_with_buttons(alex.id)
    harness.telegram.reset_calls()

    # Sam's client sends Alex's confirmation button (forged data, or a leaked message).
    await sam.press_data(alex_prompt.button_data("Yes, delete everything"), alex_prompt)

    assert list(harness.telegram.query_answers.values())[-1]["text"] == NOT_YOURS
    assert harness.telegram.calls_to("editMessageText") == []
    assert harness.telegram.calls_to("sendMessage") == []
    assert await _users(harness) == 2
    # Alex's own press still works.
    await alex.press("Yes, delete everything", alex_prompt)
    assert await _users(harness) == 1
