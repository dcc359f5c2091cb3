"""A local stand-in for the Telegram Bot API, for tests, terminal chats and benchmarks.

The loopback HTTP server, ``tgbot_devtools.standin.http_server``, is imported on demand (aiohttp).
"""

from tgbot_devtools.standin.api import FakeBotAPI, Latency, NetworkFault
from tgbot_devtools.standin.checks import ApiError
from tgbot_devtools.standin.driver import BotDriver, BotMessage, Button, DriverUser
from tgbot_devtools.standin.records import (
    Call,
    CallbackAnswer,
    CallbackQueryRecord,
    MessageChange,
    StoredFile,
    Upload,
)
from tgbot_devtools.standin.request import StandinRequest
from tgbot_devtools.standin.users import FakeUser

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
    "Latency",
    "MessageChange",
    "NetworkFault",
    "StandinRequest",
    "StoredFile",
    "Upload",
]
