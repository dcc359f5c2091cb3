"""/settings: one hub for the user's country (emergency number), time zone, reminders,
morning check-in, diary retention and language. Each row opens the screen that already
handles it (the country list, the reminder and diary settings) by that screen's own button.

Choosing a country (here or from the emergency numbers screen) offers that country's time
zones: one tap to use it.
"""

from __future__ import annotations

import html
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from tgbot.content.contracts import MAIN_SCREEN
from tgbot.handlers.context import BotContext
from tgbot.handlers.replies import send, show_in_place
from tgbot.handlers.screens import Rendered, View, button, grid, with_footer
from tgbot.services.countries import country_zones, utc_offset_label
from tgbot.services.diary.actions import KeepEntries
from tgbot.services.navigation import ChooseCountry, screen_callback
from tgbot.services.reminders.actions import ChangeZone, ShowSettings, ToggleCheckin
from tgbot.services.reminders.service import ReminderState
from tgbot.services.settings import (
    ChooseLanguage,
    OfferZones,
    SettingsButton,
    ShowHub,
    UseZone,
)
from tgbot.services.zones import current_local_time, zone_label

COUNTRY_COLUMNS = 2
ZONE_COLUMNS = 2
# The diary's own words for its retention choices (diary.yaml), by stored days.
RETENTION_WORDS = {90: "retention_90", 365: "retention_365"}


async def settings_command(update: Update, context: BotContext) -> None:
    await send(update, context, await hub(context))


async def language_command(update: Update, context: BotContext) -> None:
    await send(update, context, language_list(context))


def known(context: BotContext, action: SettingsButton) -> bool:
    """A language the bot no longer has (a stale button) gets the expired menu."""
    if isinstance(action, ChooseLanguage) and action.language is not None:
        return action.language in context.services.content.catalogs
    return True


async def act(update: Update, context: BotContext, action: SettingsButton) -> None:
    """One settings button (``st:``), already decoded, checked and answered."""
    match action:
        case ShowHub():
            await show_in_place(update, context, await hub(context))
        case OfferZones():
            await show_in_place(update, context, zone_choices(context))
        case UseZone(zone=zone):
            await _use_zone(update, context, zone)
        case ChooseLanguage(language=None):
            await show_in_place(update, context, language_list(context))
        case ChooseLanguage(language=str(language)):
            await context.services.users.set_language(context.user.user_id, language)
            context.profile = replace(context.user, language=language)
            await show_in_place(update, context, await hub(context))


async def choose_country(update: Update, context: BotContext, code: str | None) -> None:
    """The country list (``code`` None), or remember the country and offer its zones."""
    if code is None:
        await show_in_place(update, context, country_list(context.view))
        return
    await context.services.users.set_country(context.user.user_id, code)
    context.profile = replace(context.user, country=code)
    await show_in_place(update, context, country_saved(context))


# ------------------------------------------------------------------ views


async def hub(context: BotContext) -> Rendered:
    view, user = context.view, context.user
    state = await context.services.reminders.state(user.user_id)
    country = view.catalog.emergency.countries.get(user.country or "")
    zone = zone_label(user.time_zone) if user.time_zone else view.say("settings_zone_unset")
    retention = view.catalog.diary.text(
        RETENTION_WORDS.get(user.diary_retention_days or 0, "retention_forever")
    )
    rows = [
        [
            _row(
                view,
                "settings_country",
                ChooseCountry().data,
                country=country.name if country else view.say("settings_country_unset"),
            )
        ],
        [_row(view, "settings_zone", OfferZones().data, zone=zone)],
        [_row(view, "settings_reminders", ShowSettings().data, state=_reminder_state(view, state))],
        [_checkin_row(view, state)],
        [_row(view, "settings_retention", KeepEntries().data, days=retention)],
    ]
    if len(context.services.content.catalogs) > 1:
        language = view.say("language_name")
        rows.append([_row(view, "settings_language", ChooseLanguage().data, language=language)])
    rows.append([button(view.say("nav_home"), screen_callback(MAIN_SCREEN))])
    return with_footer(view, view.say("settings_title"), rows)


def _reminder_state(view: View, state: ReminderState | None) -> str:
    if state is None or not state.enabled:
        return view.say("settings_off")
    at = state.schedule.at
    return f"{at.hour:02d}:{at.minute:02d}"


def _checkin_row(view: View, state: ReminderState | None) -> InlineKeyboardButton:
    """The check-in comes the morning after a bedtime reminder: without one, the row leads
    to setting one up."""
    if state is None or not state.enabled:
        return _row(view, "settings_checkin", ShowSettings().data, state=view.say("settings_off"))
    on = view.say("settings_on" if state.checkin_enabled else "settings_off")
    return _row(view, "settings_checkin", ToggleCheckin().data, state=on)


def country_list(view: View) -> Rendered:
    """Every country with a known number, in name order (the catalogue keeps them so)."""
    countries = view.catalog.emergency.countries.values()
    buttons = [button(c.name, ChooseCountry(c.code).data) for c in countries]
    rows = grid(buttons, COUNTRY_COLUMNS)
    rows.append(_way_back(view))
    return Rendered(view.say("country_prompt"), InlineKeyboardMarkup(rows))


def country_saved(context: BotContext) -> Rendered:
    view = context.view
    zones = _zone_buttons(context)
    text = view.say("country_saved")
    if zones:
        text += "\n\n" + view.say("settings_zone_offer")
    return Rendered(text, InlineKeyboardMarkup([*zones, _other_zone(view), _way_back(view)]))


def zone_choices(context: BotContext) -> Rendered:
    view, user = context.view, context.user
    current = zone_label(user.time_zone) if user.time_zone else view.say("settings_zone_unset")
    text = _fill(view.say("settings_zone_prompt"), zone=html.escape(current))
    rows = [*_zone_buttons(context), _other_zone(view), _way_back(view)]
    return Rendered(text, InlineKeyboardMarkup(rows))


def language_list(context: BotContext) -> Rendered:
    view, content = context.view, context.services.content
    buttons = [
        button(content.catalogs[code].text("language_name"), ChooseLanguage(code).data)
        for code in content.languages
    ]
    rows = [*grid(buttons, COUNTRY_COLUMNS), _way_back(view)]
    return Rendered(view.say("settings_language_prompt"), InlineKeyboardMarkup(rows))


def _zone_buttons(context: BotContext) -> list[list[InlineKeyboardButton]]:
    """The zones of the user's country, the best-known first."""
    country = context.user.country
    if country is None:
        return []
    view, now = context.view, context.services.clock.now()
    buttons = [
        _row(
            view,
            "settings_use_zone",
            UseZone(zone).data,
            zone=zone_label(zone),
            offset=utc_offset_label(zone, now),
        )
        for zone in country_zones(country, now)
    ]
    return grid(buttons, ZONE_COLUMNS)


async def _use_zone(update: Update, context: BotContext, zone: str) -> None:
    user_id = context.user.user_id
    await context.services.users.set_time_zone(user_id, zone)
    context.profile = replace(context.user, time_zone=zone)
    reminders = context.services.reminders
    state = await reminders.state(user_id)
    if state is not None and state.enabled and state.schedule.zone != zone:
        await reminders.change(user_id, zone=zone)  # bedtime is bedtime in the new zone
    view = context.view
    local_now = current_local_time(zone, context.services.clock.now())
    text = _fill(
        view.say("settings_zone_saved"),
        zone=html.escape(zone_label(zone)),
        local_now=f"{local_now:%H:%M}",
    )
    await show_in_place(update, context, Rendered(text, InlineKeyboardMarkup([_way_back(view)])))


# ------------------------------------------------------------------ helpers


def _row(view: View, key: str, data: str, **values: str) -> InlineKeyboardButton:
    return button(_fill(view.say(key), **values), data)


def _fill(template: str, **values: str) -> str:
    """Placeholders filled one by one: a value's own braces stay as they are."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def _other_zone(view: View) -> list[InlineKeyboardButton]:
    """Any zone, by region, city or location: the reminder set-up's zone question."""
    return [button(view.say("settings_other_zone"), ChangeZone().data)]


def _way_back(view: View) -> list[InlineKeyboardButton]:
    return [
        button(view.say("settings_open"), ShowHub().data),
        button(view.say("nav_home"), screen_callback(MAIN_SCREEN)),
    ]
