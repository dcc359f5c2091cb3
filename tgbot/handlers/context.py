"""The typed context every handler receives, and the services it carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from tgbot.config import Settings
from tgbot.content import Catalog, Content
from tgbot.handlers.screens import View
from tgbot.services.clock import Clock
from tgbot.services.diary.service import DiaryService
from tgbot.services.reminders.engine import ReminderEngine
from tgbot.services.reminders.service import ReminderService
from tgbot.storage import Database, UserRepository

SERVICES_KEY = "services"


@dataclass
class BotServices:
    settings: Settings
    content: Content
    database: Database
    users: UserRepository
    reminders: ReminderService
    engine: ReminderEngine
    diary: DiaryService
    clock: Clock


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Adds the services and the catalogue in the user's language (set per update)."""

    def __init__(
        self,
        application: BotApplication,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._catalog: Catalog | None = None
        # Whose emergency number to show (ISO 3166 code), set per update by track_user.
        self.country: str | None = None

    @property
    def services(self) -> BotServices:
        services: BotServices = self.bot_data[SERVICES_KEY]
        return services

    @property
    def catalog(self) -> Catalog:
        """The user's language once known (see ``track_user``), else the default."""
        if self._catalog is None:
            self._catalog = self.services.content.catalog(None)
        return self._catalog

    @catalog.setter
    def catalog(self, value: Catalog) -> None:
        self._catalog = value

    @property
    def view(self) -> View:
        return View(self.catalog, self.country)


BotApplication = Application[
    ExtBot[None],
    BotContext,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[BotContext],
]
