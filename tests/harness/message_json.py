"""What a sent message carries in a Bot API ``Message`` object, shared by both fake servers
(the in-process ``FakeTelegram`` and the HTTP ``BotApiServer`` of the end-to-end tests)."""

from __future__ import annotations

from typing import Any, Protocol


class Sent(Protocol):
    @property
    def message_id(self) -> int: ...
    @property
    def kind(self) -> str: ...  # text | photo | document
    @property
    def text(self) -> str | None: ...
    @property
    def caption(self) -> str | None: ...
    @property
    def filename(self) -> str | None: ...
    @property
    def reply_markup(self) -> dict[str, Any] | None: ...


def content_fields(msg: Sent) -> dict[str, Any]:
    """The content fields of the ``Message`` Telegram returns for ``msg``: its ``text``, or a
    ``photo`` (one 800 x 500 size) or ``document`` with file ids made from the message id, its
    ``caption``, and its ``reply_markup`` if that is an inline keyboard. The caller adds the
    envelope (``message_id``, ``date``, ``chat``, ``from``)."""
    data: dict[str, Any] = {}
    if msg.kind == "text":
        data["text"] = msg.text
    elif msg.kind == "photo":
        data["photo"] = [
            {
                "file_id": f"photo{msg.message_id}",
                "file_unique_id": f"u{msg.message_id}",
                "width": 800,
                "height": 500,
            }
        ]
    else:
        data["document"] = {
            "file_id": f"doc{msg.message_id}",
            "file_unique_id": f"d{msg.message_id}",
            "file_name": msg.filename,
        }
    if msg.caption:
        data["caption"] = msg.caption
    if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
        # Telegram returns only inline keyboards in a Message, never reply keyboards.
        data["reply_markup"] = msg.reply_markup
    return data
