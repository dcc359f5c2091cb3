"""Bedtime reminder scheduling: exactly one reminder per local day, right across DST.

The transition tables below are not trusted blindly: ``test_known_2026_transitions`` first
derives every offset change of 2026 from tzdata itself (by scanning utcoffset) and checks
that it matches the dates agreed in perf-notes G9. The year-long walks then compute each
expected instant from those scanned transitions, independently of the module's own logic.
"""

from __future__ import annotations

import itertools
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tgbot.services.reminders import schedule as schedule_module
from tgbot.services.reminders.schedule import (
    ALL_DAYS,
    WEEKDAYS,
    WEEKEND,
    DailySchedule,
    DayKind,
    Occurrence,
    days_to_mask,
    describe,
    due_occurrence,
    local_time_of,
    mask_to_days,
    next_occurrence,
    occurrence_on,
    parse_time_of_day,
)

YEAR = 2026
YEAR_DAYS = [date(YEAR, 1, 1) + timedelta(days=n) for n in range(365)]


# --- transitions, straight from tzdata -----------------------------------------------------


@dataclass(frozen=True)
class Transition:
    instant: datetime  # UTC, first second of the new offset
    before: timedelta
    after: timedelta

    @property
    def is_gap(self) -> bool:
        return self.after > self.before

    @property
    def wall_span(self) -> tuple[datetime, datetime]:
        """The naive wall-clock interval [start, end) that is missing (gap) or doubled (fold)."""
        utc = self.instant.replace(tzinfo=None)
        low, high = sorted((utc + self.before, utc + self.after))
        return low, high


def transitions(zone: str, start: datetime, end: datetime) -> list[Transition]:
    """Every utcoffset change in [start, end), located to the second by bisection."""
    tz = ZoneInfo(zone)
    found: list[Transition] = []
    step = timedelta(hours=1)
    moment = start
    offset = moment.astimezone(tz).utcoffset()
    while moment < end:
        following = moment + step
        new_offset = following.astimezone(tz).utcoffset()
        if new_offset != offset:
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            assert offset is not None and new_offset is not None
            found.append(Transition(high, offset, new_offset))
        moment, offset = following, new_offset
    return found


def year_transitions(zone: str) -> list[Transition]:
    return transitions(
        zone, datetime(YEAR - 1, 12, 31, tzinfo=UTC), datetime(YEAR + 1, 1, 2, tzinfo=UTC)
    )


def _wall(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


# (kind, missing/doubled wall interval) per zone, as agreed in perf-notes G9.
KNOWN_2026: dict[str, list[tuple[str, datetime, datetime]]] = {
    "Europe/Berlin": [
        ("gap", _wall(date(2026, 3, 29), 2), _wall(date(2026, 3, 29), 3)),
        ("fold", _wall(date(2026, 10, 25), 2), _wall(date(2026, 10, 25), 3)),
    ],
    "America/New_York": [
        ("gap", _wall(date(2026, 3, 8), 2), _wall(date(2026, 3, 8), 3)),
        ("fold", _wall(date(2026, 11, 1), 1), _wall(date(2026, 11, 1), 2)),
    ],
    "Australia/Sydney": [
        ("fold", _wall(date(2026, 4, 5), 2), _wall(date(2026, 4, 5), 3)),
        ("gap", _wall(date(2026, 10, 4), 2), _wall(date(2026, 10, 4), 3)),
    ],
    "Asia/Kolkata": [],
    # Santiago and Cairo change at midnight: 23:00-23:59 repeats, 00:00-00:59 is missing.
    "America/Santiago": [
        ("fold", _wall(date(2026, 4, 4), 23), _wall(date(2026, 4, 5), 0)),
        ("gap", _wall(date(2026, 9, 6), 0), _wall(date(2026, 9, 6), 1)),
    ],
    "Africa/Cairo": [
        ("gap", _wall(date(2026, 4, 24), 0), _wall(date(2026, 4, 24), 1)),
        ("fold", _wall(date(2026, 10, 29), 23), _wall(date(2026, 10, 30), 0)),
    ],
    # Lord Howe shifts by 30 minutes only.
    "Australia/Lord_Howe": [
        ("fold", _wall(date(2026, 4, 5), 1, 30), _wall(date(2026, 4, 5), 2)),
        ("gap", _wall(date(2026, 10, 4), 2), _wall(date(2026, 10, 4), 2, 30)),
    ],
    "UTC": [],
}
BASE_TIMES = [time(21), time(22, 30), time(23, 30), time(0, 30), time(2, 30)]
# Extra times that land inside the special windows of particular zones.
EXTRA_TIMES = {
    "America/Santiago": [time(0), time(23)],
    "Africa/Cairo": [time(0), time(23)],
    "Australia/Lord_Howe": [time(1, 45), time(2, 15)],
    "America/New_York": [time(1, 30)],
}
YEAR_CASES = [(zone, at) for zone in KNOWN_2026 for at in BASE_TIMES + EXTRA_TIMES.get(zone, [])]


@pytest.mark.parametrize("zone", sorted(KNOWN_2026))
def test_known_2026_transitions(zone: str) -> None:
    """The dates we assert below are what the installed tzdata says (checked, not assumed)."""
    found = [
        ("gap" if change.is_gap else "fold", *change.wall_span) for change in year_transitions(zone)
    ]
    assert found == KNOWN_2026[zone]


def expected_fire_at(zone: str, day: date, at: time, changes: list[Transition]) -> datetime:
    """Oracle for one day, from the scanned transitions: gap → its transition instant,
    fold → the earlier instant, otherwise the plain wall time."""
    wall = datetime.combine(day, at)
    for change in changes:
        low, high = change.wall_span
        if low <= wall < high:
            if change.is_gap:
                return change.instant
            return (wall - change.before).replace(tzinfo=UTC)
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def walk(
    plan: DailySchedule, first_day: date, end_day: date, *, limit: int = 1000
) -> Iterator[Occurrence]:
    """Drive next_occurrence like the sending engine: feed back each result."""
    start = datetime.combine(first_day, time(0)).replace(tzinfo=plan.tz).astimezone(UTC)
    after, last_sent = start - timedelta(seconds=1), first_day - timedelta(days=1)
    for _ in range(limit):
        occurrence = next_occurrence(plan, after=after, last_sent_date=last_sent)
        if occurrence.local_date >= end_day:
            return
        yield occurrence
        after, last_sent = occurrence.fire_at, occurrence.local_date
    raise AssertionError("walk did not finish")


@pytest.mark.parametrize(("zone", "at"), YEAR_CASES, ids=[f"{z}-{t:%H%M}" for z, t in YEAR_CASES])
def test_simulated_year_one_reminder_per_local_day(zone: str, at: time) -> None:
    plan = DailySchedule(at, zone)
    tz = ZoneInfo(zone)
    changes = year_transitions(zone)
    occurrences = list(walk(plan, date(YEAR, 1, 1), date(YEAR + 1, 1, 1)))

    # exactly one per local day, none missed, none doubled, in order
    assert [o.local_date for o in occurrences] == YEAR_DAYS
    instants = [o.fire_at for o in occurrences]
    assert all(a < b for a, b in itertools.pairwise(instants))

    off_time_days = set()
    for occurrence in occurrences:
        assert occurrence.fire_at.tzinfo is UTC
        assert occurrence.fire_at == expected_fire_at(zone, occurrence.local_date, at, changes)
        local = occurrence.fire_at.astimezone(tz)
        assert local.date() == occurrence.local_date
        if local.time() != at:
            off_time_days.add(occurrence.local_date)

    # the wall time differs exactly on the days whose gap swallowed it, nowhere else
    gap_days = {
        low.date()
        for kind, low, high in KNOWN_2026[zone]
        if kind == "gap" and low <= datetime.combine(low.date(), at) < high
    }
    assert off_time_days == gap_days


# --- the two DST days, spelled out ---------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "at", "fire_at_utc", "local_reading"),
    [
        # Berlin spring-forward: 02:30 does not exist → 03:00 CEST, the transition instant
        ("Europe/Berlin", date(2026, 3, 29), time(2, 30), datetime(2026, 3, 29, 1), time(3)),
        ("America/New_York", date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 7), time(3)),
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), datetime(2026, 10, 3, 16), time(3)),
        ("America/Santiago", date(2026, 9, 6), time(0, 30), datetime(2026, 9, 6, 4), time(1)),
        ("Africa/Cairo", date(2026, 4, 24), time(0), datetime(2026, 4, 23, 22), time(1)),
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            time(2, 15),
            datetime(2026, 10, 3, 15, 30),
            time(2, 30),
        ),
    ],
)
def test_gap_fires_once_at_the_transition_instant(
    zone: str, day: date, at: time, fire_at_utc: datetime, local_reading: time
) -> None:
    plan = DailySchedule(at, zone)
    expected = fire_at_utc.replace(tzinfo=UTC)
    assert occurrence_on(plan, day) == Occurrence(day, expected)
    week = list(walk(plan, day - timedelta(days=3), day + timedelta(days=4)))
    assert [o.fire_at for o in week].count(expected) == 1
    assert [o.local_date for o in week].count(day) == 1
    assert local_time_of(occurrence_on(plan, day), zone) == local_reading


@pytest.mark.parametrize(
    ("zone", "day", "at", "first_utc", "second_utc"),
    [
        # Berlin autumn: 02:30 happens at 00:30Z (CEST) and 01:30Z (CET); only the first fires
        (
            "Europe/Berlin",
            date(2026, 10, 25),
            time(2, 30),
            datetime(2026, 10, 25, 0, 30),
            datetime(2026, 10, 25, 1, 30),
        ),
        (
            "America/New_York",
            date(2026, 11, 1),
            time(1, 30),
            datetime(2026, 11, 1, 5, 30),
            datetime(2026, 11, 1, 6, 30),
        ),
        (
            "America/Santiago",
            date(2026, 4, 4),
            time(23, 30),
            datetime(2026, 4, 5, 2, 30),
            datetime(2026, 4, 5, 3, 30),
        ),
        (
            "Africa/Cairo",
            date(2026, 10, 29),
            time(23, 30),
            datetime(2026, 10, 29, 20, 30),
            datetime(2026, 10, 29, 21, 30),
        ),
    ],
)
def test_fold_fires_once_at_the_first_occurrence(
    zone: str, day: date, at: time, first_utc: datetime, second_utc: datetime
) -> None:
    plan = DailySchedule(at, zone)
    first, second = first_utc.replace(tzinfo=UTC), second_utc.replace(tzinfo=UTC)
    occurrence = occurrence_on(plan, day)
    assert occurrence.fire_at == first
    assert occurrence.fire_at.astimezone(plan.tz).fold == 0
    # both instants really read the same wall time (so this is a genuine fold)
    assert second.astimezone(plan.tz).replace(tzinfo=None, fold=0) == datetime.combine(day, at)
    week = list(walk(plan, day - timedelta(days=3), day + timedelta(days=4)))
    assert first in [o.fire_at for o in week]
    assert second not in [o.fire_at for o in week]
    # a tick that runs between the two readings doesn't send the day again
    after_first = next_occurrence(plan, after=first, last_sent_date=day)
    assert after_first.local_date == day + timedelta(days=1)
    assert due_occurrence(plan, now=second, last_sent_date=day, grace=timedelta(hours=2)) is None


# --- zones that moved across the date line, and other odd rules ----------------------------


@pytest.mark.parametrize("at", [time(0), time(12), time(22)])
def test_apia_skipped_day_never_doubles_or_hangs(at: time) -> None:
    """Samoa jumped from UTC-10 to UTC+14 and had no 2011-12-30 at all."""
    plan = DailySchedule(at, "Pacific/Apia")
    occurrences = list(walk(plan, date(2011, 12, 25), date(2012, 1, 5)))
    days = [o.local_date for o in occurrences]
    assert date(2011, 12, 30) not in days
    assert days == [date(2011, 12, d) for d in (25, 26, 27, 28, 29, 31)] + [
        date(2012, 1, d) for d in (1, 2, 3, 4)
    ]
    instants = [o.fire_at for o in occurrences]
    assert all(a < b for a, b in itertools.pairwise(instants))
    for occurrence in occurrences:
        local = occurrence.fire_at.astimezone(plan.tz)
        assert (local.date(), local.time()) == (occurrence.local_date, at)


# Zones with unusual rules: 2-hour DST (Troll), negative DST (Dublin), DST at midnight
# (Havana), Ramadan pauses (Casablanca), historic date-line moves (Kiritimati, Kwajalein).
ODD_CASES = [
    ("Antarctica/Troll", 2026),
    ("Europe/Dublin", 2026),
    ("America/Havana", 2026),
    ("Africa/Casablanca", 2026),
    ("Pacific/Kiritimati", 1994),
    ("Pacific/Kwajalein", 1993),
    ("Asia/Tehran", 2021),
]


@pytest.mark.parametrize(("zone", "year"), ODD_CASES)
@pytest.mark.parametrize("at", [time(0), time(0, 30), time(1, 30), time(2, 30), time(23, 30)])
def test_cron_rule_holds_in_odd_zones(zone: str, year: int, at: time) -> None:
    """Whatever tzdata does: one reminder per local day, by the cron rule."""
    plan = DailySchedule(at, zone)
    occurrences = list(walk(plan, date(year, 1, 1), date(year + 1, 1, 1)))
    assert len(occurrences) >= 364  # at most the one historic skipped day is missing
    days = [o.local_date for o in occurrences]
    assert len(set(days)) == len(days)
    assert_cron_rule(plan, occurrences)


def assert_cron_rule(plan: DailySchedule, occurrences: list[Occurrence]) -> None:
    """Strictly increasing instants; each the first instant reading >= the wall time, on
    its own local day."""
    instants = [o.fire_at for o in occurrences]
    assert all(a < b for a, b in itertools.pairwise(instants))
    for occurrence in occurrences:
        wall = datetime.combine(occurrence.local_date, plan.at)
        reading = occurrence.fire_at.astimezone(plan.tz)
        if reading.replace(tzinfo=None) == wall:
            assert reading.fold == 0  # astimezone() marks the second pass of a fold with 1
            continue
        # in a gap: the reading jumped past the wall time, and a second earlier was before it
        just_before = (occurrence.fire_at - timedelta(seconds=1)).astimezone(plan.tz)
        assert reading.date() == occurrence.local_date
        assert reading.replace(tzinfo=None) > wall > just_before.replace(tzinfo=None)


CURRENT_AREAS = frozenset(
    ["Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Pacific"]
)


def _zones_with_dst(year: int) -> list[str]:
    """Zones whose January and July offsets differ: everyone who changes clocks."""
    names = []
    for name in sorted(zoneinfo.available_timezones()):
        if name.split("/")[0] not in CURRENT_AREAS:  # skip legacy aliases (US/…, "GB", …)
            continue
        tz = ZoneInfo(name)
        january = datetime(year, 1, 15, tzinfo=UTC).astimezone(tz).utcoffset()
        if january != datetime(year, 7, 15, tzinfo=UTC).astimezone(tz).utcoffset():
            names.append(name)
    return names


def test_every_dst_zone_gets_one_reminder_per_day_in_2026() -> None:
    """A broad sweep (about 0.5 s): every zone that changes clocks in 2026, at the two
    riskiest times, gets exactly 365 reminders that obey the cron rule."""
    zones = _zones_with_dst(YEAR)
    assert "Europe/Berlin" in zones and "Australia/Lord_Howe" in zones
    for zone in zones:
        for at in (time(0, 30), time(2, 30)):
            plan = DailySchedule(at, zone)
            occurrences = list(walk(plan, date(YEAR, 1, 1), date(YEAR + 1, 1, 1)))
            assert [o.local_date for o in occurrences] == YEAR_DAYS, zone
            assert_cron_rule(plan, occurrences)


def test_search_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken row raises instead of hanging the tick (APScheduler #1021-style loops)."""
    monkeypatch.setattr(schedule_module, "_SEARCH_DAYS", 0)
    plan = DailySchedule(time(22), "Europe/Berlin")
    with pytest.raises(ValueError, match="no occurrence"):
        next_occurrence(plan, after=datetime(2026, 1, 1, tzinfo=UTC))


def test_end_of_calendar_raises_value_error() -> None:
    plan = DailySchedule(time(22), "UTC")
    with pytest.raises(ValueError):
        next_occurrence(plan, after=datetime(9999, 12, 31, 23, tzinfo=UTC))


# --- next_occurrence basics ----------------------------------------------------------------


def test_next_occurrence_from_any_instant_and_zone() -> None:
    plan = DailySchedule(time(22), "Europe/Berlin")
    # 20:59 UTC = 21:59 CET: tonight
    assert next_occurrence(plan, after=datetime(2026, 1, 10, 20, 59, tzinfo=UTC)) == Occurrence(
        date(2026, 1, 10), datetime(2026, 1, 10, 21, tzinfo=UTC)
    )
    # exactly at fire time: strictly after, so tomorrow
    at_fire = datetime(2026, 1, 10, 21, tzinfo=UTC)
    assert next_occurrence(plan, after=at_fire).local_date == date(2026, 1, 11)
    # the same instant expressed in New York time gives the same answer
    in_new_york = at_fire.astimezone(ZoneInfo("America/New_York"))
    assert next_occurrence(plan, after=in_new_york) == next_occurrence(plan, after=at_fire)


def test_last_sent_date_suppresses_a_second_send_that_day() -> None:
    plan = DailySchedule(time(22), "Europe/Berlin")
    # a user moved their time from 21:00 (already sent today) to 23:00: not again today
    later = DailySchedule(time(23), "Europe/Berlin")
    after = datetime(2026, 1, 10, 20, 30, tzinfo=UTC)  # 21:30 local
    assert next_occurrence(later, after=after).local_date == date(2026, 1, 10)
    assert next_occurrence(later, after=after, last_sent_date=date(2026, 1, 10)).local_date == date(
        2026, 1, 11
    )
    assert next_occurrence(plan, after=after, last_sent_date=date(2025, 1, 1)).local_date == date(
        2026, 1, 10
    )


def test_changing_zone_eastward_never_sends_twice_on_one_local_day() -> None:
    """Sent 22:00 in New York (03:00Z), then the user switches to Berlin, where it is
    already 04:00 on the next local day: that day's 22:00 is still ahead and fires."""
    sent = Occurrence(date(2026, 1, 10), datetime(2026, 1, 11, 3, tzinfo=UTC))
    berlin = DailySchedule(time(22), "Europe/Berlin")
    nxt = next_occurrence(berlin, after=sent.fire_at, last_sent_date=sent.local_date)
    assert nxt == Occurrence(date(2026, 1, 11), datetime(2026, 1, 11, 21, tzinfo=UTC))


def test_changing_zone_westward_does_not_resend_the_same_day() -> None:
    """Sent 22:00 in Berlin (21:00Z); the user moves to New York, where it is only 16:00 on
    the same date: that date is done, the next reminder is tomorrow's 22:00 New York."""
    sent = Occurrence(date(2026, 1, 10), datetime(2026, 1, 10, 21, tzinfo=UTC))
    new_york = DailySchedule(time(22), "America/New_York")
    nxt = next_occurrence(new_york, after=sent.fire_at, last_sent_date=sent.local_date)
    assert nxt == Occurrence(date(2026, 1, 11), datetime(2026, 1, 12, 3, tzinfo=UTC))


def test_naive_datetimes_are_refused() -> None:
    plan = DailySchedule(time(22), "UTC")
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(plan, after=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        due_occurrence(plan, now=datetime(2026, 1, 1), last_sent_date=None, grace=timedelta())


# --- schedule validation and custom days ---------------------------------------------------


def test_schedule_validation() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        DailySchedule(time(22), "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="unknown time zone"):
        DailySchedule(time(22), "europe/berlin")  # resolve_zone normalises; this doesn't
    with pytest.raises(ValueError, match="naive"):
        DailySchedule(time(22, tzinfo=UTC), "UTC")
    with pytest.raises(ValueError, match="minute"):
        DailySchedule(time(22, 0, 30), "UTC")
    with pytest.raises(ValueError, match="at least one"):
        DailySchedule(time(22), "UTC", frozenset())
    with pytest.raises(ValueError, match="weekday"):
        DailySchedule(time(22), "UTC", frozenset({7}))
    # any iterable of weekdays is normalised to a frozenset; equality ignores the cached tz
    plan = DailySchedule(time(22), "UTC", [0, 1])  # type: ignore[arg-type]
    assert plan.days == frozenset({0, 1})
    assert plan == DailySchedule(time(22), "UTC", frozenset({1, 0}))
    assert hash(plan) == hash(DailySchedule(time(22), "UTC", frozenset({1, 0})))


def test_python_weekday_convention_not_ptb() -> None:
    """0 = Monday here, as in date.weekday(). PTB's run_daily(days=...) counts 0 = Sunday
    (since v20); this module never uses PTB's convention, so a handler passing days to PTB
    must convert explicitly."""
    monday = date(2026, 1, 5)
    assert monday.weekday() == 0 and monday.strftime("%A") == "Monday"
    plan = DailySchedule(time(22), "Europe/Berlin", frozenset({0}))
    fired = list(walk(plan, date(2026, 1, 1), date(2026, 1, 31)))
    assert [o.local_date for o in fired] == [date(2026, 1, d) for d in (5, 12, 19, 26)]
    assert all(o.local_date.strftime("%A") == "Monday" for o in fired)


@pytest.mark.parametrize(
    "days",
    [WEEKDAYS, WEEKEND, frozenset({2}), frozenset({6}), frozenset({0, 3})],
    ids=["weekdays", "weekend", "wednesday", "sunday", "mon-thu"],
)
def test_custom_days_over_a_year(days: frozenset[int]) -> None:
    plan = DailySchedule(time(2, 30), "Europe/Berlin", days)  # DST days included
    fired = [o.local_date for o in walk(plan, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))]
    assert fired == [day for day in YEAR_DAYS if day.weekday() in days]


def test_weekday_mask_conversion() -> None:
    assert days_to_mask(ALL_DAYS) == 0b1111111
    assert days_to_mask(WEEKDAYS) == 0b0011111
    assert days_to_mask(WEEKEND) == 0b1100000
    assert days_to_mask([0]) == 1  # Monday is bit 0
    assert days_to_mask([6, 6]) == 64  # duplicates are harmless
    for mask in range(1, 128):
        assert days_to_mask(mask_to_days(mask)) == mask
    assert mask_to_days(0b0000101) == frozenset({0, 2})


@pytest.mark.parametrize("days", [[], [7], [-1], [True], ["1"]])
def test_days_to_mask_rejects(days: list[object]) -> None:
    with pytest.raises(ValueError):
        days_to_mask(days)  # type: ignore[arg-type]


@pytest.mark.parametrize("mask", [0, 128, -1, 255, True])
def test_mask_to_days_rejects(mask: int) -> None:
    with pytest.raises(ValueError):
        mask_to_days(mask)


# --- catch-up after downtime ---------------------------------------------------------------

BERLIN_22 = DailySchedule(time(22), "Europe/Berlin")
JAN_10_FIRE = datetime(2026, 1, 10, 21, tzinfo=UTC)  # 22:00 CET
GRACE = timedelta(hours=2)


def test_missed_by_30_minutes_is_due_once() -> None:
    now = JAN_10_FIRE + timedelta(minutes=30)
    due = due_occurrence(BERLIN_22, now=now, last_sent_date=date(2026, 1, 9), grace=GRACE)
    assert due == Occurrence(date(2026, 1, 10), JAN_10_FIRE)
    # once recorded as sent, nothing more is due, however often the tick runs
    assert due_occurrence(BERLIN_22, now=now, last_sent_date=due.local_date, grace=GRACE) is None
    again = now + timedelta(minutes=1)
    assert due_occurrence(BERLIN_22, now=again, last_sent_date=due.local_date, grace=GRACE) is None


def test_missed_by_3_hours_is_skipped() -> None:
    now = JAN_10_FIRE + timedelta(hours=3)
    assert due_occurrence(BERLIN_22, now=now, last_sent_date=date(2026, 1, 9), grace=GRACE) is None
    # ...and the next one is tomorrow's, not the missed one
    upcoming = next_occurrence(BERLIN_22, after=now, last_sent_date=date(2026, 1, 9))
    assert upcoming.local_date == date(2026, 1, 11)


def test_nothing_due_when_today_was_sent() -> None:
    now = JAN_10_FIRE + timedelta(minutes=5)
    assert due_occurrence(BERLIN_22, now=now, last_sent_date=date(2026, 1, 10), grace=GRACE) is None


def test_due_boundaries() -> None:
    never_sent = None
    assert due_occurrence(BERLIN_22, now=JAN_10_FIRE, last_sent_date=never_sent, grace=GRACE)
    before = JAN_10_FIRE - timedelta(seconds=1)
    # just before tonight's: the most recent is yesterday's, 24 h old → outside grace
    assert due_occurrence(BERLIN_22, now=before, last_sent_date=never_sent, grace=GRACE) is None
    edge = JAN_10_FIRE + GRACE
    assert due_occurrence(BERLIN_22, now=edge, last_sent_date=never_sent, grace=GRACE)
    late = edge + timedelta(seconds=1)
    assert due_occurrence(BERLIN_22, now=late, last_sent_date=never_sent, grace=GRACE) is None
    with pytest.raises(ValueError, match="grace"):
        due_occurrence(BERLIN_22, now=edge, last_sent_date=None, grace=-GRACE)


def test_after_days_of_downtime_only_the_latest_is_due() -> None:
    now = JAN_10_FIRE + timedelta(days=3, minutes=10)
    due = due_occurrence(BERLIN_22, now=now, last_sent_date=date(2026, 1, 9), grace=GRACE)
    assert due is not None and due.local_date == date(2026, 1, 13)
    huge = timedelta(days=30)
    due = due_occurrence(BERLIN_22, now=now, last_sent_date=date(2026, 1, 9), grace=huge)
    assert due is not None and due.local_date == date(2026, 1, 13)


def test_due_respects_weekdays() -> None:
    weekdays_only = DailySchedule(time(22), "Europe/Berlin", WEEKDAYS)
    saturday_night = datetime(2026, 1, 10, 21, 30, tzinfo=UTC)  # 2026-01-10 is a Saturday
    assert (
        due_occurrence(weekdays_only, now=saturday_night, last_sent_date=None, grace=GRACE) is None
    )
    friday = due_occurrence(
        weekdays_only, now=saturday_night, last_sent_date=None, grace=timedelta(days=2)
    )
    assert friday is not None and friday.local_date == date(2026, 1, 9)


def test_due_on_a_gap_day() -> None:
    plan = DailySchedule(time(2, 30), "Europe/Berlin")
    now = datetime(2026, 3, 29, 1, 10, tzinfo=UTC)  # 03:10 CEST
    due = due_occurrence(plan, now=now, last_sent_date=date(2026, 3, 28), grace=GRACE)
    assert due == Occurrence(date(2026, 3, 29), datetime(2026, 3, 29, 1, tzinfo=UTC))


# --- describing ----------------------------------------------------------------------------


def test_describe_relative_day() -> None:
    zone = "Europe/Berlin"
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)  # Monday 13:00 in Berlin
    occurrence = next_occurrence(BERLIN_22, after=now)
    assert describe(occurrence, now, zone).kind is DayKind.TODAY
    assert local_time_of(occurrence, zone) == time(22)
    tomorrow = next_occurrence(BERLIN_22, after=occurrence.fire_at)
    assert describe(tomorrow, now, zone).kind is DayKind.TOMORROW
    friday_only = DailySchedule(time(22), zone, frozenset({4}))
    friday = describe(next_occurrence(friday_only, after=now), now, zone)
    assert (friday.kind, friday.weekday, friday.local_date) == (
        DayKind.WEEKDAY,
        4,
        date(2026, 1, 9),
    )
    monday_only = DailySchedule(time(12), zone, frozenset({0}))  # 12:00 today has passed
    next_monday = describe(next_occurrence(monday_only, after=now), now, zone)
    assert (next_monday.kind, next_monday.local_date) == (DayKind.DATE, date(2026, 1, 12))


def test_describe_uses_the_users_calendar_not_utc() -> None:
    plan = DailySchedule(time(23, 30), "Europe/Berlin")
    now = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)  # 00:30 on Jan 6 in Berlin, Jan 5 in UTC
    occurrence = next_occurrence(plan, after=now)  # 23:30 Berlin on Jan 6 = 22:30Z
    assert occurrence.local_date == date(2026, 1, 6)
    # for the Berlin user it is tonight, although in UTC (and New York) it is tomorrow
    assert describe(occurrence, now, "Europe/Berlin").kind is DayKind.TODAY
    assert describe(occurrence, now, "UTC").kind is DayKind.TOMORROW
    assert describe(occurrence, now, "America/New_York").kind is DayKind.TOMORROW


# --- parsing typed times -------------------------------------------------------------------

ACCEPTED = [
    ("22:15", time(22, 15)),
    ("22.15", time(22, 15)),
    ("2215", time(22, 15)),
    ("930", time(9, 30)),
    ("0930", time(9, 30)),
    ("22h", time(22)),
    ("22h15", time(22, 15)),
    ("22 h 15", time(22, 15)),
    ("10:15pm", time(22, 15)),
    ("10:15 PM", time(22, 15)),
    ("10 pm", time(22)),
    ("10pm", time(22)),
    ("10PM", time(22)),
    ("10.15 p.m.", time(22, 15)),
    ("10.15 p.m", time(22, 15)),
    ("1015pm", time(22, 15)),
    ("9:05 am", time(9, 5)),
    ("12am", time(0)),
    ("12 pm", time(12)),
    ("12:30am", time(0, 30)),
    ("9", time(9)),  # bare hours are 24-hour clock, never guessed as pm
    ("09", time(9)),
    ("21", time(21)),
    ("0", time(0)),
    ("00:30", time(0, 30)),
    ("23:59", time(23, 59)),
    ("noon", time(12)),
    ("Midnight", time(0)),
    ("  22:15  ", time(22, 15)),
    ("24:00", time(0)),  # chosen: 24:00 is midnight, the same daily wall time as 00:00
    ("24", time(0)),
    ("2400", time(0)),
]
REJECTED = [
    "25:99",
    "24:01",
    "24:30",
    "13pm",
    "0am",
    "0 pm",
    "tomorrow",
    "",
    "   ",
    "99",
    "10:60",
    "22:5",
    "-1",
    "22:",
    ":30",
    "2:3:4",
    "2261",
    "12345",
    "10 p",
    "pm",
    "٢٢:١٥",  # Arabic-Indic digits: \d would accept these, we don't
    "22:15" + " " * 100,
    "1" * 10_000,
    "x" * 10_000,
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_parse_time_of_day_accepts(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", REJECTED, ids=lambda text: repr(text[:12]))
def test_parse_time_of_day_rejects(text: str) -> None:
    assert parse_time_of_day(text) is None
