"""The /settings hub's own buttons (``st:``). Its other rows carry the existing actions of
the flows they open (the country list, the reminder and diary buttons)."""

from __future__ import annotations

from dataclasses import dataclass

from tgbot.services.buttons import ButtonAction, ButtonCodec
from tgbot.services.zones import is_valid_zone


class SettingsButton(ButtonAction):
    prefix = "st:"


@dataclass(frozen=True)
class ShowHub(SettingsButton):
    code = "hub"


@dataclass(frozen=True)
class OfferZones(SettingsButton):
    """The zones of the user's country, and a way to any other zone."""

    code = "zs"


@dataclass(frozen=True)
class UseZone(SettingsButton):
    code = "z"
    zone: str

    def valid(self) -> bool:
        return is_valid_zone(self.zone)


@dataclass(frozen=True)
class ChooseLanguage(SettingsButton):
    """``language`` None: list the catalogues; else speak that one."""

    code = "l"
    language: str | None = None

    def valid(self) -> bool:
        code = self.language
        return code is None or (0 < len(code) <= 12 and code.isascii())


SETTINGS_BUTTONS: ButtonCodec[SettingsButton] = ButtonCodec(
    SettingsButton.prefix, [ShowHub, OfferZones, UseZone, ChooseLanguage]
)
