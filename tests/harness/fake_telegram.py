"""An offline Telegram: an in-process transport that answers Bot API calls as Telegram does.

It records every call, keeps the messages the bot sent per chat (with their keyboards, so a
test can press a button), is as strict as Telegram where a bot typically gets it wrong
(64-byte callback data, empty or over-long text, answering a callback twice, editing a message
into identical content), and injects faults for a chosen method and chat.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, ClassVar

from telegram.error import TimedOut

from bot.transport import InProcessRequest, Upload, error, ok
from tests.harness.message_json import content_fields

BOT_ID = 7000000001
BOT_USERNAME = "pt_coach_test_bot"
MAX_TEXT = 4096
# A content placeholder left unfilled, as a user would see it: "{injury}", "{first_name}".
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


@dataclass
class SentMessage:
    """What a user sees in their chat: the bot's message, kept up to date by edits."""

    chat_id: int
    message_id: int
    text: str | None
    reply_markup: dict[str, Any] | None
    kind: str = "text"  # text | photo | document
    caption: str | None = None
    file: bytes | None = None
    filename: str | None = None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def button_data(self, label_part: str) -> str:
        matches = [d for label, d in self.buttons if label_part.lower() in label.lower()]
        if not matches:
            raise AssertionError(f"no button containing {label_part!r} in {self.buttons}")
        return matches[0]

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": 1_700_000_000,
            "chat": (
                {"id": self.chat_id, "type": "private", "first_name": "User"}
                if self.chat_id > 0
                else {"id": self.chat_id, "type": "group", "title": "Running club"}
            ),
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "PT Coach",
                "username": BOT_USERNAME,
            },
        }
        data.update(content_fields(self))
        return data


@dataclass
class Fault:
    method: str | None  # None: any method
    chat_id: int | None  # None: any chat
    status: int  # 429, 403, 400, 500, 502 or 0 for a timeout
    description: str
    remaining: int | None  # None: forever
    retry_after: int | None = None

    def matches(self, method: str, chat_id: int | None) -> bool:
        return (self.method is None or self.method == method) and (
            self.chat_id is None or self.chat_id == chat_id
        )


class TelegramError400(Exception):
    pass


class FakeTelegram(InProcessRequest):
    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        # Template placeholders that reached a user ("{injury}"): the harness fixture fails on any.
        self.placeholder_leaks: list[str] = []
        self.chats: dict[int, list[SentMessage]] = defaultdict(list)
        self.faults: list[Fault] = []
        self.answered_queries: set[str] = set()
        self.query_answers: dict[str, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self._message_ids = itertools.count(1000)
        self.pending_updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.latency: float = 0.0
        self.holds: dict[int, asyncio.Event] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.waiting: list[tuple[str, int]] = []  # (method, chat) of calls held right now

    # --- the transport ---------------------------------------------------------------------
    def hold(self, chat_id: int) -> asyncio.Event:
        """Calls to ``chat_id`` hang (a slow round trip) until the returned event is set."""
        return self.holds.setdefault(chat_id, asyncio.Event())

    async def answer(
        self, api_method: str, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> tuple[int, bytes]:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            held = self.holds.get(int(params["chat_id"])) if "chat_id" in params else None
            if held is not None and not held.is_set():
                entry = (api_method, int(params["chat_id"]))
                self.waiting.append(entry)
                try:
                    await held.wait()
                finally:
                    self.waiting.remove(entry)
            return await self._answer(api_method, params, uploads)
        finally:
            self.in_flight -= 1

    async def _answer(
        self, api_method: str, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> tuple[int, bytes]:
        files = {name: upload.content for name, upload in uploads.items()}
        for name, upload in uploads.items():
            params.setdefault(f"{name}__filename", upload.filename)
        call = ApiCall(api_method, params, files)
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._take_fault(api_method, call.chat_id)
        if fault is not None:
            if fault.status == 0:
                raise TimedOut("simulated timeout")
            if fault.retry_after is not None:
                return error(fault.status, fault.description, retry_after=fault.retry_after)
            return error(fault.status, fault.description)
        if (
            call.chat_id is not None
            and call.chat_id in self.blocked
            and api_method.startswith("send")
        ):
            return error(403, "Forbidden: bot was blocked by the user")
        handler = getattr(self, f"_api_{api_method}", None)
        if handler is None:
            return ok(True)
        try:
            result = handler(params, files)
        except TelegramError400 as exc:
            return error(400, f"Bad Request: {exc}")
        return ok(result)

    # --- fault injection ---------------------------------------------------------------------
    def inject(
        self,
        status: int,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> Fault:
        default = {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
            500: "Internal Server Error",
            502: "Bad Gateway",
            0: "timeout",
        }
        if status == 429 and retry_after is None:
            retry_after = 1
        if retry_after is not None and status != 429:
            # Telegram sends retry_after only with 429; with it, PTB raises RetryAfter for any
            # status, so a "5xx" fault would silently test flood control instead.
            raise ValueError(f"retry_after only goes with 429, not {status}")
        fault = Fault(
            method, chat_id, status, description or default.get(status, "error"), times, retry_after
        )
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def _take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, chat_id):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    # --- reading what the bot did --------------------------------------------------------
    def messages(self, chat_id: int) -> list[SentMessage]:
        return list(self.chats.get(chat_id, []))

    def last(self, chat_id: int) -> SentMessage:
        msgs = self.chats.get(chat_id)
        if not msgs:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return msgs[-1]

    def last_with_buttons(self, chat_id: int) -> SentMessage:
        for msg in reversed(self.chats.get(chat_id, [])):
            if msg.buttons:
                return msg
        raise AssertionError(f"no message with buttons in chat {chat_id}")

    def calls_to(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        return [m.text or m.caption or "" for m in self.chats.get(chat_id, [])]

    def reset_calls(self) -> None:
        self.calls.clear()

    # --- Bot API methods ------------------------------------------------------------------

    def _api_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
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
    def _check_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if markup and "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    if not button.get("text"):
                        raise TelegramError400("inline keyboard button text is empty")
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                        raise TelegramError400("BUTTON_DATA_INVALID")
        return markup

    def _check_text(self, text: Any) -> str:
        if isinstance(text, str):
            self.placeholder_leaks.extend(PLACEHOLDER.findall(text))
        if not isinstance(text, str) or not text.strip():
            raise TelegramError400("message text is empty")
        if len(text) > MAX_TEXT:
            raise TelegramError400("message is too long")
        return text

    @staticmethod
    def _check_entities(text: str, params: dict[str, Any]) -> None:
        if params.get("parse_mode") == "HTML":
            import html.parser

            class _Strict(html.parser.HTMLParser):
                allowed: ClassVar[set[str]] = {
                    "b",
                    "i",
                    "u",
                    "s",
                    "a",
                    "code",
                    "pre",
                    "strong",
                    "em",
                    "tg-spoiler",
                    "blockquote",
                }
                stack: list[str]

                def __init__(self) -> None:
                    super().__init__()
                    self.stack = []

                def handle_starttag(self, tag: str, attrs: Any) -> None:
                    if tag not in self.allowed:
                        raise TelegramError400(
                            f'can\'t parse entities: unsupported start tag "{tag}"'
                        )
                    self.stack.append(tag)

                def handle_endtag(self, tag: str) -> None:
                    if not self.stack or self.stack.pop() != tag:
                        raise TelegramError400("can't parse entities: unexpected end tag")

            parser = _Strict()
            parser.feed(text)
            if parser.stack:
                raise TelegramError400("can't parse entities: unclosed tag")

    def _new_message(self, chat_id: int, **fields: Any) -> SentMessage:
        msg = SentMessage(chat_id=chat_id, message_id=next(self._message_ids), **fields)
        self.chats[chat_id].append(msg)
        return msg

    def _api_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        text = self._check_text(params.get("text"))
        self._check_entities(text, params)
        markup = self._check_markup(params)
        return self._new_message(int(params["chat_id"]), text=text, reply_markup=markup).to_api()

    def _find(self, params: dict[str, Any]) -> SentMessage:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        for msg in self.chats.get(chat_id, []):
            if msg.message_id == message_id:
                return msg
        raise TelegramError400("message to edit not found")

    def _api_editMessageText(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        msg = self._find(params)
        text = self._check_text(params.get("text"))
        self._check_entities(text, params)
        markup = self._check_markup(params)
        if text == msg.text and markup == msg.reply_markup:
            raise TelegramError400(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg.text, msg.reply_markup = text, markup
        return msg.to_api()

    def _api_editMessageReplyMarkup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        msg = self._find(params)
        markup = self._check_markup(params)
        if markup == msg.reply_markup:
            raise TelegramError400("message is not modified")
        msg.reply_markup = markup
        return msg.to_api()

    def _api_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id in self.answered_queries:
            raise TelegramError400(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.answered_queries.add(query_id)
        self.query_answers[query_id] = params
        return True

    def _api_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._send_file(params, files, "document", filename=params.get("document__filename"))

    def _api_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._send_file(params, files, "photo")

    def _send_file(
        self,
        params: dict[str, Any],
        files: dict[str, bytes],
        kind: str,
        *,
        filename: str | None = None,
    ) -> dict[str, Any]:
        """sendDocument and sendPhoto: the upload under ``kind`` is required, the caption is
        checked for placeholders and length like a text, and the message is recorded."""
        if kind not in files:
            raise TelegramError400(f"there is no {kind} in the request")
        caption = params.get("caption")
        if isinstance(caption, str):
            self.placeholder_leaks.extend(PLACEHOLDER.findall(caption))
        if caption and len(caption) > MAX_CAPTION:
            raise TelegramError400("message caption is too long")
        return self._new_message(
            int(params["chat_id"]),
            text=None,
            reply_markup=self._check_markup(params),
            kind=kind,
            caption=caption,
            file=files[kind],
            filename=filename,
        ).to_api()

    def _api_sendChatAction(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        return True

    def _api_setMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        return True

    def _api_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        return True

    def _api_getUpdates(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, Any]]:
        updates = []
        while not self.pending_updates.empty():
            updates.append(self.pending_updates.get_nowait())
        return updates
