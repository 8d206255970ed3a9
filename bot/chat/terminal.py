"""The terminal stand-in for Telegram: what the bot sends is printed, files are saved.

It answers Bot API calls the way Telegram would (including its refusals: text too long,
callback data over 64 bytes), so the chat shows the same failures a real chat would.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.transport import InProcessRequest, Upload, error, ok

BOT_ID = 1000000001
BOT_USERNAME = "pt_coach_chat_bot"
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64

Output = Callable[[str], None]


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
        if numbers and all(n.isdecimal() for n in numbers) and len(set(numbers)) == len(numbers):
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
        return markup

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
