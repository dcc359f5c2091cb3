"""Time zones from typed text and shared locations: always a valid IANA name, or None."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tgbot.services import zones as zones_module
from tgbot.services.zones import (
    REGIONS,
    ZoneLookup,
    ZoneMatch,
    current_local_time,
    is_valid_zone,
    load_zone,
    lookup_zone,
    resolve_zone,
    zone_from_location,
    zone_label,
)

RESOLVED = [
    # full IANA names, any case
    ("Europe/Berlin", "Europe/Berlin"),
    ("europe/berlin", "Europe/Berlin"),
    ("  EUROPE/BERLIN ", "Europe/Berlin"),
    ("America/New_York", "America/New_York"),
    ("america/new york", "America/New_York"),
    ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("Europe/Kiev", "Europe/Kiev"),  # a valid (backward-link) name typed in full stays as is
    ("Etc/GMT-3", "Etc/GMT-3"),
    # cities: last component, "_" as space, accents and case folded
    ("Berlin", "Europe/Berlin"),
    ("berlin", "Europe/Berlin"),
    ("New York", "America/New_York"),
    ("new_york", "America/New_York"),
    ("new-york", "America/New_York"),
    ("Sao Paulo", "America/Sao_Paulo"),
    ("São Paulo", "America/Sao_Paulo"),
    ("Kolkata", "Asia/Kolkata"),
    ("Los Angeles", "America/Los_Angeles"),
    ("Sydney", "Australia/Sydney"),
    ("London", "Europe/London"),
    ("Paris", "Europe/Paris"),
    ("Moscow", "Europe/Moscow"),
    ("Toronto", "America/Toronto"),
    ("Port au Prince", "America/Port-au-Prince"),
    ("St. Johns", "America/St_Johns"),
    ("Buenos Aires", "America/Argentina/Buenos_Aires"),  # current name beats the old link
    ("Indianapolis", "America/Indiana/Indianapolis"),
    # aliases: places that are not zone names, renamed zones, ambiguous last components
    ("Mumbai", "Asia/Kolkata"),
    ("Delhi", "Asia/Kolkata"),
    ("Bangalore", "Asia/Kolkata"),
    ("San Francisco", "America/Los_Angeles"),
    ("Seattle", "America/Los_Angeles"),
    ("Boston", "America/New_York"),
    ("Washington", "America/New_York"),
    ("Beijing", "Asia/Shanghai"),
    ("Shanghai", "Asia/Shanghai"),
    ("Munich", "Europe/Berlin"),
    ("Hamburg", "Europe/Berlin"),
    ("Barcelona", "Europe/Madrid"),
    ("Milan", "Europe/Rome"),
    ("Rome", "Europe/Rome"),
    ("Kiev", "Europe/Kyiv"),
    ("Kyiv", "Europe/Kyiv"),
    ("St Petersburg", "Europe/Moscow"),
    ("Montreal", "America/Toronto"),
    ("Istanbul", "Europe/Istanbul"),
    ("Nicosia", "Asia/Nicosia"),
    # UTC and offsets; POSIX inverts the sign of Etc/GMT±N
    ("UTC", "UTC"),
    ("gmt", "UTC"),
    ("Z", "UTC"),
    ("UTC+0", "UTC"),
    ("GMT-0", "UTC"),
    ("UTC+3", "Etc/GMT-3"),
    ("utc+03:00", "Etc/GMT-3"),
    ("UTC +3", "Etc/GMT-3"),
    ("+3", "Etc/GMT-3"),
    ("+0300", "Etc/GMT-3"),
    ("GMT-5", "Etc/GMT+5"),
    ("UTC−5", "Etc/GMT+5"),  # Unicode minus sign
    ("UTC–5", "Etc/GMT+5"),  # en dash
    ("-12", "Etc/GMT+12"),
    ("+14", "Etc/GMT-14"),
    # fractional offsets: mapped only to zones without DST (see _FRACTIONAL_OFFSETS)
    ("UTC+5:30", "Asia/Kolkata"),
    ("+05:30", "Asia/Kolkata"),
    ("+5:45", "Asia/Kathmandu"),
    ("UTC+3:30", "Asia/Tehran"),
    ("+9:30", "Australia/Darwin"),
    ("-9:30", "Pacific/Marquesas"),
]

UNRESOLVED = [
    "",
    "   ",
    "asdfgh",
    "tomorrow",
    "UTC+15",
    "UTC-13",
    "+25",
    "+9:45",  # no zone has +09:45
    "-3:30",  # St John's has DST: the offset would be wrong half the year, so ask for a city
    "+10:30",  # Lord Howe, also DST
    "+3:60",
    "12345",
    "3",  # a bare number is not an offset
    "Europe/Nowhere",
    "Europe",
    "../etc/passwd",
    "/etc/localtime",
    "localtime",
    "Factory",
    "posix/Europe/Berlin",  # loadable by ZoneInfo() but not a user zone
    "right/Europe/Berlin",  # counts leap seconds: would shift reminders by ~27 s
    "EST",  # fixed UTC-5 without DST, not what someone typing EST in July means
    "Japan",  # legacy top-level link name
    "Pacific",
    "Europe/Berlin\x00",
    "x" * 1000,
    "Berlin" * 20,
]


@pytest.mark.parametrize(("text", "zone"), RESOLVED)
def test_resolve_zone(text: str, zone: str) -> None:
    assert resolve_zone(text) == zone
    assert is_valid_zone(zone)


@pytest.mark.parametrize("text", UNRESOLVED, ids=lambda text: repr(text[:16]))
def test_resolve_zone_rejects(text: str) -> None:
    assert resolve_zone(text) is None


def test_resolve_zone_never_raises_on_odd_types() -> None:
    assert resolve_zone(None) is None  # type: ignore[arg-type]
    assert resolve_zone(3) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("hours", range(-12, 15))
def test_whole_hour_offsets_mean_what_the_user_typed(hours: int) -> None:
    """The POSIX sign trap: Etc/GMT-3 is UTC+3. Check the real offset, not the name."""
    zone = resolve_zone(f"UTC{hours:+d}")
    assert zone is not None
    assert ZoneInfo(zone).utcoffset(datetime(2026, 7, 1)) == timedelta(hours=hours)
    assert zone_label(zone) == ("UTC" if hours == 0 else f"UTC{hours:+d}")


@pytest.mark.parametrize(
    ("hours", "minutes", "zone"),
    [(key[0], key[1], zone) for key, zone in zones_module._FRACTIONAL_OFFSETS.items()],
)
def test_fractional_offsets_hold_all_year(hours: int, minutes: int, zone: str) -> None:
    """A mapped offset is only honest if the zone keeps it all year (no DST)."""
    sign = -1 if hours < 0 else 1
    expected = timedelta(hours=hours, minutes=sign * minutes)
    tz = ZoneInfo(zone)
    for day in range(0, 365, 7):
        moment = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
        assert moment.astimezone(tz).utcoffset() == expected, (zone, moment)


def test_every_full_zone_name_resolves_to_itself() -> None:
    """No two zone names collide after folding case, "_" and "-"."""
    names = [name for name in zoneinfo.available_timezones() if "/" in name]
    names = [name for name in names if is_valid_zone(name)]
    assert len(names) > 400
    for name in names:
        assert resolve_zone(name) == name
        assert resolve_zone(name.lower()) == name
        assert resolve_zone(name.upper().replace("_", " ")) == name


def test_every_city_name_resolves_to_a_valid_zone() -> None:
    for name in zoneinfo.available_timezones():
        if name.split("/")[0] in {"Europe", "America", "Asia", "Africa", "Australia"}:
            city = name.rsplit("/", 1)[1].replace("_", " ")
            resolved = resolve_zone(city)
            assert resolved is not None and is_valid_zone(resolved), city


def test_aliases_are_valid_zones() -> None:
    for city, zone in zones_module._ALIASES.items():
        assert is_valid_zone(zone), (city, zone)
        assert resolve_zone(city) == zone


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Europe/Berlin", "Berlin"),
        ("America/New_York", "New York"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires"),
        ("America/Port-au-Prince", "Port-au-Prince"),
        ("Etc/GMT-3", "UTC+3"),
        ("Etc/GMT+5", "UTC-5"),
        ("Etc/GMT-14", "UTC+14"),
        ("Etc/GMT+12", "UTC-12"),
        ("Etc/GMT", "UTC"),
        ("Etc/GMT0", "UTC"),
        ("Etc/GMT+0", "UTC"),
        ("Etc/Zulu", "UTC"),
        ("Etc/UTC", "UTC"),
        ("UTC", "UTC"),
        ("GMT", "UTC"),
        ("Pacific/Apia", "Apia"),
    ],
)
def test_zone_label(zone: str, label: str) -> None:
    assert zone_label(zone) == label


def test_every_zone_has_a_label() -> None:
    for name in zoneinfo.available_timezones():
        if is_valid_zone(name):
            label = zone_label(name)
            assert label and "/" not in label and "_" not in label, name
            assert not label.startswith("GMT"), name


def test_regions_pick_list() -> None:
    assert list(REGIONS) == ["Europe", "Americas", "Asia & Pacific", "Africa & Middle East"]
    assert "Europe/Berlin" in REGIONS["Europe"] and "America/New_York" in REGIONS["Americas"]
    seen: set[str] = set()
    for region, names in REGIONS.items():
        assert 1 <= len(names) <= 12, region
        for name in names:
            assert is_valid_zone(name), name
            assert name not in seen, name
            seen.add(name)
            assert resolve_zone(name) == name


def test_load_zone_and_validation() -> None:
    assert load_zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")
    for bad in ["europe/berlin", "", "Europe", "posix/Europe/Berlin", "localtime", "a" * 300]:
        assert not is_valid_zone(bad)
        with pytest.raises(ValueError, match="unknown time zone"):
            load_zone(bad)


def test_current_local_time() -> None:
    now = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # Berlin's spring-forward instant
    local = current_local_time("Europe/Berlin", now)
    assert (local.hour, local.minute, local.utcoffset()) == (3, 0, timedelta(hours=2))
    assert local == now
    assert current_local_time("Etc/GMT-3", now).hour == 4
    with pytest.raises(ValueError, match="aware"):
        current_local_time("Europe/Berlin", datetime(2026, 3, 29, 1))
    with pytest.raises(ValueError, match="unknown time zone"):
        current_local_time("Nowhere", now)


# --- shared locations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (52.52, 13.40, "Europe/Berlin"),
        (40.71, -74.00, "America/New_York"),
        (-33.87, 151.21, "Australia/Sydney"),
        (28.61, 77.21, "Asia/Kolkata"),
        (-33.45, -70.67, "America/Santiago"),
    ],
)
def test_zone_from_location_cities(latitude: float, longitude: float, zone: str) -> None:
    pytest.importorskip("timezonefinder")
    assert zone_from_location(latitude, longitude) == zone


def test_zone_from_location_at_sea_is_none() -> None:
    """Mid-Atlantic: timezonefinder knows a nautical "Etc/GMT+2" there, but nobody lives at
    sea; None lets the caller ask for a city instead."""
    pytest.importorskip("timezonefinder")
    assert zone_from_location(0.0, -30.0) is None


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (999, 999),
        (91, 0),
        (-90.5, 0),
        (0, 180.5),
        (0, -181),
        (float("nan"), 0),
        (0, float("inf")),
        ("52.5", "13.4"),  # strings convert, and are in range: fine either way, no raise
        ("north", "east"),
        (None, None),
    ],
)
def test_zone_from_location_never_raises(latitude: object, longitude: object) -> None:
    result = zone_from_location(latitude, longitude)  # type: ignore[arg-type]
    assert result is None or is_valid_zone(result)


def test_zone_from_location_survives_a_broken_finder(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> object:
        raise RuntimeError("data files missing")

    monkeypatch.setattr(zones_module, "_get_finder", broken)
    assert zone_from_location(52.52, 13.40) is None


# --- lookup_zone: why a text is no zone, and what to offer instead ---------------------------


@pytest.mark.parametrize(
    ("text", "zone", "abbreviation"),
    [
        ("EST", "America/New_York", "EST"),
        ("edt", "America/New_York", "EDT"),
        ("CET", "Europe/Berlin", "CET"),
        (" jst ", "Asia/Tokyo", "JST"),
        ("AEDT", "Australia/Sydney", "AEDT"),
    ],
)
def test_lookup_accepts_a_one_zone_abbreviation(text: str, zone: str, abbreviation: str) -> None:
    assert lookup_zone(text) == ZoneLookup(ZoneMatch.ABBREVIATION, zone, abbreviation=abbreviation)


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("CST", ("America/Chicago", "Asia/Shanghai", "America/Havana")),
        ("ist", ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem")),
        ("MST", ("America/Denver", "America/Phoenix")),  # Phoenix keeps MST all summer
        ("BST", ("Europe/London", "Asia/Dhaka")),
    ],
)
def test_lookup_refuses_to_guess_an_ambiguous_abbreviation(
    text: str, candidates: tuple[str, ...]
) -> None:
    found = lookup_zone(text)
    assert found.match is ZoneMatch.AMBIGUOUS and found.zone is None
    assert found.candidates == candidates and found.abbreviation == text.upper()


def test_every_abbreviation_names_real_zones() -> None:
    for abbreviation, zones in zones_module._ABBREVIATIONS.items():
        assert zones and all(is_valid_zone(zone) for zone in zones), abbreviation
        assert resolve_zone(abbreviation) is None, abbreviation  # never shadows a real name


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("new yrok", "America/New_York"),
        ("New York City", "America/New_York"),
        ("Berln", "Europe/Berlin"),
        ("londn", "Europe/London"),
        ("Europe/Berln", "Europe/Berlin"),
        ("mumbay", "Asia/Kolkata"),
    ],
)
def test_lookup_suggests_the_closest_names(text: str, first: str) -> None:
    found = lookup_zone(text)
    assert found.match is ZoneMatch.SUGGESTED and found.zone is None
    assert found.candidates[0] == first and len(found.candidates) <= 3
    assert all(is_valid_zone(zone) for zone in found.candidates)


@pytest.mark.parametrize("text", ["Narnia", "soon", "xy", "", "x" * 1000, None, 3])
def test_lookup_of_nothing_close_is_unknown(text: object) -> None:
    assert lookup_zone(text) == ZoneLookup(ZoneMatch.UNKNOWN)  # type: ignore[arg-type]


def test_lookup_of_a_real_zone_is_exact() -> None:
    assert lookup_zone("berlin") == ZoneLookup(ZoneMatch.EXACT, "Europe/Berlin")
    assert lookup_zone("UTC+3") == ZoneLookup(ZoneMatch.EXACT, "Etc/GMT-3")
