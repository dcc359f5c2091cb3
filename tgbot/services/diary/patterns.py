"""What the doctor summary adds to the period's counts: which side, what time of night, how
the bedtime reminders went, and the person's own medicines line.

Pure (no storage, no clock, no text) and picklable: the PDF is drawn in a worker process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from tgbot.services.diary.model import SIDES, DiaryEntry

SIDE_UNKNOWN = "unknown"
# Parts of the day by local hour, [from, to): most night cramps fall in the first three.
PARTS_OF_DAY: tuple[tuple[str, int, int], ...] = (
    ("evening", 18, 22),
    ("before_midnight", 22, 24),
    ("after_midnight", 0, 4),
    ("early_morning", 4, 8),
    ("daytime", 8, 18),
)
MAX_MEDICINES_LENGTH = 300


@dataclass(frozen=True)
class ReminderCounts:
    """Bedtime reminders over the period's local days.

    * ``sent``: nights a reminder went out.
    * ``done``: nights the routine was marked Done (with or without a reminder that night).
    * ``skipped``: nights a reminder went out and the routine was not marked Done (skipped,
      or no answer).
    """

    sent: int
    done: int
    skipped: int


@dataclass(frozen=True)
class DoctorDetails:
    by_side: dict[str, int]  # SIDES order, then SIDE_UNKNOWN; zeros kept
    by_part_of_day: dict[str, int]  # PARTS_OF_DAY order; zeros kept
    zone: str  # the IANA zone the parts of the day were counted in
    reminders: ReminderCounts
    medicines: str | None = None  # as the person typed it; never interpreted


def part_of_day(hour: int) -> str:
    for name, start, end in PARTS_OF_DAY:
        if start <= hour < end:
            return name
    raise ValueError(f"hour {hour} is not 0-23")


def reminder_counts(
    sent_dates: Collection[date], done_dates: Collection[date], start: date, end: date
) -> ReminderCounts:
    sent = {day for day in sent_dates if start <= day <= end}
    done = {day for day in done_dates if start <= day <= end}
    return ReminderCounts(sent=len(sent), done=len(done), skipped=len(sent - done))


def doctor_details(
    entries: Sequence[DiaryEntry],
    zone: str,
    start: date,
    end: date,
    reminders: ReminderCounts,
    medicines: str | None = None,
) -> DoctorDetails:
    """Side and part-of-day counts of the entries whose local date lies in start..end."""
    tz = ZoneInfo(zone)
    inside = [entry for entry in entries if start <= entry.local_date <= end]
    sides = Counter(entry.side or SIDE_UNKNOWN for entry in inside)
    # The hour on the person's own clock that night, even if they have moved zone since.
    parts = Counter(
        part_of_day((entry.local_time or entry.occurred_at.astimezone(tz)).hour) for entry in inside
    )
    return DoctorDetails(
        by_side={side: sides[side] for side in (*SIDES, SIDE_UNKNOWN)},
        by_part_of_day={name: parts[name] for name, _, _ in PARTS_OF_DAY},
        zone=zone,
        reminders=reminders,
        medicines=medicines.strip() if medicines and medicines.strip() else None,
    )
