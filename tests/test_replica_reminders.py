"""Several replicas on one PostgreSQL schema: claims with a lease, one budget, a shared 429.

Each replica here is what a process has: its own store (pool), engine and budget. Skipped,
saying so, when no PostgreSQL server answers (the ``postgres_url`` fixture).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tgbot.app import STANDIN_TOKEN
from tgbot.services.clock import Clock, ManualClock, SystemClock
from tgbot.services.reminders.engine import (
    LEASE_SECONDS,
    Delivery,
    DeliveryStatus,
    DueReminder,
    EngineEvent,
    ReminderEngine,
)
from tgbot.services.reminders.pacing import SendPacer
from tgbot.services.replicas import ReplicaBudget
from tgbot.services.send_budget import SendBudget
from tgbot.storage import ReminderRecord, ReminderRepository, Store, UserRepository, open_store
from tgbot.storage.replicas import Census, ReplicaRepository, shared_store
from tgbot_devtools.standin import FakeBotAPI
from tgbot_devtools.standin.http_server import start_http_server

DUE_AT = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)


class RecordingSender:
    """Every send that went out, with the replica that sent it and when (monotonic)."""

    def __init__(self, log: list[tuple[str, int, float]], name: str) -> None:
        self.log, self.name = log, name
        self.hold: asyncio.Event | None = None  # set: sends wait for it (a hung replica)

    async def send_reminder(
        self, reminder: DueReminder, ready: Callable[[], Awaitable[None]]
    ) -> Delivery:
        await ready()
        self.log.append((self.name, reminder.user_id, time.monotonic()))
        if self.hold is not None:
            await self.hold.wait()
        return Delivery(DeliveryStatus.SENT)


async def seed(store: Store, users: range, due_at: datetime) -> None:
    """``users`` with a reminder due at ``due_at`` (UTC 22:00 every day)."""
    people, reminders = UserRepository(store), ReminderRepository(store)
    for uid in users:
        await people.touch(uid, "en", 0)
        record = ReminderRecord(
            uid,
            "22:00",
            "UTC",
            127,
            True,
            next_fire_at=int(due_at.timestamp()),
            next_local_date=due_at.date().isoformat(),
        )
        await reminders.save(record, 0)


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[list[Store]]:
    """Three replicas' stores on one schema (the first migrates it)."""
    opened = [await open_store(postgres_url) for _ in range(3)]
    yield opened
    for store in opened:
        await store.close()


def engine_on(
    store: Store, sender: RecordingSender, clock: Clock, pacer: SendPacer | None = None
) -> ReminderEngine:
    repository = ReminderRepository(store)
    engine = ReminderEngine(repository, sender, clock, rate=1e6, retry_base=0.01, pacer=pacer)
    engine.start()
    return engine


class Unpaced:
    """No waiting, but the rate of a real replica: each tick claims a few seconds' worth (40),
    so two replicas' claims overlap in time and compete for the same oldest rows."""

    rate = 10.0

    async def wait(self) -> None:
        pass

    def pause(self, seconds: float) -> None:
        pass


async def test_two_replicas_claiming_the_same_due_rows_send_each_once(stores: list[Store]) -> None:
    await seed(stores[0], range(1, 301), DUE_AT)
    clock = ManualClock(DUE_AT + timedelta(seconds=1))
    log: list[tuple[str, int, float]] = []
    engines = [
        engine_on(store, RecordingSender(log, name), clock, pacer=Unpaced())
        for store, name in zip(stores, "ab", strict=False)
    ]
    for _ in range(30):  # both tick at once, again and again, while sends settle
        await asyncio.gather(*(engine.tick() for engine in engines))
        await asyncio.sleep(0)
    for engine in engines:
        await engine.idle()
        await engine.stop()
    sends = Counter(uid for _, uid, _ in log)
    assert len(sends) == 300 and set(sends.values()) == {1}  # each exactly once
    by_replica = Counter(name for name, _, _ in log)
    assert by_replica["a"] > 0 and by_replica["b"] > 0  # and both did their part
    rows = await stores[0].fetchall(
        "SELECT count(*) AS n FROM reminders WHERE claimed_by IS NOT NULL OR next_fire_at <= ?",
        (int(clock.now().timestamp()),),
    )
    assert rows[0]["n"] == 0  # every row settled, every claim ended with it


async def test_a_dead_replicas_claims_are_taken_over_when_the_lease_ends(
    stores: list[Store],
) -> None:
    await seed(stores[0], range(1, 6), DUE_AT)
    clock = ManualClock(DUE_AT + timedelta(seconds=1))
    log: list[tuple[str, int, float]] = []
    dead_sender = RecordingSender(log, "dead")
    dead_sender.hold = asyncio.Event()  # its sends never come back: the process is gone
    dead = engine_on(stores[0], dead_sender, clock)
    assert await dead.tick() == 5
    await asyncio.sleep(0.05)
    alive = engine_on(stores[1], RecordingSender(log, "alive"), clock)
    clock.advance(timedelta(seconds=LEASE_SECONDS - 1))
    assert await alive.tick() == 0  # the lease still holds
    clock.advance(timedelta(seconds=1))
    assert await alive.tick() == 5  # it ran out: taken over
    await alive.idle()
    await alive.stop()
    await dead.stop()
    assert sorted(uid for name, uid, _ in log if name == "alive") == [1, 2, 3, 4, 5]


class FailingWrites(ReminderRepository):
    """The database refuses the next ``failures`` outcomes (a lock, a failover)."""

    def __init__(self, store: Store, failures: int) -> None:
        super().__init__(store)
        self.failures = failures

    async def mark_sent(self, *args: object) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise OSError("the database is not accepting writes")
        await super().mark_sent(*args)  # type: ignore[arg-type]


async def test_a_live_replica_renews_the_lease_of_a_send_whose_outcome_is_held(
    stores: list[Store],
) -> None:
    await seed(stores[0], range(1, 2), DUE_AT)
    clock = ManualClock(DUE_AT + timedelta(seconds=1))
    log: list[tuple[str, int, float]] = []
    repository = FailingWrites(stores[0], failures=4)
    owner = ReminderEngine(
        repository, RecordingSender(log, "owner"), clock, rate=1e6, retry_base=0.05
    )
    owner.start()
    other = engine_on(stores[1], RecordingSender(log, "other"), clock)
    await owner.tick()
    for _ in range(12):  # a minute and more passes, the owner ticking (renewing) as it goes
        await asyncio.sleep(0.1)
        clock.advance(timedelta(seconds=LEASE_SECONDS // 3))
        await owner.tick()
        assert await other.tick() == 0
    await owner.idle()
    await other.idle()
    await owner.stop()
    await other.stop()
    assert [(name, uid) for name, uid, _ in log] == [("owner", 1)]
    assert repository.failures == 0 and owner.events[EngineEvent.RECORD_HELD] == 4
    record = await ReminderRepository(stores[0]).get(1)
    assert record is not None and record.last_sent_date == DUE_AT.date().isoformat()


@dataclass
class Replica:
    """One process's send side: budget, share, engine."""

    budget: SendBudget
    share: ReplicaBudget
    engine: ReminderEngine
    ticking: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        for task in self.ticking:
            task.cancel()
        await self.engine.stop()
        await self.share.leave()


async def start_replica(
    store: Store,
    name: str,
    log: list[tuple[str, int, float]],
    rate: float,
    *,
    heartbeat: float = 0.2,
    ttl: float = 1.0,
) -> Replica:
    clock = SystemClock()
    budget = SendBudget(rate, window_full_at_start=True)
    shared = shared_store(store)
    assert shared is not None
    share = ReplicaBudget(
        budget, ReplicaRepository(shared), clock, name, heartbeat=heartbeat, ttl=ttl
    )
    await share.join()
    engine = ReminderEngine(
        ReminderRepository(store),
        RecordingSender(log, name),
        clock,
        rate=rate,
        pacer=budget.for_reminders(rate),
        owner=name,
    )
    engine.start()

    async def tick() -> None:
        while True:
            await engine.tick()
            await asyncio.sleep(0.2)

    return Replica(budget, share, engine, [asyncio.create_task(tick())])


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


async def test_three_replicas_together_never_exceed_the_rate(stores: list[Store]) -> None:
    """One replica sends alone; two more join while it sends; then a backlog falls due. Each
    takes its third, and the bot as a whole never goes over 30 in any second."""
    rate, first, backlog = 30.0, 30, 120
    now = datetime.now(UTC)
    await seed(stores[0], range(1, first + 1), now - timedelta(seconds=5))
    await seed(stores[0], range(first + 1, first + backlog + 1), now + timedelta(seconds=2))
    log: list[tuple[str, int, float]] = []
    # A roomy ttl: on a busy machine (the suite's other worker) a beat may come late, and this
    # test is about the shares, not about a replica that stopped beating.
    replicas = [await start_replica(stores[0], "r1", log, rate, ttl=3.0)]
    await asyncio.sleep(0.3)  # r1 is sending its first rows
    replicas += await asyncio.gather(
        start_replica(stores[1], "r2", log, rate, ttl=3.0),
        start_replica(stores[2], "r3", log, rate, ttl=3.0),
    )
    deadline = time.monotonic() + 15
    while len(log) < first + backlog and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # anything sent twice would show up now
    for replica in replicas:
        await replica.stop()
    sends = Counter(uid for _, uid, _ in log)
    assert len(sends) == first + backlog and set(sends.values()) == {1}
    assert most_in_any_second([t for _, _, t in log]) <= rate
    late = Counter(name for name, uid, _ in log if uid > first)
    assert set(late) == {"r1", "r2", "r3"}  # the backlog was shared
    assert [r.share.live for r in replicas] == [3, 3, 3]
    assert [r.budget.share for r in replicas] == [pytest.approx(1 / 3)] * 3
    # The whole rate is used: once due, the backlog goes out at about 30 a second.
    backlog_times = sorted(t for _, uid, t in log if uid > first)
    assert backlog_times[-1] - backlog_times[0] < backlog / rate + 1.5


async def test_a_429_seen_by_one_replica_pauses_the_others_at_once(stores: list[Store]) -> None:
    log: list[tuple[str, int, float]] = []
    told = await start_replica(stores[0], "told", log, 30.0, heartbeat=0.2, ttl=1.0)
    # The other beats only every 30 s: the pause can reach it only through NOTIFY.
    other = await start_replica(stores[1], "other", log, 30.0, heartbeat=30.0, ttl=90.0)
    await asyncio.sleep(1.2)  # both joined and past their first window
    assert not other.budget.paused
    told.budget.pause(2.0)  # as BudgetRateLimiter does on Telegram's RetryAfter
    paused_at = time.monotonic()
    while not other.budget.paused and time.monotonic() - paused_at < 1.0:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    heard_after = time.monotonic() - paused_at
    await other.budget.wait(7, reply=True)  # a reply on the other replica waits it out
    released_after = time.monotonic() - paused_at
    await told.stop()
    await other.stop()
    assert heard_after < 0.5
    assert released_after >= 1.9
    row = await stores[0].fetchone("SELECT count(*) AS n FROM replicas")
    assert row is not None and row["n"] == 0  # both left: their shares went back


async def test_a_replica_leaving_gives_its_share_back(stores: list[Store]) -> None:
    log: list[tuple[str, int, float]] = []
    first = await start_replica(stores[0], "first", log, 30.0)
    second = await start_replica(stores[1], "second", log, 30.0)
    await asyncio.sleep(0.5)
    assert first.budget.share == pytest.approx(0.5)
    await second.stop()
    await asyncio.sleep(0.5)
    assert first.budget.share == 1.0
    await first.stop()


async def test_on_sqlite_the_one_process_keeps_its_claims_in_memory(tmp_path: Path) -> None:
    """Nothing to share: no replica budget, and a claim is the engine's in-flight set."""
    store = await open_store(tmp_path / "bot.sqlite3")
    try:
        assert shared_store(store) is None
        await seed(store, range(1, 4), DUE_AT)
        repository, now = ReminderRepository(store), int(DUE_AT.timestamp()) + 1
        claimed = await repository.claim_due(now, 10, owner="a", lease_until=now + 15)
        assert [r.user_id for r in claimed] == [1, 2, 3]
        again = await repository.claim_due(now, 10, owner="a", lease_until=now + 15, exclude={1})
        assert [r.user_id for r in again] == [2, 3]
    finally:
        await store.close()


class FlakyReplicas(ReplicaRepository):
    """Heartbeats that fail while ``down`` (the database is out of reach)."""

    down = False

    async def heartbeat(self, replica_id: str, now: float, ttl: float, joined_at: float) -> Census:
        if self.down:
            raise OSError("connection refused")
        return await super().heartbeat(replica_id, now, ttl, joined_at)


async def test_a_replica_that_cannot_beat_stops_sending_before_the_others_count_it_dead(
    stores: list[Store],
) -> None:
    shared = shared_store(stores[0])
    assert shared is not None
    budget, replicas = SendBudget(30.0), FlakyReplicas(shared)
    share = ReplicaBudget(budget, replicas, SystemClock(), "flaky", heartbeat=0.1, ttl=0.6)
    await share.join()
    await asyncio.sleep(1.1)  # past the join's window
    assert not budget.holding
    replicas.down = True
    await asyncio.sleep(0.5)  # the others take it for dead after 0.6 s
    assert budget.holding and not budget.paused  # it stopped sending before that
    replicas.down = False
    await asyncio.sleep(0.3)
    assert share.live == 1  # back, counted again
    await share.leave()


async def test_tgbot_run_no_polling_sends_reminders_and_never_polls(
    postgres_url: str, tmp_path: Path
) -> None:
    """The real command as a further replica: it joins, sends a due reminder through the
    stand-in, never calls getUpdates (one poller per token), and leaves on SIGTERM."""
    store = await open_store(postgres_url)
    api = FakeBotAPI(STANDIN_TOKEN)
    user = api.user(424242, first_name="Replica")
    server = await start_http_server(api, "127.0.0.1", 0)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGBOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=STANDIN_TOKEN,
        TELEGRAM_API_BASE_URL=server.base_url,
        TGBOT_DATABASE_URL=postgres_url,
        TGBOT_DB_PATH=str(tmp_path / "bot.sqlite3"),  # where its heartbeat file goes
        TGBOT_ENCODER="off",
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tgbot", "run", "--no-polling", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await seed(store, range(424242, 424243), datetime.now(UTC) - timedelta(seconds=1))
        deadline = time.monotonic() + 30
        while not user.messages and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        assert user.messages, "the replica sent no reminder"
        child.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(child.communicate(), 30)
        assert child.returncode == 0, output.decode()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
        await server.close()
    methods = {call.method.lower() for call in api.calls}
    assert "sendmessage" in methods and "getupdates" not in methods
    row = await store.fetchone("SELECT count(*) AS n FROM replicas")
    await store.close()
    assert row is not None and row["n"] == 0  # it left: its share went back
