"""Running the bot for real: polling or webhook, with graceful shutdown on SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal

from telegram import Update
from telegram.error import InvalidToken

from bot.app import MigrationsPending, build_application
from bot.config import Settings
from bot.logs import setup_logging

log = logging.getLogger(__name__)


def run_bot(settings: Settings) -> int:
    setup_logging(settings.logging.level, settings.logging.json_lines)
    app = build_application(settings)
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    try:
        if settings.telegram.mode == "webhook":
            tg = settings.telegram
            from bot.webhook import cap_request_bodies

            cap_request_bodies(tg.max_body_bytes)
            app.run_webhook(
                listen=tg.webhook_listen,
                port=tg.webhook_port,
                url_path=tg.webhook_path,
                webhook_url=f"{tg.webhook_url.rstrip('/')}/{tg.webhook_path}",
                secret_token=tg.webhook_secret.get_secret_value(),
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
                stop_signals=stop_signals,
            )
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals)
    except MigrationsPending as exc:
        log.error("%s", exc)
        return 3
    except InvalidToken:
        # PTB's message quotes the token; the formatter would scrub it, but say it plainly.
        log.error("Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN (@BotFather)")
        return 78
    return 0
