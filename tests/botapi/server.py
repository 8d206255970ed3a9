"""A Telegram-compatible Bot API HTTP server for end-to-end tests.

The real bot process talks to it over real HTTP (``base_url``), exactly as it talks to
Telegram: long polling with offsets, or a webhook that this server calls with the secret
token header. It is strict where Telegram is strict and a bot typically slips (64-byte
callback data, 4096-character or empty text, HTML parse-mode entities, editing a message
into identical content, answering a callback twice, writing to a user who blocked the bot),
so a test that passes here does not fail on the first day in production.

A test acts as a user through ``server.user(id)`` (say, press, share a location, block) and
reads what the bot sent. Everything runs in a background thread, so tests are plain
synchronous functions and the bot is an ordinary subprocess.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import queue
import re
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from tests.harness.message_json import content_fields

BOT_ID = 7000000002
BOT_USERNAME = "pt_coach_e2e_bot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_ANSWER_TEXT = 200
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

T = TypeVar("T")


class ApiError(Exception):
    """A Bot API error response: the status code and Telegram's description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class ApiCall:
    """One request the bot made, as the server understood it."""

    method: str
    params: dict[str, str]
    files: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    wall: float = field(default_factory=time.time)  # when the server received it
    status: int = 0  # 0 until answered
    message_id: int | None = None  # of the message it created, for sends
    responded_at: float | None = None  # wall time the answer was written back

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value not in (None, "") else None


@dataclass
class SentMessage:
    """What the user sees in their chat: the bot's message, kept current by edits."""

    chat_id: int
    message_id: int
    kind: str  # text | photo | document
    text: str | None = None
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None
    file: bytes | None = None
    filename: str | None = None
    edits: int = 0

    @property
    def body(self) -> str:
        return self.text or self.caption or ""

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]

    def button_data(self, label_part: str) -> str:
        """The first button whose label contains ``label_part`` (case-insensitive)."""
        for label, data in self.buttons:
            if label_part.lower() in label.lower():
                return data
        raise AssertionError(f"no button containing {label_part!r} in {self.labels}")

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": "User"},
            "from": _bot_user(),
        }
        data.update(content_fields(self))
        return data


@dataclass(frozen=True)
class Event:
    """Something the user can notice: a message, an edit, an answered button."""

    seq: int
    chat_id: int
    method: str
    message_id: int | None


def _bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "PT Coach", "username": BOT_USERNAME}


# --- request validation, as Telegram does it ---------------------------------------------------


def html_visible_text(text: str) -> str:
    """The text a user would see after Telegram parses HTML, or a 400 like Telegram's."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>").match(text, i)
            if match is None:
                offset = len(text[:i].encode())
                raise bad_request(f"can't parse entities: Unexpected character at offset {offset}")
            closing, tag = match.group(1) == "/", match.group(2).lower()
            if tag not in HTML_TAGS:
                raise bad_request(
                    f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset '
                    f"{len(text[:i].encode())}"
                )
            if closing:
                if not stack or stack.pop() != tag:
                    raise bad_request(
                        f"can't parse entities: Unmatched end tag at byte offset "
                        f'{len(text[:i].encode())}, expected "</{stack[-1] if stack else ""}>"'
                    )
            else:
                stack.append(tag)
            i = match.end()
        elif char == "&":
            match = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);").match(text, i)
            if match is None:
                out.append(char)
                i += 1
                continue
            name = match.group(1)
            if name.startswith("#"):
                out.append(chr(int(name[2:], 16) if name[1] == "x" else int(name[1:])))
            elif name in HTML_ENTITIES:
                out.append(HTML_ENTITIES[name])
            else:
                raise bad_request(f'can\'t parse entities: Unsupported HTML entity "&{name};"')
            i = match.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return "".join(out)


def check_text(text: str | None, parse_mode: str | None, *, limit: int, what: str) -> str:
    if text is None:
        if what == "caption":
            return ""
        raise bad_request("message text is empty")
    visible = text
    if parse_mode:
        if parse_mode.lower() == "html":
            visible = html_visible_text(text)
        elif parse_mode not in ("Markdown", "MarkdownV2"):
            raise bad_request(f"unsupported parse_mode {parse_mode}")
    if what == "text" and not visible.strip():
        raise bad_request("message text is empty")
    if len(visible.encode("utf-16-le")) // 2 > limit:
        raise bad_request(
            "message is too long" if what == "text" else "message caption is too long"
        )
    return text


def check_markup(raw: str | None) -> dict[str, Any] | None:
    if raw in (None, ""):
        return None
    try:
        markup = json.loads(raw)
    except ValueError:
        raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                    raise bad_request("BUTTON_TEXT_INVALID")
                actions = [k for k in button if k != "text"]
                if len(actions) != 1:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "exactly one of the optional fields must be used"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise bad_request("unsupported reply markup")
    return markup


# --- the server --------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: BotApiServer

    def do_POST(self) -> None:
        self.api._serve(self)

    def do_GET(self) -> None:
        self.api._serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def _read_body(req: BaseHTTPRequestHandler) -> bytes:
    if req.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(req.rfile.readline().strip() or b"0", 16)
            if size == 0:
                req.rfile.readline()
                break
            chunks.append(req.rfile.read(size))
            req.rfile.readline()
        return b"".join(chunks)
    length = int(req.headers.get("Content-Length") or 0)
    return req.rfile.read(length) if length else b""


def _parse_params(
    req: BaseHTTPRequestHandler, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str | None, bytes]]]:
    params: dict[str, str] = dict(parse_qsl(urlsplit(req.path).query))
    files: dict[str, tuple[str | None, bytes]] = {}
    ctype = req.headers.get("Content-Type", "")
    if ctype.startswith("application/json") and body:
        data = json.loads(body)
        params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()})
    elif ctype.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    elif ctype.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            assert isinstance(payload, bytes)
            if filename is not None:
                files[str(name)] = (filename, payload)
            else:
                params[str(name)] = payload.decode()
    return params, files


class BotApiServer:
    """Start with ``start()``; point the bot at ``base_url``; act through ``user(id)``."""

    def __init__(self, token: str = "123:TEST", *, response_delay: float = 0.0) -> None:
        self.token = token
        self.response_delay = response_delay  # applied after handling, before responding
        self.delay_methods: frozenset[str] = SEND_METHODS
        self.calls: list[ApiCall] = []
        self.chats: dict[int, list[SentMessage]] = defaultdict(list)
        self.events: list[Event] = []
        self.known_chats: set[int] = set()
        self.blocked: set[int] = set()
        self.commands: list[dict[str, Any]] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status)
        self.in_flight: dict[int, ApiCall] = {}  # handled, response not yet written
        self._pending: list[dict[str, Any]] = []
        self._queries: dict[str, int] = {}  # callback query id -> chat
        self._answered: set[str] = set()
        self.query_answers: dict[str, dict[str, str]] = {}
        self._cond = threading.Condition(threading.RLock())
        self._seq = 0
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._closing = False
        self._webhook_queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> BotApiServer:
        handler = type("Handler", (_Handler,), {"api": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        for target in (self._httpd.serve_forever, self._deliver_webhooks):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._webhook_queue.put(None)
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> BotApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the server first"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What the bot's ``telegram.base_url`` must be: it appends ``<token>/<method>``."""
        return f"http://127.0.0.1:{self.port}/bot"

    # --- HTTP ------------------------------------------------------------------------------
    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        status: int = 200
        body: dict[str, Any] = {"ok": True, "result": True}
        call: ApiCall | None = None
        request_id = next(self._request_ids)
        try:
            match = re.fullmatch(r"/bot([^/]+)/(\w+)", urlsplit(req.path).path)
            raw = _read_body(req)
            if match is None:
                raise ApiError(404, "Not Found")
            if match.group(1) != self.token:
                raise ApiError(401, "Unauthorized")
            params, files = _parse_params(req, raw)
            call = ApiCall(match.group(2), params, files)
            with self._cond:
                self.calls.append(call)
                self._cond.notify_all()
            handler = getattr(self, f"_api_{call.method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            if call.method == "getUpdates":
                result = self._api_getUpdates(call)
            else:
                with self._cond:
                    self._check_chat(call)
                    result = handler(call)
                    self._cond.notify_all()
            body = {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.code, exc.body()
        except Exception as exc:  # a bug in this server: make it loud, as a 500
            status, body = (
                500,
                {"ok": False, "error_code": 500, "description": f"test server: {exc!r}"},
            )
        if call is not None:
            call.status = status
            if self.response_delay and call.method in self.delay_methods:
                with self._cond:
                    self.in_flight[request_id] = call
                time.sleep(self.response_delay)
                with self._cond:
                    self.in_flight.pop(request_id, None)
        payload = json.dumps(body).encode()
        if call is not None:
            call.responded_at = time.time()
        try:
            req.send_response(status)
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(payload)))
            req.end_headers()
            req.wfile.write(payload)
        except OSError:  # the bot went away (SIGKILL) while we were answering
            pass

    def _check_chat(self, call: ApiCall) -> None:
        chat = call.chat_id
        if chat is None:
            return
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat not in self.known_chats:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    # --- recording what the user sees ------------------------------------------------------
    def _event(self, chat_id: int, method: str, message_id: int | None) -> None:
        self._seq += 1
        self.events.append(Event(self._seq, chat_id, method, message_id))

    def _new_message(self, call: ApiCall, **fields: Any) -> dict[str, Any]:
        chat_id = int(call.params["chat_id"])
        msg = SentMessage(chat_id=chat_id, message_id=next(self._ids), **fields)
        self.chats[chat_id].append(msg)
        call.message_id = msg.message_id
        self._event(chat_id, call.method, msg.message_id)
        return msg.to_api()

    def _find(self, call: ApiCall) -> SentMessage:
        if "inline_message_id" in call.params:
            raise bad_request("inline messages are not supported by this test server")
        try:
            chat_id, message_id = int(call.params["chat_id"]), int(call.params["message_id"])
        except (KeyError, ValueError):
            raise bad_request("chat_id and message_id are required") from None
        for msg in self.chats.get(chat_id, []):
            if msg.message_id == message_id:
                return msg
        raise bad_request("message to edit not found")

    # --- Bot API methods -------------------------------------------------------------------
    def _api_getMe(self, call: ApiCall) -> dict[str, Any]:
        return {
            **_bot_user(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_getUpdates(self, call: ApiCall) -> list[dict[str, Any]]:
        params = call.params
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._cond:
            if self.webhook_url:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if offset > 0:  # confirms everything before it
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            while True:
                ready = self._pending[:limit]
                remaining = deadline - time.monotonic()
                if ready or self._closing or remaining <= 0:
                    return ready
                self._cond.wait(remaining)

    def _api_sendMessage(self, call: ApiCall) -> dict[str, Any]:
        p = call.params
        text = check_text(p.get("text"), p.get("parse_mode"), limit=MAX_TEXT, what="text")
        markup = check_markup(p.get("reply_markup"))
        return self._new_message(call, kind="text", text=text, reply_markup=markup)

    def _send_file(self, call: ApiCall, field_name: str, kind: str) -> dict[str, Any]:
        p = call.params
        caption = check_text(
            p.get("caption"), p.get("parse_mode"), limit=MAX_CAPTION, what="caption"
        )
        markup = check_markup(p.get("reply_markup"))
        if field_name in call.files:
            filename, content = call.files[field_name]
        elif p.get(field_name):  # a file_id or URL: Telegram fetches it
            filename, content = None, p[field_name].encode()
        else:
            raise bad_request(f"there is no {field_name} in the request")
        if not content:
            raise bad_request("file must be non-empty")
        return self._new_message(
            call,
            kind=kind,
            caption=caption or None,
            reply_markup=markup,
            file=content,
            filename=filename,
        )

    def _api_sendPhoto(self, call: ApiCall) -> dict[str, Any]:
        return self._send_file(call, "photo", "photo")

    def _api_sendDocument(self, call: ApiCall) -> dict[str, Any]:
        return self._send_file(call, "document", "document")

    def _api_editMessageText(self, call: ApiCall) -> dict[str, Any]:
        msg = self._find(call)
        if msg.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = check_text(
            call.params.get("text"), call.params.get("parse_mode"), limit=MAX_TEXT, what="text"
        )
        markup = check_markup(call.params.get("reply_markup"))  # absent: the keyboard goes away
        if text == msg.text and markup == msg.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg.text, msg.reply_markup = text, markup
        msg.edits += 1
        self._event(msg.chat_id, call.method, msg.message_id)
        return msg.to_api()

    def _api_editMessageReplyMarkup(self, call: ApiCall) -> dict[str, Any]:
        msg = self._find(call)
        markup = check_markup(call.params.get("reply_markup"))
        if markup == msg.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg.reply_markup = markup
        msg.edits += 1
        self._event(msg.chat_id, call.method, msg.message_id)
        return msg.to_api()

    def _api_deleteMessage(self, call: ApiCall) -> bool:
        msg = self._find(call)
        self.chats[msg.chat_id].remove(msg)
        self._event(msg.chat_id, call.method, msg.message_id)
        return True

    def _api_answerCallbackQuery(self, call: ApiCall) -> bool:
        query_id = call.params.get("callback_query_id", "")
        if query_id not in self._queries or query_id in self._answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(call.params.get("text") or "") > MAX_ANSWER_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        self._answered.add(query_id)
        self.query_answers[query_id] = dict(call.params)
        self._event(self._queries[query_id], call.method, None)
        return True

    def _api_sendChatAction(self, call: ApiCall) -> bool:
        if call.params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _api_setMyCommands(self, call: ApiCall) -> bool:
        try:
            commands = json.loads(call.params.get("commands", ""))
        except ValueError:
            raise bad_request("can't parse commands JSON object") from None
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = commands
        return True

    def _api_setWebhook(self, call: ApiCall) -> bool:
        url = call.params.get("url", "")
        secret = call.params.get("secret_token", "")
        if secret and not SECRET_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise bad_request("bad webhook: HTTPS url must be provided for webhook")
        if call.params.get("drop_pending_updates") == "true":
            self._pending.clear()
        self.webhook_url, self.webhook_secret = url, secret
        if url:  # what was waiting for getUpdates now goes to the webhook, in order
            for update in self._pending:
                self._webhook_queue.put(update)
            self._pending.clear()
        return True

    def _api_deleteWebhook(self, call: ApiCall) -> bool:
        if call.params.get("drop_pending_updates") == "true":
            self._pending.clear()
        self.webhook_url = self.webhook_secret = ""
        return True

    def _api_getWebhookInfo(self, call: ApiCall) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": self._webhook_queue.qsize() if self.webhook_url else 0,
        }

    # --- updates from users ----------------------------------------------------------------
    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver an update: to the webhook if one is set, else to the next getUpdates."""
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            if self.webhook_url:
                self._webhook_queue.put(update)
            else:
                self._pending.append(update)
                self._cond.notify_all()
        return update

    def post_to_webhook(self, update: dict[str, Any], *, secret: str | None) -> int:
        """POST one update to the bot's webhook with the given secret; the HTTP status."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        request = urllib.request.Request(
            self.webhook_url, data=json.dumps(update).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def _deliver_webhooks(self) -> None:
        """Telegram keeps retrying an update until the webhook answers 2xx; so do we."""
        while True:
            update = self._webhook_queue.get()
            if update is None:
                return
            for _ in range(100):
                if self._closing:
                    return
                try:
                    status = self.post_to_webhook(update, secret=self.webhook_secret or None)
                except OSError:
                    status = 0
                with self._cond:
                    self.webhook_deliveries.append((update["update_id"], status))
                    self._cond.notify_all()
                if 200 <= status < 300:
                    break
                time.sleep(0.1)

    # --- test API --------------------------------------------------------------------------
    def user(self, user_id: int, first_name: str = "Alex") -> TestUser:
        """A Telegram user who has opened a chat with the bot."""
        with self._cond:
            self.known_chats.add(user_id)
        return TestUser(self, user_id, first_name)

    @property
    def seq(self) -> int:
        with self._cond:
            return self._seq

    def new_query_id(self, chat_id: int) -> str:
        with self._cond:
            query_id = str(next(self._query_ids) + 900000)
            self._queries[query_id] = chat_id
            return query_id

    def next_message_id(self) -> int:
        with self._cond:
            return next(self._ids)

    def wait(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:
        """Block until ``predicate()`` is truthy (checked whenever the server changes)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
                self._cond.wait(min(remaining, 0.5))

    def calls_to(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        with self._cond:
            return [
                c
                for c in self.calls
                if c.method == method and (chat_id is None or c.chat_id == chat_id)
            ]

    def wait_call(self, method: str, *, after: int = 0, timeout: float = 20) -> ApiCall:
        """The first call to ``method`` at index >= ``after`` in ``calls``."""
        return self.wait(
            lambda: next((c for c in self.calls[after:] if c.method == method), None),
            timeout,
            f"the bot to call {method}",
        )

    def messages(self, chat_id: int) -> list[SentMessage]:
        with self._cond:
            return list(self.chats.get(chat_id, []))

    def events_since(self, seq: int, chat_id: int | None = None) -> list[Event]:
        with self._cond:
            return [
                e for e in self.events if e.seq > seq and (chat_id is None or e.chat_id == chat_id)
            ]

    def settle(
        self,
        chat_id: int,
        since: int,
        *,
        timeout: float = 15,
        quiet: float = 0.2,
        visible_grace: float = 1.0,
    ) -> None:
        """Wait for the bot to react in ``chat_id`` after event ``since``, then to go quiet.

        A button press is often answered (the spinner stops) before the message is edited,
        so after a bare answer we give the bot ``visible_grace`` seconds to show something.
        """
        self.wait(lambda: self.events_since(since, chat_id), timeout, f"a reply in chat {chat_id}")
        with contextlib.suppress(TimeoutError):
            self.wait(
                lambda: any(
                    e.method != "answerCallbackQuery" for e in self.events_since(since, chat_id)
                ),
                visible_grace,
                "a visible reply",
            )
        last = self.seq
        while True:
            time.sleep(quiet)
            now = self.seq
            if now == last:
                return
            last = now


def _person(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


class TestUser:
    """One person in Telegram: every action returns once the bot has answered and gone quiet
    (``wait=False`` to fire and forget)."""

    __test__ = False  # not a pytest test class

    def __init__(self, server: BotApiServer, user_id: int, first_name: str) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.mark = server.seq

    # --- acting ------------------------------------------------------------------------------
    def text_update(self, text: str) -> dict[str, Any]:
        """The update Telegram would deliver when this user sends ``text``."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return self._message(**content)

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message": {
                "message_id": self.server.next_message_id(),
                "date": int(time.time()),
                "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                "from": _person(self.id, self.first_name),
                **content,
            }
        }

    def _act(self, update: dict[str, Any], wait: bool) -> SentMessage | None:
        self.mark = self.server.seq
        self.server.push(update)
        if wait:
            self.server.settle(self.id, self.mark)
            return self.last_or_none()
        return None

    def say(self, text: str, *, wait: bool = True) -> SentMessage | None:
        return self._act(self.text_update(text), wait)

    def share_location(self, lat: float, lon: float, *, wait: bool = True) -> SentMessage | None:
        return self._act(self._message(location={"latitude": lat, "longitude": lon}), wait)

    def press(
        self, label_part: str, message: SentMessage | None = None, *, wait: bool = True
    ) -> SentMessage | None:
        """Press the first button containing ``label_part`` on ``message`` (default: the latest
        message that has buttons)."""
        message = message or self.last_with_buttons
        return self.press_data(message.button_data(label_part), message, wait=wait)

    def press_data(
        self, data: str, message: SentMessage, *, wait: bool = True
    ) -> SentMessage | None:
        query = {
            "id": self.server.new_query_id(self.id),
            "from": _person(self.id, self.first_name),
            "chat_instance": f"ci{self.id}",
            "data": data,
            "message": message.to_api(),
        }
        return self._act({"callback_query": query}, wait)

    def _member(self, old: str, new: str) -> dict[str, Any]:
        def member(status: str) -> dict[str, Any]:
            return {
                "user": _bot_user(),
                "status": status,
                **({"until_date": 0} if status == "kicked" else {}),
            }

        return {
            "my_chat_member": {
                "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                "from": _person(self.id, self.first_name),
                "date": int(time.time()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }
        }

    def block(self) -> None:
        """Block the bot: Telegram tells the bot once, then refuses every message to this chat."""
        with self.server._cond:
            self.server.blocked.add(self.id)
        self.server.push(self._member("member", "kicked"))

    def unblock(self) -> None:
        with self.server._cond:
            self.server.blocked.discard(self.id)
        self.server.push(self._member("kicked", "member"))

    # --- reading -----------------------------------------------------------------------------
    @property
    def messages(self) -> list[SentMessage]:
        return self.server.messages(self.id)

    @property
    def texts(self) -> list[str]:
        return [m.body for m in self.messages]

    @property
    def documents(self) -> list[SentMessage]:
        return [m for m in self.messages if m.kind == "document"]

    def message(self, message_id: int) -> SentMessage:
        """The current state of one of the bot's messages in this chat."""
        for msg in self.messages:
            if msg.message_id == message_id:
                return msg
        raise AssertionError(f"no message {message_id} in chat {self.id}")

    def last_or_none(self) -> SentMessage | None:
        msgs = self.messages
        return msgs[-1] if msgs else None

    @property
    def last(self) -> SentMessage:
        msg = self.last_or_none()
        if msg is None:
            raise AssertionError(f"the bot sent nothing to chat {self.id}")
        return msg

    @property
    def last_with_buttons(self) -> SentMessage:
        for msg in reversed(self.messages):
            if msg.buttons:
                return msg
        raise AssertionError(f"no message with buttons in chat {self.id}: {self.texts[-3:]}")

    def touched_since(self, seq: int | None = None) -> list[SentMessage]:
        """Messages sent or edited after event ``seq`` (default: since the last action)."""
        since = self.mark if seq is None else seq
        ids = {e.message_id for e in self.server.events_since(since, self.id)}
        return [m for m in self.messages if m.message_id in ids]

    def wait_for(
        self, text_part: str, *, timeout: float = 15, since: int | None = None
    ) -> SentMessage:
        """A message sent or edited after ``since`` (default: the last action) containing
        ``text_part`` (case-insensitive)."""
        needle = text_part.lower()

        def found() -> SentMessage | None:
            return next((m for m in self.touched_since(since) if needle in m.body.lower()), None)

        return self.server.wait(
            found, timeout, f"{text_part!r} in chat {self.id}; saw {self.texts[-3:]}"
        )

    def bodies_since(self, seq: int | None = None) -> str:
        return "\n---\n".join(m.body for m in self.touched_since(seq))


def count_by_chat(calls: Iterable[ApiCall]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for call in calls:
        if call.chat_id is not None:
            counts[call.chat_id] += 1
    return dict(counts)
