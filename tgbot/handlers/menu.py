"""Inline-button presses: navigate the menu tree in place, confirm /forget, choose a country,
time a stretch hold, and refresh stale menus."""

from __future__ import annotations

import logging

from telegram import Update

from tgbot.content.contracts import DIARY_SCREEN, LOG_SCREEN, REMINDERS_SCREEN
from tgbot.handlers.context import BotContext
from tgbot.handlers.diary import flow as diary
from tgbot.handlers.hold_timer import start_hold
from tgbot.handlers.reminders.flow import reminder_settings
from tgbot.handlers.replies import show_in_place
from tgbot.handlers.screens import Rendered, View, main_menu, render_screen
from tgbot.handlers.settings import choose_country
from tgbot.services.navigation import (
    ChooseCountry,
    ConfirmAnswer,
    ForgetAnswer,
    HoldStretch,
    MenuButton,
    OpenScreen,
)

log = logging.getLogger(__name__)


async def _show_reminders(update: Update, context: BotContext) -> None:
    await show_in_place(update, context, await reminder_settings(context))


# Content screens whose buttons open a live view instead of the static page.
LIVE_SCREENS = {
    REMINDERS_SCREEN: _show_reminders,
    LOG_SCREEN: diary.open_log,
    DIARY_SCREEN: diary.open_diary,
}


def known(context: BotContext, action: MenuButton) -> bool:
    """Whether the user's catalogue has what the button names (a stale or forged id)."""
    catalog = context.catalog
    match action:
        case OpenScreen(screen_id=screen_id):
            return screen_id in LIVE_SCREENS or catalog.screen(screen_id) is not None
        case ChooseCountry(country=country):
            return country is None or country in catalog.emergency.countries
        case ConfirmAnswer(screen_id=screen_id):
            return screen_id is None or catalog.screen(screen_id) is not None
        case HoldStretch(screen_id=screen_id):
            screen = catalog.screen(screen_id)
            return screen is not None and screen.hold_seconds is not None
    return True


async def act(update: Update, context: BotContext, action: MenuButton) -> None:
    """One menu button, already decoded, checked (``known``) and answered."""
    view = context.view
    match action:
        case OpenScreen(screen_id=screen_id) if screen_id in LIVE_SCREENS:
            await LIVE_SCREENS[screen_id](update, context)  # the user's settings or diary
        case OpenScreen(screen_id=screen_id):
            screen = view.catalog.screens[screen_id]
            await show_in_place(update, context, render_screen(view, screen))
        case ForgetAnswer(confirmed=confirmed):
            await _forget_answer(update, context, confirmed)
        case ChooseCountry(country=country):
            await choose_country(update, context, country)
        case ConfirmAnswer():
            await show_in_place(update, context, _confirmed(view, action))
        case HoldStretch(screen_id=screen_id):
            await start_hold(update, context, screen_id)


async def _forget_answer(update: Update, context: BotContext, confirmed: bool) -> None:
    view = context.view
    if not confirmed:
        await show_in_place(update, context, main_menu(view, "forget_cancelled"))
        return
    await context.services.users.forget(context.user.user_id)
    log.info("user data deleted on request")
    await show_in_place(update, context, Rendered(view.say("forget_done"), None))


def _confirmed(view: View, answer: ConfirmAnswer) -> Rendered:
    """Yes: the red-flag screen. No: the answer the message would otherwise have had."""
    screen = view.catalog.screen(answer.screen_id) if answer.screen_id else None
    if screen is None:
        return main_menu(view, "confirm_no_menu")
    return render_screen(view, screen)
