"""Callback data for the menu tree: short ASCII ids, never labels (Telegram allows 64 bytes).

The menu is stateless: the data names the screen, so buttons keep working across restarts,
and anything we do not recognise is treated as an expired menu, never as an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

SCREEN_PREFIX = "s:"
FORGET_PREFIX = "fg:"
COUNTRY_PREFIX = "c:"
CONFIRM_PREFIX = "cf:"
_YES, _NO = "y:", "n:"


class ForgetChoice(Enum):
    CONFIRM = "yes"
    CANCEL = "no"


@dataclass(frozen=True)
class OpenScreen:
    screen_id: str


@dataclass(frozen=True)
class ChooseCountry:
    """``code`` None: show the list; else remember that country (ISO 3166 alpha-2)."""

    code: str | None


@dataclass(frozen=True)
class ConfirmAnswer:
    """The answer to "Is this happening right now?": Yes opens the red-flag screen, No the
    answer the message would otherwise get (``screen_id`` None: the main menu)."""

    yes: bool
    screen_id: str | None


Action = OpenScreen | ForgetChoice | ChooseCountry | ConfirmAnswer


def screen_callback(screen_id: str) -> str:
    return SCREEN_PREFIX + screen_id


def forget_callback(choice: ForgetChoice) -> str:
    return FORGET_PREFIX + choice.value


def country_callback(code: str | None = None) -> str:
    return COUNTRY_PREFIX + (code or "")


def confirm_callback(yes: bool, screen_id: str | None) -> str:
    return CONFIRM_PREFIX + (_YES if yes else _NO) + (screen_id or "")


def parse_callback(data: str | None) -> Action | None:
    """What a button press asks for, or None for stale, unknown or forged data."""
    if not data:
        return None
    if data.startswith(SCREEN_PREFIX):
        screen_id = data.removeprefix(SCREEN_PREFIX)
        return OpenScreen(screen_id) if screen_id else None
    if data.startswith(FORGET_PREFIX):
        try:
            return ForgetChoice(data.removeprefix(FORGET_PREFIX))
        except ValueError:
            return None
    if data.startswith(COUNTRY_PREFIX):
        code = data.removeprefix(COUNTRY_PREFIX)
        if not code:
            return ChooseCountry(None)
        return ChooseCountry(code) if len(code) == 2 and code.isalpha() and code.isupper() else None
    if data.startswith(CONFIRM_PREFIX):
        rest = data.removeprefix(CONFIRM_PREFIX)
        yes = rest.startswith(_YES)
        if not (yes or rest.startswith(_NO)):
            return None
        target = rest[len(_YES) :] or None
        return None if yes and target is None else ConfirmAnswer(yes, target)
    return None
