"""`python -m bot chat`: try PT Coach in a terminal, without Telegram or a token.

It is the real bot: the same Application, handlers, scheduler and database code, with an
in-process stand-in for Telegram that prints what the bot sends, and a clock that can jump
forward so a check-in due tonight or a nudge due next week can be seen in a minute. It keeps
its own SQLite file (data/chat.db), so trying it never touches the real bot's data.

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

import argparse
import asyncio
import dataclasses
import itertools
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Update

from bot.config import ConfigError, Settings, load_settings
from bot.transport import InProcessRequest, Upload, error, ok

CHAT_DB = "sqlite+aiosqlite:///data/chat.db"
USER_ID = 424242
BOT_ID = 1000000001
BOT_USERNAME = "pt_coach_chat_bot"
STEP = timedelta(minutes=5)  # /wait ticks this often: well inside the dispatcher's late grace
MAX_WAIT = timedelta(days=60)
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64

HELP = __doc__.split("In the session:", 1)[1].rstrip() if __doc__ else ""

Output = Callable[[str], None]
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


@dataclass
class ChatMessage:
    """One of the bot's messages as the terminal user sees it, kept current by edits."""

    message_id: int
    text: str
    markup: dict[str, Any] | None = None
    kind: str = "text"

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def press_keys(self) -> list[str]:
        """What the user types to press each button: the label when every label is a
        distinct whole number (a 0-10 scale), else the position from 1."""
        numbers = [label.strip().removesuffix("+") for label, _ in self.buttons]  # "4+" is 4
        if numbers and all(n.isdigit() for n in numbers) and len(set(numbers)) == len(numbers):
            return numbers
        return [str(i) for i in range(1, len(numbers) + 1)]

    def to_api(self, chat_id: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": chat_id, "type": "private", "first_name": "You"},
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "PT Coach",
                "username": BOT_USERNAME,
            },
        }
        if self.kind == "text":
            data["text"] = self.text
        else:
            data["document"] = {
                "file_id": f"f{self.message_id}",
                "file_unique_id": f"u{self.message_id}",
            }
            data["caption"] = self.text
        if self.markup and "inline_keyboard" in self.markup:
            data["reply_markup"] = self.markup
        return data


class ApiRefusal(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class TerminalTelegram(InProcessRequest):
    """Answers the Bot API methods PT Coach uses, as Telegram would, and prints the chat.

    It checks what Telegram checks most often (text length, empty text, 64-byte button data),
    so a mistake shows up here as it would in a real chat.
    """

    def __init__(self, out: Output, files_dir: Path) -> None:
        self.out = out
        self.files_dir = files_dir
        self.messages: dict[int, ChatMessage] = {}
        self._ids = itertools.count(1)

    async def answer(
        self, api_method: str, params: dict[str, Any], files: dict[str, Upload]
    ) -> tuple[int, bytes]:
        handler = getattr(self, f"_api_{api_method}", None)
        try:
            result = handler(params, files) if handler else True
        except ApiRefusal as exc:
            self.out(f"   (Telegram would refuse this: {exc.description})")
            return error(400, f"Bad Request: {exc.description}")
        return ok(result)

    # --- the latest keyboard ---------------------------------------------------------------
    def current_keyboard(self) -> ChatMessage | None:
        for msg in reversed(self.messages.values()):
            if msg.buttons:
                return msg
        return None

    # --- printing ----------------------------------------------------------------------------
    def _show(self, msg: ChatMessage, prefix: str = "PT Coach") -> None:
        lines = msg.text.splitlines() or [""]
        self.out(f"{prefix}: {lines[0]}")
        for line in lines[1:]:
            self.out(f"   {line}")
        if msg.buttons:
            keys = iter(msg.press_keys())
            for row in (msg.markup or {}).get("inline_keyboard", []):
                self.out("   " + "   ".join(f"[{next(keys)}] {b['text']}" for b in row))
        elif msg.markup and "keyboard" in msg.markup:
            self.out("   (share a location with /location LATITUDE LONGITUDE, or type the answer)")

    # --- Bot API methods ---------------------------------------------------------------------
    def _api_getMe(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "PT Coach",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise ApiRefusal("BUTTON_DATA_INVALID")
        return markup  # type: ignore[no-any-return]

    @staticmethod
    def _text(params: dict[str, Any]) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiRefusal("message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiRefusal("message is too long")
        return text

    def _store(self, msg: ChatMessage, chat_id: int) -> dict[str, Any]:
        self.messages[msg.message_id] = msg
        self._show(msg)
        return msg.to_api(chat_id)

    def _api_sendMessage(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        msg = ChatMessage(next(self._ids), self._text(params), self._markup(params))
        return self._store(msg, int(params["chat_id"]))

    def _find(self, params: dict[str, Any]) -> ChatMessage:
        msg = self.messages.get(int(params.get("message_id", 0)))
        if msg is None:
            raise ApiRefusal("message to edit not found")
        return msg

    def _api_editMessageText(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        msg = self._find(params)
        text, markup = self._text(params), self._markup(params)
        if text == msg.text and markup == msg.markup:
            raise ApiRefusal("message is not modified")
        msg.text, msg.markup = text, markup
        self._show(msg, "PT Coach (updated)")
        return msg.to_api(int(params["chat_id"]))

    def _api_editMessageReplyMarkup(
        self, params: dict[str, Any], files: dict[str, Any]
    ) -> dict[str, Any]:
        msg = self._find(params)
        msg.markup = self._markup(params)
        if msg.buttons:
            self._show(msg, "PT Coach (updated)")
        return msg.to_api(int(params["chat_id"]))

    def _api_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, Any]) -> bool:
        if params.get("text"):
            self.out(f"   ({params['text']})")
        return True

    def _save(
        self, params: dict[str, Any], files: dict[str, Any], name: str, default: str
    ) -> dict[str, Any]:
        upload = files.get(name)
        filename = (upload.filename if upload else None) or default
        content = upload.content if upload else b""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        msg = ChatMessage(
            next(self._ids), params.get("caption") or "", self._markup(params), kind=name
        )
        path = self.files_dir / f"{msg.message_id}-{Path(filename).name}"
        path.write_bytes(content)
        self.messages[msg.message_id] = msg
        self.out(f"PT Coach sent a {'photo' if name == 'photo' else 'file'}: {path}")
        if msg.text:
            self.out(f"   {msg.text}")
        return msg.to_api(int(params["chat_id"]))

    def _api_sendDocument(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        return self._save(params, files, "document", "document.bin")

    def _api_sendPhoto(self, params: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        return self._save(params, files, "photo", "photo.png")


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


def chat_settings(base: Settings, db_url: str) -> Settings:
    """Same behaviour as the real bot, but its own database and nothing that reaches out."""
    settings = base.with_overrides(
        database={"url": db_url, "migrate_on_start": True},
        telegram={
            "rate_limit": False,
            "mode": "polling",
            "base_url": "",
            "webhook_url": "",
            "health_port": 0,
        },
    )
    return dataclasses.replace(settings, token="")


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    from bot.db.engine import resolve_sqlite_path

    parsed = make_url(resolve_sqlite_path(url))
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.logs import setup_logging

    try:
        base = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    url = args.db or CHAT_DB
    if args.fresh:
        path = _sqlite_file(url)
        if path is None:
            print(
                "--fresh only works with a SQLite database (it deletes the file).", file=sys.stderr
            )
            return 2
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    setup_logging("WARNING", False)
    return asyncio.run(run_chat(chat_settings(base, url)))


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "chat",
        help="try PT Coach in this terminal, without Telegram",
        description="Chat with the real bot in your terminal, without Telegram.\n\nIn the session:"
        + HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="URL", help=f"database URL (default: {CHAT_DB})")
    parser.add_argument(
        "--fresh", action="store_true", help="delete the chat database and start over"
    )
    parser.set_defaults(func=cmd_chat)
