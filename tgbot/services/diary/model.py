"""Cramp diary: the entry model, period summaries and the "maybe see a doctor" nudges.

Pure domain logic (stdlib only, no storage, no clock reads, no text): every function takes
``today`` (the user's local calendar day) as an argument, and every user-facing word is
chosen by the caller from a :class:`NudgeReason`, a trend code or a site code.

The bot never diagnoses and never claims causation. The routine comparison is counts only;
the nudges follow the content facts sheet (sections 5 and 6): "frequent cramps", "cramps
disturbing sleep" and "a cramp over 10 minutes" are reasons to talk to a doctor.

Days are the user's *local* calendar days (``DiaryEntry.local_date``, the local date of
``occurred_at``). A night cramp at 03:00 belongs to that morning's date, not the evening
before; see :func:`summarize` for what that means for the routine comparison.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

__all__ = [
    "DURATIONS",
    "LONG_DURATION",
    "NUDGE_QUIET_DAYS",
    "SEVERITY_BANDS",
    "SIDES",
    "SITES",
    "UNRATED",
    "DiaryEntry",
    "DiarySummary",
    "NudgeReason",
    "PeriodStats",
    "RoutineComparison",
    "Trend",
    "nudges_due",
    "period_stats",
    "severity_band",
    "summarize",
]

SITES = ("calf", "thigh_front", "thigh_back", "foot", "hand", "neck", "back", "other")
SIDES = ("left", "right", "both")
DURATIONS = ("under_1", "1_to_10", "over_10")
LONG_DURATION = "over_10"  # NHS: a cramp over 10 minutes is a reason to get advice
SEVERITY_MIN, SEVERITY_MAX = 1, 10
# The usual 0-10 pain-scale bands; renderers colour by band and fill {low}/{high} from here.
SEVERITY_BANDS: tuple[tuple[str, int, int], ...] = (
    ("mild", 1, 3),
    ("moderate", 4, 6),
    ("severe", 7, 10),
)
UNRATED = "unrated"

Trend = Literal["up", "down", "same", "new"]
Size = Literal["empty", "tiny", "normal"]
TINY_BELOW = 3  # fewer entries than this in the period: too few to say much

# Trend: a change counts only if it is at least this many cramps *and* this share of the
# previous period; small diaries jump around by chance.
TREND_MIN_CHANGE = 2
TREND_MIN_SHARE = 0.2

# Nudges (see nudges_due).
NUDGE_QUIET_DAYS = 14
MOST_NIGHTS_PER_WEEK = 4  # "most nights": at least 4 of 7, in each of the last two weeks
LONG_CRAMP_RECENT_DAYS = 3  # a long cramp logged for today, yesterday or the day before
SURGE_MIN_CRAMPS = 4  # at least this many cramps in the last 7 days ...
SURGE_FACTOR = 2  # ... and at least twice the usual weekly rate
SURGE_BASELINE_DAYS = 28  # "usual" = the 4 weeks before the last 7 days ...
SURGE_MIN_BASELINE_DAYS = 14  # ... of which the diary must cover at least 2 weeks


@dataclass(frozen=True)
class DiaryEntry:
    """One logged cramp. Plain and picklable: renderers receive it in a worker process."""

    id: int
    occurred_at: datetime  # aware, UTC
    local_date: date  # the user's local calendar day of occurred_at
    site: str  # one of SITES
    side: str | None = None  # one of SIDES
    severity: int | None = None  # 1-10
    duration: str | None = None  # one of DURATIONS
    note: str | None = None
    # The wall-clock time the person meant (naive); it never moves when their zone changes.
    local_time: datetime | None = None

    def __post_init__(self) -> None:
        # Fail where a bad row enters the domain, not deep inside a chart.
        if self.occurred_at.tzinfo is None:
            raise ValueError(f"entry {self.id}: occurred_at must be time-zone aware")
        if self.local_time is not None and self.local_time.tzinfo is not None:
            raise ValueError(f"entry {self.id}: local_time is a wall-clock time, without zone")
        if self.site not in SITES:
            raise ValueError(f"entry {self.id}: unknown site {self.site!r}")
        if self.side is not None and self.side not in SIDES:
            raise ValueError(f"entry {self.id}: unknown side {self.side!r}")
        if self.duration is not None and self.duration not in DURATIONS:
            raise ValueError(f"entry {self.id}: unknown duration {self.duration!r}")
        if self.severity is not None and not SEVERITY_MIN <= self.severity <= SEVERITY_MAX:
            raise ValueError(f"entry {self.id}: severity {self.severity} is not 1-10")


@dataclass(frozen=True)
class PeriodStats:
    """Counts over the local days ``start`` to ``end`` (both included)."""

    start: date
    end: date
    cramps: int
    nights_with_cramps: int  # distinct local dates with at least one cramp
    by_site: dict[str, int]  # only sites that occur; most frequent first, ties in SITES order
    mean_severity: float | None  # over the rated cramps only; None if none was rated
    long_cramps: int  # duration over_10
    rated: int = 0  # cramps with a severity
    max_severity: int | None = None
    by_duration: dict[str, int] | None = None  # DURATIONS order, zeros kept; "unknown" last

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class RoutineComparison:
    """Cramps on days the bedtime routine was marked Done versus the other days.

    Covers the complete days of the period since reminders began (today is left out: its
    routine may still be ahead). Counts only: never present it as cause and effect.

    * ``nights_with`` / ``nights_without``: how many days had the routine marked Done / not.
      Adherence is ``nights_with`` of ``nights_with + nights_without``.
    * ``cramps_with`` / ``cramps_without``: cramps logged on those days.
    * ``cramp_nights_with`` / ``cramp_nights_without``: how many of those days had a cramp.
    """

    cramps_with: int
    nights_with: int
    cramps_without: int
    nights_without: int
    cramp_nights_with: int = 0
    cramp_nights_without: int = 0

    @property
    def days(self) -> int:
        return self.nights_with + self.nights_without


@dataclass(frozen=True)
class DiarySummary:
    current: PeriodStats
    previous: PeriodStats  # the same number of days just before current
    trend: Trend
    top_site: str | None  # None when empty or when two sites share the top count
    routine: RoutineComparison | None
    size: Size  # empty: no cramps in the period; tiny: fewer than 3


class NudgeReason(enum.Enum):
    """Why to suggest talking to a doctor. Listed (and returned) most important first;
    the values are stable codes for storage and text keys."""

    LONG_CRAMP = "long_cramp"  # a cramp lasting over 10 minutes, logged in the last 3 days
    MOST_NIGHTS = "most_nights"  # cramps on at least 4 of 7 nights in each of the last 2 weeks
    SUDDEN_INCREASE = "sudden_increase"  # >= 4 cramps in 7 days and >= 2x the usual week


def severity_band(severity: int | None) -> str:
    """ "mild", "moderate", "severe" (SEVERITY_BANDS) or "unrated"."""
    if severity is None:
        return UNRATED
    for name, low, high in SEVERITY_BANDS:
        if low <= severity <= high:
            return name
    raise ValueError(f"severity {severity} is not 1-10")


def _within(entries: Iterable[DiaryEntry], start: date, end: date) -> list[DiaryEntry]:
    return [entry for entry in entries if start <= entry.local_date <= end]


def _ranked(counts: Mapping[str, int], order: Sequence[str]) -> dict[str, int]:
    """Most frequent first; ties keep the catalogue order so output is stable."""
    present = [key for key in order if counts.get(key, 0) > 0]
    present.sort(key=lambda key: -counts[key])  # sort is stable: ties stay in `order`
    return {key: counts[key] for key in present}


def period_stats(entries: Iterable[DiaryEntry], start: date, end: date) -> PeriodStats:
    """Counts for the entries whose local date lies in ``start``..``end``."""
    if end < start:
        raise ValueError("end is before start")
    inside = _within(entries, start, end)
    severities = [entry.severity for entry in inside if entry.severity is not None]
    durations = Counter(entry.duration or "unknown" for entry in inside)
    return PeriodStats(
        start=start,
        end=end,
        cramps=len(inside),
        nights_with_cramps=len({entry.local_date for entry in inside}),
        by_site=_ranked(Counter(entry.site for entry in inside), SITES),
        mean_severity=sum(severities) / len(severities) if severities else None,
        long_cramps=durations[LONG_DURATION],
        rated=len(severities),
        max_severity=max(severities) if severities else None,
        by_duration={key: durations[key] for key in (*DURATIONS, "unknown")},
    )


def _trend(current: int, previous: int, has_history: bool) -> Trend:
    if not has_history:
        return "new"  # nothing logged before this period: nothing to compare with
    change = current - previous
    if abs(change) < TREND_MIN_CHANGE or abs(change) < TREND_MIN_SHARE * previous:
        return "same"
    return "up" if change > 0 else "down"


def _top_site(by_site: Mapping[str, int]) -> str | None:
    counts = list(by_site.values())
    if not counts or (len(counts) > 1 and counts[0] == counts[1]):
        return None  # "most were in the calf" would be untrue on a tie
    return next(iter(by_site))


def _routine(
    current: Sequence[DiaryEntry],
    done_dates: Collection[date],
    start: date,
    today: date,
    since: date | None,
) -> RoutineComparison | None:
    if since is None:
        return None
    first, last = max(start, since), today - timedelta(days=1)
    if first > last:
        return None
    per_day = Counter(entry.local_date for entry in current)
    done = set(done_dates)
    totals = Counter[str]()
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        group = "with" if day in done else "without"
        totals[f"nights_{group}"] += 1
        totals[f"cramps_{group}"] += per_day[day]
        totals[f"cramp_nights_{group}"] += per_day[day] > 0
    return RoutineComparison(
        cramps_with=totals["cramps_with"],
        nights_with=totals["nights_with"],
        cramps_without=totals["cramps_without"],
        nights_without=totals["nights_without"],
        cramp_nights_with=totals["cramp_nights_with"],
        cramp_nights_without=totals["cramp_nights_without"],
    )


def summarize(
    entries: Sequence[DiaryEntry],
    done_dates: Collection[date],
    today: date,
    days: int = 30,
    *,
    reminders_since: date | None = None,
) -> DiarySummary:
    """The last ``days`` local days up to ``today`` (included) against the ``days`` before.

    * ``trend``: "new" if nothing was logged before this period; otherwise "up"/"down" when
      the cramp count changed by at least 2 *and* at least 20 % of the previous period,
      else "same".
    * ``routine``: days from ``reminders_since`` (the day bedtime reminders were first
      turned on; defaults to the first Done date) up to yesterday, split by whether the
      routine was marked Done that day. A cramp counts on its own local date, so a 03:00
      cramp pairs with the routine of the *following* evening: the numbers describe days,
      not nights after a routine. None when reminders had not begun or no day is complete.
    * ``size``: "empty" (no cramps), "tiny" (1-2) or "normal".
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    start = today - timedelta(days=days - 1)
    previous_start = start - timedelta(days=days)
    current = period_stats(entries, start, today)
    previous = period_stats(entries, previous_start, start - timedelta(days=1))
    has_history = any(entry.local_date < start for entry in entries)
    since = reminders_since if reminders_since is not None else min(done_dates, default=None)
    size: Size = (
        "empty" if current.cramps == 0 else "tiny" if current.cramps < TINY_BELOW else "normal"
    )
    return DiarySummary(
        current=current,
        previous=previous,
        trend=_trend(current.cramps, previous.cramps, has_history),
        top_site=_top_site(current.by_site),
        routine=_routine(_within(entries, start, today), done_dates, start, today, since),
        size=size,
    )


class _DayIndex:
    """Per-day counts so each nudge condition can be evaluated for any day cheaply."""

    def __init__(self, entries: Iterable[DiaryEntry], today: date) -> None:
        kept = [entry for entry in entries if entry.local_date <= today]  # ignore clock skew
        self.cramps = Counter(entry.local_date for entry in kept)
        self.long_days = {entry.local_date for entry in kept if entry.duration == LONG_DURATION}
        self.first = min((entry.local_date for entry in kept), default=None)

    def count(self, first: date, last: date) -> int:
        return sum(self.cramps[first + timedelta(days=i)] for i in range((last - first).days + 1))

    def nights(self, first: date, last: date) -> int:
        return sum(
            self.cramps[first + timedelta(days=i)] > 0 for i in range((last - first).days + 1)
        )

    def holds(self, reason: NudgeReason, day: date) -> bool:
        if reason is NudgeReason.LONG_CRAMP:
            return any(
                day - timedelta(days=i) in self.long_days for i in range(LONG_CRAMP_RECENT_DAYS)
            )
        if reason is NudgeReason.MOST_NIGHTS:
            week_ago = day - timedelta(days=7)
            return (
                self.nights(day - timedelta(days=6), day) >= MOST_NIGHTS_PER_WEEK
                and self.nights(week_ago - timedelta(days=6), week_ago) >= MOST_NIGHTS_PER_WEEK
            )
        return self._surge(day)

    def _surge(self, day: date) -> bool:
        recent = self.count(day - timedelta(days=6), day)
        if recent < SURGE_MIN_CRAMPS or self.first is None:
            return False
        baseline_end = day - timedelta(days=7)
        baseline_start = max(baseline_end - timedelta(days=SURGE_BASELINE_DAYS - 1), self.first)
        observed = (baseline_end - baseline_start).days + 1
        if observed < SURGE_MIN_BASELINE_DAYS:
            return False  # no "usual" yet: a new diary is not a sudden increase
        baseline = self.count(baseline_start, baseline_end)
        # recent >= FACTOR * weekly average, kept in integers: baseline * 7 / observed days
        return recent * observed >= SURGE_FACTOR * baseline * 7


def _due(index: _DayIndex, reason: NudgeReason, today: date, last: date | None) -> bool:
    if not index.holds(reason, today):
        return False
    if last is None:
        return True
    if (today - last).days < NUDGE_QUIET_DAYS:
        return False
    # Same episode (the condition held on every day since the last nudge): stay quiet.
    days_since = (today - last).days
    return any(not index.holds(reason, today - timedelta(days=i)) for i in range(1, days_since))


def nudges_due(
    entries: Sequence[DiaryEntry],
    today: date,
    already_nudged: Mapping[NudgeReason, date],
) -> list[NudgeReason]:
    """Reasons to suggest talking to a doctor today, most important first.

    ``already_nudged`` maps each reason to the local date it was last shown. A reason is
    due when its condition holds today and it was not shown in the current *episode*: an
    episode is a run of consecutive days on which the condition held. So a reason is shown
    again only when (a) the condition stopped holding on some day after the last nudge and
    holds again now, and (b) at least 14 days passed since that nudge (stops flapping
    conditions from nagging). Pass at least the last 35 days of entries (the sudden-increase
    baseline); more history is fine.

    Conditions, evaluated for a local day D:

    * LONG_CRAMP: a cramp with duration "over_10" logged on D, D-1 or D-2.
    * MOST_NIGHTS: cramps on at least 4 of the 7 days D-6..D *and* on at least 4 of the 7
      days D-13..D-7 ("most nights for two weeks").
    * SUDDEN_INCREASE: at least 4 cramps on D-6..D, and at least twice the weekly average of
      the 4 weeks before (D-34..D-7). The diary must cover at least 14 days of that baseline
      (its first entry on or before D-20), otherwise there is no "usual" to compare with.
    """
    index = _DayIndex(entries, today)
    return [
        reason for reason in NudgeReason if _due(index, reason, today, already_nudged.get(reason))
    ]
