"""Drives the real PTB Application through the offline transport, on the real database, with a
fake clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import Update

from bot.app import PTBApp, build_application, start_services
from bot.clock import FakeClock
from bot.config import Settings
from bot.services.container import Services
from bot.services.outbox import Outbox
from tests.harness import updates
from tests.harness.fake_telegram import FakeTelegram, SentMessage


class BotHarness:
    def __init__(
        self, settings: Settings, clock: FakeClock, telegram: FakeTelegram | None = None
    ) -> None:
        self.telegram = telegram or FakeTelegram()
        self.clock = clock
        self.settings = settings
        self.app: PTBApp = build_application(
            settings, request=self.telegram, clock=clock, run_ticks=False
        )

    @property
    def services(self) -> Services:
        return self.app.bot_data["services"]

    async def start(self) -> None:
        await self.app.initialize()
        await start_services(self.app)

    async def stop(self) -> None:
        await self.app.shutdown()
        await self.services.engine.dispose()

    async def restart(self) -> BotHarness:
        """A new process on the same database: nothing in memory survives."""
        await self.app.shutdown()
        await self.services.engine.dispose()
        fresh = BotHarness(self.settings, self.clock, self.telegram)  # same chats, same Telegram
        await fresh.start()
        return fresh

    async def process(self, raw: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(raw, self.app.bot))

    def user(self, user_id: int = 1001, first_name: str = "Alex") -> SimUser:
        return SimUser(self, user_id, first_name)

    async def tick(self) -> int:
        """Run one dispatcher tick, as the JobQueue would; returns messages sent."""
        from scheduler.dispatcher import Dispatcher

        return await Dispatcher(self.services, self.app.bot).tick()

    async def advance(self, delta: timedelta, *, step: timedelta = timedelta(minutes=5)) -> None:
        """Move the clock forward, ticking every ``step`` on the way as a running bot would
        (ticks that would find nothing are skipped: see ``next_tick_at``)."""
        end = self.clock.now() + delta
        while self.clock.now() < end:
            self.clock.set(await self.next_tick_at(end, step))
            await self.tick()

    async def next_tick_at(self, end: datetime, step: timedelta) -> datetime:
        """The next tick worth running on the grid of ``step`` from now, at most ``end``.

        Ticks that would find nothing to do are skipped (``Outbox.next_work_at``): this is the
        first tick of the grid at or after the next piece of work, so every message goes out
        at the very tick it would have with all the empty ticks run, and sixty simulated days
        cost their few hundred real ticks instead of 17,000.
        """
        now = self.clock.now()
        work_at = await Outbox(self.services).next_work_at(now)
        steps = 1
        if work_at is None:
            steps = -(-(end - now) // step)
        elif work_at > now + step:
            steps = -(-(work_at - now) // step)
        return min(now + steps * step, end)


@dataclass
class SimUser:
    harness: BotHarness
    id: int
    first_name: str

    @property
    def tg(self) -> FakeTelegram:
        return self.harness.telegram

    async def say(self, text: str) -> SentMessage | None:
        await self.harness.process(updates.text_update(self.id, self.first_name, text))
        return self.last_or_none()

    async def edit(self, message_id: int, text: str) -> SentMessage | None:
        """Edit one of the user's own earlier messages (by its id) to ``text``."""
        await self.harness.process(
            updates.edited_text_update(self.id, self.first_name, message_id, text)
        )
        return self.last_or_none()

    async def press(
        self, label_part: str, message: SentMessage | None = None
    ) -> SentMessage | None:
        """Press the first button whose label contains ``label_part``, on ``message`` or on the
        latest message that has buttons."""
        message = message or self.tg.last_with_buttons(self.id)
        data = message.button_data(label_part)
        await self.press_data(data, message)
        return self.last_or_none()

    async def press_data(self, data: str, message: SentMessage | None = None) -> None:
        await self.harness.process(updates.callback_update(self.id, self.first_name, data, message))

    async def share_location(self, lat: float, lon: float) -> None:
        await self.harness.process(updates.location_update(self.id, self.first_name, lat, lon))

    async def send_sticker(self) -> None:
        await self.harness.process(updates.sticker_update(self.id, self.first_name))

    async def send_photo(self) -> None:
        await self.harness.process(updates.photo_update(self.id, self.first_name))

    async def block(self) -> None:
        self.tg.blocked.add(self.id)
        await self.harness.process(updates.member_update(self.id, self.first_name, blocked=True))

    async def unblock(self) -> None:
        self.tg.blocked.discard(self.id)
        await self.harness.process(updates.member_update(self.id, self.first_name, blocked=False))

    def last_or_none(self) -> SentMessage | None:
        msgs = self.tg.messages(self.id)
        return msgs[-1] if msgs else None

    @property
    def last(self) -> SentMessage:
        return self.tg.last(self.id)

    @property
    def texts(self) -> list[str]:
        return self.tg.texts(self.id)
