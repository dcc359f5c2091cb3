"""The user blocked or unblocked the bot (``my_chat_member`` updates)."""

from __future__ import annotations

import contextlib
import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

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
    if change.chat.type != ChatType.PRIVATE:
        await _leave_group(context, change.chat.id, status)
        return
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


async def _leave_group(context: BotContext, chat_id: int, status: str) -> None:
    """Added to a group or channel: say why in one message, then leave. Personal health
    questions and a diary do not belong where others read them."""
    if status not in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
        return  # removed, or left: nothing to say
    log.info("added to a group: leaving it")
    with contextlib.suppress(TelegramError):  # a channel may not let the bot post
        await context.bot.send_message(chat_id, context.view.say("group_goodbye"))
    with contextlib.suppress(TelegramError):
        await context.bot.leave_chat(chat_id)
