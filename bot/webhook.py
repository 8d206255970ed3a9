"""Webhook hardening around PTB's tornado server: request bodies are capped before reading.

PTB builds tornado's ``HTTPServer`` with its default 100 MB body limit, and tornado reads the
whole body before the handler checks the secret token, so four large anonymous posts cost
hundreds of MB. Telegram's updates are a few kB; with the cap, tornado refuses a body whose
``Content-Length`` (or streamed size) is over ``telegram.max_body_bytes`` without reading it.
PTB offers no option for this, so its server class is replaced by a subclass (one line to
remove if PTB ever grows the option).
"""

from __future__ import annotations

from typing import Any

from telegram.ext import _updater
from telegram.ext._utils.webhookhandler import WebhookServer


def capped_server_class(max_body_bytes: int) -> type[WebhookServer]:
    class CappedWebhookServer(WebhookServer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._http_server.conn_params.max_body_size = max_body_bytes

    return CappedWebhookServer


def cap_request_bodies(max_body_bytes: int) -> None:
    """Make every webhook server PTB starts from now on refuse bodies over the cap."""
    _updater.WebhookServer = capped_server_class(max_body_bytes)  # type: ignore[attr-defined]
