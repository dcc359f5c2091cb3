"""Inline-button presses: navigate the menu tree in place, confirm /forget, refresh stale menus."""

from __future__ import annotations

import logging

from telegram import Update

from tgbot.handlers.context import BotContext
from tgbot.handlers.replies import send, show_in_place
from tgbot.handlers.screens import Rendered, main_menu, render_screen
from tgbot.services.navigation import ForgetChoice, OpenScreen, parse_callback

log = logging.getLogger(__name__)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    action = parse_callback(query.data)
    catalog = context.catalog
    if isinstance(action, OpenScreen) and (screen := catalog.screen(action.screen_id)):
        await query.answer()
        await show_in_place(update, context, render_screen(catalog, screen))
    elif isinstance(action, ForgetChoice):
        await query.answer()
        await _forget_choice(update, context, action)
    else:
        await _expired(update, context)


async def _forget_choice(update: Update, context: BotContext, choice: ForgetChoice) -> None:
    catalog = context.catalog
    if choice is ForgetChoice.CANCEL:
        await show_in_place(update, context, main_menu(catalog, "forget_cancelled"))
        return
    user = update.effective_user
    if user is not None:
        await context.services.users.delete(user.id)
        log.info("user data deleted on request")
    await show_in_place(update, context, Rendered(catalog.text("forget_done"), None))


async def _expired(update: Update, context: BotContext) -> None:
    """Stale, unknown or forged data: say so kindly and hand over a fresh menu."""
    query = update.callback_query
    catalog = context.catalog
    if query is not None:
        await query.answer(catalog.text("expired_toast"))
    await send(update, context, main_menu(catalog, "expired"))
