"""A local stand-in for the Telegram Bot API, for tests, terminal chats and benchmarks.

The loopback HTTP server lives in ``tgbot.standin.http_server`` (imported on demand: aiohttp).
"""

from tgbot.standin.api import (
    ApiError,
    Call,
    CallbackAnswer,
    CallbackQueryRecord,
    FakeBotAPI,
    FakeUser,
    MessageChange,
    NetworkFault,
    StoredFile,
    Upload,
)
from tgbot.standin.driver import BotDriver, BotMessage, Button, DriverUser
from tgbot.standin.request import StandinRequest

__all__ = [
    "ApiError",
    "BotDriver",
    "BotMessage",
    "Button",
    "Call",
    "CallbackAnswer",
    "CallbackQueryRecord",
    "DriverUser",
    "FakeBotAPI",
    "FakeUser",
    "MessageChange",
    "NetworkFault",
    "StandinRequest",
    "StoredFile",
    "Upload",
]
