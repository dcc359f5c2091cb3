"""Dates in the catalogue's language, from CLDR (Babel), so no translator has to list day or
month names and every language gets its own order and abbreviations ("Wed 4 Feb",
"ср, 4 февр.", "Mi., 4. Feb.")."""

from __future__ import annotations

from datetime import date
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton

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
