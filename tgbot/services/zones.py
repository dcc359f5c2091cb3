"""Time zones from what people type ("Berlin", "UTC+3") or share (a location).

Only IANA names come out of here, so the scheduler can follow DST; stdlib ``zoneinfo`` with
the ``tzdata`` wheel as fallback data, never pytz. Everything user-facing returns None on
bad input instead of raising: the caller simply asks again.
"""

from __future__ import annotations

import enum
import math
import re
import threading
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

__all__ = [
    "REGIONS",
    "REGION_KEYS",
    "ZoneLookup",
    "ZoneMatch",
    "current_local_time",
    "is_valid_zone",
    "load_zone",
    "lookup_zone",
    "resolve_zone",
    "zone_from_location",
    "zone_label",
]

# Names in the tz database that are not anybody's zone: "localtime" is the host's own
# setting, "Factory" a placeholder, "posixrules" a build artefact.
_NOT_USER_ZONES = frozenset({"localtime", "Factory", "posixrules"})
# Areas of current "Area/City" names; the rest (US/…, Canada/…, top-level "EST", "Japan")
# are legacy links. Their last components would make poor city names ("Pacific", "EST"
# is a fixed -05:00 zone without DST, not what someone typing "EST" in July means).
_CITY_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe"}
    | {"Indian", "Pacific"}
)
_UTC_WORDS = frozenset({"utc", "gmt", "z", "zulu", "uct", "universal"})

# Common places that are not tz city names, or whose zone was renamed (tzdata keeps the
# old spelling only as a backward link, e.g. Europe/Kiev → Europe/Kyiv), or whose last
# component exists twice (Asia/Istanbul and Europe/Istanbul). Keys are _fold()ed.
_ALIASES: dict[str, str] = {
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "calcutta": "Asia/Kolkata",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "rio de janeiro": "America/Sao_Paulo",
    "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "saigon": "Asia/Ho_Chi_Minh",
    "ho chi minh city": "Asia/Ho_Chi_Minh",
    "hanoi": "Asia/Bangkok",
    "rangoon": "Asia/Yangon",
    "osaka": "Asia/Tokyo",
    "munich": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "milan": "Europe/Rome",
    "geneva": "Europe/Zurich",
    "kiev": "Europe/Kyiv",
    "st petersburg": "Europe/Moscow",
    "saint petersburg": "Europe/Moscow",
    "manchester": "Europe/London",
    "edinburgh": "Europe/London",
    "istanbul": "Europe/Istanbul",
    "nicosia": "Asia/Nicosia",
    "tel aviv": "Asia/Jerusalem",
    "abu dhabi": "Asia/Dubai",
    "canberra": "Australia/Sydney",
}

# Abbreviations people type for their zone, folded. One zone: accepted (and the reply says
# which zone was taken). Several: the same letters name different clocks (IST is India,
# Ireland and Israel), so we ask instead of guessing. A letter pair whose zones differ only
# in summer rules counts as several too (MST: Denver has DST, Phoenix does not).
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "et": ("America/New_York",),
    "est": ("America/New_York",),
    "edt": ("America/New_York",),
    "ct": ("America/Chicago",),
    "cst": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "cdt": ("America/Chicago", "America/Havana"),
    "mt": ("America/Denver", "America/Phoenix"),
    "mst": ("America/Denver", "America/Phoenix"),
    "mdt": ("America/Denver",),
    "pt": ("America/Los_Angeles",),
    "pst": ("America/Los_Angeles", "Asia/Manila"),
    "pdt": ("America/Los_Angeles",),
    "akst": ("America/Anchorage",),
    "akdt": ("America/Anchorage",),
    "hst": ("Pacific/Honolulu",),
    "ast": ("America/Halifax", "Asia/Riyadh"),
    "adt": ("America/Halifax",),
    "nst": ("America/St_Johns",),
    "ndt": ("America/St_Johns",),
    "brt": ("America/Sao_Paulo",),
    "wet": ("Europe/Lisbon",),
    "bst": ("Europe/London", "Asia/Dhaka"),
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "cet": ("Europe/Berlin",),
    "cest": ("Europe/Berlin",),
    "eet": ("Europe/Athens",),
    "eest": ("Europe/Athens",),
    "msk": ("Europe/Moscow",),
    "sast": ("Africa/Johannesburg",),
    "cat": ("Africa/Maputo",),
    "eat": ("Africa/Nairobi",),
    "wat": ("Africa/Lagos",),
    "gst": ("Asia/Dubai",),
    "pkt": ("Asia/Karachi",),
    "ict": ("Asia/Bangkok",),
    "wib": ("Asia/Jakarta",),
    "sgt": ("Asia/Singapore",),
    "hkt": ("Asia/Hong_Kong",),
    "pht": ("Asia/Manila",),
    "jst": ("Asia/Tokyo",),
    "kst": ("Asia/Seoul",),
    "awst": ("Australia/Perth",),
    "acst": ("Australia/Darwin", "Australia/Adelaide"),
    "acdt": ("Australia/Adelaide",),
    "aest": ("Australia/Sydney", "Australia/Brisbane"),
    "aedt": ("Australia/Sydney",),
    "nzst": ("Pacific/Auckland",),
    "nzdt": ("Pacific/Auckland",),
}
# Typo suggestions: at most this many, each at least this similar (rapidfuzz's ratio, 0-100;
# "new yrok" scores 88 against "new york", "narnia" under 60 against every city).
_SUGGESTIONS = 3
_SUGGESTION_CUTOFF = 75.0

# Offsets that are not whole hours have no Etc/ zone. We map only those that belong to a
# zone *without* DST today, so the offset the user typed stays true all year; for the
# others (St John's -3:30, Lord Howe +10:30, Chatham +12:45) we return None and the caller
# asks for a city. Checked against tzdata in tests/test_zones.py.
_FRACTIONAL_OFFSETS: dict[tuple[int, int], str] = {
    (3, 30): "Asia/Tehran",  # no DST since 2022
    (4, 30): "Asia/Kabul",
    (5, 30): "Asia/Kolkata",
    (5, 45): "Asia/Kathmandu",
    (6, 30): "Asia/Yangon",
    (8, 45): "Australia/Eucla",
    (9, 30): "Australia/Darwin",  # not Adelaide, which has DST
    (-9, 30): "Pacific/Marquesas",
}

# sign, hours, optional minutes: "+3", "utc+03:00", "gmt-5", "utc+5:30", "+0530"
_OFFSET = re.compile(
    r"(?:utc|gmt)?\s*(?P<sign>[+-])\s*(?P<hours>[0-9]{1,2})(?:[:.]?(?P<minutes>[0-9]{2}))?"
)
_GMT_OFFSET = re.compile(r"GMT(?P<sign>[+-])(?P<hours>[0-9]{1,2})")
# Every spelling of UTC in tzdata, with or without "Etc/".
_UTC_NAMES = frozenset({"UTC", "UCT", "GMT", "GMT0", "Greenwich", "Universal", "Zulu"})
_DASHES = str.maketrans({"−": "-", "–": "-", "—": "-"})  # minus sign, en and em dash
_MAX_ZONE_TEXT = 64  # longer than any zone name or city; rejects pasted text cheaply

# The region buttons of the zone question: key (in button data and reminders.yaml) -> REGIONS.
REGION_KEYS = {
    "europe": "Europe",
    "americas": "Americas",
    "asia_pacific": "Asia & Pacific",
    "africa_middle_east": "Africa & Middle East",
}
REGIONS: dict[str, tuple[str, ...]] = {
    "Europe": (
        "Europe/London",
        "Europe/Dublin",
        "Europe/Lisbon",
        "Europe/Madrid",
        "Europe/Paris",
        "Europe/Berlin",
        "Europe/Rome",
        "Europe/Warsaw",
        "Europe/Athens",
        "Europe/Kyiv",
        "Europe/Istanbul",
        "Europe/Moscow",
    ),
    "Americas": (
        "Pacific/Honolulu",
        "America/Anchorage",
        "America/Los_Angeles",
        "America/Denver",
        "America/Chicago",
        "America/New_York",
        "America/Halifax",
        "America/Mexico_City",
        "America/Bogota",
        "America/Santiago",
        "America/Sao_Paulo",
        "America/Argentina/Buenos_Aires",
    ),
    "Asia & Pacific": (
        "Asia/Karachi",
        "Asia/Kolkata",
        "Asia/Dhaka",
        "Asia/Bangkok",
        "Asia/Jakarta",
        "Asia/Singapore",
        "Asia/Shanghai",
        "Asia/Manila",
        "Asia/Tokyo",
        "Asia/Seoul",
        "Australia/Sydney",
        "Pacific/Auckland",
    ),
    "Africa & Middle East": (
        "Africa/Casablanca",
        "Africa/Lagos",
        "Africa/Cairo",
        "Africa/Johannesburg",
        "Africa/Nairobi",
        "Asia/Jerusalem",
        "Asia/Baghdad",
        "Asia/Riyadh",
        "Asia/Tehran",
        "Asia/Dubai",
    ),
}


# --- validation ----------------------------------------------------------------------------


@cache
def _user_zones() -> frozenset[str]:
    # available_timezones() walks the zoneinfo directories (~20 ms), hence the cache. It
    # also excludes "posix/…" and "right/…" trees, which ZoneInfo() would happily load
    # (right/ counts leap seconds and would shift every reminder by ~27 s).
    return frozenset(zoneinfo.available_timezones() - _NOT_USER_ZONES)


def is_valid_zone(name: str) -> bool:
    """Whether ``name`` is an exact IANA zone name a user can have (case-sensitive)."""
    return name in _user_zones()


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The user's zone; UTC until they tell us theirs (or if what is stored is not a zone)."""
    return ZoneInfo(name) if name and is_valid_zone(name) else ZoneInfo("UTC")


def load_zone(name: str) -> ZoneInfo:
    """``ZoneInfo(name)`` for a valid user zone; ValueError otherwise (never KeyError/OSError)."""
    if not is_valid_zone(name):
        raise ValueError(f"unknown time zone {name!r}")
    return ZoneInfo(name)


def current_local_time(zone: str, now: datetime) -> datetime:
    """``now`` (aware, any zone) as the wall clock in ``zone`` reads it."""
    if now.tzinfo is None or now.utcoffset() is None:
        # astimezone() would silently read a naive value as the server's local time
        raise ValueError("now must be an aware datetime")
    return now.astimezone(load_zone(zone))


# --- from typed text -----------------------------------------------------------------------


def _fold(text: str) -> str:
    """Comparable form: no accents, case-folded, "_" and "-" as spaces, no dots."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = plain.casefold().replace("_", " ").replace("-", " ").replace(".", "")
    return " ".join(plain.split())


@cache
def _full_names() -> dict[str, str]:
    """Folded full zone name → zone, e.g. "america/new york" → "America/New_York"."""
    return {_fold(name): name for name in _user_zones() if "/" in name}


@cache
def _cities() -> dict[str, str]:
    """Folded city → zone, from the last component of every current "Area/City" name.

    Where two names share a city (America/Buenos_Aires is a link to
    America/Argentina/Buenos_Aires) the longer, current name wins; aliases come first.
    """
    candidates = sorted(
        (name for name in _user_zones() if name.split("/")[0] in _CITY_AREAS),
        key=lambda name: (name.count("/"), name),
    )
    cities = {_fold(name.rsplit("/", 1)[1]): name for name in candidates}
    cities.update({city: zone for city, zone in _ALIASES.items() if is_valid_zone(zone)})
    return cities


def resolve_zone(text: str) -> str | None:
    """An IANA zone name for what someone typed, or None; never raises.

    Tried in order: UTC/GMT; an offset ("UTC+3", "gmt-5", "+03:00"); a full zone name in
    any case ("europe/berlin"); a city or alias ("Berlin", "new_york", "São Paulo",
    "Mumbai"). Whole-hour offsets -12…+14 give "Etc/GMT∓N" (POSIX sign: UTC+3 is
    Etc/GMT-3). Fractional offsets give a well-known zone without DST (+5:30 →
    Asia/Kolkata, see _FRACTIONAL_OFFSETS) or None. Legacy top-level names such as "EST"
    or "Japan" are not accepted: they are either DST-less fixed offsets or deprecated.
    """
    if not isinstance(text, str) or len(text) > _MAX_ZONE_TEXT:
        return None
    # Offsets first, on text whose "-" still means minus (_fold turns it into a space).
    compact = " ".join(text.translate(_DASHES).split()).casefold()
    if compact in _UTC_WORDS:
        return "UTC"
    if match := _OFFSET.fullmatch(compact):
        return _zone_for_offset(match)
    folded = _fold(compact)
    if not folded:
        return None
    if "/" in folded:
        return _full_names().get(folded)
    return _cities().get(folded)


class ZoneMatch(enum.Enum):
    EXACT = "exact"  # a zone name, city, alias or offset
    ABBREVIATION = "abbreviation"  # an abbreviation with one zone ("EST")
    AMBIGUOUS = "ambiguous"  # an abbreviation with several zones ("IST"): candidates
    SUGGESTED = "suggested"  # nothing exact; candidates are the closest names
    UNKNOWN = "unknown"  # nothing close either


@dataclass(frozen=True)
class ZoneLookup:
    """What typed text says about a zone: the zone, or candidates to offer as buttons."""

    match: ZoneMatch
    zone: str | None = None  # EXACT, ABBREVIATION
    candidates: tuple[str, ...] = ()  # AMBIGUOUS, SUGGESTED: IANA names, best first
    abbreviation: str = ""  # ABBREVIATION, AMBIGUOUS: as people write it ("EST")


def lookup_zone(text: str) -> ZoneLookup:
    """Like :func:`resolve_zone`, and when that finds nothing, says why: an abbreviation
    (accepted when it names one zone, else its zones as candidates), or the closest zone
    and city names to a typo ("new yrok" → America/New_York). Never raises."""
    zone = resolve_zone(text)
    if zone is not None:
        return ZoneLookup(ZoneMatch.EXACT, zone)
    if not isinstance(text, str) or len(text) > _MAX_ZONE_TEXT:
        return ZoneLookup(ZoneMatch.UNKNOWN)
    folded = _fold(text)
    zones = tuple(z for z in _ABBREVIATIONS.get(folded, ()) if is_valid_zone(z))
    if len(zones) == 1:
        return ZoneLookup(ZoneMatch.ABBREVIATION, zones[0], abbreviation=folded.upper())
    if zones:
        return ZoneLookup(ZoneMatch.AMBIGUOUS, candidates=zones, abbreviation=folded.upper())
    candidates = _closest(folded)
    if candidates:
        return ZoneLookup(ZoneMatch.SUGGESTED, candidates=candidates)
    return ZoneLookup(ZoneMatch.UNKNOWN)


def _closest(folded: str) -> tuple[str, ...]:
    """The zones whose full name (if ``folded`` has a "/") or city is closest to it."""
    if len(folded) < 3:  # two letters are close to far too much
        return ()
    names = _full_names() if "/" in folded else _cities()
    found: list[str] = []
    for name, _score, _index in process.extract(
        folded,
        list(names),
        scorer=fuzz.ratio,
        limit=_SUGGESTIONS * 3,
        score_cutoff=_SUGGESTION_CUTOFF,
    ):
        zone = names[name]
        if zone not in found:
            found.append(zone)
    return tuple(found[:_SUGGESTIONS])


def _zone_for_offset(match: re.Match[str]) -> str | None:
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    signed = -hours if match["sign"] == "-" else hours
    if minutes > 59:
        return None
    if minutes:
        return _FRACTIONAL_OFFSETS.get((signed, minutes))
    if signed == 0:
        return "UTC"
    if not -12 <= signed <= 14:
        return None
    # POSIX inverts the sign: Etc/GMT-3 is three hours *ahead* of UTC.
    return f"Etc/GMT{-signed:+d}"


def zone_label(zone: str) -> str:
    """Short human name: "Europe/Berlin" → "Berlin", "Etc/GMT-3" → "UTC+3"."""
    name = zone.removeprefix("Etc/")
    if name in _UTC_NAMES:
        return "UTC"
    if match := _GMT_OFFSET.fullmatch(name):
        hours = int(match["hours"])
        if hours == 0:
            return "UTC"
        return f"UTC{'-' if match['sign'] == '+' else '+'}{hours}"  # POSIX sign again
    return name.rsplit("/", 1)[-1].replace("_", " ")


# --- from a shared location ----------------------------------------------------------------

_finder: TimezoneFinder | None = None
# TimezoneFinder instances are not thread-safe (its docs); a lookup takes well under a
# millisecond, so one lock around one shared instance is simpler than one per thread.
_finder_lock = threading.Lock()


def _get_finder() -> TimezoneFinder:
    global _finder
    if _finder is None:
        # Imported here: timezonefinder pulls in numpy and h3 (~170 ms, ~16 MB private
        # RSS), which only users who share a location should pay for. in_memory=False
        # memory-maps the polygon files instead of copying them: measured +16 MB private
        # memory instead of +46 MB; mapped pages show up as shared, reclaimable RSS.
        from timezonefinder import TimezoneFinder

        _finder = TimezoneFinder(in_memory=False)
    return _finder


def zone_from_location(latitude: float, longitude: float) -> str | None:
    """The IANA zone at a point on land, or None (at sea, invalid input, lookup failure).

    Ocean points are None rather than the "Etc/GMT+2"-style nautical zones
    timezonefinder knows: nobody lives there, and the caller can ask for a city.
    """
    try:
        lat, lng = float(latitude), float(longitude)
        if not (math.isfinite(lat) and math.isfinite(lng)):
            return None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return None
        with _finder_lock:
            zone = _get_finder().timezone_at_land(lng=lng, lat=lat)
    except Exception:  # a location lookup is a convenience; never take the handler down
        return None
    return zone if zone is not None and is_valid_zone(zone) else None
