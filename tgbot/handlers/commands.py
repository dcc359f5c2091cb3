"""Slash commands: /start, /menu, /help, /disclaimer, /privacy, /forget."""

from __future__ import annotations

from telegram import Update

from tgbot.content.contracts import DISCLAIMER_SCREEN
from tgbot.handlers.context import BotContext
from tgbot.handlers.replies import send
from tgbot.handlers.screens import Rendered, forget_keyboard, main_menu, render_screen


async def start(update: Update, context: BotContext) -> None:
    """Welcome: what the bot can and cannot do, with the main menu right under it."""
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
    """Ask first: deleting is irreversible."""
    view = context.view
    await send(update, context, Rendered(view.say("forget_confirm"), forget_keyboard(view)))
