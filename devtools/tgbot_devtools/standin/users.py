"""Telegram users in private chats with the bot: each action queues the update it causes."""

from __future__ import annotations

import re

from tgbot.telegram_html import utf16_len
from tgbot_devtools.standin.records import JSON, CallbackQueryRecord
from tgbot_devtools.standin.state import BotState, TelegramUser, unix_now

# TDLib's rule: not glued to a word character or one of / < > on either side.
_BOT_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")


class FakeUser(TelegramUser):
    """A Telegram user in a private chat with the bot; every action queues a real update."""

    def __init__(
        self,
        api: BotState,
        user_id: int,
        first_name: str,
        language_code: str | None,
        username: str | None,
        last_name: str | None = None,
    ) -> None:
        super().__init__(user_id, first_name, language_code, username, last_name)
        self.api = api

    @property
    def messages(self) -> list[JSON]:
        """The bot's messages in this chat, current state."""
        return self.api.chat_messages(self.id)

    def send_text(self, text: str) -> JSON:
        content: JSON = {"text": text}
        entities = _bot_command_entities(text)
        if entities:
            content["entities"] = entities
        return self._send(content)

    def send_sticker(self, emoji: str = "👍") -> JSON:
        stored = self.api.new_file("stickers", ".webp", None)
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
        return self._send({"sticker": sticker})

    def send_photo(self, caption: str | None = None, data: bytes = b"\xff\xd8fake") -> JSON:
        content: JSON = {"photo": self.api.photo_sizes(data, "image/jpeg")}
        if caption:
            content["caption"] = caption
        return self._send(content)

    def send_location(self, latitude: float, longitude: float) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        return self._send({"location": location})

    def send_contact(self, phone_number: str = "+15550100000") -> JSON:
        contact = {"phone_number": phone_number, "first_name": self.first_name, "user_id": self.id}
        return self._send({"contact": contact})

    def edit_text(self, message_id: int, new_text: str) -> JSON:
        chat = self.api.chat(self.id)
        old = chat.messages.get(message_id)
        if old is None or old["from"].get("is_bot") or "text" not in old:
            raise LookupError(f"user {self.id} has no text message {message_id} to edit")
        edited = {**old, "text": new_text, "edit_date": unix_now()}
        edited.pop("entities", None)
        entities = _bot_command_entities(new_text)
        if entities:
            edited["entities"] = entities
        chat.messages[message_id] = edited
        return self.api.updates.enqueue("edited_message", edited)

    def press(self, message_id: int, callback_data: str) -> JSON:
        """Press a button carrying ``callback_data`` (need not exist: forged presses)."""
        chat = self.api.chat(self.id)
        message = chat.messages.get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat.id} to press a button on")
        query_id = str(4_000_000_000_000 + self.api.next_id())
        self.api.callback_queries[query_id] = CallbackQueryRecord(
            query_id, self.id, chat.id, message_id, callback_data
        )
        payload = {
            "id": query_id,
            "from": self.to_json(),
            "message": message,
            "chat_instance": str(self.api.bot_id * 1_000_003 + chat.id),
            "data": callback_data,
        }
        return self.api.updates.enqueue("callback_query", payload)

    def press_button(self, message_id: int, label: str | int) -> JSON:
        """Press a real button of the message's current keyboard, by label or flat index."""
        return self.press(message_id, self.api.find_button(self.id, message_id, label))

    def block_bot(self) -> JSON:
        """Block the bot: later sends fail with 403; emits my_chat_member."""
        self.api.blocked.add(self.id)
        return self._membership_changed(old="member", new="kicked")

    def unblock_bot(self) -> JSON:
        self.api.blocked.discard(self.id)
        return self._membership_changed(old="kicked", new="member")

    def _send(self, content: JSON) -> JSON:
        # A blocked bot still receives what the user sends here, so tests can check that
        # the bot copes with 403s on its replies; unblock explicitly with unblock_bot().
        chat = self.api.chat(self.id)
        message = {
            "message_id": chat.take_message_id(),
            "from": self.to_json(),
            "chat": self.chat_json(),
            "date": unix_now(),
            **content,
        }
        chat.messages[message["message_id"]] = message
        return self.api.updates.enqueue("message", message)

    def _membership_changed(self, old: str, new: str) -> JSON:
        def member(status: str) -> JSON:
            state: JSON = {"status": status, "user": self.api.bot_user}
            if status == "kicked":
                state["until_date"] = 0
            return state

        payload = {
            "chat": self.chat_json(),
            "from": self.to_json(),
            "date": unix_now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return self.api.updates.enqueue("my_chat_member", payload)


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
