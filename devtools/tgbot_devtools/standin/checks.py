"""Telegram's checks on what a bot sends: limits, parameter types, formatted text, keyboards.

Every failure is an ``ApiError`` carrying Telegram's own description, which PTB maps to the
exception it would raise against api.telegram.org.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from tgbot.telegram_html import TelegramHtmlError, parse_html, utf16_len
from tgbot_devtools.standin.records import JSON

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
# setMyDescription and setMyShortDescription
MAX_SETTING_LENGTHS = {"description": 512, "short_description": 120}

BLOCKED = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
TEXT_BUTTONS_UNALLOWED = "text buttons are unallowed in the inline keyboard"

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


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


# ---------------------------------------------------------------------------- parameters


def loose_int(value: Any) -> int | None:
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


def opt_int(params: JSON, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    number = loose_int(value)
    if number is None:
        raise bad_request(f'field "{name}" must be of type Integer')
    return number


def opt_float(params: JSON, name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f'field "{name}" must be of type Number') from None


def opt_str(params: JSON, name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def opt_bool(params: JSON, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def opt_json(params: JSON, name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str) and name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    return value


# ---------------------------------------------------------------------------- formatted text


def text_content(params: JSON) -> JSON:
    """``text`` and ``entities`` of a message as users will see them."""
    text, entities = _formatted(params, "text", "entities")
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    return content


def caption_content(params: JSON) -> JSON:
    """``caption`` and ``caption_entities`` of a media message (both may be absent)."""
    caption, entities = _formatted(params, "caption", "caption_entities")
    if utf16_len(caption) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    content: JSON = {}
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content


def _formatted(params: JSON, text_field: str, entities_field: str) -> tuple[str, list[JSON]]:
    """The text as users see it plus its entities, after parse_mode handling and trimming."""
    raw = opt_str(params, text_field) or ""
    mode = (opt_str(params, "parse_mode") or "").lower()
    if mode == "html":
        try:
            text, entities = parse_html(raw)
        except TelegramHtmlError as exc:
            raise bad_request(f"can't parse entities: {exc.detail}") from None
    elif mode == "":
        text, entities = raw, _check_entities(opt_json(params, entities_field))
    elif mode in ("markdown", "markdownv2"):
        text, entities = raw, []  # not interpreted by the stand-in: shown verbatim
    else:
        raise bad_request("unsupported parse_mode")
    return _trim(text, entities)


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
        if loose_int(entity.get("offset")) is None or loose_int(entity.get("length")) is None:
            raise bad_request("can't parse MessageEntity: field offset/length is missing")
    return [dict(e) for e in raw]


# ---------------------------------------------------------------------------- keyboards


def check_inline_keyboard(rows: Any) -> JSON:
    """The inline keyboard as Telegram stores it (empty rows dropped)."""
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


def check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    for button in itertools.chain.from_iterable(rows):
        text = button.get("text") if isinstance(button, dict) else button
        if not isinstance(text, str) or not text:
            raise bad_request("keyboard button text is empty")


# ---------------------------------------------------------------------------- everything else


def check_modified(old: JSON, new: JSON) -> None:
    """An edit must change the content or the keyboard."""
    if _content_key(new) == _content_key(old):
        raise bad_request(NOT_MODIFIED)


def _content_key(message: JSON) -> tuple[Any, ...]:
    return (
        message.get("text"),
        message.get("entities", []),
        message.get("caption"),
        message.get("caption_entities", []),
        message.get("reply_markup"),
    )


def check_commands(commands: Any) -> list[JSON]:
    """The command list of setMyCommands, cleaned to command and description."""
    if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
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
    return cleaned


def check_setting_length(name: str, value: str) -> None:
    """``name`` is "description" or "short_description"."""
    if len(value) > MAX_SETTING_LENGTHS[name]:
        raise bad_request(f"{name.replace('_', ' ')} is too long")


def check_chat_action(action: str | None) -> str:
    if action is None or action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return action


def check_callback_answer_text(text: str | None) -> None:
    if text and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
