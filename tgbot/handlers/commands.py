"""Slash commands: /start, /menu, /help, /disclaimer, /privacy, /forget."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from tgbot.content.contracts import DISCLAIMER_SCREEN
from tgbot.handlers.context import BotContext
from tgbot.handlers.fallbacks import say_not_spoken
from tgbot.handlers.replies import send
from tgbot.handlers.screens import Rendered, button, forget_keyboard, main_menu, render_screen
from tgbot.services.diary.data_actions import SendExport


async def start(update: Update, context: BotContext) -> None:
    """Welcome: what the bot can and cannot do, with the main menu right under it."""
    await say_not_spoken(update, context)
    await send(update, context, main_menu(context.view, "welcome"))


async def menu(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.view))


async def help_command(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.view, "help"))


async def disclaimer(update: Update, context: BotContext) -> None:
    view = context.view
    await send(update, context, render_screen(view, view.catalog.screens[DISCLAIMER_SCREEN]))


async def privacy(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.view, "privacy"))


async def forget(update: Update, context: BotContext) -> None:
    """Ask first, naming what goes (deleting is irreversible), and offer a copy first."""
    view = context.view
    stored = await context.services.diary.stored(context.user.user_id)
    entries = stored.diary_entries
    items = [view.catalog.count("forget_item_diary", entries)]
    if stored.reminder:
        items.append(view.say("forget_item_reminder"))
    items.append(view.say("forget_item_settings"))
    text = view.say("forget_confirm").format(items="\n".join(items))
    export = [button(view.say("forget_export"), SendExport().data)]
    keyboard = InlineKeyboardMarkup([export, *forget_keyboard(view).inline_keyboard])
    await send(update, context, Rendered(text, keyboard))
