"""Sending and editing messages, with Telegram's everyday edit errors handled in one place."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import BadRequest

from tgbot.handlers.context import BotContext
from tgbot.handlers.screens import Rendered

log = logging.getLogger(__name__)


async def send(update: Update, context: BotContext, rendered: Rendered) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(chat.id, rendered.text, reply_markup=rendered.markup)


async def show_in_place(update: Update, context: BotContext, rendered: Rendered) -> None:
    """Edit the message whose button was pressed; send a new one if it cannot be edited."""
    query = update.callback_query
    message = query.message if query else None
    if not isinstance(message, Message):  # inaccessible (too old) or an inline message
        await send(update, context, rendered)
        return
    try:
        await message.edit_text(rendered.text, reply_markup=rendered.markup)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return  # the same button pressed twice: already showing this screen
        log.info("could not edit message %s (%s); sending a new one", message.id, exc.message)
        await send(update, context, rendered)
