"""What the server remembers for one bot, and the read-outs tests use to look at it."""

from __future__ import annotations

import itertools
import time
from bisect import bisect_right
from dataclasses import dataclass, field

from tgbot_devtools.standin.records import (
    JSON,
    CallbackAnswer,
    CallbackQueryRecord,
    MessageChange,
    StoredFile,
)
from tgbot_devtools.standin.updates import UpdateQueue

_PHOTO_SIZES = ((90, 90), (320, 320), (800, 800))


def unix_now() -> int:
    """A message date as Telegram gives it: whole seconds."""
    return int(time.time())


class TelegramUser:
    """A user as the server describes them: Telegram's User and private Chat objects."""

    def __init__(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None,
        username: str | None,
        last_name: str | None = None,
    ) -> None:
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


@dataclass
class Chat:
    """A user's private chat with the bot; its id is the user's id."""

    id: int
    user: TelegramUser
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


class BotState:
    """Chats and their messages, files, callback queries, commands and the update queue."""

    def __init__(self, bot_id: int, bot_username: str, bot_first_name: str) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.chats: dict[int, Chat] = {}
        self.blocked: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.updates = UpdateQueue()
        self._sequence = 0
        self._ids = itertools.count(1)

    @property
    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def next_id(self) -> int:
        """A number never handed out before (file and callback query ids)."""
        return next(self._ids)

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise LookupError(f"no chat {chat_id}: register the user with api.user() first")
        return chat

    def record_change(self, chat: Chat, message_id: int, kind: str) -> None:
        self._sequence += 1
        chat.changes.append((self._sequence, message_id, kind))

    # ------------------------------------------------------------------ files

    def new_file(
        self,
        folder: str,
        extension: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = self.next_id()
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

    def photo_sizes(self, data: bytes | None, mime_type: str) -> list[JSON]:
        """PhotoSize list for a new photo; every size serves the same bytes."""
        sizes = []
        for width, height in _PHOTO_SIZES:
            stored = self.new_file("photos", ".jpg", data, mime_type=mime_type)
            sizes.append(_photo_size_json(stored, width, height))
        return sizes

    def photo_sizes_of(self, stored: StoredFile) -> list[JSON]:
        width, height = _PHOTO_SIZES[-1]
        return [_photo_size_json(stored, width, height)]

    # ------------------------------------------------------------------ reading state

    def chat_messages(self, chat_id: int) -> list[JSON]:
        """The bot's messages in a chat, in order, current state (edits applied)."""
        return [m for m in self.chat(chat_id).messages.values() if m["from"]["is_bot"]]

    def history(self, chat_id: int) -> list[JSON]:
        """Both sides of a chat, in order, current state."""
        return list(self.chat(chat_id).messages.values())

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        return self.chat(chat_id).messages.get(message_id)

    def latest_keyboard_message(self, chat_id: int) -> JSON | None:
        """The newest bot message that currently has an inline keyboard."""
        for message in reversed(self.chat(chat_id).messages.values()):
            if message["from"]["is_bot"] and "reply_markup" in message:
                return message
        return None

    def find_button(self, chat_id: int, message_id: int, label: str | int) -> str:
        """callback_data of a button on the message's current keyboard (by label or index)."""
        message = self.chat(chat_id).messages.get(message_id)
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

    def reply_keyboard(self, chat_id: int) -> JSON | None:
        """The reply keyboard (``keyboard`` markup) currently shown in the chat, if any."""
        return self.chat(chat_id).reply_keyboard

    def last_chat_action(self, chat_id: int) -> str | None:
        return self.chat(chat_id).last_action

    def is_blocked(self, user_id: int) -> bool:
        return user_id in self.blocked

    def marker(self) -> int:
        """An opaque position in the stream of bot message changes (for ``changes_since``)."""
        return self._sequence

    def changes_since(self, chat_id: int, marker: int) -> list[MessageChange]:
        """Messages sent, edited or deleted in the chat after ``marker``, by first change."""
        changes = self.chat(chat_id).changes
        start = bisect_right(changes, marker, key=lambda change: change[0])
        first_kind: dict[int, str] = {}
        for _, message_id, kind in changes[start:]:
            first_kind.setdefault(message_id, kind)
        messages = self.chat(chat_id).messages
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


def _photo_size_json(stored: StoredFile, width: int, height: int) -> JSON:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": stored.size,
    }
