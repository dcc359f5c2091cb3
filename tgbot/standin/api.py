"""In-memory state of a Telegram Bot API server for one bot, independent of any transport.

``FakeBotAPI.handle(method, params)`` answers like api.telegram.org would (same JSON shapes,
same error descriptions, which PTB maps to its exceptions). The user side (``FakeUser``)
produces the updates a Telegram client would cause, queued for ``getUpdates``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from tgbot.telegram_html import TelegramHtmlError, parse_html, utf16_len

JSON = dict[str, Any]
FaultKind = Literal["retry_after", "forbidden", "network", "server_error"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200

BLOCKED = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
TEXT_BUTTONS_UNALLOWED = "text buttons are unallowed in the inline keyboard"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

# Telegram sends these only when a bot asks for them explicitly in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Parameters PTB sends JSON-encoded over HTTP; in-process they arrive already decoded.
_JSON_FIELDS = frozenset(
    {
        "reply_markup", "allowed_updates", "commands", "scope", "entities",
        "caption_entities", "reply_parameters", "link_preview_options",
    }
)  # fmt: skip
_BUTTON_ACTIONS = frozenset(
    {
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
        "copy_text", "callback_game", "pay",
    }
)  # fmt: skip
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# TDLib's rule: not glued to a word character or one of / < > on either side.
_BOT_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_PHOTO_SIZES = ((90, 90), (320, 320), (800, 800))


class ApiError(Exception):
    """A Bot API error answer: HTTP status + Telegram's description."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class NetworkFault(Exception):
    """Raised by ``handle`` for an injected network failure: the transport must fail too
    (in-process: ``telegram.error.NetworkError``; HTTP: drop the connection)."""


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class Upload:
    """A file uploaded with a request (multipart part)."""

    data: bytes
    filename: str = "file"
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class StoredFile:
    """A file the server knows; ``data`` is None for files sent by URL or made up by users."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


@dataclass
class Call:
    """One API call as the bot made it; ``status`` is 0 for an injected network failure."""

    method: str
    params: JSON
    timestamp: float
    status: int = 0
    description: str | None = None
    result: Any = None


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot said in answerCallbackQuery (also readable like a dict: ``.get("text")``)."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


@dataclass
class CallbackQueryRecord:
    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: CallbackAnswer | None = None


@dataclass(frozen=True)
class MessageChange:
    """What happened to one message after a marker; ``message`` is None once deleted."""

    message_id: int
    is_edit: bool
    message: JSON | None


@dataclass
class _Fault:
    method: str | None
    kind: FaultKind
    retry_after: int
    remaining: int
    chat_id: int | None

    def matches(self, method: str, params: JSON) -> bool:
        if self.method is None:
            # Polling never stops, so a catch-all fault would always hit getUpdates first.
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or _loose_int(params.get("chat_id")) == self.chat_id

    def error(self) -> Exception:
        if self.kind == "retry_after":
            return ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if self.kind == "forbidden":
            return ApiError(403, BLOCKED)
        if self.kind == "server_error":
            return ApiError(500, "Internal Server Error")
        return NetworkFault(f"injected network failure for {self.method or 'any method'}")


class _Signal:
    """Broadcast wake-up: every waiter wakes on ``notify`` and re-checks its condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


@dataclass
class _Chat:
    id: int
    user: FakeUser
    messages: dict[int, JSON] = field(default_factory=dict)
    next_message_id: int = 1
    # (sequence number, message_id, "sent" | "edited" | "deleted"), sequence ascending
    changes: list[tuple[int, int, str]] = field(default_factory=list)
    reply_keyboard: JSON | None = None
    last_action: str | None = None

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


def _now() -> int:
    return int(time.time())


def _loose_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _opt_int(params: JSON, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    number = _loose_int(value)
    if number is None:
        raise bad_request(f'field "{name}" must be of type Integer')
    return number


def _opt_float(params: JSON, name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f'field "{name}" must be of type Number') from None


def _opt_str(params: JSON, name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _opt_bool(params: JSON, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _opt_json(params: JSON, name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str) and name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    return value


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip surrounding whitespace like Telegram does, keeping entities aligned."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    left = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - left, 0)
        end = min(entity["offset"] + entity["length"] - left, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def _check_entities(raw: Any) -> list[JSON]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise bad_request("can't parse entities JSON object")
    for entity in raw:
        if _loose_int(entity.get("offset")) is None or _loose_int(entity.get("length")) is None:
            raise bad_request("can't parse MessageEntity: field offset/length is missing")
    return [dict(e) for e in raw]


def _formatted(params: JSON, text_field: str, entities_field: str) -> tuple[str, list[JSON]]:
    """The text as users see it plus its entities, after parse_mode handling and trimming."""
    raw = _opt_str(params, text_field) or ""
    mode = (_opt_str(params, "parse_mode") or "").lower()
    if mode == "html":
        try:
            text, entities = parse_html(raw)
        except TelegramHtmlError as exc:
            raise bad_request(f"can't parse entities: {exc.detail}") from None
    elif mode == "":
        text, entities = raw, _check_entities(_opt_json(params, entities_field))
    elif mode in ("markdown", "markdownv2"):
        text, entities = raw, []  # not interpreted by the stand-in: shown verbatim
    else:
        raise bad_request("unsupported parse_mode")
    return _trim(text, entities)


def _check_inline_keyboard(rows: Any) -> JSON:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    for button in itertools.chain.from_iterable(rows):
        _check_inline_button(button)
    return {"inline_keyboard": [[dict(b) for b in row] for row in rows if row]}


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request(TEXT_BUTTONS_UNALLOWED)
    if not _BUTTON_ACTIONS.intersection(button):
        raise bad_request(TEXT_BUTTONS_UNALLOWED)
    if "callback_data" in button:
        data = str(button["callback_data"])
        if not data or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not url or any(ch.isspace() for ch in url):
            raise bad_request("BUTTON_URL_INVALID")


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    for button in itertools.chain.from_iterable(rows):
        text = button.get("text") if isinstance(button, dict) else button
        if not isinstance(text, str) or not text:
            raise bad_request("keyboard button text is empty")


def _bot_command_entities(text: str) -> list[JSON]:
    """The bot_command entities Telegram attaches to a user's message."""
    entities = []
    for match in _BOT_COMMAND_RE.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities


def _message_content_key(message: JSON) -> tuple[Any, ...]:
    return (
        message.get("text"),
        message.get("entities", []),
        message.get("caption"),
        message.get("caption_entities", []),
        message.get("reply_markup"),
    )


def _update_kind(update: JSON) -> str:
    return next(key for key in update if key != "update_id")


class FakeUser:
    """A Telegram user in a private chat with the bot; every action queues a real update."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        first_name: str,
        language_code: str | None,
        username: str | None,
        last_name: str | None = None,
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.language_code = language_code
        self.username = username

    def to_json(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_json(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    @property
    def messages(self) -> list[JSON]:
        """The bot's messages in this chat, current state."""
        return self.api.chat_messages(self.id)

    def send_text(self, text: str) -> JSON:
        content: JSON = {"text": text}
        entities = _bot_command_entities(text)
        if entities:
            content["entities"] = entities
        return self.api._user_message(self, content)

    def send_sticker(self, emoji: str = "👍") -> JSON:
        stored = self.api._new_file("stickers", ".webp", None)
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.api._user_message(self, {"sticker": sticker})

    def send_photo(self, caption: str | None = None, data: bytes = b"\xff\xd8fake") -> JSON:
        content: JSON = {"photo": self.api._photo_sizes(data, "image/jpeg")}
        if caption:
            content["caption"] = caption
        return self.api._user_message(self, content)

    def send_location(self, latitude: float, longitude: float) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        return self.api._user_message(self, {"location": location})

    def send_contact(self, phone_number: str = "+15550100000") -> JSON:
        contact = {"phone_number": phone_number, "first_name": self.first_name, "user_id": self.id}
        return self.api._user_message(self, {"contact": contact})

    def edit_text(self, message_id: int, new_text: str) -> JSON:
        return self.api._user_edit(self, message_id, new_text)

    def press(self, message_id: int, callback_data: str) -> JSON:
        """Press a button carrying ``callback_data`` (need not exist: forged presses)."""
        return self.api._press(self, message_id, callback_data)

    def press_button(self, message_id: int, label: str | int) -> JSON:
        """Press a real button of the message's current keyboard, by label or flat index."""
        return self.press(message_id, self.api.find_button(self.id, message_id, label))

    def block_bot(self) -> JSON:
        return self.api.block_bot(self.id)

    def unblock_bot(self) -> JSON:
        return self.api.unblock_bot(self.id)


class FakeBotAPI:
    """The Bot API server state for one bot."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "cramp_help_bot",
        bot_id: int | None = None,
        *,
        bot_first_name: str = "Cramp Help",
        record_calls: bool = True,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id if bot_id is not None else _loose_int(token.split(":")[0]) or 123456
        self.bot_first_name = bot_first_name
        self.record_calls = record_calls
        self.calls: list[Call] = []
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.webhook_url = ""
        self.confirmed_update_id = 0
        self.delivered_update_id = 0
        self._chats: dict[int, _Chat] = {}
        self._blocked: set[int] = set()
        self._pending: deque[JSON] = deque()
        self._dropped: set[int] = set()
        self._allowed: frozenset[str] | None = None
        self._next_update_id = 1
        self._update_signal = _Signal()
        self._confirm_signal = _Signal()
        self._poll_generation = 0
        self._closed = False
        self._faults: list[_Fault] = []
        self._sequence = 0
        self._ids = itertools.count(1)
        self._methods: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            "getme": self._get_me,
            "logout": self._ok,
            "close": self._ok,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setmydescription": self._set_my_description,
            "getmydescription": self._get_my_description,
            "setmyshortdescription": self._set_my_short_description,
            "getmyshortdescription": self._get_my_short_description,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "getfile": self._get_file,
        }

    # ------------------------------------------------------------------ transport entry

    async def handle(self, method: str, params: JSON, token: str | None = None) -> tuple[int, JSON]:
        """Answer one Bot API call: ``(http_status, json_body)``.

        Raises ``NetworkFault`` for an injected network failure."""
        call = Call(method, params, time.time())
        if self.record_calls:
            self.calls.append(call)
        try:
            if token is not None and token != self.token:
                raise ApiError(401, "Unauthorized")
            name = method.lower()
            implementation = self._methods.get(name)
            if implementation is None:
                raise ApiError(404, "Not Found")
            self._raise_injected_fault(name, params)
            result = await implementation(params)
        except ApiError as err:
            call.status, call.description = err.status, err.description
            return err.status, err.body()
        except NetworkFault as fault:
            call.description = str(fault)
            raise
        call.status, call.result = 200, result
        return 200, {"ok": True, "result": result}

    def close(self) -> None:
        """Stop long polling: pending and future getUpdates return at once."""
        self._closed = True
        self._update_signal.notify()

    def reopen(self) -> None:
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ fault injection

    def inject_fault(
        self,
        method: str | None = None,
        *,
        kind: FaultKind,
        retry_after: int = 1,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` matching calls fail. ``method=None`` matches every method
        except getUpdates."""
        fault = _Fault(method.lower() if method else None, kind, retry_after, times, chat_id)
        self._faults.append(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def _raise_injected_fault(self, method: str, params: JSON) -> None:
        for fault in self._faults:
            if fault.matches(method, params):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                raise fault.error()

    # ------------------------------------------------------------------ users and updates

    @property
    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """Register (or fetch) a user and their private chat, whose id equals the user id."""
        chat = self._chats.get(user_id)
        if chat is not None:
            return chat.user
        user = FakeUser(self, user_id, first_name, language_code, username, last_name)
        self._chats[user_id] = _Chat(user_id, user)
        return user

    def block_bot(self, user_id: int) -> JSON:
        """The user blocks the bot: later sends fail with 403; emits my_chat_member."""
        self._blocked.add(user_id)
        return self._my_chat_member(user_id, old="member", new="kicked")

    def unblock_bot(self, user_id: int) -> JSON:
        self._blocked.discard(user_id)
        return self._my_chat_member(user_id, old="kicked", new="member")

    def is_blocked(self, user_id: int) -> bool:
        return user_id in self._blocked

    def _my_chat_member(self, user_id: int, old: str, new: str) -> JSON:
        user = self._chat(user_id).user

        def member(status: str) -> JSON:
            state: JSON = {"status": status, "user": self.bot_user}
            if status == "kicked":
                state["until_date"] = 0
            return state

        payload = {
            "chat": user.chat_json(),
            "from": user.to_json(),
            "date": _now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return self.enqueue_update("my_chat_member", payload)

    def enqueue_update(self, kind: str, payload: JSON) -> JSON:
        """Queue an update of type ``kind`` (e.g. "message") for getUpdates."""
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._pending.append(update)
        self._update_signal.notify()
        return update

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise LookupError(f"no chat {chat_id}: register the user with api.user() first")
        return chat

    def _user_message(self, user: FakeUser, content: JSON) -> JSON:
        # A blocked bot still receives what the user sends here, so tests can check that
        # the bot copes with 403s on its replies; unblock explicitly with unblock_bot().
        chat = self._chat(user.id)
        message = {
            "message_id": chat.take_message_id(),
            "from": user.to_json(),
            "chat": user.chat_json(),
            "date": _now(),
            **content,
        }
        chat.messages[message["message_id"]] = message
        return self.enqueue_update("message", message)

    def _user_edit(self, user: FakeUser, message_id: int, new_text: str) -> JSON:
        chat = self._chat(user.id)
        old = chat.messages.get(message_id)
        if old is None or old["from"].get("is_bot") or "text" not in old:
            raise LookupError(f"user {user.id} has no text message {message_id} to edit")
        edited = {**old, "text": new_text, "edit_date": _now()}
        edited.pop("entities", None)
        entities = _bot_command_entities(new_text)
        if entities:
            edited["entities"] = entities
        chat.messages[message_id] = edited
        return self.enqueue_update("edited_message", edited)

    def _press(self, user: FakeUser, message_id: int, data: str) -> JSON:
        chat = self._chat(user.id)
        message = chat.messages.get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat.id} to press a button on")
        query_id = str(4_000_000_000_000 + next(self._ids))
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id, user.id, chat.id, message_id, data
        )
        payload = {
            "id": query_id,
            "from": user.to_json(),
            "message": message,
            "chat_instance": str(self.bot_id * 1_000_003 + chat.id),
            "data": data,
        }
        return self.enqueue_update("callback_query", payload)

    def find_button(self, chat_id: int, message_id: int, label: str | int) -> str:
        """callback_data of a button on the message's current keyboard (by label or index)."""
        message = self._chat(chat_id).messages.get(message_id)
        rows = (message or {}).get("reply_markup", {}).get("inline_keyboard", [])
        buttons = list(itertools.chain.from_iterable(rows))
        labels = [b["text"] for b in buttons]
        if isinstance(label, int):
            found = [buttons[label]] if -len(buttons) <= label < len(buttons) else []
        else:
            found = [b for b in buttons if b["text"] == label]
            found = found or [b for b in buttons if label in b["text"]]
        if not found:
            raise AssertionError(
                f"no button {label!r} on message {message_id} in chat {chat_id}; buttons: {labels}"
            )
        if "callback_data" not in found[0]:
            raise AssertionError(f"button {found[0]['text']!r} has no callback_data: {found[0]}")
        return str(found[0]["callback_data"])

    # ------------------------------------------------------------------ reading state

    def chat_messages(self, chat_id: int) -> list[JSON]:
        """The bot's messages in a chat, in order, current state (edits applied)."""
        return [m for m in self._chat(chat_id).messages.values() if m["from"]["is_bot"]]

    def history(self, chat_id: int) -> list[JSON]:
        """Both sides of a chat, in order, current state."""
        return list(self._chat(chat_id).messages.values())

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        return self._chat(chat_id).messages.get(message_id)

    def latest_keyboard_message(self, chat_id: int) -> JSON | None:
        """The newest bot message that currently has an inline keyboard."""
        for message in reversed(self._chat(chat_id).messages.values()):
            if message["from"]["is_bot"] and "reply_markup" in message:
                return message
        return None

    def reply_keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard (``keyboard`` markup) currently shown in the chat, if any."""
        return self._chat(chat_id).reply_keyboard

    def last_chat_action(self, chat_id: int) -> str | None:
        return self._chat(chat_id).last_action

    def marker(self) -> int:
        """An opaque position in the stream of bot message changes (for ``changes_since``)."""
        return self._sequence

    def changes_since(self, chat_id: int, marker: int) -> list[MessageChange]:
        """Messages sent, edited or deleted in the chat after ``marker``, by first change."""
        changes = self._chat(chat_id).changes
        start = bisect_right(changes, marker, key=lambda change: change[0])
        first_kind: dict[int, str] = {}
        for _, message_id, kind in changes[start:]:
            first_kind.setdefault(message_id, kind)
        messages = self._chat(chat_id).messages
        return [
            MessageChange(message_id, kind != "sent", messages.get(message_id))
            for message_id, kind in first_kind.items()
        ]

    def bot_messages_since(self, chat_id: int, marker: int) -> list[JSON]:
        """Current state of the messages the bot sent or edited in the chat after ``marker``."""
        return [c.message for c in self.changes_since(chat_id, marker) if c.message is not None]

    def unanswered_callback_queries(self) -> list[CallbackQueryRecord]:
        return [q for q in self.callback_queries.values() if q.answer is None]

    def file_of(self, message: JSON) -> StoredFile | None:
        """The stored file (with uploaded bytes) of a photo/document message."""
        if message.get("photo"):
            return self.files.get(message["photo"][-1]["file_id"])
        if message.get("document"):
            return self.files.get(message["document"]["file_id"])
        return None

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    def is_settled(self, update_id: int) -> bool:
        """True once the bot confirmed the update (or it was filtered out by allowed_updates)."""
        return update_id <= self.confirmed_update_id or update_id in self._dropped

    async def wait_confirmed(self, update_id: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot fetched the update and confirmed it with a later getUpdates."""
        try:
            async with asyncio.timeout(timeout):
                while not self.is_settled(update_id):
                    await self._confirm_signal.wait()
        except TimeoutError:
            raise TimeoutError(
                f"update {update_id} not confirmed within {timeout}s (confirmed up to "
                f"{self.confirmed_update_id}, delivered up to {self.delivered_update_id}); "
                "is the application polling?"
            ) from None

    def _record_change(self, chat: _Chat, message_id: int, kind: str) -> None:
        self._sequence += 1
        chat.changes.append((self._sequence, message_id, kind))

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = _opt_int(params, "offset") or 0
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        timeout = max(_opt_float(params, "timeout") or 0.0, 0.0)
        allowed = _opt_json(params, "allowed_updates")
        if allowed is not None:
            self._allowed = frozenset(allowed) if allowed else None
        self._confirm(offset)
        # A new poll supersedes a pending one, like Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._update_signal.notify()
        updates = await self._long_poll(limit, timeout, generation)
        if updates:
            self.delivered_update_id = max(self.delivered_update_id, updates[-1]["update_id"])
        return updates

    async def _long_poll(self, limit: int, poll_seconds: float, generation: int) -> list[JSON]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + poll_seconds
        while True:
            updates = self._deliverable(limit)
            remaining = deadline - loop.time()
            if updates or self._closed or remaining <= 0:
                return updates
            try:
                async with asyncio.timeout(remaining):
                    await self._update_signal.wait()
            except TimeoutError:
                return self._deliverable(limit)
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)

    def _confirm(self, offset: int) -> None:
        """Forget updates before ``offset`` (negative: keep only the last -offset ones)."""
        if offset == 0:
            return
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                self.confirmed_update_id = pending.popleft()["update_id"]
        else:
            while pending and pending[0]["update_id"] < offset:
                pending.popleft()
            newest = self._next_update_id - 1
            self.confirmed_update_id = max(self.confirmed_update_id, min(offset - 1, newest))
        self._confirm_signal.notify()

    def _deliverable(self, limit: int) -> list[JSON]:
        allowed = self._allowed
        wanted = (
            (lambda kind: kind not in _OPT_IN_UPDATES) if allowed is None else allowed.__contains__
        )
        unwanted = [u for u in self._pending if not wanted(_update_kind(u))]
        if unwanted:
            # Telegram never stores updates a bot did not subscribe to.
            self._dropped.update(u["update_id"] for u in unwanted)
            self._pending = deque(u for u in self._pending if wanted(_update_kind(u)))
            self._confirm_signal.notify()
        return list(itertools.islice(self._pending, limit))

    # ------------------------------------------------------------------ bot & webhook

    async def _ok(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _delete_webhook(self, params: JSON) -> bool:
        self.webhook_url = ""
        if _opt_bool(params, "drop_pending_updates") and self._pending:
            self._confirm(self._pending[-1]["update_id"] + 1)
        return True

    async def _set_webhook(self, params: JSON) -> bool:
        self.webhook_url = _opt_str(params, "url") or ""
        if _opt_bool(params, "drop_pending_updates") and self._pending:
            self._confirm(self._pending[-1]["update_id"] + 1)
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._allowed is not None:
            info["allowed_updates"] = sorted(self._allowed)
        return info

    # ------------------------------------------------------------------ commands & descriptions

    @staticmethod
    def _scope_key(params: JSON) -> tuple[str, str]:
        scope = _opt_json(params, "scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), _opt_str(params, "language_code") or ""

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = _opt_json(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _COMMAND_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self.commands[self._scope_key(params)] = cleaned
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.commands.get(self._scope_key(params), [])

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    def _set_text_setting(self, params: JSON, name: str, max_length: int) -> bool:
        value = _opt_str(params, name) or ""
        if len(value) > max_length:
            raise bad_request(f"{name.replace('_', ' ')} is too long")
        self.descriptions[(name, _opt_str(params, "language_code") or "")] = value
        return True

    def _get_text_setting(self, params: JSON, name: str) -> JSON:
        language = _opt_str(params, "language_code") or ""
        value = self.descriptions.get((name, language)) or self.descriptions.get((name, ""), "")
        return {name: value}

    async def _set_my_description(self, params: JSON) -> bool:
        return self._set_text_setting(params, "description", 512)

    async def _get_my_description(self, params: JSON) -> JSON:
        return self._get_text_setting(params, "description")

    async def _set_my_short_description(self, params: JSON) -> bool:
        return self._set_text_setting(params, "short_description", 120)

    async def _get_my_short_description(self, params: JSON) -> JSON:
        return self._get_text_setting(params, "short_description")

    # ------------------------------------------------------------------ chats

    def _target_chat(self, params: JSON, *, check_blocked: bool = True) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat = self._chats.get(_loose_int(raw) or 0)
        if chat is None:
            raise bad_request("chat not found")
        if check_blocked and chat.id in self._blocked:
            raise ApiError(403, BLOCKED)
        return chat

    async def _get_chat(self, params: JSON) -> JSON:
        chat = self._target_chat(params, check_blocked=False)
        return {
            **chat.user.chat_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    async def _send_chat_action(self, params: JSON) -> bool:
        chat = self._target_chat(params)
        action = _opt_str(params, "action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = action
        return True

    # ------------------------------------------------------------------ sending

    def _markup(self, chat: _Chat, params: JSON) -> JSON | None:
        """Validate reply_markup; return the inline keyboard to attach to the message."""
        markup = _opt_json(params, "reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return _check_inline_keyboard(markup["inline_keyboard"])
        if "keyboard" in markup:
            _check_reply_keyboard(markup["keyboard"])
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        elif not markup.get("force_reply"):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return None

    def _reply_to(self, chat: _Chat, params: JSON) -> JSON | None:
        reply = _opt_json(params, "reply_parameters")
        if isinstance(reply, dict):
            message_id = _loose_int(reply.get("message_id"))
            allow_missing = _opt_bool(reply, "allow_sending_without_reply")
        else:
            message_id = _opt_int(params, "reply_to_message_id")
            allow_missing = _opt_bool(params, "allow_sending_without_reply")
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        if target is None:
            return None
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _store_bot_message(self, chat: _Chat, content: JSON, params: JSON) -> JSON:
        markup = self._markup(chat, params)
        reply_to = self._reply_to(chat, params)
        message: JSON = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": chat.user.chat_json(),
            "date": _now(),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        chat.messages[message["message_id"]] = message
        self._record_change(chat, message["message_id"], "sent")
        return message

    @staticmethod
    def _text_content(params: JSON) -> JSON:
        text, entities = _formatted(params, "text", "entities")
        if not text:
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return content

    @staticmethod
    def _caption_content(params: JSON) -> JSON:
        caption, entities = _formatted(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        content: JSON = {}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return content

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        return self._store_bot_message(chat, self._text_content(params), params)

    async def _send_photo(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        caption = self._caption_content(params)
        photo = self._input_file(params, "photo")
        if isinstance(photo, StoredFile):
            sizes = self._photo_sizes_of(photo)
        else:
            sizes = self._photo_sizes(photo.data if photo else None, "image/jpeg")
        return self._store_bot_message(chat, {"photo": sizes, **caption}, params)

    async def _send_document(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        caption = self._caption_content(params)
        document = self._input_file(params, "document")
        if isinstance(document, StoredFile):
            stored = document
        else:
            name = document.filename if document else "file"
            stored = self._new_file(
                "documents",
                _extension(name),
                document.data if document else None,
                file_name=name,
                mime_type=document.mime_type if document else None,
            )
        content = {"document": _document_json(stored), **caption}
        return self._store_bot_message(chat, content, params)

    # ------------------------------------------------------------------ files

    def _input_file(self, params: JSON, name: str) -> Upload | StoredFile | None:
        """An uploaded file, a known file, or None for a URL (content unknown)."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, Upload):
            return value
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {name} in the request")
        if value in self.files:
            return self.files[value]
        if value.startswith(("http://", "https://")):
            return None
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _new_file(
        self,
        folder: str,
        extension: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._ids)
        stored = StoredFile(
            file_id=f"AgACAgIAAxkBAAI{number:08d}{self.bot_id:x}",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{folder}/file_{number}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _photo_sizes(self, data: bytes | None, mime_type: str) -> list[JSON]:
        """PhotoSize list for a new photo; every size serves the same bytes."""
        sizes = []
        for width, height in _PHOTO_SIZES:
            stored = self._new_file("photos", ".jpg", data, mime_type=mime_type)
            sizes.append(_photo_size_json(stored, width, height))
        return sizes

    def _photo_sizes_of(self, stored: StoredFile) -> list[JSON]:
        width, height = _PHOTO_SIZES[-1]
        return [_photo_size_json(stored, width, height)]

    async def _get_file(self, params: JSON) -> JSON:
        stored = self.files.get(_opt_str(params, "file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ editing & deleting

    def _editable(self, params: JSON) -> tuple[_Chat, JSON]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not modelled
        chat = self._target_chat(params)
        message_id = _opt_int(params, "message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message["from"]["is_bot"]:
            raise bad_request("message can't be edited")
        return chat, message

    def _apply_edit(
        self, chat: _Chat, old: JSON, replaced: tuple[str, ...], content: JSON, markup: JSON | None
    ) -> JSON:
        """Replace ``replaced`` fields (and the keyboard) of ``old`` with ``content``."""
        dropped = {*replaced, "reply_markup", "edit_date"}
        new = {k: v for k, v in old.items() if k not in dropped}
        new.update(content)
        if markup is not None:  # no reply_markup in an edit removes the keyboard, as in Telegram
            new["reply_markup"] = markup
        if _message_content_key(new) == _message_content_key(old):
            raise bad_request(NOT_MODIFIED)
        new["edit_date"] = _now()
        chat.messages[old["message_id"]] = new
        self._record_change(chat, old["message_id"], "edited")
        return new

    async def _edit_message_text(self, params: JSON) -> JSON:
        chat, old = self._editable(params)
        content = self._text_content(params)
        markup = self._markup(chat, params)
        if "text" not in old:
            raise bad_request("there is no text in the message to edit")
        return self._apply_edit(chat, old, ("text", "entities"), content, markup)

    async def _edit_message_caption(self, params: JSON) -> JSON:
        chat, old = self._editable(params)
        content = self._caption_content(params)
        markup = self._markup(chat, params)
        if "text" in old:
            raise bad_request("there is no caption in the message to edit")
        return self._apply_edit(chat, old, ("caption", "caption_entities"), content, markup)

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        chat, old = self._editable(params)
        markup = self._markup(chat, params)
        return self._apply_edit(chat, old, (), {}, markup)

    async def _delete_message(self, params: JSON) -> bool:
        chat = self._target_chat(params, check_blocked=False)
        message_id = _opt_int(params, "message_id")
        if message_id is None or chat.messages.pop(message_id, None) is None:
            raise bad_request("message to delete not found")
        self._record_change(chat, message_id, "deleted")
        return True

    # ------------------------------------------------------------------ callback queries

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = _opt_str(params, "callback_query_id") or ""
        record = self.callback_queries.get(query_id)
        if record is None or record.answer is not None:
            raise bad_request(QUERY_TOO_OLD)
        text = _opt_str(params, "text")
        if text and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            query_id=query_id,
            text=text,
            show_alert=_opt_bool(params, "show_alert"),
            url=_opt_str(params, "url"),
            cache_time=_opt_int(params, "cache_time") or 0,
        )
        record.answer = answer
        self.callback_answers[query_id] = answer
        return True


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:] if dot > 0 else ""


def _photo_size_json(stored: StoredFile, width: int, height: int) -> JSON:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": stored.size,
    }


def _document_json(stored: StoredFile) -> JSON:
    document: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document
