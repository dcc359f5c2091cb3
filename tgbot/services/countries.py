"""Which country's emergency number to show (the user's choice, else the region Telegram
tells), and which time zones to offer once a country is known."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from tgbot.services.zones import REGIONS, is_valid_zone


def region_from_language(language_code: str | None) -> str | None:
    """``en-GB`` → ``GB``; a bare ``en`` tells nothing."""
    if not language_code:
        return None
    parts = language_code.replace("_", "-").split("-")
    if len(parts) >= 2 and len(parts[-1]) == 2 and parts[-1].isalpha():
        return parts[-1].upper()
    return None


def user_country(chosen: object, language_code: str | None, known: Collection[str]) -> str | None:
    """The country to use, if we know its number; None means the fallback line."""
    if isinstance(chosen, str) and chosen in known:
        return chosen
    region = region_from_language(language_code)
    return region if region in known else None


# --- the time zones of a country -------------------------------------------------------------

# Where a country has several zones on the same clock, the one people know best stands for
# them: the zone question's cities (zones.REGIONS) and a few more, else the first in the
# IANA table (which lists the most populous first).
_BEST_KNOWN_EXTRA = frozenset(
    {"Australia/Adelaide", "America/Manaus", "America/Rio_Branco", "Europe/Samara", "Asia/Yakutsk"}
)
MAX_COUNTRY_ZONES = 12  # Russia has 11 different clocks, Canada 10
HALF_A_YEAR = timedelta(days=182)


@cache
def _zone_table() -> dict[str, tuple[str, ...]]:
    """Country code -> its zones, from the IANA zone.tab the tzdata package ships."""
    table: dict[str, list[str]] = {}
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("ascii")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coordinates, zone, *_comments = line.split("\t")
        # Research stations are not where anybody asking about cramps lives.
        if not zone.startswith("Antarctica/") and is_valid_zone(zone):
            table.setdefault(code, []).append(zone)
    return {code: tuple(zones) for code, zones in table.items()}


def country_zones(country: str, now: datetime) -> tuple[str, ...]:
    """The country's main zones, one per clock (UTC offset now and in half a year): the
    best-known first, then the IANA table's order; at most MAX_COUNTRY_ZONES, () for a code
    tzdata does not know."""
    best_known = _BEST_KNOWN_EXTRA.union(*REGIONS.values())
    by_clock: dict[tuple[timedelta | None, timedelta | None], str] = {}
    for zone in _zone_table().get(country.upper(), ()):
        info = ZoneInfo(zone)
        clock = (now.astimezone(info).utcoffset(), (now + HALF_A_YEAR).astimezone(info).utcoffset())
        if clock not in by_clock or (zone in best_known and by_clock[clock] not in best_known):
            by_clock[clock] = zone
    zones = list(by_clock.values())
    # The best-known zone goes first: a one-tap "use this" for most people (Kyiv, not
    # Simferopol, which zone.tab lists first for Ukraine).
    main = next((zone for zone in zones if zone in best_known), None)
    if main is not None:
        zones.remove(main)
        zones.insert(0, main)
    return tuple(zones[:MAX_COUNTRY_ZONES])


def utc_offset_label(zone: str, now: datetime) -> str:
    """``UTC+1``, ``UTC−3``, ``UTC+5:30`` or ``UTC``: the zone's clock at ``now``."""
    offset = now.astimezone(ZoneInfo(zone)).utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
