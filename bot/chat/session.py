"""The chat loop: one simulated user, a clock that can jump, the real application.

In the session:
  type anything          a message to the bot (commands like /start, /checkin, /help too)
  2  or  /press 2        press button [2] of the latest message that has buttons
                         (when a keyboard's buttons are themselves numbers, such as a pain
                         scale 0-10, the bracketed key is the number itself: 4 presses "4")
  /say 2                 send the text "2" even when buttons are shown
  /location 52.52 13.40  share a location (latitude longitude)
  /wait 3h  /wait 1d     move the clock forward; scheduled messages arrive on the way
  /clock                 show the session's current time
  /quit                  leave (the data stays for next time; --fresh starts over)
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Update

from bot.chat.terminal import ChatMessage, Output, TerminalTelegram
from bot.config import Settings
from bot.services.activity import latest_activity, next_update_id

USER_ID = 424242
STEP = timedelta(minutes=5)  # /wait ticks this often: well inside the dispatcher's late grace
MAX_WAIT = timedelta(days=60)

HELP = __doc__.split("In the session:", 1)[1].rstrip() if __doc__ else ""

InputFn = Callable[[str], str]


class ChatClock:
    """Real time plus an offset: time passes normally, and /wait jumps ahead."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


class ChatSession:
    """One person chatting with the real bot; ``handle`` takes what they typed."""

    def __init__(
        self,
        settings: Settings,
        *,
        out: Output = print,
        files_dir: Path | None = None,
        user_id: int = USER_ID,
        first_name: str = "Runner",
        clock: ChatClock | None = None,
    ) -> None:
        from bot.app import build_application

        self.out = out
        self.clock = clock or ChatClock()
        self.files_dir = files_dir or Path(tempfile.mkdtemp(prefix="ptcoach-chat-"))
        self.telegram = TerminalTelegram(out, self.files_dir)
        self.app = build_application(
            settings, request=self.telegram, clock=self.clock, run_ticks=False
        )
        self.user_id = user_id
        self.first_name = first_name
        self._updates = itertools.count(1)
        self._inbound = itertools.count(1)

    async def start(self) -> None:
        from bot.app import start_services

        await self.app.initialize()
        await start_services(self.app)
        # Update and message ids go on from the last session's: the bot drops an update id it
        # has already handled, exactly as it must for Telegram's redeliveries.
        engine = self.app.bot_data["services"].engine
        first = await next_update_id(engine)
        self._updates = itertools.count(first)
        self._inbound = itertools.count(first)
        # The clock goes on from where the last session left it (after its /wait jumps), so
        # what that session logged is not in this one's future.
        latest = await latest_activity(engine)
        if latest is not None and latest > self.clock.now():
            self.clock.advance(latest - self.clock.now() + timedelta(minutes=1))
            self.out(
                f"   (resuming at the last session's time: {self.clock.now():%a %d %b %H:%M} UTC)"
            )

    async def stop(self) -> None:
        await self.app.shutdown()
        await self.app.bot_data["services"].engine.dispose()

    # --- what the user can do ------------------------------------------------------------
    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the user wants to leave."""
        text = line.strip()
        if not text:
            return True
        command, _, rest = text.partition(" ")
        lowered = command.lower()
        if lowered in ("/quit", "/exit"):
            return False
        await self.tick()  # whatever fell due while the user was typing arrives first
        actions: dict[str, Callable[[str], Awaitable[None]]] = {
            "/press": self.press,
            "/say": self.say,
            "/location": self.location,
            "/wait": self.wait,
            "/clock": self.show_clock,
            "/chathelp": self.show_help,
        }
        if lowered in actions:
            await actions[lowered](rest.strip())
        elif self._key_message(text) is not None:
            await self.press(text)
        else:
            await self.say(text)
        return True

    def _key_message(self, key: str) -> ChatMessage | None:
        msg = self.telegram.current_keyboard()
        return msg if msg is not None and key in msg.press_keys() else None

    async def say(self, text: str) -> None:
        if not text:
            self.out("   (nothing to send: /say TEXT)")
            return
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        await self._process({"message": self._message(**content)})

    async def press(self, key: str) -> None:
        msg = self.telegram.current_keyboard()
        if msg is None:
            self.out("   (there are no buttons to press)")
            return
        keys = msg.press_keys()
        if key not in keys:
            self.out(f"   (no button [{key}]; the buttons are {', '.join(f'[{k}]' for k in keys)})")
            return
        _, data = msg.buttons[keys.index(key)]
        query = {
            "id": str(next(self._inbound)),
            "from": self._person(),
            "chat_instance": "chat",
            "data": data,
            "message": msg.to_api(self.user_id),
        }
        await self._process({"callback_query": query})

    async def location(self, rest: str) -> None:
        try:
            lat, lon = (float(part) for part in rest.replace(",", " ").split())
        except ValueError:
            self.out("   (usage: /location LATITUDE LONGITUDE, for example /location 52.52 13.40)")
            return
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.out("   (latitude is -90..90 and longitude -180..180)")
            return
        await self._process(
            {"message": self._message(location={"latitude": lat, "longitude": lon})}
        )

    async def wait(self, rest: str) -> None:
        from bot.domain.parsing import InputError, parse_duration

        try:
            delta = parse_duration(rest)
        except InputError as exc:
            self.out(f"   ({exc.message})")
            return
        if delta <= timedelta() or delta > MAX_WAIT:
            self.out("   (wait between a minute and 60 days, for example /wait 3h or /wait 1d)")
            return
        end = self.clock.now() + delta
        while self.clock.now() < end:
            self.clock.advance(min(STEP, end - self.clock.now()))
            await self.tick()
        await self.show_clock("")

    async def show_clock(self, rest: str) -> None:
        self.out(f"   (session time: {self.clock.now():%a %d %b %Y %H:%M} UTC)")

    async def show_help(self, rest: str) -> None:
        self.out(HELP)

    async def tick(self) -> int:
        from scheduler.dispatcher import Dispatcher

        return await Dispatcher(self.app.bot_data["services"], self.app.bot).tick()

    # --- updates, as Telegram would deliver them -----------------------------------------
    def _person(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": "en",
        }

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._inbound),
            "date": int(self.clock.now().timestamp()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": self._person(),
            **content,
        }

    async def _process(self, update: dict[str, Any]) -> None:
        raw = {"update_id": next(self._updates), **update}
        await self.app.process_update(Update.de_json(raw, self.app.bot))


async def run_chat(
    settings: Settings,
    *,
    input_fn: InputFn = input,
    out: Output = print,
    files_dir: Path | None = None,
) -> int:
    """The read-act-print loop; ends on /quit or end of input."""
    session = ChatSession(settings, out=out, files_dir=files_dir)
    await session.start()
    out("PT Coach chat: the real bot on your own test database, no Telegram needed.")
    out(f"Files the bot sends are saved in {session.files_dir}")
    out(
        "Say /start to begin. /chathelp shows how to press buttons, share a location or "
        "jump ahead in time; /quit leaves."
    )
    try:
        while True:
            try:
                line = await asyncio.to_thread(input_fn, "you> ")
            except EOFError:
                break
            if not await session.handle(line):
                break
    finally:
        await session.stop()
    out("Bye! Your chat data stays in the chat database; use --fresh to start over.")
    return 0
