"""Sends the nightly reminder through Telegram and tells the engine how it went."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from tgbot.content import Content
from tgbot.handlers.reminders.views import checkin, nightly
from tgbot.handlers.screens import View
from tgbot.handlers.send_limits import retry_after_seconds
from tgbot.services.reminders.engine import Delivery, DeliveryStatus, DueKind, DueReminder
from tgbot.services.users import UserService

# Telegram's answers that mean the chat is gone for good, like a block.
_GONE = ("chat not found", "user is deactivated", "bot was blocked")


class TelegramReminderSender:
    """Uses its own Bot (no shared rate limiter): the engine paces reminders itself, so a
    burst of reminders never eats the budget of replies to people who are chatting."""

    def __init__(self, bot: Bot, content: Content, users: UserService) -> None:
        self._bot = bot
        self._content = content
        self._users = users

    async def send_reminder(
        self, reminder: DueReminder, ready: Callable[[], Awaitable[None]]
    ) -> Delivery:
        user_id = reminder.user_id
        profile = await self._users.profile(user_id)
        catalog = self._content.catalog(profile.language if profile else None)
        view = View(catalog, profile.country if profile else None)
        if reminder.kind is DueKind.CHECKIN:
            rendered = checkin(view, reminder.local_date)
        else:
            rendered = nightly(view, user_id, reminder.local_date)
        await ready()
        try:
            await self._bot.send_message(user_id, rendered.text, reply_markup=rendered.markup)
        except Forbidden as exc:
            return Delivery(DeliveryStatus.BLOCKED, detail=exc.message)
        except RetryAfter as exc:
            return Delivery(
                DeliveryStatus.RETRY_AFTER, retry_after=retry_after_seconds(exc.retry_after)
            )
        except BadRequest as exc:
            gone = any(marker in exc.message.lower() for marker in _GONE)
            status = DeliveryStatus.BLOCKED if gone else DeliveryStatus.FAILED
            return Delivery(status, detail=exc.message)
        except TelegramError as exc:
            return Delivery(DeliveryStatus.FAILED, detail=exc.message)
        return Delivery(DeliveryStatus.SENT)
