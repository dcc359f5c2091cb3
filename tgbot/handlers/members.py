"""The user blocked or unblocked the bot (``my_chat_member`` updates)."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update

from tgbot.handlers.context import BotContext

log = logging.getLogger(__name__)


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if status in (ChatMember.BANNED, ChatMember.LEFT):
        log.info("the bot was blocked by a user")
    elif status == ChatMember.MEMBER:
        log.info("the bot was unblocked by a user")
