"""A small Telegram-compatible Bot API server, so end-to-end tests run the real bot process
over real HTTP without Telegram."""

from tests.botapi.server import BotApiServer, SentMessage, TestUser

__all__ = ["BotApiServer", "SentMessage", "TestUser"]
