"""The menu's buttons: open a screen, answer /forget, choose a country, answer a confirming
question, time a stretch hold. Short ASCII ids, never labels (Telegram allows 64 bytes of
callback data).

The menu is stateless: the data names the screen, so buttons keep working across restarts,
and anything we do not recognise is treated as an expired menu, never as an error. These
have no family prefix: the menu's handler is the last one, and takes every other press.
"""

from __future__ import annotations

from dataclasses import dataclass

from tgbot.services.buttons import ButtonAction, ButtonCodec


class MenuButton(ButtonAction):
    prefix = ""


@dataclass(frozen=True)
class OpenScreen(MenuButton):
    code = "s"
    screen_id: str


@dataclass(frozen=True)
class ForgetAnswer(MenuButton):
    """/forget asked "delete everything?": ``confirmed`` or cancelled."""

    code = "fg"
    confirmed: bool


@dataclass(frozen=True)
class ChooseCountry(MenuButton):
    """``country`` None: show the list; else remember it (ISO 3166 alpha-2)."""

    code = "c"
    country: str | None = None

    def valid(self) -> bool:
        code = self.country
        return code is None or (len(code) == 2 and code.isascii() and code.isupper())


@dataclass(frozen=True)
class ConfirmAnswer(MenuButton):
    """The answer to "Is this happening right now?": Yes opens the red-flag screen, No the
    answer the message would otherwise get (``screen_id`` None: the main menu)."""

    code = "cf"
    yes: bool
    screen_id: str | None = None

    def valid(self) -> bool:
        return not (self.yes and self.screen_id is None)


@dataclass(frozen=True)
class HoldStretch(MenuButton):
    """Count down the hold of routine step ``screen_id`` in its message (the step's content
    says for how long)."""

    code = "h"
    screen_id: str


MENU_BUTTONS: ButtonCodec[MenuButton] = ButtonCodec(
    MenuButton.prefix, [OpenScreen, ForgetAnswer, ChooseCountry, ConfirmAnswer, HoldStretch]
)


def screen_callback(screen_id: str) -> str:
    """The data of a button opening ``screen_id`` (the most common button of all)."""
    return OpenScreen(screen_id).data
