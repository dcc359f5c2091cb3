"""Drive a real PTB ``Application`` as Telegram users would, against a ``FakeBotAPI``.

Each user action queues an update, waits until the bot's polling loop confirmed it (PTB puts
fetched updates into ``update_queue`` before its next getUpdates) and until the application
processed the queue, then reports what the bot sent or edited in that chat.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from telegram import Update
from telegram.ext import Application

from tgbot.app import stop_and_shut_down
from tgbot_devtools.standin.api import FakeBotAPI
from tgbot_devtools.standin.records import JSON, CallbackAnswer, MessageChange
from tgbot_devtools.standin.users import FakeUser

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Button:
    label: str
    callback_data: str | None = None
    url: str | None = None


@dataclass
class BotMessage:
    """A bot message as the user sees it now (plain text; markup is in ``entities``)."""

    message_id: int
    text: str
    entities: list[JSON]
    buttons: list[list[Button]]
    is_edit: bool
    raw: JSON = field(repr=False)

    @classmethod
    def from_json(cls, raw: JSON, *, is_edit: bool = False) -> BotMessage:
        rows = raw.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in rows
        ]
        return cls(
            message_id=raw["message_id"],
            text=str(raw.get("text", raw.get("caption", ""))),
            entities=list(raw.get("entities") or raw.get("caption_entities") or []),
            buttons=buttons,
            is_edit=is_edit,
            raw=raw,
        )

    @classmethod
    def from_change(cls, change: MessageChange) -> BotMessage:
        assert change.message is not None
        return cls.from_json(change.message, is_edit=change.is_edit)

    def button_labels(self) -> list[str]:
        return [b.label for b in itertools.chain.from_iterable(self.buttons)]

    def has_button(self, substring: str, *, exact: bool = False) -> bool:
        """A button whose label contains ``substring`` (or equals it with ``exact``)."""
        labels = self.button_labels()
        return substring in labels if exact else any(substring in label for label in labels)


class DriverUser:
    """One user chatting with the driven bot; every action returns the bot's reaction."""

    def __init__(self, driver: BotDriver, user: FakeUser) -> None:
        self.driver = driver
        self.fake = user
        self.last_query_id: str | None = None
        self.last_sent_message_id: int | None = None  # my own last message (for edit())

    @property
    def id(self) -> int:
        return self.fake.id

    @property
    def messages(self) -> list[BotMessage]:
        """All bot messages in this chat, current state."""
        return [BotMessage.from_json(m) for m in self.driver.api.chat_messages(self.id)]

    @property
    def last_message(self) -> BotMessage | None:
        messages = self.driver.api.chat_messages(self.id)
        return BotMessage.from_json(messages[-1]) if messages else None

    @property
    def last_callback_answer(self) -> CallbackAnswer | None:
        """What answerCallbackQuery said for my last press; None if it was never answered."""
        if self.last_query_id is None:
            return None
        return self.driver.api.callback_answers.get(self.last_query_id)

    async def send(self, text: str) -> list[BotMessage]:
        return await self._act(lambda: self._sent(self.fake.send_text(text)))

    async def send_sticker(self, emoji: str = "👍") -> list[BotMessage]:
        return await self._act(lambda: self._sent(self.fake.send_sticker(emoji)))

    async def send_photo(self, caption: str | None = None) -> list[BotMessage]:
        return await self._act(lambda: self._sent(self.fake.send_photo(caption)))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self._act(lambda: self._sent(self.fake.send_location(latitude, longitude)))

    async def send_contact(self) -> list[BotMessage]:
        return await self._act(lambda: self._sent(self.fake.send_contact()))

    async def edit(self, message_id: int, text: str) -> list[BotMessage]:
        return await self._act(lambda: self.fake.edit_text(message_id, text))

    async def block(self) -> list[BotMessage]:
        return await self._act(self.fake.block_bot)

    async def unblock(self) -> list[BotMessage]:
        return await self._act(self.fake.unblock_bot)

    async def press(
        self, label_or_index: str | int, message: BotMessage | int | None = None
    ) -> list[BotMessage]:
        """Press a real button on ``message`` or else the newest bot message with a keyboard."""
        message_id = self._keyboard_message_id(message)
        data = self.driver.api.find_button(self.id, message_id, label_or_index)
        return await self.press_data(message_id, data)

    async def press_data(self, message_id: int, data: str) -> list[BotMessage]:
        """Press with arbitrary (possibly forged) callback data."""

        def produce() -> JSON:
            update = self.fake.press(message_id, data)
            self.last_query_id = update["callback_query"]["id"]
            return update

        return await self._act(produce)

    def _sent(self, update: JSON) -> JSON:
        self.last_sent_message_id = update["message"]["message_id"]
        return update

    def _keyboard_message_id(self, message: BotMessage | int | None) -> int:
        if isinstance(message, BotMessage):
            return message.message_id
        if isinstance(message, int):
            return message
        latest = self.driver.api.latest_keyboard_message(self.id)
        if latest is None:
            raise AssertionError(f"no bot message with an inline keyboard in chat {self.id}")
        return int(latest["message_id"])

    async def _act(self, produce: Callable[[], JSON]) -> list[BotMessage]:
        marker = self.driver.api.marker()
        update = produce()
        await self.driver.settle(update["update_id"])
        changes = self.driver.api.changes_since(self.id, marker)
        return [BotMessage.from_change(c) for c in changes if c.message is not None]


class BotDriver:
    """Runs ``application`` against ``api`` like ``run_polling`` would, without blocking.

    ``async with BotDriver(api, app) as driver: reply = await driver.user(1).send("/start")``
    """

    def __init__(
        self,
        api: FakeBotAPI,
        application: AnyApplication,
        *,
        poll_timeout: float = 1.0,
        # A hang detector, not a speed target (benchmarks measure speed): the first PDF spawns
        # a worker process, which on a busy two-core machine can take several seconds.
        step_timeout: float = 20.0,
    ) -> None:
        self.api = api
        self.application = application
        self.poll_timeout = poll_timeout
        self.step_timeout = step_timeout
        self._users: dict[int, DriverUser] = {}
        self._stop_ran = False

    async def __aenter__(self) -> BotDriver:
        self.api.reopen()
        self._stop_ran = False
        app = self.application
        if app.updater is None:
            raise RuntimeError("BotDriver needs an Application with an Updater")
        try:
            await app.initialize()
            if app.post_init is not None:  # PTB only runs it from run_polling/run_webhook
                await app.post_init(app)
            await app.start()
            await app.updater.start_polling(
                poll_interval=0,
                timeout=dtm.timedelta(seconds=self.poll_timeout),
                allowed_updates=Update.ALL_TYPES,
            )
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop polling and the application, running post_stop/post_shutdown like PTB."""
        if self._stop_ran:
            return
        self._stop_ran = True
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()  # cancels the in-flight long poll at once
        await stop_and_shut_down(app)

    def user(
        self,
        user_id: int = 1001,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> DriverUser:
        """The user with this id (created on first use, later calls return the same one)."""
        if user_id not in self._users:
            fake = self.api.user(user_id, first_name, language_code, username)
            self._users[user_id] = DriverUser(self, fake)
        return self._users[user_id]

    async def settle(self, update_id: int) -> None:
        """Wait until the update was fetched, confirmed and fully processed."""
        await self.api.wait_confirmed(update_id, timeout=self.step_timeout)
        try:
            async with asyncio.timeout(self.step_timeout):
                await self.application.update_queue.join()
        except TimeoutError:
            raise TimeoutError(
                f"update {update_id} still being processed after {self.step_timeout}s"
            ) from None
