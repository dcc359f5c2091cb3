"""emergency.yaml: the emergency line per country (kept in name order), and a safe fallback."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from tgbot.content.checks import (
    SAMPLE_FILL_LENGTH,
    ContentError,
    check_label,
    check_text,
    read_yaml,
)
from tgbot.content.model import Country, EmergencyNumbers

COUNTRY_CODE_RE = re.compile(r"^[A-Z]{2}$")


def load_emergency(path: Path) -> EmergencyNumbers:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected fallback and countries")
    fallback = check_text(data.get("fallback"), f"{path}: fallback", placeholders=())
    if len(fallback) > SAMPLE_FILL_LENGTH:
        raise ContentError(f"{path}: fallback: at most {SAMPLE_FILL_LENGTH} characters")
    raw = data.get("countries") or {}
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: countries: expected a mapping of country codes")
    countries = {}
    for code, entry in raw.items():
        where = f"{path}: countries.{code}"
        if not isinstance(code, str) or not COUNTRY_CODE_RE.match(code):
            raise ContentError(f"{where}: use a two-letter upper-case country code")
        if not isinstance(entry, dict):
            raise ContentError(f"{where}: expected name and line")
        name = check_label(entry.get("name"), f"{where}.name")
        line = check_text(entry.get("line"), f"{where}.line", placeholders=())
        if len(line) > SAMPLE_FILL_LENGTH:
            raise ContentError(f"{where}.line: at most {SAMPLE_FILL_LENGTH} characters")
        countries[code] = Country(code, name, line)
    by_name = sorted(countries.values(), key=lambda country: name_sort_key(country.name))
    return EmergencyNumbers(fallback, {country.code: country for country in by_name})


def name_sort_key(name: str) -> tuple[str, str]:
    """Dictionary order of a country's name in its catalogue's language: the flag emoji in
    front is skipped (regional-indicator letters would sort by ISO code), accents and case
    count only to break ties ("Österreich" among the O's, not after "Zypern")."""
    start = next((i for i, ch in enumerate(name) if ch.isalnum()), 0)
    words = name[start:]
    decomposed = unicodedata.normalize("NFKD", words)
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return base, words
