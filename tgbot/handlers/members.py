"""The user blocked or unblocked the bot (``my_chat_member`` updates)."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update

from tgbot.handlers.context import BotContext
from tgbot.handlers.reminders.views import simple, texts
from tgbot.handlers.replies import send

log = logging.getLogger(__name__)


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    user = update.effective_user
    if change is None or user is None:
        return
    status = change.new_chat_member.status
    reminders = context.services.reminders
    if status in (ChatMember.BANNED, ChatMember.LEFT):
        # Nothing more can reach them: stop at once rather than fail every night.
        if await reminders.turn_off(user.id):
            log.info("the bot was blocked by a user: reminders turned off")
        else:
            log.info("the bot was blocked by a user")
    elif status == ChatMember.MEMBER:
        log.info("the bot was unblocked by a user")
        state = await reminders.state(user.id)
        if state is not None and not state.enabled:
            view = context.view
            await send(update, context, simple(view, texts(view).text("welcome_back_off")))
