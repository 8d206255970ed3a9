"""A tiny HTTP endpoint for the load balancer and Prometheus: ``/healthz`` and ``/metrics``.

It runs on its own port (``telegram.health_port``, off when 0) rather than inside the webhook
server, so it works the same in polling mode and is never exposed through the public TLS
proxy. Plain ``asyncio.start_server`` keeps it free of dependencies (``prometheus_client``
only formats the registry, its own HTTP server runs in a thread and knows no database
probe); it speaks just enough HTTP/1.1 for probes (one request per connection, GET and HEAD
only).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from sqlalchemy import text

from bot.metrics import CONTENT_TYPE
from bot.services.container import Services

log = logging.getLogger(__name__)

DB_TIMEOUT = 2.0  # a probe must answer quickly even while the database hangs
READ_TIMEOUT = 5.0
MAX_LINE = 8192  # a request line or header longer than this is answered 400
MAX_HEADERS = 100
_KEY = "health_server"
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}


async def database_ok(services: Services) -> bool:
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            async with services.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        log.warning("health check: database unreachable", exc_info=True)
        return False


class HealthServer:
    """Serves ``GET /healthz`` (200 when the database answers, else 503) and ``GET /metrics``."""

    def __init__(self, services: Services, host: str = "127.0.0.1", port: int = 0) -> None:
        self.services = services
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Start listening; returns the bound port (useful when ``port`` is 0)."""
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, limit=MAX_LINE
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("health endpoint listening on %s:%d", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                async with asyncio.timeout(READ_TIMEOUT):
                    request_line = (await reader.readline()).decode("latin-1").strip()
                    for _ in range(MAX_HEADERS + 1):  # headers are irrelevant to a probe
                        if (await reader.readline()) in (b"\r\n", b"\n", b""):
                            break
                    else:
                        raise ValueError("too many headers")
            except ValueError:  # a line over MAX_LINE (asyncio's LimitOverrunError) or too many
                request_line = ""
                status, content_type, body = 400, "text/plain; charset=utf-8", b"bad request\n"
            else:
                status, content_type, body = await self.respond(request_line)
            method = request_line.split(" ", 1)[0]
            head = (
                f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
            ).encode()
            writer.write(head if method == "HEAD" else head + body)
            await writer.drain()
        except (TimeoutError, ConnectionError, UnicodeDecodeError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def respond(self, request_line: str) -> tuple[int, str, bytes]:
        parts = request_line.split()
        if len(parts) < 2 or parts[0] not in ("GET", "HEAD"):
            return 405, "text/plain; charset=utf-8", b"method not allowed\n"
        path = parts[1].split("?", 1)[0]
        if path == "/healthz":
            ok = await database_ok(self.services)
            payload: dict[str, Any] = {
                "status": "ok" if ok else "unavailable",
                "database": "ok" if ok else "unreachable",
                "instance": self.services.instance_id,
            }
            return (200 if ok else 503), "application/json", json.dumps(payload).encode()
        if path == "/metrics":
            return 200, CONTENT_TYPE, self.services.metrics.render_prometheus()
        return 404, "text/plain; charset=utf-8", b"not found\n"


async def start_health(app: Any) -> HealthServer | None:
    """Called from post_init: start the endpoint if ``telegram.health_port`` is set."""
    services: Services = app.bot_data["services"]
    port = services.settings.telegram.health_port
    if port <= 0:
        return None
    server = HealthServer(services, services.settings.telegram.health_listen, port)
    await server.start()
    app.bot_data[_KEY] = server
    return server


async def stop_health(app: Any) -> None:
    server: HealthServer | None = app.bot_data.pop(_KEY, None)
    if server is not None:
        await server.stop()
