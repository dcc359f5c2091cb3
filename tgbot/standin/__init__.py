"""A local stand-in for the Telegram Bot API, for tests, terminal chats and benchmarks.

The loopback HTTP server lives in ``tgbot.standin.http_server`` (imported on demand: aiohttp).
"""

from tgbot.standin.api import FakeBotAPI, NetworkFault
from tgbot.standin.checks import ApiError
from tgbot.standin.driver import BotDriver, BotMessage, Button, DriverUser
from tgbot.standin.records import (
    Call,
    CallbackAnswer,
    CallbackQueryRecord,
    MessageChange,
    StoredFile,
    Upload,
)
from tgbot.standin.request import StandinRequest
from tgbot.standin.users import FakeUser

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
