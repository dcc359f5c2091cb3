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
from tgbot.services.operations import OperationsService
from tgbot.services.reminders.engine import ReminderEngine
from tgbot.services.reminders.service import ReminderService
from tgbot.services.understanding.languages import WarmUp
from tgbot.services.users import UserProfile, UserService

SERVICES_KEY = "services"


@dataclass
class BotServices:
    settings: Settings
    content: Content
    users: UserService
    reminders: ReminderService
    engine: ReminderEngine
    diary: DiaryService
    operations: OperationsService
    clock: Clock
    understanding: WarmUp


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Adds the services and the sender's profile (built once per update by ``track_user``)."""

    def __init__(
        self,
        application: BotApplication,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.profile: UserProfile | None = None

    @property
    def services(self) -> BotServices:
        services: BotServices = self.bot_data[SERVICES_KEY]
        return services

    @property
    def user(self) -> UserProfile:
        """The sender's profile; every handler that reads it serves a real user."""
        assert self.profile is not None, "track_user runs before every handler"
        return self.profile

    @property
    def catalog(self) -> Catalog:
        """The user's language once known, else the default."""
        language = self.profile.language if self.profile else None
        return self.services.content.catalog(language)

    @property
    def view(self) -> View:
        return View(self.catalog, self.profile.country if self.profile else None)


BotApplication = Application[
    ExtBot[None],
    BotContext,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[BotContext],
]
