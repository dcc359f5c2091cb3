"""Writing and reading the cramp diary: two-tap logging, edits, exports, retention.

Times. An entry keeps the wall-clock time the person meant (``local_time``) and the zone it
was read in, beside the instant (``occurred_at``, for order, periods and retention) and its
local day. Cards show ``local_time``, so a zone set or changed later never moves an entry.
While the user has no zone, entries are *floating*: their clock is UTC's (what the bot
showed them), with no zone stored; once a zone is known, :meth:`DiaryService.settle_zone`
re-anchors them: the same wall-clock time and day, read in that zone. So "last night" is
02:00 on the person's own clock whether or not the zone was known when it was logged.

Typed times ("yesterday 3am", "28.11. 03:00", "3 days ago at 3am", "last night") are read
by ``dateparser`` in the user's language and zone, against the injected clock, preferring
the past and day-month order; future and implausibly old times are refused with a reason.
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
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
from tgbot.services.zones import zone_or_utc
from tgbot.storage import DiaryRecord, DiaryRepository, ReminderRepository, UserRepository

WHEN_NOW, WHEN_LAST_NIGHT, WHEN_EARLIER_TODAY = "now", "ln", "et"
WHEN_CODES = (WHEN_NOW, WHEN_LAST_NIGHT, WHEN_EARLIER_TODAY)
MAX_NOTE_LENGTH = 200
RETENTION_CHOICES = (90, 365)  # days; no setting means "until the user deletes them"
# "Last night" is logged at 02:00 local: the middle of most people's night.
NIGHT_HOUR = time(2, 0)
EARLIER_TODAY = timedelta(hours=2)
# A typed time further back than this is a typo (or a year meant as a time), not a cramp.
OLDEST_TYPED = timedelta(days=2 * 365)
MAX_TYPED_LENGTH = 60  # longer than any date people type; spares the parser pasted text
LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M"
# dateparser's first call loads its language data (~1 s): off the event loop, and on one
# thread, since its lazy caches are not documented as thread-safe. The loading is started
# with the service, so the first person typing a time does not wait for it.
_TYPED_TIME_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diary-dates")
PERIOD_DAYS = 30  # /diary: the last 30 days against the 30 before
DOCTOR_PERIOD_DAYS = 90  # the summary for the doctor
NUDGE_HISTORY_DAYS = 40  # nudges_due needs at least 35 days of entries


class WhenProblem(enum.Enum):
    """Why a typed time was refused (the caller says so in the user's words)."""

    UNREADABLE = "unreadable"
    FUTURE = "future"
    TOO_OLD = "too_old"


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

    @staticmethod
    def start_loading() -> None:
        """Load the date reader on its thread now (once per process), so the first typed date
        does not wait ~0.6 s for it."""
        _start_loading_date_parser()

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
        await self.settle_zone(user_id, zone)
        moment = occurred_at(when, self.now(), zone_or_utc(zone))
        record = DiaryRecord(
            id=0,
            user_id=user_id,
            site=site,
            severity=severity if severity and 1 <= severity <= 10 else None,
            source=source,
            **_timing(moment, zone),
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
        """Move the user's own entry to another time (never into the future). ``moment`` is
        read as the wall clock in ``zone`` shows it."""
        if moment.tzinfo is None or moment > self.now():
            raise ValueError("the time must be aware and not in the future")
        local = moment.astimezone(zone_or_utc(zone))
        return await self._diary.update(user_id, entry_id, **_timing(local, zone))

    def moment_for(self, when: str, zone: str | None) -> datetime:
        return occurred_at(when, self.now(), zone_or_utc(zone))

    async def read_when(
        self,
        text: str,
        zone: str | None,
        languages: Sequence[str],
        last_night_words: Sequence[str] = (),
    ) -> datetime | WhenProblem:
        """A typed time as an aware moment in the user's zone, or why it was refused."""
        now, tz = self.now(), zone_or_utc(zone)
        return await asyncio.get_running_loop().run_in_executor(
            _TYPED_TIME_READER,
            read_typed_time,
            text,
            now,
            tz,
            tuple(languages),
            tuple(last_night_words),
        )

    async def settle_zone(self, user_id: int, zone: str | None) -> None:
        """Anchor entries logged before a zone was known in ``zone``: the same wall-clock
        time and day the person saw, the instant recomputed. Nothing to do without a zone."""
        if zone is None:
            return
        tz = zone_or_utc(zone)
        for record in await self._diary.without_zone(user_id):
            assert record.local_time is not None
            wall = datetime.strptime(record.local_time, LOCAL_TIME_FORMAT).replace(tzinfo=tz)
            # A floating time can lie ahead of now in a zone west of UTC: keep it in the past.
            moment = min(wall.astimezone(UTC), self.now())
            await self._diary.update(
                user_id, record.id, occurred_at=int(moment.timestamp()), time_zone=zone
            )

    async def delete(self, user_id: int, entry_id: int) -> bool:
        return await self._diary.delete(user_id, entry_id)

    async def recent(
        self, user_id: int, limit: int = 10, zone: str | None = None
    ) -> list[DiaryEntry]:
        await self.settle_zone(user_id, zone)
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
        await self.settle_zone(user_id, zone)
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
    """The moment a preset means, on the wall clock of ``tz`` (aware, in ``tz``)."""
    local_now = now.astimezone(tz)
    if when == WHEN_LAST_NIGHT:
        night = datetime.combine(local_now.date(), NIGHT_HOUR, tzinfo=tz)
        if night > local_now:
            night -= timedelta(days=1)
        return night
    if when == WHEN_EARLIER_TODAY:
        midnight = datetime.combine(local_now.date(), time(0, 0), tzinfo=tz)
        return max(local_now - EARLIER_TODAY, midnight)
    return local_now


def read_typed_time(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    languages: Sequence[str],
    last_night_words: Sequence[str] = (),
) -> datetime | WhenProblem:
    """What people type for when a cramp was, read in ``tz`` against ``now``.

    ``last_night_words`` (the user's language) alone mean the "last night" preset; with a
    time ("last night 3am") they mean the most recent such time. Anything else goes to
    ``dateparser``: relative to ``now``, preferring the past, dotted dates day first.
    """
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_TYPED_LENGTH:
        return WhenProblem.UNREADABLE
    local_now = now.astimezone(tz)
    rest = _without_phrase(cleaned, last_night_words)
    if rest is not None and not rest:
        return occurred_at(WHEN_LAST_NIGHT, now, tz)
    parsed = _parse_date(rest or cleaned, local_now, languages)
    if parsed is None:
        return WhenProblem.UNREADABLE
    moment = parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed.astimezone(tz)
    if moment > local_now:
        return WhenProblem.FUTURE
    if moment < local_now - OLDEST_TYPED:
        return WhenProblem.TOO_OLD
    return moment


def _without_phrase(text: str, phrases: Sequence[str]) -> str | None:
    """``text`` with the first of ``phrases`` removed (whole words, any case), else None."""
    for phrase in phrases:
        pattern = re.compile(rf"\b{re.escape(phrase)}\b", re.IGNORECASE)
        if pattern.search(text):
            return " ".join(pattern.sub(" ", text, count=1).split())
    return None


@cache
def _start_loading_date_parser() -> Future[datetime | None]:
    """Import dateparser and load its English data on the reader thread, once per process
    (the date is any date: only the loading matters)."""
    return _TYPED_TIME_READER.submit(_parse_date, "yesterday", datetime(2026, 1, 1), ())


def _parse_date(text: str, local_now: datetime, languages: Sequence[str]) -> datetime | None:
    # Imported here, on the reader thread: the import alone takes ~0.6 s.
    import dateparser
    from dateparser.data.languages_info import language_order

    known = [code for code in languages if code in language_order] or ["en"]
    return dateparser.parse(
        text,
        languages=known,
        settings={
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "PREFER_DATES_FROM": "past",
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )


def _timing(local: datetime, zone: str | None) -> dict[str, Any]:
    """The stored time fields of an entry at ``local`` (aware, on the user's wall clock)."""
    return {
        "occurred_at": int(local.timestamp()),
        "local_date": local.date().isoformat(),
        "local_time": local.strftime(LOCAL_TIME_FORMAT),
        "time_zone": zone,
    }


def to_entry(record: DiaryRecord) -> DiaryEntry:
    moment = datetime.fromtimestamp(record.occurred_at, UTC)
    if record.local_time is not None:
        local_time = datetime.strptime(record.local_time, LOCAL_TIME_FORMAT)
    else:  # stored before local times were kept: as it was shown, in its zone
        local_time = moment.astimezone(zone_or_utc(record.time_zone)).replace(tzinfo=None)
    return DiaryEntry(
        id=record.id,
        occurred_at=moment,
        local_time=local_time,
        local_date=date.fromisoformat(record.local_date),
        site=record.site,
        side=record.side,
        severity=record.severity,
        duration=record.duration,
        note=record.note,
    )
