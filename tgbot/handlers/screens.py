"""Turn catalogue screens into Telegram messages: text + footer, buttons + navigation row."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from tgbot.content import Catalog, Screen
from tgbot.services.navigation import (
    MAIN_SCREEN,
    ForgetChoice,
    forget_callback,
    screen_callback,
)


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None


def render_screen(catalog: Catalog, screen: Screen) -> Rendered:
    text = f"{screen.text}\n\n{catalog.text('footer')}"
    return Rendered(text, screen_keyboard(catalog, screen))


def screen_keyboard(catalog: Catalog, screen: Screen) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(b.label, callback_data=screen_callback(b.to)) for b in row]
        for row in screen.rows
    ]
    if screen.id != MAIN_SCREEN:
        rows.append(_navigation_row(catalog, screen))
    return InlineKeyboardMarkup(rows)


def _navigation_row(catalog: Catalog, screen: Screen) -> list[InlineKeyboardButton]:
    parent = screen.parent or MAIN_SCREEN
    return [
        InlineKeyboardButton(catalog.text("nav_back"), callback_data=screen_callback(parent)),
        InlineKeyboardButton(catalog.text("nav_home"), callback_data=screen_callback(MAIN_SCREEN)),
    ]


def main_menu(catalog: Catalog, intro_key: str | None = None) -> Rendered:
    """The main menu, optionally under another text (welcome, expired, pointer…)."""
    main = catalog.screens[MAIN_SCREEN]
    if intro_key is None:
        return render_screen(catalog, main)
    return Rendered(catalog.text(intro_key), screen_keyboard(catalog, main))


def forget_keyboard(catalog: Catalog) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    catalog.text("forget_yes"), callback_data=forget_callback(ForgetChoice.CONFIRM)
                ),
                InlineKeyboardButton(
                    catalog.text("forget_no"), callback_data=forget_callback(ForgetChoice.CANCEL)
                ),
            ]
        ]
    )
