"""Texts with a number in them, in each language's CLDR plural forms (through Babel).

A plural text is a mapping of CLDR categories to texts::

    count_cramps: {one: "{n} cramp", other: "{n} cramps"}                        # en, de
    count_cramps: {one: "{n} судорога", few: "{n} судороги", many: "{n} судорог",
                   other: "{n} судороги"}                                          # ru, uk

The categories must be exactly those CLDR gives the language (Babel knows them), so a
translator who forgets Russian "few" is told at start-up, not by a user reading "2 судорог".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from babel.plural import PluralRule

from tgbot.content.checks import ContentError, check_text
from tgbot.services.locale_format import locale_of

CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})


def is_plural(value: Any) -> bool:
    """A mapping whose keys are all CLDR categories, ``other`` among them."""
    return isinstance(value, dict) and "other" in value and set(value) <= CATEGORIES


def plural_rule(language: str) -> PluralRule:
    return locale_of(language).plural_form


def categories(language: str) -> frozenset[str]:
    return frozenset(plural_rule(language).tags) | {"other"}


@dataclass(frozen=True)
class PluralText:
    forms: Mapping[str, str]
    rule: PluralRule
    count: str  # the placeholder that holds the number

    def format(self, number: int, **values: object) -> str:
        form = self.forms.get(self.rule(number), self.forms["other"])
        return form.format(**{self.count: number, **values})


def load_plural(
    value: Any, language: str, where: str, count: str, placeholders: Collection[str] = ()
) -> PluralText:
    """Check one plural text: the language's categories, each a valid text whose placeholders
    are ``count`` and ``placeholders``; ``other`` must show the number."""
    if not is_plural(value):
        raise ContentError(
            f"{where}: expected plural forms ({', '.join(sorted(categories(language)))}: text)"
        )
    wanted = categories(language)
    if set(value) != wanted:
        raise ContentError(
            f"{where}: plural forms {_listed(value)} differ from what {language} needs "
            f"({_listed(wanted)}, CLDR)"
        )
    allowed = (count, *placeholders)
    forms = {str(k): check_text(v, f"{where}.{k}", placeholders=allowed) for k, v in value.items()}
    if "{" + count + "}" not in forms["other"]:
        raise ContentError(f"{where}.other: must show the number with {{{count}}}")
    return PluralText(forms, plural_rule(language), count)


def _listed(names: Collection[str]) -> str:
    return ", ".join(sorted(names))
