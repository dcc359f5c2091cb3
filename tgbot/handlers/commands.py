"""Slash commands: /start, /menu, /help, /disclaimer, /privacy, /forget."""

from __future__ import annotations

from telegram import Update

from tgbot.handlers.context import BotContext
from tgbot.handlers.replies import send
from tgbot.handlers.screens import Rendered, forget_keyboard, main_menu, render_screen

DISCLAIMER_SCREEN = "disclaimer"


async def start(update: Update, context: BotContext) -> None:
    """Welcome: what the bot can and cannot do, with the main menu right under it."""
    await send(update, context, main_menu(context.catalog, "welcome"))


async def menu(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.catalog))


async def help_command(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.catalog, "help"))


async def disclaimer(update: Update, context: BotContext) -> None:
    catalog = context.catalog
    await send(update, context, render_screen(catalog, catalog.screens[DISCLAIMER_SCREEN]))


async def privacy(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.catalog, "privacy"))


async def forget(update: Update, context: BotContext) -> None:
    """Ask first: deleting is irreversible."""
    catalog = context.catalog
    await send(update, context, Rendered(catalog.text("forget_confirm"), forget_keyboard(catalog)))
