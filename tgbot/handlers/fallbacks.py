"""Everything that is not a known command or button gets a friendly pointer to the menu."""

from __future__ import annotations

from telegram import Update

from tgbot.handlers.context import BotContext
from tgbot.handlers.replies import send
from tgbot.handlers.screens import main_menu


async def on_text(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.catalog, "text_pointer"))


async def on_unknown_command(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.catalog, "unknown_command"))


async def on_other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes, locations…"""
    await send(update, context, main_menu(context.catalog, "non_text"))


async def on_edited_message(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.catalog, "edited_message"))
