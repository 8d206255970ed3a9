"""The single writer that records sent messages as soon as Telegram accepts them.

Sends run concurrently; their bookkeeping goes through one queue and is committed in groups
of whatever has arrived (group commit), so recording keeps pace with sending without sessions
contending for the database (SQLite has one writer).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.domain.dispatch_policy import RECORD_ATTEMPTS
from bot.services.container import Services
from bot.services.outbox import Job, Outbox

log = logging.getLogger(__name__)


class Recorder:
    def __init__(self, services: Services, outbox: Outbox, now: datetime) -> None:
        self.services = services
        self.outbox = outbox
        self.now = now
        self.queue: asyncio.Queue[tuple[Job, int, asyncio.Future[None]] | None] = asyncio.Queue()
        self.recorded = 0
        self._conn: AsyncConnection | None = None

    async def put(self, job: Job, message_id: int) -> None:
        """Hand over a sent message; returns once it is recorded (or given up on)."""
        self.services.metrics.message("sent")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((job, message_id, done))
        await done

    def close(self) -> None:
        self.queue.put_nowait(None)

    async def run(self) -> None:
        finished = False
        while not finished:
            item = await self.queue.get()
            batch: list[tuple[Job, int, asyncio.Future[None]]] = []
            while item is not None:
                batch.append(item)
                if self.queue.empty():
                    break
                item = self.queue.get_nowait()
            finished = item is None
            if batch:
                try:
                    await self._record([(job, message_id) for job, message_id, _ in batch])
                finally:
                    for _, _, done in batch:
                        if not done.done():
                            done.set_result(None)

    async def _record(self, batch: list[tuple[Job, int]]) -> None:
        for attempt in range(RECORD_ATTEMPTS):
            try:
                async with AsyncSession(await self._connection(), expire_on_commit=False) as s:
                    await self.outbox.record_sent(s, batch, self.now)
                    await s.commit()
                self.recorded += len(batch)
                return
            except Exception:
                # The users have these messages: never hand the rows back for a resend. Retry
                # the bookkeeping on a fresh connection (the database may have just dropped us).
                log.warning(
                    "could not record %d sent message(s) (attempt %d)",
                    len(batch),
                    attempt + 1,
                    exc_info=True,
                )
                await self._discard_connection()
                await asyncio.sleep(0.05 * 2**attempt)
        # Still `sending`: reclaimed after LEASE and sent again, the documented duplicate window.
        self.recorded += len(batch)
        log.error("%d sent message(s) stay unrecorded; they may be sent twice", len(batch))

    async def _connection(self) -> AsyncConnection:
        """One connection for the whole tick: a group commit every few messages should not
        also pay for a pool checkout and (on PostgreSQL) its pre-ping round trip."""
        if self._conn is None:
            self._conn = await self.services.engine.connect()
        return self._conn

    async def _discard_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.invalidate()  # it may be broken: never hand it back to the pool
            await conn.close()
        except Exception:
            log.debug("closing a failed connection failed too", exc_info=True)

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                log.debug("returning the recorder's connection failed", exc_info=True)
