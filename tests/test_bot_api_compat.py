"""Replies from sloppy third-party emulators are brought to Telegram's shape."""

from __future__ import annotations

import json

from telegram import Message, Update, User

from tgbot.bot_api_compat import normalise_payload


def roundtrip(method: str, result: object) -> object:
    payload = json.dumps({"ok": True, "result": result}).encode()
    return json.loads(normalise_payload(method, payload))["result"]


def test_get_me_without_is_bot_becomes_a_valid_user() -> None:
    result = roundtrip("getMe", {"id": 666, "username": "TestBot", "first_name": "T"})
    user = User.de_json(result, None)  # type: ignore[arg-type]
    assert user.is_bot and user.username == "TestBot"


def test_null_edit_result_becomes_true() -> None:
    assert roundtrip("editMessageText", None) is True


def test_echoed_message_with_json_strings_and_millisecond_date_parses() -> None:
    result = roundtrip(
        "sendMessage",
        {
            "message_id": 5,
            "date": 1_795_303_032_595,
            "chat": {"id": 1, "type": "private"},
            "text": "hi",
            "reply_markup": json.dumps(
                {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
            ),
            "link_preview_options": "not json",
        },
    )
    message = Message.de_json(result, None)  # type: ignore[arg-type]
    assert message.date.year == 2026
    assert message.reply_markup is not None
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "a"


def test_callback_query_without_chat_instance_or_message_id_still_parses() -> None:
    updates = roundtrip(
        "getUpdates",
        [
            {
                "update_id": 3,
                "callback_query": {
                    "id": "1",
                    "from": {"id": 1, "first_name": "A", "is_bot": False},
                    "message": {"chat": {"id": 1, "type": "private"}},
                    "data": "s:main",
                },
            }
        ],
    )
    assert isinstance(updates, list)
    update = Update.de_json(updates[0], None)
    assert update.callback_query is not None
    assert update.callback_query.data == "s:main" and update.callback_query.message is None


def test_errors_and_non_json_pass_untouched() -> None:
    error = json.dumps({"ok": False, "error_code": 400, "description": "Bad Request"}).encode()
    assert normalise_payload("sendMessage", error) == error
    assert normalise_payload("sendMessage", b"<html>") == b"<html>"
