"""The running bot's basics: the command menu, /help, and failures that never take it down."""

from __future__ import annotations

import logging

import pytest
from telegram.ext import CommandHandler

from tests.harness.bot import BotHarness


async def test_command_menu_is_registered_at_start(harness: BotHarness) -> None:
    calls = harness.telegram.calls_to("setMyCommands")
    assert calls, "set_my_commands was not called"
    commands = calls[-1].params["commands"]
    names = {c["command"] if isinstance(c, dict) else c for c in commands}
    assert {"start", "help", "checkin", "delete", "export"} <= names


async def test_help_explains_what_the_bot_is_and_is_not(harness: BotHarness) -> None:
    user = harness.user()
    await user.say("/help")
    text = user.last.text or ""
    assert "not a doctor" in text and "emergency" in text
    assert "/checkin" in text


async def test_a_crashing_handler_is_logged_and_the_user_told_kindly(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(update, context):
        raise RuntimeError("database exploded")

    harness.app.add_handler(CommandHandler("boom", boom), group=-10)
    user = harness.user()
    with caplog.at_level(logging.ERROR):
        await user.say("/boom")
    # (/boom is not a real command, so the unknown-command reply may follow the apology.)
    assert any("something went wrong" in text.lower() for text in user.texts)
    assert any("handler failed" in r.getMessage() for r in caplog.records)
    # ...and the bot still answers afterwards.
    await user.say("/help")
    assert "/checkin" in (user.last.text or "")
