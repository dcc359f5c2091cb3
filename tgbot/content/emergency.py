"""emergency.yaml: the emergency line per country, and a safe fallback."""

from __future__ import annotations

import re
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
    return EmergencyNumbers(fallback, countries)
