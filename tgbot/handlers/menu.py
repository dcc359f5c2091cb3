"""Inline-button presses: navigate the menu tree in place, confirm /forget, choose a country,
and refresh stale menus."""

from __future__ import annotations

import logging

from telegram import Update

from tgbot.content.contracts import DIARY_SCREEN, LOG_SCREEN, REMINDERS_SCREEN
from tgbot.handlers.context import BotContext
from tgbot.handlers.diary import flow as diary
from tgbot.handlers.reminders.flow import reminder_settings
from tgbot.handlers.replies import expired, show_in_place, user_id_of
from tgbot.handlers.screens import (
    Rendered,
    View,
    country_picker,
    country_saved,
    main_menu,
    render_screen,
)
from tgbot.services.navigation import (
    ChooseCountry,
    ConfirmAnswer,
    ForgetChoice,
    OpenScreen,
    parse_callback,
)

log = logging.getLogger(__name__)


async def _show_reminders(update: Update, context: BotContext) -> None:
    await show_in_place(update, context, await reminder_settings(context, user_id_of(update)))


# Content screens whose buttons open a live view instead of the static page.
LIVE_SCREENS = {
    REMINDERS_SCREEN: _show_reminders,
    LOG_SCREEN: diary.open_log,
    DIARY_SCREEN: diary.open_diary,
}


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    action = parse_callback(query.data)
    view = context.view
    if isinstance(action, OpenScreen) and action.screen_id in LIVE_SCREENS:
        await query.answer()  # live views (settings, the user's diary), not static pages
        await LIVE_SCREENS[action.screen_id](update, context)
    elif isinstance(action, OpenScreen) and (screen := view.catalog.screen(action.screen_id)):
        await query.answer()
        await show_in_place(update, context, render_screen(view, screen))
    elif isinstance(action, ForgetChoice):
        await query.answer()
        await _forget_choice(update, context, action)
    elif isinstance(action, ChooseCountry) and _known_country(view, action.code):
        await query.answer()
        await _country_choice(update, context, action.code)
    elif isinstance(action, ConfirmAnswer) and _known_screen(view, action.screen_id):
        await query.answer()
        await show_in_place(update, context, _confirmed(view, action))
    else:
        await expired(update, context)


async def _forget_choice(update: Update, context: BotContext, choice: ForgetChoice) -> None:
    view = context.view
    if choice is ForgetChoice.CANCEL:
        await show_in_place(update, context, main_menu(view, "forget_cancelled"))
        return
    user = update.effective_user
    if user is not None:
        await context.services.users.delete(user.id)
        log.info("user data deleted on request")
    await show_in_place(update, context, Rendered(view.say("forget_done"), None))


def _known_screen(view: View, screen_id: str | None) -> bool:
    return screen_id is None or view.catalog.screen(screen_id) is not None


def _confirmed(view: View, answer: ConfirmAnswer) -> Rendered:
    """Yes: the red-flag screen. No: the answer the message would otherwise have had."""
    screen = view.catalog.screen(answer.screen_id) if answer.screen_id else None
    if screen is None:
        return main_menu(view, "confirm_no_menu")
    return render_screen(view, screen)


def _known_country(view: View, code: str | None) -> bool:
    return code is None or code in view.catalog.emergency.countries


async def _country_choice(update: Update, context: BotContext, code: str | None) -> None:
    if code is None:
        await show_in_place(update, context, country_picker(context.view))
        return
    user = update.effective_user
    if user is not None:
        await context.services.users.update_settings(user.id, country=code)
    context.country = code
    await show_in_place(update, context, country_saved(context.view))
