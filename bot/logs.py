"""Logging: plain or JSON lines, a per-update correlation id, and no secrets.

Health data must never reach the logs, so handlers log ids and outcomes, never message text;
the token filter is a second line of defence in case a library logs a request URL.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        if isinstance(record.msg, str):
            record.msg = _TOKEN_RE.sub("<token>", record.msg)
        if record.args:
            record.args = tuple(
                _TOKEN_RE.sub("<token>", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


class _JsonFormatter(logging.Formatter):
    _EXTRA = ("chat_id", "update_id", "message_id", "kind", "user_id")

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "cid": getattr(record, "correlation_id", "-"),
        }
        for key in self._EXTRA:
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def setup_logging(level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_ContextFilter())
    if as_json:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, which contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # PTB logs whole API payloads (users' messages) at DEBUG: never let those reach the logs.
    for name in ("telegram", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.INFO))
