"""Turn catalogue content into Telegram messages: personalised text, buttons, navigation row."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from tgbot.content import Button, Catalog, Screen
from tgbot.content.contracts import EMERGENCY_NUMBERS_SCREEN, LOG_SCREEN, MAIN_SCREEN
from tgbot.services.diary.actions import LogCramp
from tgbot.services.diary.service import WHEN_NOW
from tgbot.services.navigation import (
    ChooseCountry,
    ConfirmAnswer,
    ForgetAnswer,
    HoldStretch,
    screen_callback,
)
from tgbot.telegram_html import html_to_plain


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@dataclass(frozen=True)
class View:
    """What every rendering needs: the user's catalogue and country."""

    catalog: Catalog
    country: str | None = None

    def say(self, key: str) -> str:
        return self.catalog.personalise(self.catalog.text(key), self.country)


# Content is immutable, so a rendered screen (text + keyboard) is built once per
# catalogue, screen and country and then reused: building keyboards is most of the CPU
# work of a menu tap.
RENDER_CACHE_SIZE = 8192


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def render_screen(view: View, screen: Screen) -> Rendered:
    text = view.catalog.personalise(screen.text, view.country)
    return Rendered(f"{text}\n\n{view.say('footer')}", screen_keyboard(view, screen))


def screen_keyboard(view: View, screen: Screen) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(b.label, callback_data=_button_data(view, screen, b)) for b in row]
        for row in screen.rows
    ]
    if screen.hold_seconds is not None:  # a stretch step: time the hold, first thing
        label = view.say("routine_hold").format(seconds=screen.hold_seconds)
        rows.insert(0, [button(label, HoldStretch(screen.id).data)])
    if screen.id == EMERGENCY_NUMBERS_SCREEN and view.catalog.emergency.countries:
        rows.append([button(view.say("country_button"), ChooseCountry().data)])
    if screen.id != MAIN_SCREEN:
        rows.append(navigation_row(view, screen.parent or MAIN_SCREEN))
    return InlineKeyboardMarkup(rows)


def render_countdown(view: View, screen: Screen, seconds_left: int) -> Rendered:
    """A stretch step holding: the step as usual, with the time left or "release" under it."""
    if seconds_left > 0:
        note = view.say("routine_holding").format(seconds=seconds_left)
    else:
        note = view.say("routine_release")
    text = view.catalog.personalise(screen.text, view.country)
    return Rendered(f"{text}\n\n{note}\n\n{view.say('footer')}", screen_keyboard(view, screen))


def _button_data(view: View, screen: Screen, target: Button) -> str:
    """Where a content button leads; "Log this cramp" after a routine already knows where
    the cramp was, so one tap logs it there (now), instead of asking again."""
    if target.to == LOG_SCREEN and (site := view.catalog.diary.site_after(screen.id)):
        return LogCramp(site, WHEN_NOW).data
    return screen_callback(target.to)


def navigation_row(view: View, back_to: str) -> list[InlineKeyboardButton]:
    return [
        button(view.say("nav_back"), screen_callback(back_to)),
        button(view.say("nav_home"), screen_callback(MAIN_SCREEN)),
    ]


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def main_menu(view: View, intro_key: str | None = None) -> Rendered:
    """The main menu, optionally under another text (welcome, expired, pointer…)."""
    main = view.catalog.screens[MAIN_SCREEN]
    if intro_key is None:
        return render_screen(view, main)
    return Rendered(view.say(intro_key), screen_keyboard(view, main))


def suggestions(view: View, screen_ids: Iterable[str]) -> Rendered:
    """'Did you mean…?': one button per suggested screen, then the menu."""
    rows = [
        [button(screen_title(screen), screen_callback(screen.id))]
        for sid in screen_ids
        if (screen := view.catalog.screen(sid)) is not None
    ]
    rows.append([button(view.say("nav_home"), screen_callback(MAIN_SCREEN))])
    return Rendered(view.say("did_you_mean"), InlineKeyboardMarkup(rows))


def screen_title(screen: Screen) -> str:
    """The screen's short name; without one, the start of its first line."""
    if screen.title:
        return screen.title
    first_line = html_to_plain(screen.text).strip().splitlines()[0]
    return first_line[:40]


def forget_keyboard(view: View) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(view.say("forget_yes"), ForgetAnswer(confirmed=True).data),
                button(view.say("forget_no"), ForgetAnswer(confirmed=False).data),
            ]
        ]
    )


def button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def grid(buttons: list[InlineKeyboardButton], columns: int) -> list[list[InlineKeyboardButton]]:
    """Buttons laid out ``columns`` to a row."""
    return [buttons[i : i + columns] for i in range(0, len(buttons), columns)]


def with_footer(view: View, text: str, rows: list[list[InlineKeyboardButton]]) -> Rendered:
    """Like every menu screen: the disclaimer link and the emergency hint at the bottom."""
    return Rendered(f"{text}\n\n{view.say('footer')}", InlineKeyboardMarkup(rows))


def confirm_question(
    view: View, question: str, level: str, yes_screen: str, no_screen: str | None
) -> Rendered:
    """One yes/no question with what to do if yes already visible (a triage nurse asks)."""
    text = f"<b>{html.escape(question)}</b>\n\n{view.say('confirm_note_' + level)}"
    rows = [
        [
            button(view.say("confirm_yes"), ConfirmAnswer(True, yes_screen).data),
            button(view.say("confirm_no"), ConfirmAnswer(False, no_screen).data),
        ],
        [
            button(
                screen_title(view.catalog.screens[EMERGENCY_NUMBERS_SCREEN]),
                screen_callback(EMERGENCY_NUMBERS_SCREEN),
            )
        ],
    ]
    return with_footer(view, text, rows)
