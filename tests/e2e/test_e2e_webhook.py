"""Webhook mode: the server posts updates to the bot's own HTTP endpoint with the secret
token, as Telegram does; a request without the right secret is refused and not processed."""

from __future__ import annotations

import time

import pytest

from tests.botapi.server import BotApiServer
from tests.e2e.conftest import StartBot, free_port

pytestmark = pytest.mark.slow  # a real webhook server in a subprocess

SECRET = "e2e-Secret_token-42"


def test_updates_posted_with_the_secret_are_answered_and_others_refused(
    db_url: str, botapi: BotApiServer, start_bot: StartBot
) -> None:
    port = free_port()
    start_bot(
        db_url,
        botapi,
        ready="setWebhook",
        PTCOACH_TELEGRAM_MODE="webhook",
        PTCOACH_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}",
        PTCOACH_TELEGRAM_WEBHOOK_SECRET=SECRET,
        PTCOACH_TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        PTCOACH_TELEGRAM_WEBHOOK_PORT=str(port),
    )
    assert botapi.webhook_url == f"http://127.0.0.1:{port}/telegram"
    assert botapi.webhook_secret == SECRET
    assert botapi.commands, "the command menu is set in webhook mode too"

    # A real conversation, every update delivered by POST with the secret header.
    alex = botapi.user(4242, "Alex")
    welcome = alex.say("/start")
    assert welcome is not None and "not a doctor" in welcome.body
    assert "Which area" in (alex.press("let's start") or alex.last).body
    delivered = {uid for uid, status in botapi.webhook_deliveries if status == 200}
    assert delivered and delivered == {uid for uid, _ in botapi.webhook_deliveries}
    assert not botapi.calls_to("getUpdates")  # no polling while a webhook is set

    # Without the right secret: 403, and the bot does nothing with it.
    mallory = botapi.user(6666, "Mallory")
    assert botapi.post_to_webhook(mallory.text_update("/help"), secret="wrong-secret") == 403
    assert botapi.post_to_webhook(mallory.text_update("/help"), secret=None) == 403
    time.sleep(1.0)
    assert mallory.messages == []

    # The same update with the secret is processed.
    assert botapi.post_to_webhook(mallory.text_update("/help"), secret=SECRET) == 200
    assert "/checkin" in mallory.wait_for("Commands:", since=0).body
