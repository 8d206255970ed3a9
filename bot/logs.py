"""Logging: plain or JSON lines, a per-update correlation id, and no secrets.

Health data must never reach the logs, so handlers log ids and outcomes, never message text.
Libraries are a second source of leaks, handled here once for every handler:

- the bot token is scrubbed from the message, its arguments, exception text and tracebacks
  (``_scrub`` runs on the final formatted line, so nothing a library adds can slip past);
- the database drivers' DEBUG loggers (``aiosqlite``, ``sqlalchemy.engine``) print every bound
  parameter, i.e. users' notes and pain scores: they are held at WARNING whatever the level;
- PTB's webhook handler logs an unparseable update in full at CRITICAL: that record keeps
  its first sentence and loses the body and the traceback.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
# Loggers that print SQL parameters or whole API payloads below WARNING.
QUIET_LOGGERS = ("aiosqlite", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg")
_UPDATE_BODY_MARK = "Received data was"


def scrub(text: str) -> str:
    """The text without anything that looks like a bot token (``<digits>:<secret>``)."""
    return _TOKEN_RE.sub("<token>", text)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        if record.name.startswith("telegram") and isinstance(record.msg, str):
            head, mark, _ = record.msg.partition(_UPDATE_BODY_MARK)
            if mark:  # the webhook's "could not process update" line: drop the body
                record.msg = head.strip() + " (update body not logged)"
                record.args = ()
                if record.exc_info and record.exc_info[0] is not None:
                    record.msg += f" [{record.exc_info[0].__name__}]"
                record.exc_info = None
                record.exc_text = None
        return True


class _ScrubbingFormatter(logging.Formatter):
    """Formats as usual, then removes tokens from the whole line, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _JsonFormatter(logging.Formatter):
    _EXTRA = ("chat_id", "update_id", "message_id", "kind", "user_id")

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
            "cid": getattr(record, "correlation_id", "-"),
        }
        for key in self._EXTRA:
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exc"] = scrub(self.formatException(record.exc_info))
        return scrub(json.dumps(payload, default=str))


def make_handler(as_json: bool = False, handler: logging.Handler | None = None) -> logging.Handler:
    """A handler with the context filter and a scrubbing formatter (tests reuse it)."""
    handler = handler or logging.StreamHandler()
    handler.addFilter(_ContextFilter())
    if as_json:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            _ScrubbingFormatter(
                "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"
            )
        )
    return handler


def quiet_libraries(level: str | int = "INFO") -> None:
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    # httpx logs every request URL, which contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # PTB logs whole API payloads (users' messages) at DEBUG: never let those reach the logs.
    for name in ("telegram", "httpcore"):
        logging.getLogger(name).setLevel(max(numeric, logging.INFO))
    # SQL parameters are users' notes and pain scores.
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def setup_logging(level: str = "INFO", as_json: bool = False) -> None:
    root = logging.getLogger()
    root.handlers[:] = [make_handler(as_json)]
    root.setLevel(level)
    quiet_libraries(level)
