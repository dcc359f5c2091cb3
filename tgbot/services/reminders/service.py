"""Reminder settings: turn on, change, pause, snooze, done, off. Each change recomputes the
next due instant in the user's zone, so the engine only ever reads a due index."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from tgbot.services.clock import Clock
from tgbot.services.reminders.schedule import (
    ALL_DAYS,
    DailySchedule,
    Occurrence,
    days_to_mask,
    mask_to_days,
    next_occurrence,
)
from tgbot.storage import ReminderRecord, ReminderRepository

SNOOZE = timedelta(minutes=15)
PAUSE = timedelta(days=7)
# One test reminder a minute per person: enough to look at it again after a change, far
# below Telegram's per-chat limit. Kept in memory: a restart costs at most one extra test.
TEST_INTERVAL = timedelta(minutes=1)


def to_unix(moment: datetime) -> int:
    return int(moment.timestamp())


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def schedule_of(record: ReminderRecord) -> DailySchedule:
    hours, minutes = (int(part) for part in record.local_time.split(":"))
    return DailySchedule(time(hours, minutes), record.time_zone, mask_to_days(record.days))


@dataclass(frozen=True)
class ReminderState:
    """What /reminders shows: the settings and, when on, the next reminder."""

    enabled: bool
    paused_until: datetime | None
    checkin_enabled: bool  # the morning "any cramps last night?" question
    schedule: DailySchedule
    next: Occurrence | None

    def paused(self, now: datetime) -> bool:
        """Paused and not yet over (a past ``paused_until`` is only history)."""
        return self.enabled and self.paused_until is not None and self.paused_until > now

    @classmethod
    def of(cls, record: ReminderRecord, upcoming: Occurrence | None) -> ReminderState:
        paused = from_unix(record.paused_until) if record.paused_until else None
        return cls(record.enabled, paused, record.checkin_enabled, schedule_of(record), upcoming)


class ReminderService:
    def __init__(self, repository: ReminderRepository, clock: Clock) -> None:
        self._repo = repository
        self._clock = clock
        self._tests: dict[int, datetime] = {}  # user -> when their last test reminder went

    def now(self) -> datetime:
        return self._clock.now()

    async def state(self, user_id: int) -> ReminderState | None:
        record = await self._repo.get(user_id)
        if record is None:
            return None
        upcoming = None
        if record.enabled and record.next_fire_at is not None and record.next_local_date:
            upcoming = Occurrence(
                date.fromisoformat(record.next_local_date), from_unix(record.next_fire_at)
            )
        return ReminderState.of(record, upcoming)

    async def turn_on(
        self,
        user_id: int,
        at: time,
        zone: str,
        days: frozenset[int] | None = None,
    ) -> ReminderState:
        """Create or replace the reminder; the next one is the first valid instant from now,
        or after the pause if one is running (changing a setting does not end a pause).
        ``days`` None keeps the current reminder's days (every day for a new one)."""
        current = await self._repo.get(user_id)
        if days is None:
            days = schedule_of(current).days if current else ALL_DAYS
        now = self.now()
        paused_until = _running_pause(current, now)
        record = ReminderRecord(
            user_id=user_id,
            local_time=f"{at.hour:02d}:{at.minute:02d}",
            time_zone=zone,
            days=days_to_mask(days),
            enabled=True,
            paused_until=paused_until,
            checkin_enabled=current.checkin_enabled if current else True,
        )
        last_sent = current.last_sent_date if current else None
        after = from_unix(paused_until) if paused_until else now
        return await self._save(record, after, last_sent)

    async def change(
        self,
        user_id: int,
        *,
        at: time | None = None,
        zone: str | None = None,
        days: frozenset[int] | None = None,
    ) -> ReminderState | None:
        current = await self._repo.get(user_id)
        if current is None:
            return None
        schedule = schedule_of(current)
        return await self.turn_on(
            user_id,
            at or schedule.at,
            zone or schedule.zone,
            days if days is not None else schedule.days,
        )

    async def pause(self, user_id: int, length: timedelta = PAUSE) -> ReminderState | None:
        """Nothing until ``length`` from now; None if there is no reminder on to pause."""
        current = await self._repo.get(user_id)
        if current is None or not current.enabled:
            return None  # a stale Pause button must not turn a reminder back on
        until = self.now() + length
        paused = replace(current, paused_until=to_unix(until))
        return await self._save(paused, until, current.last_sent_date)

    async def resume(self, user_id: int) -> ReminderState | None:
        """End a pause: the next reminder is the next one from now. None if it is off."""
        current = await self._repo.get(user_id)
        if current is None or not current.enabled:
            return None
        resumed = replace(current, paused_until=None)
        return await self._save(resumed, self.now(), current.last_sent_date)

    def claim_test(self, user_id: int) -> timedelta | None:
        """Allow one test reminder now (None), or say how long until the next is allowed."""
        now = self.now()
        last = self._tests.get(user_id)
        if last is not None and now - last < TEST_INTERVAL:
            return TEST_INTERVAL - (now - last)
        if len(self._tests) > 1000:  # keep only the ones that still limit someone
            self._tests = {u: t for u, t in self._tests.items() if now - t < TEST_INTERVAL}
        self._tests[user_id] = now
        return None

    async def turn_off(self, user_id: int) -> bool:
        return await self._repo.disable(user_id, to_unix(self.now()))

    async def snooze(self, user_id: int, length: timedelta = SNOOZE) -> datetime | None:
        current = await self._repo.get(user_id)
        if current is None or not current.enabled or _running_pause(current, self.now()):
            return None  # off or paused: an old reminder's Snooze must not bring one back
        at = self.now() + length
        await self._repo.set_snooze(user_id, to_unix(at), to_unix(self.now()))
        return at

    async def skip_tonight(self, user_id: int) -> None:
        """Nothing more tonight: drop a pending snooze (the next reminder is tomorrow's)."""
        await self._repo.set_snooze(user_id, None, to_unix(self.now()))

    async def toggle_checkin(self, user_id: int) -> bool:
        """Turn the morning check-in off if on, on if off; returns the new setting."""
        current = await self._repo.get(user_id)
        enabled = not (current.checkin_enabled if current else True)
        await self._repo.set_checkin_enabled(user_id, enabled, to_unix(self.now()))
        return enabled

    async def mark_done(self, user_id: int, local_date: date) -> None:
        await self._repo.mark_done(user_id, local_date.isoformat(), to_unix(self.now()))

    async def _save(
        self, record: ReminderRecord, after: datetime, last_sent: str | None
    ) -> ReminderState:
        schedule = schedule_of(record)
        upcoming = next_occurrence(
            schedule,
            after=after,
            last_sent_date=date.fromisoformat(last_sent) if last_sent else None,
        )
        saved = replace(
            record,
            next_fire_at=to_unix(upcoming.fire_at),
            next_local_date=upcoming.local_date.isoformat(),
        )
        await self._repo.save(saved, to_unix(self.now()))
        return ReminderState.of(saved, upcoming)


def _running_pause(record: ReminderRecord | None, now: datetime) -> int | None:
    """The end of the record's pause (unix seconds) if it is on and the pause still runs."""
    if record is None or not record.enabled or record.paused_until is None:
        return None
    return record.paused_until if record.paused_until > to_unix(now) else None
