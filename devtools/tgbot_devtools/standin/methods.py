"""The Bot API methods the stand-in answers, each working on the server's ``BotState``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tgbot_devtools.standin.checks import (
    BLOCKED,
    QUERY_TOO_OLD,
    ApiError,
    bad_request,
    caption_content,
    check_callback_answer_text,
    check_chat_action,
    check_commands,
    check_inline_keyboard,
    check_modified,
    check_reply_keyboard,
    check_setting_length,
    loose_int,
    opt_bool,
    opt_int,
    opt_json,
    opt_str,
    text_content,
)
from tgbot_devtools.standin.records import JSON, CallbackAnswer, StoredFile, Upload
from tgbot_devtools.standin.state import BotState, Chat, unix_now

Method = Callable[[JSON], Awaitable[Any]]


class BotMethods:
    """The methods a bot calls, by lower-case name (``table()``)."""

    def __init__(self, state: BotState) -> None:
        self.state = state

    def table(self) -> dict[str, Method]:
        updates = self.state.updates
        return {
            "getme": self._get_me,
            "logout": self._ok,
            "close": self._ok,
            "getupdates": updates.get_updates,
            "deletewebhook": updates.delete_webhook,
            "setwebhook": updates.set_webhook,
            "getwebhookinfo": updates.get_webhook_info,
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

    # ------------------------------------------------------------------ bot

    async def _ok(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.state.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ------------------------------------------------------------------ commands & descriptions

    @staticmethod
    def _scope_key(params: JSON) -> tuple[str, str]:
        scope = opt_json(params, "scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), opt_str(params, "language_code") or ""

    async def _set_my_commands(self, params: JSON) -> bool:
        cleaned = check_commands(opt_json(params, "commands"))
        self.state.commands[self._scope_key(params)] = cleaned
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.state.commands.get(self._scope_key(params), [])

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.state.commands.pop(self._scope_key(params), None)
        return True

    def _set_text_setting(self, params: JSON, name: str) -> bool:
        value = opt_str(params, name) or ""
        check_setting_length(name, value)
        self.state.descriptions[(name, opt_str(params, "language_code") or "")] = value
        return True

    def _get_text_setting(self, params: JSON, name: str) -> JSON:
        language = opt_str(params, "language_code") or ""
        descriptions = self.state.descriptions
        value = descriptions.get((name, language)) or descriptions.get((name, ""), "")
        return {name: value}

    async def _set_my_description(self, params: JSON) -> bool:
        return self._set_text_setting(params, "description")

    async def _get_my_description(self, params: JSON) -> JSON:
        return self._get_text_setting(params, "description")

    async def _set_my_short_description(self, params: JSON) -> bool:
        return self._set_text_setting(params, "short_description")

    async def _get_my_short_description(self, params: JSON) -> JSON:
        return self._get_text_setting(params, "short_description")

    # ------------------------------------------------------------------ chats

    def _target_chat(self, params: JSON, *, check_blocked: bool = True) -> Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat = self.state.chats.get(loose_int(raw) or 0)
        if chat is None:
            raise bad_request("chat not found")
        if check_blocked and chat.id in self.state.blocked:
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
        chat.last_action = check_chat_action(opt_str(params, "action"))
        return True

    # ------------------------------------------------------------------ sending

    def _markup(self, chat: Chat, params: JSON) -> JSON | None:
        """Validate reply_markup; return the inline keyboard to attach to the message."""
        markup = opt_json(params, "reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return check_inline_keyboard(markup["inline_keyboard"])
        if "keyboard" in markup:
            check_reply_keyboard(markup["keyboard"])
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        elif not markup.get("force_reply"):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return None

    def _reply_to(self, chat: Chat, params: JSON) -> JSON | None:
        reply = opt_json(params, "reply_parameters")
        if isinstance(reply, dict):
            message_id = loose_int(reply.get("message_id"))
            allow_missing = opt_bool(reply, "allow_sending_without_reply")
        else:
            message_id = opt_int(params, "reply_to_message_id")
            allow_missing = opt_bool(params, "allow_sending_without_reply")
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        if target is None:
            return None
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _store_bot_message(self, chat: Chat, content: JSON, params: JSON) -> JSON:
        markup = self._markup(chat, params)
        reply_to = self._reply_to(chat, params)
        message: JSON = {
            "message_id": chat.take_message_id(),
            "from": self.state.bot_user,
            "chat": chat.user.chat_json(),
            "date": unix_now(),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        chat.messages[message["message_id"]] = message
        self.state.record_change(chat, message["message_id"], "sent")
        return message

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        return self._store_bot_message(chat, text_content(params), params)

    async def _send_photo(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        caption = caption_content(params)
        photo = self._input_file(params, "photo")
        if isinstance(photo, StoredFile):
            sizes = self.state.photo_sizes_of(photo)
        else:
            sizes = self.state.photo_sizes(photo.data if photo else None, "image/jpeg")
        return self._store_bot_message(chat, {"photo": sizes, **caption}, params)

    async def _send_document(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        caption = caption_content(params)
        document = self._input_file(params, "document")
        if isinstance(document, StoredFile):
            stored = document
        else:
            name = document.filename if document else "file"
            stored = self.state.new_file(
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
        if value in self.state.files:
            return self.state.files[value]
        if value.startswith(("http://", "https://")):
            return None
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def _get_file(self, params: JSON) -> JSON:
        stored = self.state.files.get(opt_str(params, "file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ editing & deleting

    def _editable(self, params: JSON) -> tuple[Chat, JSON]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not modelled
        chat = self._target_chat(params)
        message_id = opt_int(params, "message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message["from"]["is_bot"]:
            raise bad_request("message can't be edited")
        return chat, message

    def _apply_edit(
        self, chat: Chat, old: JSON, replaced: tuple[str, ...], content: JSON, markup: JSON | None
    ) -> JSON:
        """Replace ``replaced`` fields (and the keyboard) of ``old`` with ``content``."""
        dropped = {*replaced, "reply_markup", "edit_date"}
        new = {k: v for k, v in old.items() if k not in dropped}
        new.update(content)
        if markup is not None:  # no reply_markup in an edit removes the keyboard, as in Telegram
            new["reply_markup"] = markup
        check_modified(old, new)
        new["edit_date"] = unix_now()
        chat.messages[old["message_id"]] = new
        self.state.record_change(chat, old["message_id"], "edited")
        return new

    async def _edit_message_text(self, params: JSON) -> JSON:
        chat, old = self._editable(params)
        content = text_content(params)
        markup = self._markup(chat, params)
        if "text" not in old:
            raise bad_request("there is no text in the message to edit")
        return self._apply_edit(chat, old, ("text", "entities"), content, markup)

    async def _edit_message_caption(self, params: JSON) -> JSON:
        chat, old = self._editable(params)
        content = caption_content(params)
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
        message_id = opt_int(params, "message_id")
        if message_id is None or chat.messages.pop(message_id, None) is None:
            raise bad_request("message to delete not found")
        self.state.record_change(chat, message_id, "deleted")
        return True

    # ------------------------------------------------------------------ callback queries

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = opt_str(params, "callback_query_id") or ""
        record = self.state.callback_queries.get(query_id)
        if record is None or record.answer is not None:
            raise bad_request(QUERY_TOO_OLD)
        text = opt_str(params, "text")
        check_callback_answer_text(text)
        answer = CallbackAnswer(
            query_id=query_id,
            text=text,
            show_alert=opt_bool(params, "show_alert"),
            url=opt_str(params, "url"),
            cache_time=opt_int(params, "cache_time") or 0,
        )
        record.answer = answer
        self.state.callback_answers[query_id] = answer
        return True


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:] if dot > 0 else ""


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
