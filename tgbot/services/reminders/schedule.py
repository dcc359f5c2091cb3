"""Daily wall-clock reminders: which UTC instant "22:00 in Berlin" is on a given local day.

Pure domain logic (no Telegram, no storage, no clock reads): every function takes the
current instant as an argument, so the sending engine and the tests drive it with any clock.

Semantics follow cron(8), as agreed in perf-notes G9:

* A reminder belongs to one *local calendar day* of the user and is sent at most once per
  local day, no matter how the zone's offset moves.
* A wall time that does not exist that day (spring-forward gap) fires at the first instant
  after the gap, which is the transition instant itself: Berlin 2026-03-29 02:30 → 03:00
  CEST = 01:00 UTC.
* A wall time that happens twice (autumn fold) fires once, at its first occurrence
  (``fold=0``).
* A day whose chosen time falls into a gap that runs past midnight (so the first instant
  after the gap already reads the *next* local day: Pacific/Apia skipped 2011-12-30
  entirely, Pacific/Efate 1973 jumped 23:00 → 00:00) has no reminder of its own in
  :func:`next_occurrence` and :func:`due_occurrence`: the next day's reminder follows within
  hours, and firing both would send two on one calendar day. So for every occurrence
  those two return, ``fire_at`` read in the zone falls on ``local_date``. This is
  historic data only: no zone has such a gap between 2012 and 2040 (tzdata 2025b/2026f).

Weekdays use Python's ``date.weekday()`` convention everywhere: 0 = Monday … 6 = Sunday.
(PTB's ``JobQueue.run_daily(days=…)`` uses 0 = Sunday; this module never uses that one.)
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tgbot.services.zones import load_zone

__all__ = [
    "ALL_DAYS",
    "WEEKDAYS",
    "WEEKEND",
    "DailySchedule",
    "DayKind",
    "Occurrence",
    "RelativeDay",
    "SpokenWhen",
    "TimeProblem",
    "days_to_mask",
    "describe",
    "due_occurrence",
    "local_time_of",
    "mask_to_days",
    "next_occurrence",
    "occurrence_on",
    "parse_time_of_day",
    "spoken_when",
    "time_problem",
]

ALL_DAYS: frozenset[int] = frozenset(range(7))
WEEKDAYS: frozenset[int] = frozenset(range(5))
WEEKEND: frozenset[int] = frozenset({5, 6})

# How many local days next_occurrence looks ahead. A week covers any weekday set; the rest
# is headroom for skipped days and zone shifts of up to 24 h. Bounding the search is what
# keeps a broken zone or schedule from hanging the tick (APScheduler #1021 / #1036).
_SEARCH_DAYS = 15
_ONE_DAY = timedelta(days=1)


# --- weekdays ------------------------------------------------------------------------------


def _valid_days(days: Iterable[int]) -> frozenset[int]:
    result = frozenset(days)
    if not result:
        raise ValueError("a schedule needs at least one weekday")
    for day in result:
        # bool is an int subclass; True as "Tuesday" would be a silent bug.
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValueError(f"weekday must be an int 0 (Monday) … 6 (Sunday), got {day!r}")
    return result


def days_to_mask(days: Iterable[int]) -> int:
    """Weekdays as a bit mask for storage: bit i set = weekday i (0 = Monday)."""
    mask = 0
    for day in _valid_days(days):
        mask |= 1 << day
    return mask


def mask_to_days(mask: int) -> frozenset[int]:
    """The inverse of :func:`days_to_mask`; rejects 0 and bits above Sunday."""
    if isinstance(mask, bool) or not isinstance(mask, int) or not 0 < mask < 1 << 7:
        raise ValueError(f"weekday mask must be 1…127, got {mask!r}")
    return frozenset(day for day in range(7) if mask >> day & 1)


# --- the schedule --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailySchedule:
    """A reminder at a local wall-clock time on some weekdays, in an IANA zone."""

    at: time  # naive local wall-clock time, minute precision
    zone: str  # IANA name, e.g. "Europe/Berlin"
    days: frozenset[int] = ALL_DAYS
    # Resolved once here rather than per computation: ZoneInfo() is a cache lookup, but
    # next_occurrence runs for every user on every tick.
    tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None:
            raise ValueError("DailySchedule.at must be a naive wall-clock time")
        if self.at.second or self.at.microsecond:
            raise ValueError("DailySchedule.at has minute precision")
        object.__setattr__(self, "days", _valid_days(self.days))
        object.__setattr__(self, "tz", load_zone(self.zone))


@dataclass(frozen=True, slots=True)
class Occurrence:
    local_date: date  # the user's local calendar day this reminder belongs to
    fire_at: datetime  # aware, UTC: the instant to send


# --- computing instants --------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    # A naive datetime would be read as the *server's* local time by astimezone(): the
    # classic "job never fires" bug (PTB #3263). Refuse it instead of guessing.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _first_instant_from(wall: datetime, tz: ZoneInfo) -> tuple[datetime, bool]:
    """The first instant whose local reading is ``wall`` or later (cron's rule).

    Returns (instant in UTC, whether ``wall`` fell into a gap). For an existing wall time
    that is the wall time itself, the first one if it repeats; zoneinfo's fold=0 already
    means "the offset before the transition", which picks the earlier of two repeats.
    """
    fire = wall.replace(tzinfo=tz).astimezone(UTC)
    if fire.astimezone(tz).replace(tzinfo=None) == wall:  # == ignores fold: fine here
        return fire, False
    return _end_of_gap(wall, tz, after=fire), True


def _end_of_gap(wall: datetime, tz: ZoneInfo, *, after: datetime) -> datetime:
    """The transition instant that skipped ``wall``, to the second (tzdata's precision).

    ``after`` (wall read with the pre-jump offset) lies past the jump; ``wall`` read with
    the post-jump offset (fold=1) lies before it. Binary search between them for the first
    instant whose reading is >= wall; gaps are at most a day, so <= 17 steps, and this
    runs only on transition days.
    """
    low = int(wall.replace(tzinfo=tz, fold=1).timestamp())  # reads < wall
    high = int(after.timestamp())  # reads > wall
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def occurrence_on(schedule: DailySchedule, local_date: date) -> Occurrence:
    """The instant of the reminder for ``local_date`` (weekdays are not checked here).

    Gap → the transition instant; fold → the first occurrence. In the historic case of a
    gap running past midnight, ``fire_at`` reads the next local day (see module docstring);
    next_occurrence and due_occurrence skip such days.
    """
    fire_at, _ = _first_instant_from(datetime.combine(local_date, schedule.at), schedule.tz)
    return Occurrence(local_date, fire_at)


def _held_occurrence(schedule: DailySchedule, local_date: date) -> Occurrence | None:
    """The day's occurrence, or None if its time was swallowed together with the day's end."""
    tz = schedule.tz
    fire_at, in_gap = _first_instant_from(datetime.combine(local_date, schedule.at), tz)
    if in_gap and fire_at.astimezone(tz).date() != local_date:
        return None
    return Occurrence(local_date, fire_at)


def next_occurrence(
    schedule: DailySchedule, *, after: datetime, last_sent_date: date | None = None
) -> Occurrence:
    """The earliest occurrence with ``fire_at > after`` on an allowed weekday whose
    ``local_date`` is strictly after ``last_sent_date``.

    Feeding back the previous result (``after=prev.fire_at, last_sent_date=prev.local_date``)
    yields exactly one reminder per local day with strictly increasing instants, across any
    DST change. The search is bounded to 15 local days and raises ValueError past that
    (unreachable with a valid schedule: any weekday set recurs within 7 days), so no input
    can make the scheduler loop.
    """
    _require_aware(after, "after")
    try:
        # One day of slack before after's local date: a fold across midnight could let an
        # earlier local date's instant still lie ahead. Cheap: usually last_sent_date
        # moves the start past it anyway.
        day = after.astimezone(schedule.tz).date() - _ONE_DAY
        if last_sent_date is not None and day <= last_sent_date:
            day = last_sent_date + _ONE_DAY
        for _ in range(_SEARCH_DAYS):
            if day.weekday() in schedule.days:
                occurrence = _held_occurrence(schedule, day)
                if occurrence is not None and occurrence.fire_at > after:
                    return occurrence
            day += _ONE_DAY
    except OverflowError as error:  # dates near year 1 or 9999
        raise ValueError("no occurrence within the supported date range") from error
    raise ValueError(f"no occurrence within {_SEARCH_DAYS} days after {after.isoformat()}")


def due_occurrence(
    schedule: DailySchedule, *, now: datetime, last_sent_date: date | None, grace: timedelta
) -> Occurrence | None:
    """The reminder to send now, if any: for catch-up after downtime or a late tick.

    That is the most recent occurrence with ``fire_at <= now``, if its ``local_date`` is
    after ``last_sent_date`` and it is at most ``grace`` old. An older missed reminder is
    never sent once a newer one has fired: each local day is either sent once or skipped.
    """
    _require_aware(now, "now")
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    try:
        # Start one day ahead for the same fold-across-midnight reason as next_occurrence
        # and walk back to the first occurrence that is not in the future.
        day = now.astimezone(schedule.tz).date() + _ONE_DAY
        for _ in range(_SEARCH_DAYS):
            if last_sent_date is not None and day <= last_sent_date:
                return None
            if day.weekday() in schedule.days:
                occurrence = _held_occurrence(schedule, day)
                if occurrence is not None and occurrence.fire_at <= now:
                    return occurrence if now - occurrence.fire_at <= grace else None
            day -= _ONE_DAY
    except OverflowError:
        return None
    return None


# --- describing an occurrence to the user --------------------------------------------------


class DayKind(enum.Enum):
    TODAY = "today"
    TOMORROW = "tomorrow"
    WEEKDAY = "weekday"  # 2–6 days ahead: "on Friday"
    DATE = "date"  # a week or more ahead (or in the past): "on 3 April"


@dataclass(frozen=True, slots=True)
class RelativeDay:
    """Which wording the confirmation needs; the words themselves live in content files."""

    kind: DayKind
    local_date: date

    @property
    def weekday(self) -> int:
        """0 = Monday … 6 = Sunday, for the WEEKDAY wording."""
        return self.local_date.weekday()


def describe(occurrence: Occurrence, now: datetime, zone: str) -> RelativeDay:
    """When ``occurrence`` is, relative to ``now``, on the user's calendar in ``zone``.

    Uses the calendar day ``fire_at`` reads in ``zone`` (what the user's clock will show).
    A 00:30 reminder seen at 22:00 is TOMORROW; turning that into "tonight" is wording.
    """
    _require_aware(now, "now")
    tz = load_zone(zone)
    day = occurrence.fire_at.astimezone(tz).date()
    ahead = (day - now.astimezone(tz).date()).days
    if ahead == 0:
        kind = DayKind.TODAY
    elif ahead == 1:
        kind = DayKind.TOMORROW
    elif 2 <= ahead <= 6:
        kind = DayKind.WEEKDAY
    else:
        kind = DayKind.DATE
    return RelativeDay(kind, day)


class SpokenWhen(enum.Enum):
    """How to say when a reminder comes, by day and part of the day in the user's zone.
    The words live in content files (``when_<value>``)."""

    THIS_MORNING = "this_morning"
    THIS_AFTERNOON = "this_afternoon"
    THIS_EVENING = "this_evening"
    TONIGHT = "tonight"
    TOMORROW_MORNING = "tomorrow_morning"
    TOMORROW_AFTERNOON = "tomorrow_afternoon"
    TOMORROW_EVENING = "tomorrow_evening"
    TOMORROW_NIGHT = "tomorrow_night"
    WEEKDAY = "weekday"  # 2–6 days ahead: "on Friday"
    DATE = "date"  # further: "on 2026-12-01"


# Hours that start each part of the day. 00:00–04:59 belongs to the night before: a 00:30
# reminder seen at 22:00 is "tonight", not "tomorrow morning"; seen at 02:00, a reminder at
# 03:00 or at 22:00 that day are both "tonight" (the time tells them apart).
_MORNING, _AFTERNOON, _EVENING, _NIGHT = 5, 12, 17, 21


def spoken_when(fire_at: datetime, now: datetime, zone: str) -> tuple[SpokenWhen, date]:
    """How to say when ``fire_at`` comes, seen at ``now`` in ``zone``, and its local date
    (for the weekday and date wordings)."""
    _require_aware(now, "now")
    tz = load_zone(zone)
    local, today = fire_at.astimezone(tz), now.astimezone(tz)
    hour = local.hour
    if hour < _MORNING or hour >= _NIGHT:
        evening = local.date() - _ONE_DAY if hour < _MORNING else local.date()
        nights = (evening - today.date()).days
        if nights <= 0:
            return SpokenWhen.TONIGHT, local.date()
        if nights == 1:
            return SpokenWhen.TOMORROW_NIGHT, local.date()
    ahead = (local.date() - today.date()).days
    if ahead in (0, 1) and _MORNING <= hour < _NIGHT:
        part = "morning" if hour < _AFTERNOON else "afternoon" if hour < _EVENING else "evening"
        return SpokenWhen(f"{'this' if ahead == 0 else 'tomorrow'}_{part}"), local.date()
    if 1 <= ahead <= 6:
        return SpokenWhen.WEEKDAY, local.date()
    return SpokenWhen.DATE, local.date()


def local_time_of(occurrence: Occurrence, zone: str) -> time:
    """The wall-clock time the user sees when ``occurrence`` fires (03:00 on a gap day)."""
    return occurrence.fire_at.astimezone(load_zone(zone)).time().replace(fold=0)


# --- parsing what people type --------------------------------------------------------------

_MAX_TIME_TEXT = 64  # far longer than any accepted spelling; cheap rejection of essays
_NAMED_TIMES = {"noon": time(12), "midday": time(12), "midnight": time(0)}
# [0-9], not \d: \d also matches other scripts' digits, which int() would silently accept.
_CLOCK_24 = re.compile(
    r"(?P<hour>[0-9]{1,2})(?:[:.](?P<minute>[0-9]{2}))?"  # 22  22:15  22.15
    r"|(?P<hour_h>[0-9]{1,2})\s*h\s*(?P<minute_h>[0-9]{2})?"  # 22h  22h15  22 h 15
    r"|(?P<hour_c>[0-9]{1,2})(?P<minute_c>[0-9]{2})"  # 2215  930
)
_CLOCK_12 = re.compile(
    r"(?P<hour>[0-9]{1,2})(?:[:.]?(?P<minute>[0-9]{2}))?\s*(?P<half>[ap])\.?\s*m\.?"
)


def parse_time_of_day(text: str) -> time | None:
    """A wall-clock time from what people type, or None if it isn't one.

    Accepted: ``22:15``, ``22.15``, ``2215``, ``930``, ``22h``, ``22h15``, ``10:15pm``,
    ``10:15 PM``, ``10 pm``, ``10.15 p.m.``, ``noon``, ``midday``, ``midnight``; case and
    surrounding spaces don't matter.

    Rules:

    * Without am/pm the clock is 24-hour: a bare ``9`` is 09:00 and ``21`` is 21:00. We do
      not guess that a bedtime "9" means 21:00; the caller echoes the parsed time back for
      confirmation, and "9pm" or "21" says it unambiguously.
    * With am/pm the hour must be 1–12; ``12am`` is 00:00 and ``12pm`` is 12:00
      (``0am``, ``13pm`` → None).
    * Minutes are exactly two digits 00–59 (``22:5`` → None: 22:05 or 22:50?).
    * ``24:00`` (also ``24``, ``2400``, ``24h``) means midnight and returns 00:00: for a
      daily reminder "24:00" and "00:00" are the same wall time. ``24:01`` and up → None.
    """
    if len(text) > _MAX_TIME_TEXT:
        return None
    cleaned = " ".join(text.split()).casefold()
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    if match := _CLOCK_12.fullmatch(cleaned):
        return _twelve_hour(int(match["hour"]), int(match["minute"] or 0), match["half"] == "p")
    if match := _CLOCK_24.fullmatch(cleaned):
        hour = match["hour"] or match["hour_h"] or match["hour_c"]
        minute = match["minute"] or match["minute_h"] or match["minute_c"] or "0"
        return _twenty_four_hour(int(hour), int(minute))
    return None


class TimeProblem(enum.Enum):
    """Why typed text is not a time of day, so the reply can say what to fix."""

    HOUR = "hour"  # read as a clock time, but no such hour ("25:00", "13pm")
    MINUTE = "minute"  # no such minute ("22:75")
    UNREADABLE = "unreadable"  # not a clock time at all ("soon")


def time_problem(text: str) -> TimeProblem | None:
    """What is wrong with ``text`` as a time of day, or None if parse_time_of_day reads it."""
    if parse_time_of_day(text) is not None:
        return None
    cleaned = " ".join(text.split()).casefold()[:_MAX_TIME_TEXT]
    if match := _CLOCK_12.fullmatch(cleaned):
        hour, minute, last_hour = int(match["hour"]), int(match["minute"] or 0), 12
    elif match := _CLOCK_24.fullmatch(cleaned):
        hour = int(match["hour"] or match["hour_h"] or match["hour_c"])
        minute = int(match["minute"] or match["minute_h"] or match["minute_c"] or "0")
        last_hour = 24
    else:
        return TimeProblem.UNREADABLE
    if hour > last_hour or (hour == 0 and last_hour == 12) or (hour == 24 and minute):
        return TimeProblem.HOUR
    return TimeProblem.MINUTE if minute > 59 else TimeProblem.UNREADABLE


def _twelve_hour(hour: int, minute: int, pm: bool) -> time | None:
    if not 1 <= hour <= 12 or not 0 <= minute <= 59:
        return None
    return time(hour % 12 + (12 if pm else 0), minute)


def _twenty_four_hour(hour: int, minute: int) -> time | None:
    if hour == 24 and minute == 0:
        return time(0)
    if not 0 <= hour <= 23 or not 0 <= minute <= 59:
        return None
    return time(hour, minute)
