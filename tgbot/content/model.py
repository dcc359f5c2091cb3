"""The immutable content model the bot reads from (no Telegram types here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tgbot.content.diary_texts import DiaryTexts
    from tgbot.content.plurals import PluralText
    from tgbot.content.reminder_texts import ReminderTexts
    from tgbot.content.semantic import SemanticExemplars
    from tgbot.services.understanding.matching import Matcher


@dataclass(frozen=True)
class Button:
    label: str
    to: str


@dataclass(frozen=True)
class Screen:
    id: str
    text: str
    rows: tuple[tuple[Button, ...], ...]
    source: str
    title: str | None = None
    parent: str | None = None  # where Back leads: the first screen that links here
    hold_seconds: int | None = None  # a stretch hold (step or page): it gets a ⏱ timer

    def with_parent(self, parent: str | None) -> Screen:
        return replace(self, parent=parent)


@dataclass(frozen=True)
class Command:
    command: str
    description: str


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166 alpha-2, upper case
    name: str
    line: str


@dataclass(frozen=True)
class EmergencyNumbers:
    fallback: str
    countries: Mapping[str, Country] = field(default_factory=dict)

    def line(self, country: str | None) -> str:
        found = self.countries.get((country or "").upper())
        return found.line if found else self.fallback


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a cache key for renders
class Catalog:
    language: str
    ui: Mapping[str, str]
    commands: tuple[Command, ...]
    screens: Mapping[str, Screen]
    emergency: EmergencyNumbers
    reminders: ReminderTexts
    diary: DiaryTexts
    matcher: Matcher | None = None
    semantic: SemanticExemplars | None = None
    plurals: Mapping[str, PluralText] = field(default_factory=dict)  # ui.yaml's, by key

    def text(self, key: str) -> str:
        return self.ui[key]

    def count(self, key: str, number: int) -> str:
        """A ui.yaml text in the language's plural form for ``number``."""
        return self.plurals[key].format(number)

    def screen(self, screen_id: str) -> Screen | None:
        return self.screens.get(screen_id)

    def personalise(self, text: str, country: str | None) -> str:
        """Fill in the emergency line for the user's country."""
        return text.replace("{emergency}", self.emergency.line(country))
