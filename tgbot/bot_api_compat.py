"""Tolerance for third-party Bot API servers and emulators.

Telegram always sends ``is_bot`` in ``getMe``, returns the edited ``Message`` from edits and
returns objects (not JSON strings) inside a ``Message``. Some local emulators don't, and
python-telegram-bot would then refuse to start or fail after a message was already delivered.
Used only when ``TELEGRAM_API_BASE_URL`` points somewhere other than Telegram
(``tgbot.http_client.AiohttpRequest(lenient=True)``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from telegram._utils.types import JSONDict

_GET_ME_DEFAULTS: JSONDict = {"is_bot": True, "first_name": "Bot"}
# Message fields that are objects in Telegram's replies but may come back as JSON text.
# Far in the future as seconds, but only 1973 as milliseconds.
_LATEST_UNIX_SECONDS = 100_000_000_000
_OBJECT_FIELDS = ("reply_markup", "link_preview_options", "entities", "caption_entities")


def normalise_payload(api_method: str, payload: bytes) -> bytes:
    """Bring a successful reply to the shape Telegram gives; anything else passes untouched."""
    try:
        body = json.loads(payload)
    except ValueError:
        return payload
    if not isinstance(body, dict) or body.get("ok") is not True:
        return payload
    result = body.get("result")
    fixed = _normalise_result(api_method, result)
    if fixed == result:
        return payload  # already Telegram's shape: not encoded again
    body["result"] = fixed
    return json.dumps(body).encode()


def _normalise_result(api_method: str, result: Any) -> Any:
    if result is None:  # e.g. an edit answered with null instead of the Message
        return True
    if api_method == "getMe" and isinstance(result, dict):
        return {**_GET_ME_DEFAULTS, **result}
    if api_method == "getUpdates" and isinstance(result, list):
        return [_normalise_update(u) if isinstance(u, dict) else u for u in result]
    if isinstance(result, dict) and "message_id" in result:
        return _normalise_message(result)
    return result


def _normalise_update(update: JSONDict) -> JSONDict:
    fixed = dict(update)
    for key in ("message", "edited_message"):
        if isinstance(fixed.get(key), dict):
            fixed[key] = _normalise_message(fixed[key])
    query = fixed.get("callback_query")
    if isinstance(query, dict):
        query = dict(query)
        sender = query.get("from") or {}
        query.setdefault("chat_instance", str(sender.get("id", "")))
        message = query.get("message")
        if isinstance(message, dict) and "message_id" in message:
            query["message"] = _normalise_message(message)
        else:
            query.pop("message", None)  # unusable: the bot answers with a new message
        fixed["callback_query"] = query
    return fixed


def _normalise_message(message: JSONDict) -> JSONDict:
    fixed = dict(message)
    date = fixed.get("date")
    if not isinstance(date, int | float):
        fixed["date"] = int(time.time())
    elif date > _LATEST_UNIX_SECONDS:
        fixed["date"] = int(date // 1000)  # milliseconds, not Telegram's seconds
    for key in _OBJECT_FIELDS:
        if isinstance(fixed.get(key), str):
            try:
                fixed[key] = json.loads(fixed[key])
            except ValueError:
                del fixed[key]
    return fixed
