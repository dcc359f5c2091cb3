"""The values the stand-in keeps and hands out: uploads, files, calls, callback queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


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
