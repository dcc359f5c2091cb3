"""Writing and reading the cramp diary: two-tap logging, edits, exports, retention."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tgbot.services.clock import Clock
from tgbot.services.diary.export import export_document
from tgbot.services.diary.model import (
    DURATIONS,
    SIDES,
    SITES,
    DiaryEntry,
    DiarySummary,
    NudgeReason,
    nudges_due,
    summarize,
)
from tgbot.services.diary.patterns import DoctorDetails, doctor_details, reminder_counts
from tgbot.services.reminders.schedule import parse_time_of_day
from tgbot.services.zones import zone_or_utc
from tgbot.storage import DiaryRecord, DiaryRepository, ReminderRepository, UserRepository

WHEN_NOW, WHEN_LAST_NIGHT, WHEN_EARLIER_TODAY = "now", "ln", "et"
WHEN_CODES = (WHEN_NOW, WHEN_LAST_NIGHT, WHEN_EARLIER_TODAY)
MAX_NOTE_LENGTH = 200
RETENTION_CHOICES = (90, 365)  # days; no setting means "until the user deletes them"
# "Last night" is logged at 02:00 local: the middle of most people's night.
NIGHT_HOUR = time(2, 0)
EARLIER_TODAY = timedelta(hours=2)
PERIOD_DAYS = 30  # /diary: the last 30 days against the 30 before
DOCTOR_PERIOD_DAYS = 90  # the summary for the doctor
NUDGE_HISTORY_DAYS = 40  # nudges_due needs at least 35 days of entries


@dataclass(frozen=True)
class DiaryOverview:
    """A period of the diary in the user's calendar: its summary and what charts it."""

    summary: DiarySummary
    entries: list[DiaryEntry]  # this period and the one before (for the trend)
    done: set[date]  # days the bedtime routine was done
    start: date  # the period's first local day
    today: date


@dataclass(frozen=True)
class DoctorReport:
    period: DiaryOverview
    details: DoctorDetails


@dataclass(frozen=True)
class StoredData:
    diary_entries: int
    reminder: bool  # a bedtime reminder is set up (on or off)


class DiaryService:
    def __init__(
        self,
        diary: DiaryRepository,
        reminders: ReminderRepository,
        users: UserRepository,
        clock: Clock,
    ) -> None:
        self._diary = diary
        self._reminders = reminders
        self._users = users
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    async def log(
        self,
        user_id: int,
        site: str,
        when: str,
        zone: str | None,
        source: str = "menu",
        severity: int | None = None,
    ) -> DiaryEntry:
        if site not in SITES or when not in WHEN_CODES:
            raise ValueError(f"unknown site or time: {site!r}, {when!r}")
        tz = zone_or_utc(zone)
        moment = occurred_at(when, self.now(), tz)
        record = DiaryRecord(
            id=0,
            user_id=user_id,
            occurred_at=int(moment.timestamp()),
            local_date=moment.astimezone(tz).date().isoformat(),
            site=site,
            severity=severity if severity and 1 <= severity <= 10 else None,
            source=source,
        )
        new_id = await self._diary.add(record, int(self.now().timestamp()))
        saved = await self._diary.get(user_id, new_id)
        assert saved is not None
        return to_entry(saved)

    async def get(self, user_id: int, entry_id: int) -> DiaryEntry | None:
        record = await self._diary.get(user_id, entry_id)
        return to_entry(record) if record else None

    async def set_detail(self, user_id: int, entry_id: int, field: str, value: Any) -> bool:
        """Side, severity, duration or note of the user's own entry; False if not theirs."""
        valid = {
            "side": lambda v: v in SIDES,
            "severity": lambda v: isinstance(v, int) and 1 <= v <= 10,
            "duration": lambda v: v in DURATIONS,
            "note": lambda v: isinstance(v, str) and 0 < len(v) <= MAX_NOTE_LENGTH,
        }
        if field not in valid or not valid[field](value):
            raise ValueError(f"invalid {field}: {value!r}")
        return await self._diary.update(user_id, entry_id, **{field: value})

    async def set_when(
        self, user_id: int, entry_id: int, moment: datetime, zone: str | None
    ) -> bool:
        """Move the user's own entry to another time (never into the future)."""
        if moment.tzinfo is None or moment > self.now():
            raise ValueError("the time must be aware and not in the future")
        local_date = moment.astimezone(zone_or_utc(zone)).date().isoformat()
        return await self._diary.update(
            user_id, entry_id, occurred_at=int(moment.timestamp()), local_date=local_date
        )

    def moment_for(self, when: str, zone: str | None) -> datetime:
        return occurred_at(when, self.now(), zone_or_utc(zone))

    def parse_moment(self, text: str, zone: str | None) -> datetime | None:
        """'2026-11-20 23:30' or '23:30' (today), in the user's zone; None if unreadable
        or in the future."""
        tz = zone_or_utc(zone)
        parts = text.strip().split()
        day = self.now().astimezone(tz).date()
        if len(parts) == 2:
            try:
                day = date.fromisoformat(parts[0])
            except ValueError:
                return None
            parts = parts[1:]
        at = parse_time_of_day(parts[0]) if len(parts) == 1 else None
        if at is None:
            return None
        moment = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        return moment if moment <= self.now() else None

    async def delete(self, user_id: int, entry_id: int) -> bool:
        return await self._diary.delete(user_id, entry_id)

    async def recent(self, user_id: int, limit: int = 10) -> list[DiaryEntry]:
        return [to_entry(r) for r in (await self._diary.all_for(user_id))[-limit:][::-1]]

    async def entries(self, user_id: int, since: datetime) -> list[DiaryEntry]:
        records = await self._diary.between(
            user_id, int(since.timestamp()), int(self.now().timestamp()) + 1
        )
        return [to_entry(r) for r in records]

    async def reminders_since(self, user_id: int, zone: str | None) -> date | None:
        """The local day bedtime reminders were first set up (for honest comparisons)."""
        record = await self._reminders.get(user_id)
        if record is None or record.created_at is None:
            return None
        moment = datetime.fromtimestamp(record.created_at, UTC)
        return moment.astimezone(zone_or_utc(zone)).date()

    async def done_dates(self, user_id: int) -> set[date]:
        return {date.fromisoformat(d) for d in await self._reminders.done_dates(user_id)}

    async def export(self, user_id: int, texts: Mapping[str, str]) -> dict[str, Any] | None:
        """Everything stored about the user, for /export (the documented format of
        export.py, ``texts`` its field descriptions); None when nothing is stored."""
        user = await self._users.get(user_id)
        if user is None:
            return None
        return export_document(
            user,
            await self._reminders.get(user_id),
            await self._reminders.sent_dates(user_id),
            await self._reminders.done_dates(user_id),
            await self._diary.all_for(user_id),
            texts,
            self.now(),
        )

    async def all_entries(self, user_id: int) -> list[DiaryEntry]:
        """The whole diary, oldest first (for the export's CSV)."""
        return [to_entry(record) for record in await self._diary.all_for(user_id)]

    async def stored(self, user_id: int) -> StoredData:
        """What /forget would delete, counted for its confirmation."""
        reminder = await self._reminders.get(user_id)
        entries = len(await self._diary.all_for(user_id))
        return StoredData(entries, reminder is not None)

    async def doctor_report(
        self, user_id: int, zone: str | None, medicines: str | None
    ) -> DoctorReport:
        """The doctor summary's period with its side, time-of-day and reminder details."""
        period = await self.overview(user_id, zone, days=DOCTOR_PERIOD_DAYS)
        sent = [date.fromisoformat(day) for day in await self._reminders.sent_dates(user_id)]
        counts = reminder_counts(sent, period.done, period.start, period.today)
        zone_name = zone_or_utc(zone).key
        details = doctor_details(
            period.entries, zone_name, period.start, period.today, counts, medicines
        )
        return DoctorReport(period, details)

    async def overview(
        self, user_id: int, zone: str | None, days: int = PERIOD_DAYS
    ) -> DiaryOverview:
        today = self.now().astimezone(zone_or_utc(zone)).date()
        entries = await self.entries(user_id, self.now() - timedelta(days=2 * days + 1))
        done = await self.done_dates(user_id)
        began = await self.reminders_since(user_id, zone)
        summary = summarize(entries, done, today, days, reminders_since=began)
        start = today - timedelta(days=days - 1)
        return DiaryOverview(summary, entries, done, start, today)

    async def nudges(
        self,
        user_id: int,
        zone: str | None,
        already: Mapping[str, date],
        *,
        include_long_cramp: bool = True,
    ) -> list[NudgeReason]:
        """Reasons to suggest a doctor now, once per episode, remembered as shown. Right after
        a long cramp is logged its card already says what to do (``include_long_cramp``)."""
        today = self.now().astimezone(zone_or_utc(zone)).date()
        entries = await self.entries(user_id, self.now() - timedelta(days=NUDGE_HISTORY_DAYS))
        shown = {r: already[r.value] for r in NudgeReason if r.value in already}
        due = [
            reason
            for reason in nudges_due(entries, today, shown)
            if include_long_cramp or reason is not NudgeReason.LONG_CRAMP
        ]
        if due:
            nudged = {reason: day.isoformat() for reason, day in already.items()}
            nudged.update({reason.value: today.isoformat() for reason in due})
            await self._users.update_settings(user_id, diary_nudged=nudged)
        return due

    async def set_retention(self, user_id: int, days: int | None) -> None:
        if days is not None and days not in RETENTION_CHOICES:
            raise ValueError(f"retention must be one of {RETENTION_CHOICES} or None")
        await self._users.update_settings(user_id, diary_retention_days=days)

    async def clean_up(self) -> int:
        """The daily retention clean-up: delete entries older than each user's setting."""
        now = self.now()
        deleted = 0
        for days in RETENTION_CHOICES:
            cutoff = int((now - timedelta(days=days)).timestamp())
            deleted += await self._diary.delete_older_than(days, cutoff)
        return deleted


def occurred_at(when: str, now: datetime, tz: ZoneInfo) -> datetime:
    local_now = now.astimezone(tz)
    if when == WHEN_LAST_NIGHT:
        night = datetime.combine(local_now.date(), NIGHT_HOUR, tzinfo=tz)
        if night > local_now:
            night -= timedelta(days=1)
        return night.astimezone(UTC)
    if when == WHEN_EARLIER_TODAY:
        midnight = datetime.combine(local_now.date(), time(0, 0), tzinfo=tz)
        return max(local_now - EARLIER_TODAY, midnight).astimezone(UTC)
    return now.astimezone(UTC)


def to_entry(record: DiaryRecord) -> DiaryEntry:
    return DiaryEntry(
        id=record.id,
        occurred_at=datetime.fromtimestamp(record.occurred_at, UTC),
        local_date=date.fromisoformat(record.local_date),
        site=record.site,
        side=record.side,
        severity=record.severity,
        duration=record.duration,
        note=record.note,
    )
