"""The reminder engine: one periodic tick claims due rows from SQLite; senders drain them.

Its cost follows the send rate, not the user count: no per-user jobs, nothing per user in
memory except the few reminders in flight. SQLite is the source of truth, so a restart
(even ``kill -9``) loses nothing; a reminder that was sent but not yet recorded at the kill is
sent again (at-least-once), which bounds duplicates by the sends in flight.

At Telegram's distance one send waits a round trip (tens to hundreds of ms) for its answer,
so several senders work at once (enough for the rate over half a second of round trip), each
released by the pacer at its slot: the rate Telegram sees is the configured one whatever the
latency. A user is claimed once, so there is never more than one send per chat in flight.

Several replicas may share one database: a tick claims due rows with a lease in its own name
(``ReminderRepository.claim_due``), renews the leases of what it still holds (a retry waiting
out its backoff, an outcome not stored yet), and settling a row ends its claim. A replica
that dies stops renewing; once its leases run out another replica's tick takes the rows over.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import logging
import math
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tgbot.services.clock import Clock
from tgbot.services.day_counter import UtcDayCounter
from tgbot.services.reminders.pacing import Pacer, SendPacer
from tgbot.services.reminders.schedule import next_occurrence
from tgbot.services.reminders.service import schedule_of, to_unix
from tgbot.storage import ReminderRecord, ReminderRepository

log = logging.getLogger(__name__)

DEFAULT_RATE = 25.0  # messages/s; Telegram allows about 30/s overall for bulk sends
DEFAULT_GRACE = timedelta(hours=2)
MAX_ATTEMPTS = 5
RECORD_RETRY_MAX_S = 60.0  # a send whose outcome cannot be stored is retried this often
QUEUE_SECONDS = 4  # claim at most this many seconds' worth of sends ahead
PIPELINE_SECONDS = 0.5  # senders enough to keep the rate up at this round trip
MAX_SENDERS = 64
# A claim's lease: far above a tick (1 s, when it is renewed) and the queue's few seconds, so
# only a replica that stopped ticking loses its claims; the takeover after a crash waits this.
LEASE_SECONDS = 15
CHECKIN_TIME = time(8, 0)  # the morning after: "any cramps last night?"
LATE_AFTER = timedelta(seconds=60)  # a bedtime reminder sent later than this counts as late


class DeliveryStatus(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot, or the chat is gone
    RETRY_AFTER = "retry_after"  # 429: wait, then send the same message again
    FAILED = "failed"  # anything else: retry with backoff


class EngineEvent(enum.Enum):
    """What the operator counts besides outcomes (/stats, /metrics)."""

    RETRIED = "retried"  # a failed send scheduled again
    LATE = "late"  # a bedtime reminder sent more than LATE_AFTER after its time
    MISSED = "missed"  # a bedtime reminder skipped: over the grace window
    RATE_LIMITED = "rate_limited"  # Telegram asked us to slow down (429)
    RECORD_HELD = "record_held"  # an outcome could not be stored yet; held and retried


@dataclass(frozen=True)
class Delivery:
    status: DeliveryStatus
    retry_after: float = 0.0
    detail: str = ""


class DueKind(enum.Enum):
    BEDTIME = "bedtime"  # the day's reminder
    SNOOZED = "snoozed"  # the same reminder again, 15 minutes later
    CHECKIN = "checkin"  # next morning: "any cramps last night?"


@dataclass(frozen=True)
class DueReminder:
    record: ReminderRecord
    local_date: date  # the night it is about
    kind: DueKind
    attempts: int = 0

    @property
    def snoozed(self) -> bool:
        return self.kind is DueKind.SNOOZED

    @property
    def user_id(self) -> int:
        return self.record.user_id


class ReminderSender(Protocol):
    async def send_reminder(
        self, reminder: DueReminder, ready: Callable[[], Awaitable[None]]
    ) -> Delivery:
        """Prepare the message, ``await ready()`` (the pacer), then send it at once: pacing
        the moment of sending, not of preparing, is what keeps Telegram's window honest."""
        ...


class ReminderEngine:
    def __init__(
        self,
        repository: ReminderRepository,
        sender: ReminderSender,
        clock: Clock,
        *,
        rate: float = DEFAULT_RATE,
        grace: timedelta = DEFAULT_GRACE,
        pacer: SendPacer | None = None,
        retry_base: float = 2.0,
        senders: int | None = None,
        owner: str | None = None,
    ) -> None:
        self._repo = repository
        self._sender = sender
        self._clock = clock
        self._grace = grace
        self._pacer = pacer or Pacer(rate)
        self.owner = owner or replica_name()  # whose claims these are, among replicas
        self._queue: asyncio.Queue[DueReminder] = asyncio.Queue()
        self._in_flight: set[int] = set()
        self._tick_lock = asyncio.Lock()
        self._senders = senders or min(MAX_SENDERS, max(1, math.ceil(rate * PIPELINE_SECONDS)))
        self._workers: list[asyncio.Task[None]] = []
        self._retries: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # How sends ended since start (the operator's /stats): sent, blocked, failed.
        self.outcomes: collections.Counter[DeliveryStatus] = collections.Counter()
        self.events: collections.Counter[EngineEvent] = collections.Counter()
        self.sent_today = UtcDayCounter(clock)
        self._retry_base = retry_base  # seconds; doubles with every failed attempt
        # How late the oldest due reminder not yet settled is (seconds, at the last tick).
        self.claim_lag = 0.0

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if not self._workers:
            loop = asyncio.get_running_loop()
            self._workers = [
                loop.create_task(self._drain(), name=f"reminders-{n}") for n in range(self._senders)
            ]

    async def stop(self) -> None:
        for handle in self._retries:
            handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []

    async def idle(self) -> None:
        """Wait until everything claimed so far has been delivered (tests, benchmarks)."""
        await self._queue.join()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def queue_depth(self) -> int:
        """Claimed reminders waiting for the sender (retries waiting out a backoff excluded)."""
        return self._queue.qsize()

    # ---------------------------------------------------------------- claiming

    async def tick(self) -> int:
        """Claim due reminders into the send queue; returns how many were queued."""
        async with self._tick_lock:
            try:
                return await self._claim()
            except Exception:  # a failing tick must never stop the scheduler
                log.exception("reminder tick failed; will try again")
                return 0

    async def _claim(self) -> int:
        now = self._clock.now()
        lease_until = to_unix(now) + LEASE_SECONDS
        # A snapshot: a send that finishes while the query runs must still be excluded, or its
        # row, read as due before the commit, would be queued a second time.
        in_flight = frozenset(self._in_flight)
        await self._repo.renew_claims(self.owner, in_flight, lease_until)
        oldest = await self._repo.oldest_due(to_unix(now))
        self.claim_lag = 0.0 if oldest is None else max(0.0, now.timestamp() - oldest)
        # The queue holds a few seconds of this replica's rate (its share of the budget), so
        # replicas split a burst evenly and none is left with a long tail.
        room = max(1, int(self._pacer.rate * QUEUE_SECONDS)) - len(in_flight)
        if room <= 0:
            return 0
        due = await self._repo.claim_due(
            to_unix(now), room, owner=self.owner, lease_until=lease_until, exclude=in_flight
        )
        queued = 0
        for record in due:
            reminder = await self._prepare(record, now)
            if reminder is not None:
                self._in_flight.add(record.user_id)
                self._queue.put_nowait(reminder)
                queued += 1
        return queued

    async def _prepare(self, record: ReminderRecord, now: datetime) -> DueReminder | None:
        """A regular reminder (sent late within the grace window, else skipped), a morning
        check-in (likewise) or a snooze."""
        regular = record.next_fire_at is not None and record.next_fire_at <= to_unix(now)
        checkin = record.checkin_at is not None and record.checkin_at <= to_unix(now)
        if not regular and checkin:
            return await self._prepare_checkin(record, now)
        if not regular:
            last = _local_date(record.last_sent_date, now)
            return DueReminder(record, last, DueKind.SNOOZED)
        assert record.next_fire_at is not None and record.next_local_date is not None
        local_date = date.fromisoformat(record.next_local_date)
        late = now - datetime.fromtimestamp(record.next_fire_at, UTC)
        if late > self._grace:
            log.info("reminder missed by %s (over the grace window): skipped", late)
            self.events[EngineEvent.MISSED] += 1
            await self._move_on(record, local_date, now, sent=False)
            return None
        return DueReminder(record, local_date, DueKind.BEDTIME)

    async def _prepare_checkin(self, record: ReminderRecord, now: datetime) -> DueReminder | None:
        assert record.checkin_at is not None
        late = now - datetime.fromtimestamp(record.checkin_at, UTC)
        if late > self._grace or not record.checkin_date:
            log.info("morning check-in missed by %s: skipped", late)
            await self._repo.set_checkin(record.user_id, None, None, to_unix(now))
            return None
        return DueReminder(record, date.fromisoformat(record.checkin_date), DueKind.CHECKIN)

    # ---------------------------------------------------------------- sending

    async def _drain(self) -> None:
        while True:
            reminder = await self._queue.get()
            try:
                await self._deliver(reminder)
            except Exception:  # no error may stop the sender
                log.exception("reminder delivery failed unexpectedly")
                self._in_flight.discard(reminder.record.user_id)
            finally:
                self._queue.task_done()

    async def _deliver(self, reminder: DueReminder) -> None:
        while True:
            try:
                delivery = await self._sender.send_reminder(reminder, self._pacer.wait)
            except Exception as exc:
                delivery = Delivery(DeliveryStatus.FAILED, detail=repr(exc))
            if delivery.status is not DeliveryStatus.RETRY_AFTER:
                break
            log.warning(
                "Telegram asked to slow down: pausing reminders %.1fs", delivery.retry_after
            )
            self._pacer.pause(delivery.retry_after)
            self.events[EngineEvent.RATE_LIMITED] += 1
        if delivery.status is DeliveryStatus.FAILED and self._retry_later(reminder, delivery):
            return  # still in flight until the retry
        await self._settle(reminder, delivery, self._clock.now())

    async def _settle(
        self, reminder: DueReminder, delivery: Delivery, now: datetime, attempt: int = 0
    ) -> None:
        """Record how the send went. Until that is stored the reminder stays claimed (in
        flight), so a full disk or a held lock never makes the engine send it again."""
        try:
            if delivery.status is DeliveryStatus.SENT:
                await self._record_sent(reminder, now)
            elif delivery.status is DeliveryStatus.BLOCKED:
                await self._repo.disable(reminder.user_id, to_unix(now))
                log.info("user unreachable (%s): reminders turned off", delivery.detail)
            else:
                await self._give_up(reminder)
        except Exception as exc:
            delay = min(RECORD_RETRY_MAX_S, self._retry_base * 2**attempt)
            log.warning(
                "could not record a reminder's outcome (%s); holding it, next try in %.0fs",
                exc,
                delay,
            )
            self.events[EngineEvent.RECORD_HELD] += 1
            self._later(
                delay, lambda: self._spawn(self._settle(reminder, delivery, now, attempt + 1))
            )
            return
        self._in_flight.discard(reminder.user_id)
        self.outcomes[delivery.status] += 1
        if delivery.status is DeliveryStatus.SENT:
            self.sent_today.add()
            if reminder.kind is DueKind.BEDTIME and _late(reminder.record, now):
                self.events[EngineEvent.LATE] += 1

    def _later(self, delay: float, action: Callable[[], object]) -> None:
        """Call ``action`` after ``delay`` seconds (cancelled by ``stop``)."""
        handle: asyncio.TimerHandle

        def run() -> None:
            self._retries.discard(handle)
            action()

        handle = asyncio.get_running_loop().call_later(delay, run)
        self._retries.add(handle)

    def _spawn(self, step: Coroutine[Any, Any, None]) -> None:
        """Run ``step`` as a task the engine keeps (and ``stop`` cancels)."""
        task = asyncio.get_running_loop().create_task(step)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record_sent(self, reminder: DueReminder, now: datetime) -> None:
        record = reminder.record
        if reminder.kind is DueKind.SNOOZED:
            await self._repo.set_snooze(record.user_id, None, to_unix(now))
        elif reminder.kind is DueKind.CHECKIN:
            await self._repo.set_checkin(record.user_id, None, None, to_unix(now))
        else:
            await self._move_on(record, reminder.local_date, now, sent=True)
            if record.checkin_enabled:
                morning = checkin_instant(record, now)
                night = reminder.local_date.isoformat()
                await self._repo.set_checkin(record.user_id, to_unix(morning), night, to_unix(now))

    async def _move_on(
        self, record: ReminderRecord, local_date: date, now: datetime, *, sent: bool
    ) -> None:
        """Past this local day: schedule the next one (exactly one per local day)."""
        fired = datetime.fromtimestamp(record.next_fire_at or to_unix(now), UTC)
        following = next_occurrence(
            schedule_of(record), after=max(now, fired), last_sent_date=local_date
        )
        args = (to_unix(following.fire_at), following.local_date.isoformat(), to_unix(now))
        if sent:
            await self._repo.mark_sent(record.user_id, local_date.isoformat(), *args)
        else:
            await self._repo.reschedule(record.user_id, *args)

    def _retry_later(self, reminder: DueReminder, delivery: Delivery) -> bool:
        """Back off and send again; False after too many failures (then it moves on)."""
        attempts = reminder.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            log.warning(
                "reminder failed %d times (%s); giving up for now", attempts, delivery.detail
            )
            return False
        delay = self._retry_base * 2 ** (attempts - 1)
        log.info("reminder send failed (%s); retrying in %.0fs", delivery.detail, delay)
        retry = DueReminder(reminder.record, reminder.local_date, reminder.kind, attempts)
        self._later(delay, lambda: self._queue.put_nowait(retry))
        self.events[EngineEvent.RETRIED] += 1
        return True

    async def _give_up(self, reminder: DueReminder) -> None:
        now = self._clock.now()
        if reminder.kind is DueKind.SNOOZED:
            await self._repo.set_snooze(reminder.record.user_id, None, to_unix(now))
        elif reminder.kind is DueKind.CHECKIN:
            await self._repo.set_checkin(reminder.record.user_id, None, None, to_unix(now))
        else:
            await self._move_on(reminder.record, reminder.local_date, now, sent=False)


def replica_name() -> str:
    """This process among replicas: host, pid and a random tag (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def checkin_instant(record: ReminderRecord, after: datetime) -> datetime:
    """The next CHECKIN_TIME in the user's zone after the bedtime reminder went out."""
    zone = ZoneInfo(record.time_zone)
    local = after.astimezone(zone)
    morning = datetime.combine(local.date(), CHECKIN_TIME, tzinfo=zone)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), CHECKIN_TIME, tzinfo=zone)
    return morning.astimezone(UTC)


def _late(record: ReminderRecord, sent_at: datetime) -> bool:
    fire_at = record.next_fire_at
    return fire_at is not None and sent_at - datetime.fromtimestamp(fire_at, UTC) > LATE_AFTER


def _local_date(iso: str | None, now: datetime) -> date:
    return date.fromisoformat(iso) if iso else now.date()
