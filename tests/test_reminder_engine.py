"""The reminder engine with a moved clock: a simulated year across DST, restarts, faults."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tgbot.services.clock import ManualClock
from tgbot.services.reminders.engine import (
    Delivery,
    DeliveryStatus,
    DueKind,
    DueReminder,
    EngineEvent,
    ReminderEngine,
)
from tgbot.services.reminders.service import ReminderService
from tgbot.storage import Database, ReminderRepository, UserRepository, open_database
from tgbot.storage.database import MEMORY

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)


class FakeSender:
    """Records deliveries; can be told to fail the next sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, date, bool, datetime]] = []
        self.checkins: list[tuple[int, date, datetime]] = []
        self.script: list[Delivery] = []
        self.attempts = 0
        self.clock: ManualClock | None = None

    async def send_reminder(
        self, reminder: DueReminder, ready: Callable[[], Awaitable[None]]
    ) -> Delivery:
        await ready()
        self.attempts += 1
        if self.script:
            outcome = self.script.pop(0)
            if outcome.status is not DeliveryStatus.SENT:
                return outcome
        assert self.clock is not None
        uid = reminder.record.user_id
        if reminder.kind is DueKind.CHECKIN:
            self.checkins.append((uid, reminder.local_date, self.clock.now()))
        else:
            self.sent.append((uid, reminder.local_date, reminder.snoozed, self.clock.now()))
        return Delivery(DeliveryStatus.SENT)


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    # In memory: the year simulation commits ~9,000 sends; fsyncs would dominate its run time.
    db = await open_database(MEMORY)
    yield db
    await db.close()


async def make_engine(
    database: Database, clock: ManualClock, sender: FakeSender
) -> tuple[ReminderEngine, ReminderService]:
    sender.clock = clock
    repo = ReminderRepository(database)
    engine = ReminderEngine(repo, sender, clock, rate=1e6, retry_base=0.01)
    engine.start()
    return engine, ReminderService(repo, clock)


async def add_user(
    database: Database, service: ReminderService, uid: int, at: time, zone: str
) -> None:
    await UserRepository(database).touch(uid, "en", 0)
    await service.turn_on(uid, at, zone)


async def run_until(
    engine: ReminderEngine, clock: ManualClock, database: Database, end: datetime
) -> None:
    """Jump from due time to due time (plus a few random extra ticks), like the 1 s tick would."""
    rng = random.Random(7)
    while True:
        async with database.connection.execute(
            "SELECT min(next_fire_at) FROM reminders WHERE enabled = 1"
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] is None or row[0] > end.timestamp():
            return
        clock.set(
            datetime.fromtimestamp(row[0], UTC) + timedelta(seconds=rng.choice((0, 0, 1, 30)))
        )
        await engine.tick()
        await engine.idle()
        if rng.random() < 0.1:  # a stray extra tick must never send twice
            await engine.tick()
            await engine.idle()


ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Santiago",
    "Africa/Cairo",
)
TIMES = (time(22, 0), time(2, 30), time(0, 30), time(23, 30))


async def test_a_simulated_year_sends_exactly_one_per_local_day(database: Database) -> None:
    clock, sender = ManualClock(YEAR_START), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    users = {}
    for zone_index, zone in enumerate(ZONES):
        for time_index, at in enumerate(TIMES):
            uid = 1000 + zone_index * 10 + time_index
            users[uid] = (zone, at)
            await add_user(database, service, uid, at, zone)
    await run_until(engine, clock, database, datetime(2027, 1, 1, tzinfo=UTC))
    await engine.stop()

    for uid, (zone, at) in users.items():
        days = [d for u, d, _, _ in sender.sent if u == uid]
        assert len(days) == len(set(days)), f"{zone} {at}: a local day got two reminders"
        first, last = min(days), max(days)
        assert len(days) == (last - first).days + 1, f"{zone} {at}: a local day was missed"
        assert len(days) >= 364
        for u, local_day, _, when in sender.sent:
            if u != uid:
                continue
            local = when.astimezone(ZoneInfo(zone))
            assert local.date() == local_day
            # On the night a time does not exist it comes at the first instant after the gap.
            assert local.time() >= at or local.time().hour == (at.hour + 1) % 24


async def test_a_restart_with_a_due_reminder_sends_it_once(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(22, 0), "Europe/Berlin")
    await engine.stop()  # the bot goes down before 22:00 Berlin…

    clock.set(datetime(2026, 6, 1, 20, 0, 5, tzinfo=UTC))  # …and comes back just after
    engine, _ = await make_engine(database, clock, sender)
    for _ in range(3):
        await engine.tick()
        await engine.idle()
    await engine.stop()
    assert [(u, d.isoformat()) for u, d, _, _ in sender.sent] == [(1, "2026-06-01")]


async def test_grace_window_late_once_and_older_skipped(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(22, 0), "Europe/Berlin")
    await add_user(database, service, 2, time(18, 0), "Europe/Berlin")
    # 21:30 Berlin: user 2's 18:00 is 3.5 h late (skipped), user 1's is not due yet.
    clock.set(datetime(2026, 6, 1, 19, 30, tzinfo=UTC))
    await engine.tick()
    await engine.idle()
    assert sender.sent == []
    clock.set(datetime(2026, 6, 1, 21, 45, tzinfo=UTC))  # 23:45 Berlin: 1 h 45 late, in grace
    await engine.tick()
    await engine.idle()
    await engine.tick()
    await engine.idle()
    await engine.stop()
    assert [(u, d.isoformat()) for u, d, _, _ in sender.sent] == [(1, "2026-06-01")]


async def test_retry_after_then_success_delivers_once(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(21, 0), "Europe/London")
    clock.set(datetime(2026, 6, 1, 20, tzinfo=UTC))  # 21:00 in London (BST)
    sender.script = [Delivery(DeliveryStatus.RETRY_AFTER, retry_after=0.05)]
    await engine.tick()
    await engine.idle()
    await engine.stop()
    assert sender.attempts == 2 and len(sender.sent) == 1


async def test_other_errors_are_retried_with_backoff(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(21, 0), "Europe/London")
    clock.set(datetime(2026, 6, 1, 20, tzinfo=UTC))  # 21:00 in London (BST)
    sender.script = [Delivery(DeliveryStatus.FAILED, detail="timed out")] * 2
    await engine.tick()
    for _ in range(50):  # the retries come back after 0.01 s, then 0.02 s
        await engine.idle()
        if sender.sent:
            break
        await asyncio.sleep(0.01)
    await engine.stop()
    assert sender.attempts == 3 and len(sender.sent) == 1


async def test_blocked_user_is_turned_off_without_retries(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(21, 0), "Europe/London")
    clock.set(datetime(2026, 6, 1, 20, tzinfo=UTC))  # 21:00 in London (BST)
    sender.script = [Delivery(DeliveryStatus.BLOCKED, detail="Forbidden")]
    await engine.tick()
    await engine.idle()
    clock.advance(timedelta(days=2))
    await engine.tick()
    await engine.idle()
    await engine.stop()
    state = await service.state(1)
    assert state is not None and not state.enabled
    assert sender.attempts == 1 and sender.sent == []


async def test_weekday_only_schedule_skips_weekends(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 0, tzinfo=UTC)), FakeSender()  # a Monday
    engine, service = await make_engine(database, clock, sender)
    await UserRepository(database).touch(1, "en", 0)
    await service.turn_on(1, time(22, 0), "Asia/Kolkata", frozenset(range(5)))
    await run_until(engine, clock, database, datetime(2026, 6, 29, tzinfo=UTC))
    await engine.stop()
    weekdays = {d.weekday() for _, d, _, _ in sender.sent}
    assert weekdays == {0, 1, 2, 3, 4} and len(sender.sent) == 20


async def test_the_morning_after_a_reminder_asks_once_about_last_night(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(22, 0), "Europe/Berlin")
    clock.set(datetime(2026, 6, 1, 20, 0, tzinfo=UTC))  # 22:00 Berlin: the reminder
    await engine.tick()
    await engine.idle()
    for moment in (datetime(2026, 6, 2, 5, 59, tzinfo=UTC), datetime(2026, 6, 2, 6, 0, tzinfo=UTC)):
        clock.set(moment)  # 07:59 Berlin: nothing yet; 08:00: the check-in
        await engine.tick()
        await engine.idle()
    clock.advance(timedelta(minutes=5))
    await engine.tick()
    await engine.idle()
    await engine.stop()
    assert [(u, d.isoformat()) for u, d, _ in sender.checkins] == [(1, "2026-06-01")]
    assert sender.checkins[0][2] == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
    assert len(sender.sent) == 1


async def test_ticks_during_delivery_never_queue_a_reminder_twice(database: Database) -> None:
    """A send can finish while a tick's query runs; its row must not come back as due."""
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    for uid in range(1, 301):
        await add_user(database, service, uid, time(22, 0), "Europe/Berlin")
    clock.set(datetime(2026, 6, 1, 20, 0, 1, tzinfo=UTC))
    for _ in range(400):  # tick far more often than once a second, while sends complete
        await engine.tick()
        await asyncio.sleep(0)
    await engine.idle()
    await engine.stop()
    days = [(u, d) for u, d, _, _ in sender.sent]
    assert len(days) == 300 and len(set(days)) == 300


class FailingWrites(ReminderRepository):
    """A disk that is full (or a lock held elsewhere) for the next ``failures`` writes of a
    send's outcome."""

    def __init__(self, database: Database, failures: int) -> None:
        super().__init__(database)
        self.failures = failures

    async def mark_sent(self, *args: object) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise OSError("database or disk is full")
        await super().mark_sent(*args)  # type: ignore[arg-type]


async def test_a_send_whose_record_fails_is_held_never_sent_again(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 19, 0, tzinfo=UTC)), FakeSender()
    sender.clock = clock
    repo = FailingWrites(database, failures=4)
    engine = ReminderEngine(repo, sender, clock, rate=1e6, retry_base=0.01)
    engine.start()
    service = ReminderService(ReminderRepository(database), clock)
    await UserRepository(database).touch(1, "en", 0)
    await service.turn_on(1, time(21, 59), "Europe/Berlin")  # 19:59 UTC
    clock.set(datetime(2026, 6, 1, 20, 0, 1, tzinfo=UTC))
    for _ in range(40):  # ticks every few ms while the writes fail and then recover
        await engine.tick()
        await engine.idle()
        await asyncio.sleep(0.01)
    await engine.stop()
    assert len(sender.sent) == 1
    assert repo.failures == 0
    state = await service.state(1)
    assert state is not None and state.next is not None
    assert state.next.local_date == date(2026, 6, 2)  # recorded once the disk had room
    assert engine.events[EngineEvent.RECORD_HELD] == 4  # and the operator sees each hold
    assert engine.outcomes[DeliveryStatus.SENT] == 1


async def test_slow_downs_and_retries_are_counted(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(21, 0), "Europe/London")
    clock.set(datetime(2026, 6, 1, 20, tzinfo=UTC))  # 21:00 in London (BST)
    sender.script = [
        Delivery(DeliveryStatus.RETRY_AFTER, retry_after=0.01),
        Delivery(DeliveryStatus.FAILED, detail="timed out"),
    ]
    await engine.tick()
    for _ in range(50):  # the retry comes back after 0.01 s
        await engine.idle()
        if sender.sent:
            break
        await asyncio.sleep(0.01)
    await engine.stop()
    assert engine.events[EngineEvent.RATE_LIMITED] == 1
    assert engine.events[EngineEvent.RETRIED] == 1
    assert engine.outcomes[DeliveryStatus.SENT] == 1 and engine.outcomes[DeliveryStatus.FAILED] == 0


async def test_a_reminder_over_a_minute_late_is_counted_late(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(21, 0), "Europe/London")  # 20:00 UTC
    clock.set(datetime(2026, 6, 1, 20, 0, 59, tzinfo=UTC))  # 59 s after: on time
    await engine.tick()
    await engine.idle()
    assert engine.events[EngineEvent.LATE] == 0
    clock.set(datetime(2026, 6, 2, 20, 1, 1, tzinfo=UTC))  # the next night, 61 s after
    await engine.tick()
    await engine.idle()
    await engine.stop()
    assert len(sender.sent) == 2
    assert engine.events[EngineEvent.LATE] == 1


async def test_a_reminder_skipped_past_the_grace_window_is_counted_missed(
    database: Database,
) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 2, time(18, 0), "Europe/Berlin")
    clock.set(datetime(2026, 6, 1, 19, 30, tzinfo=UTC))  # 3.5 h after 18:00 Berlin
    await engine.tick()
    await engine.idle()
    await engine.stop()
    assert sender.sent == []
    assert engine.events[EngineEvent.MISSED] == 1
    assert engine.events[EngineEvent.LATE] == 0


async def test_the_queue_depth_is_what_waits_for_the_sender(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    sender.clock = clock
    repo = ReminderRepository(database)
    engine = ReminderEngine(repo, sender, clock, rate=1e6)  # not started: nothing drains yet
    service = ReminderService(repo, clock)
    for uid in (1, 2, 3):
        await add_user(database, service, uid, time(22, 0), "Europe/Berlin")
    clock.set(datetime(2026, 6, 1, 20, 0, 1, tzinfo=UTC))
    assert await engine.tick() == 3
    assert engine.queue_depth == 3
    engine.start()
    await engine.idle()
    await engine.stop()
    assert engine.queue_depth == 0 and len(sender.sent) == 3


async def test_sends_today_start_again_on_a_new_utc_day(database: Database) -> None:
    clock, sender = ManualClock(datetime(2026, 6, 1, 12, tzinfo=UTC)), FakeSender()
    engine, service = await make_engine(database, clock, sender)
    await add_user(database, service, 1, time(1, 30), "Europe/Berlin")  # 23:30 UTC
    await add_user(database, service, 2, time(1, 45), "Europe/Berlin")  # 23:45 UTC
    clock.set(datetime(2026, 6, 1, 23, 50, tzinfo=UTC))
    await engine.tick()
    await engine.idle()
    assert engine.sent_today.today == 2
    clock.set(datetime(2026, 6, 2, 0, 0, tzinfo=UTC))  # midnight UTC: a new day
    assert engine.sent_today.today == 0
    clock.set(datetime(2026, 6, 2, 23, 31, tzinfo=UTC))
    await engine.tick()
    await engine.idle()
    await engine.stop()
    assert engine.sent_today.today == 1
    assert engine.outcomes[DeliveryStatus.SENT] == 3  # since start, unlike today's count


class DistantSender:
    """Telegram at 100 ms: each send returns a round trip after its slot."""

    def __init__(self) -> None:
        self.released: list[float] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def send_reminder(
        self, reminder: DueReminder, ready: Callable[[], Awaitable[None]]
    ) -> Delivery:
        await ready()
        self.released.append(asyncio.get_running_loop().time())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.1)
        self.in_flight -= 1
        return Delivery(DeliveryStatus.SENT)


async def test_a_burst_at_100_ms_round_trip_goes_out_at_the_configured_rate(
    database: Database,
) -> None:
    clock, sender = ManualClock(datetime(2026, 11, 21, 21, 0, tzinfo=UTC)), DistantSender()
    repo = ReminderRepository(database)
    service = ReminderService(repo, clock)
    for uid in range(1, 51):
        await add_user(database, service, uid, time(22, 0), "UTC")
    engine = ReminderEngine(repo, sender, clock, rate=25)
    engine.start()
    try:
        clock.set(datetime(2026, 11, 21, 22, 0, tzinfo=UTC))
        while len(sender.released) < 50:  # the tick claims four seconds' worth at a time
            await engine.tick()
            await engine.idle()
    finally:
        await engine.stop()
    span = sender.released[-1] - sender.released[0]
    # One at a time, a 100 ms round trip would cap this at 10/s (4.9 s for the 49 gaps).
    assert span < 49 / 25 * 1.25
    assert sender.most_in_flight >= 2
    times = sender.released
    assert max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times)) <= 25
    assert engine.in_flight == 0
