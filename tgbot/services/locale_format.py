"""Dates, weekday and month names in the catalogue's language, from CLDR (Babel), so no
translator has to list them and every language gets its own order and abbreviations
("Wed 4 Feb", "ср, 4 февр.", "Mi., 4. Feb.")."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, get_day_names, get_month_names

# The CLDR locale each catalogue speaks: this bot's English is British (NHS, 999), its
# Portuguese Brazilian; the others are the language's main locale.
CATALOG_LOCALES = {"en": "en_GB", "pt": "pt_BR"}


@cache
def locale_of(language: str) -> Locale:
    try:
        return Locale.parse(CATALOG_LOCALES.get(language, language.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(CATALOG_LOCALES["en"])


def day_label(day: date, language: str, *, weekday: bool = True, year: bool = False) -> str:
    """'Wed 4 Feb' / 'ср, 4 февр.'; with ``year``: '… 2026'."""
    skeleton = ("y" if year else "") + "MMM" + ("E" if weekday else "") + "d"
    return format_skeleton(skeleton, day, locale=locale_of(language))


@cache
def weekday_names(language: str, width: Literal["wide", "abbreviated"] = "wide") -> tuple[str, ...]:
    """Monday first; ``width`` "wide" (Monday) or "abbreviated" (Mon), as a calendar shows
    them on their own."""
    names = get_day_names(width, "stand-alone", locale_of(language))
    return tuple(str(names[day]) for day in range(7))


@cache
def month_names(language: str, width: Literal["wide", "abbreviated"] = "wide") -> tuple[str, ...]:
    """January first, in the form that follows a day number ("3 февраля")."""
    names = get_month_names(width, "format", locale_of(language))
    return tuple(str(names[month]) for month in range(1, 13))
