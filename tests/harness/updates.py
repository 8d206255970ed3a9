"""Builders for realistic Telegram updates, as Telegram would deliver them to the bot."""

from __future__ import annotations

import itertools
from typing import Any

from tests.harness.fake_telegram import BOT_ID, BOT_USERNAME, SentMessage

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)
_query_ids = itertools.count(1)
DATE = 1_700_000_000


def _user(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def _chat(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": first_name}


def message_update(user_id: int, first_name: str, **content: Any) -> dict[str, Any]:
    message = {
        "message_id": next(_message_ids),
        "date": DATE,
        "chat": _chat(user_id, first_name),
        "from": _user(user_id, first_name),
        **content,
    }
    return {"update_id": next(_update_ids), "message": message}


def text_update(user_id: int, first_name: str, text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return message_update(user_id, first_name, **content)


def edited_text_update(user_id: int, first_name: str, message_id: int, text: str) -> dict[str, Any]:
    """The user edited one of their messages (Telegram sends the whole message again)."""
    message = {
        "message_id": message_id,
        "date": DATE,
        "edit_date": DATE + 60,
        "chat": _chat(user_id, first_name),
        "from": _user(user_id, first_name),
        "text": text,
    }
    return {"update_id": next(_update_ids), "edited_message": message}


def location_update(user_id: int, first_name: str, lat: float, lon: float) -> dict[str, Any]:
    return message_update(user_id, first_name, location={"latitude": lat, "longitude": lon})


def sticker_update(user_id: int, first_name: str) -> dict[str, Any]:
    return message_update(
        user_id,
        first_name,
        sticker={
            "file_id": "stk",
            "file_unique_id": "stku",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "🏃",
        },
    )


def photo_update(user_id: int, first_name: str) -> dict[str, Any]:
    return message_update(
        user_id,
        first_name,
        photo=[{"file_id": "ph", "file_unique_id": "phu", "width": 90, "height": 90}],
    )


def callback_update(
    user_id: int, first_name: str, data: str, message: SentMessage | None
) -> dict[str, Any]:
    query: dict[str, Any] = {
        "id": str(next(_query_ids)),
        "from": _user(user_id, first_name),
        "chat_instance": f"ci{user_id}",
        "data": data,
    }
    if message is not None:
        query["message"] = message.to_api()
    return {"update_id": next(_update_ids), "callback_query": query}


def member_update(user_id: int, first_name: str, *, blocked: bool) -> dict[str, Any]:
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "PT Coach", "username": BOT_USERNAME}
    old, new = ("member", "kicked") if blocked else ("kicked", "member")
    return {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": _chat(user_id, first_name),
            "from": _user(user_id, first_name),
            "date": DATE,
            "old_chat_member": {
                "user": bot,
                "status": old,
                **({"until_date": 0} if old == "kicked" else {}),
            },
            "new_chat_member": {
                "user": bot,
                "status": new,
                **({"until_date": 0} if new == "kicked" else {}),
            },
        },
    }


GROUP_CHAT_ID = -100_123


def _group() -> dict[str, Any]:
    return {"id": GROUP_CHAT_ID, "type": "supergroup", "title": "Running club"}


def group_text_update(user_id: int, first_name: str, text: str) -> dict[str, Any]:
    """``user_id`` writes ``text`` in a group the bot is a member of."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    message = {
        "message_id": next(_message_ids),
        "date": DATE,
        "chat": _group(),
        "from": _user(user_id, first_name),
        **content,
    }
    return {"update_id": next(_update_ids), "message": message}


def group_callback_update(user_id: int, first_name: str, data: str) -> dict[str, Any]:
    """``user_id`` presses a button under a bot message posted in the group."""
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "PT Coach", "username": BOT_USERNAME}
    message = {
        "message_id": next(_message_ids),
        "date": DATE,
        "chat": _group(),
        "from": bot,
        "text": "...",
    }
    query = {
        "id": str(next(_query_ids)),
        "from": _user(user_id, first_name),
        "chat_instance": "ci-group",
        "data": data,
        "message": message,
    }
    return {"update_id": next(_update_ids), "callback_query": query}
