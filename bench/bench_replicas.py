"""Three replicas on one PostgreSQL database: start-up, the claim query, a shared 30/s burst,
and kill -9 of one replica in the middle of a burst.

    .venv/bin/python bench/bench_replicas.py            # 1,000,000 users, 3,000 due at once
    .venv/bin/python bench/bench_replicas.py --quick    # 100,000 users, 600 due at once

Runs against the local PostgreSQL (``--url``, default the test database) in a schema of its
own, dropped at the end. This process seeds the schema with COPY (the app's migrations make
it), serves the Bot API stand-in (``BenchAPI`` from bench_reminders.py) and starts three real
``python -m tgbot run`` children: one polls getUpdates (Telegram allows one poller per
token), two run ``--no-polling`` (reminders only). Each figure is taken where the stand-in
receives the calls, and printed beside its target. See bench/README.md, "Replicas".
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import secrets
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from bench_reminders import (
    FIRST_USER_ID,
    HOST,
    TOKEN,
    BenchAPI,
    BenchError,
    BotProcess,
    max_in_window,
    percentile,
    reminder_title,
)
from lag_monitor import LagMonitor

from tgbot.services.reminders.engine import LEASE_SECONDS
from tgbot.storage import ReminderRepository, open_store
from tgbot_devtools.standin.http_server import start_http_server
from tgbot_devtools.standin.records import JSON

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
RATE = 30.0  # TGBOT_REMINDER_RATE and TGBOT_REPLY_RATE: the whole bot's budget
TARGET_STARTUP_S = 3.0
TARGET_CLAIM_P99_MS = 20.0
FINISH_SLACK_S = 10.0  # a burst of N finishes within N / rate + this
TAKEOVER_SLACK_S = 2.0  # a tick and a window past the lease
CLAIM_BATCH = 40  # what one replica claims per tick at its share (10/s x 4 s)


@dataclass(frozen=True)
class Plan:
    users: int
    burst: int
    claims: int  # claim queries timed


FULL = Plan(users=1_000_000, burst=3_000, claims=500)
QUICK = Plan(users=100_000, burst=600, claims=200)


def seed(url: str, users: int) -> None:
    """Every user has a reminder, none due for a day (COPY: seconds for a million)."""
    now = int(time.time())
    later = now + 86_400
    day = datetime.fromtimestamp(later, UTC).date().isoformat()
    with psycopg.connect(url, autocommit=True) as db:
        with db.cursor().copy(
            "COPY users (user_id, language, time_zone, settings, created_at, last_seen_at) "
            "FROM STDIN"
        ) as copy:
            buffer = io.StringIO()
            for uid in range(FIRST_USER_ID, FIRST_USER_ID + users):
                buffer.write(f"{uid}\ten\tUTC\t{{}}\t{now}\t{now}\n")
            copy.write(buffer.getvalue())
        with db.cursor().copy(
            "COPY reminders (user_id, local_time, time_zone, days, enabled, next_fire_at, "
            "next_local_date, created_at, updated_at) FROM STDIN"
        ) as copy:
            buffer = io.StringIO()
            for uid in range(FIRST_USER_ID, FIRST_USER_ID + users):
                buffer.write(f"{uid}\t22:00\tUTC\t127\t1\t{later}\t{day}\t{now}\t{now}\n")
            copy.write(buffer.getvalue())
        db.execute("ANALYZE users")
        db.execute("ANALYZE reminders")


def set_due(url: str, users: list[int], at: int) -> None:
    day = datetime.fromtimestamp(at, UTC).date().isoformat()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "UPDATE reminders SET next_fire_at = %s, next_local_date = %s, claimed_by = NULL, "
            "claimed_until = NULL WHERE user_id = ANY(%s)",
            (at, day, users),
        )


async def time_claims(url: str, plan: Plan) -> list[float]:
    """claim_due of CLAIM_BATCH rows among many due ones, as a replica's tick does (ms)."""
    due = list(range(FIRST_USER_ID, FIRST_USER_ID + plan.claims * CLAIM_BATCH))
    now = int(time.time())
    set_due(url, due, now - 60)
    store = await open_store(url)
    repository = ReminderRepository(store)
    latencies = []
    try:
        for n in range(plan.claims):
            start = time.perf_counter()
            got = await repository.claim_due(
                now, CLAIM_BATCH, owner=f"bench-{n % 3}", lease_until=now + LEASE_SECONDS
            )
            latencies.append((time.perf_counter() - start) * 1000)
            if len(got) != CLAIM_BATCH:
                raise BenchError(f"a claim got {len(got)} rows, not {CLAIM_BATCH}")
    finally:
        await store.close()
    set_due(url, due, now + 86_400)  # out of the way again
    return latencies


class ReplicasAPI(BenchAPI):
    """The stand-in, able to kill a replica the moment it accepts one of that replica's
    reminders (``victim_users``: rows claimed by it), as Telegram would have it and the
    replica never hears back: the worst case for duplicates."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.victim_users: set[int] = set()
        self.kill_victim: Callable[[], None] | None = None

    def _engine_send(self, params: JSON, chat: int, ok: bool, perf: float, wall: float) -> None:
        super()._engine_send(params, chat, ok, perf, wall)
        if ok and chat in self.victim_users and self.kill_victim is not None:
            kill, self.kill_victim = self.kill_victim, None
            kill()


class Replica(BotProcess):
    """A bot child. A ``--no-polling`` one is ready when it writes its heartbeat file, which
    post_init does after the replica joined (its share is safe) and the engine started."""

    def __init__(self, api: BenchAPI, env: dict[str, str], workdir: Path, url: str, poll: bool):
        super().__init__(api, env, workdir, None)
        self.url = url
        self.poll = poll

    async def start_replica(self, limit_s: float = 30.0) -> float:
        if self.poll:
            return await self.start(limit_s)
        beat = self.workdir / "heartbeat"
        beat.unlink(missing_ok=True)
        self._log = (self.workdir / "bot.log").open("ab")
        self.spawned = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tgbot", "run", "--no-polling", cwd=self.workdir,
            env=self.env, stdin=asyncio.subprocess.DEVNULL, stdout=self._log, stderr=self._log,
        )  # fmt: skip
        while time.perf_counter() - self.spawned < limit_s:
            if beat.exists():
                return time.perf_counter() - self.spawned
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.02)
        await self.stop()
        raise BenchError("a --no-polling replica did not get ready; see its bot.log")


def claimed_by_pid(url: str, pid: int) -> set[int]:
    with psycopg.connect(url, autocommit=True) as db:
        rows = db.execute(
            "SELECT user_id FROM reminders WHERE claimed_by LIKE %s", (f"%:{pid}:%",)
        ).fetchall()
    return {int(r[0]) for r in rows}


def over_limit_at(stamps: list[float], due: float) -> str:
    """Where the windows over the rate start, in seconds after due (empty when none)."""
    ordered = sorted(stamps)
    starts = [s - due for i, s in enumerate(ordered) if bisect_left(ordered, s + 1.0) - i > RATE]
    return ", ".join(f"+{s:.1f}" for s in starts[:8])


@dataclass
class Burst:
    users: int
    sent_once: int
    duplicates: int
    lost: int
    busiest_window: int
    over_at: str  # where windows over the rate start (s after due)
    finished_s: float  # from due to the last first send


def burst_result(api: BenchAPI, users: list[int], since: int, due: float) -> Burst:
    wanted = set(users)
    sends = [s for s in api.sends if s.ok and s.user_id in wanted and s.wall >= since - 5]
    counts = Counter(s.user_id for s in sends)
    firsts = sorted(min(s.wall for s in sends if s.user_id == uid) for uid in counts)
    return Burst(
        users=len(users),
        sent_once=sum(1 for c in counts.values() if c == 1),
        duplicates=sum(c - 1 for c in counts.values()),
        lost=len(wanted - set(counts)),
        busiest_window=max_in_window(api.messages),
        over_at=over_limit_at(api.messages, due),
        finished_s=(firsts[-1] - due) if firsts else float("nan"),
    )


async def wait_sent(api: BenchAPI, users: list[int], limit_s: float) -> None:
    wanted = set(users)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if wanted <= {s.user_id for s in api.sends if s.ok}:
            return
        await asyncio.sleep(0.2)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


async def run(plan: Plan, url: str) -> list[str]:
    lines = [f"users {plan.users:,}, burst {plan.burst:,} at {RATE:g}/s, 3 replicas"]
    store = await open_store(url)  # the app's migrations make the schema
    await store.close()
    started = time.perf_counter()
    seed(url, plan.users)
    lines.append(f"seeded with COPY in {time.perf_counter() - started:.1f} s")
    claims = await time_claims(url, plan)
    p50, p99 = percentile(claims, 50), percentile(claims, 99)
    lines.append(
        f"claim query ({CLAIM_BATCH} rows, {plan.claims} times): p50 {p50:.2f} ms, "
        f"p99 {p99:.2f} ms (target <= {TARGET_CLAIM_P99_MS:g}) "
        f"{verdict(p99 <= TARGET_CLAIM_P99_MS)}"
    )
    api = ReplicasAPI(reminder_title())
    server = await start_http_server(api, HOST, 0)
    # The stand-in's timestamps are the measurement: no collector pauses in this process, and
    # every database call of the bench runs in a thread, off the stand-in's event loop.
    gc.collect()
    gc.freeze()
    gc.disable()
    replicas: list[Replica] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
            for n in range(3):
                workdir = Path(tmp) / f"r{n}"
                workdir.mkdir()
                env = {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_BASE_URL": server.base_url,
                    "TGBOT_DATABASE_URL": url,
                    "TGBOT_DB_PATH": str(workdir / "bot.sqlite3"),  # its heartbeat file's place
                    "TGBOT_REMINDER_RATE": f"{RATE:g}",
                    "TGBOT_REPLY_RATE": f"{RATE:g}",
                    "TGBOT_LOG_LEVEL": "WARNING",
                    "TGBOT_ENCODER": "off",
                }
                replicas.append(Replica(api, env, workdir, url, poll=n == 0))
            for n, replica in enumerate(replicas):
                took = await replica.start_replica()
                what = "first getUpdates" if replica.poll else "joined and ticking (--no-polling)"
                lines.append(
                    f"replica {n + 1} start-up -> {what}: {took:.2f} s "
                    f"(target <= {TARGET_STARTUP_S:g}) {verdict(took <= TARGET_STARTUP_S)}"
                )
            await asyncio.sleep(2.0)  # every share settled
            lines += await burst_phase(api, url, plan, replicas, kill=False)
            lines += await burst_phase(api, url, plan, replicas, kill=True)
    finally:
        for replica in replicas:
            await replica.stop()
        await server.close()
        gc.enable()
    return lines


async def burst_phase(
    api: ReplicasAPI, url: str, plan: Plan, replicas: list[Replica], *, kill: bool
) -> list[str]:
    offset = plan.claims * CLAIM_BATCH + (plan.burst if kill else 0)
    users = list(range(FIRST_USER_ID + offset, FIRST_USER_ID + offset + plan.burst))
    for uid in users:
        api.user(uid, first_name=f"U{uid}")  # the stand-in knows their chats
    due = int(time.time()) + 3
    api.messages.clear()
    await asyncio.to_thread(set_due, url, users, due)
    label = "kill -9 burst" if kill else "burst"
    lines = []
    limit = plan.burst / RATE + FINISH_SLACK_S + 30
    if kill:
        victim = replicas[2]
        await asyncio.sleep(3 + plan.burst / RATE / 3)  # a third of the way through
        pid = victim.pid
        killed = asyncio.Event()

        def kill_now() -> None:
            victim.kill9_now()
            killed.set()

        # Killed as the stand-in accepts one of the reminders it claimed (it never hears back).
        api.victim_users = await asyncio.to_thread(claimed_by_pid, url, pid)
        api.kill_victim = kill_now
        await asyncio.wait_for(killed.wait(), 30)
        killed_at = time.monotonic()
        delivered = {s.user_id for s in api.sends if s.ok}
        claims = await asyncio.to_thread(claimed_by_pid, url, pid)
        in_flight = len(claims & delivered)  # accepted by Telegram, not yet recorded
        while time.monotonic() - killed_at < 60:
            if not await asyncio.to_thread(claimed_by_pid, url, pid):
                break
            await asyncio.sleep(0.1)
        takeover = time.monotonic() - killed_at
        async with LagMonitor() as lag:
            await wait_sent(api, users, limit)
        result = burst_result(api, users, due, due)
        target = LEASE_SECONDS + TAKEOVER_SLACK_S
        lines.append(
            f"{label}: killed replica held {len(claims)} claims, {in_flight} sends in flight; "
            f"lost {result.lost} (target 0) {verdict(result.lost == 0)}; duplicates "
            f"{result.duplicates} (target <= {in_flight}) "
            f"{verdict(result.duplicates <= in_flight)}"
        )
        lines.append(
            f"{label}: its claims taken over after {takeover:.1f} s (target <= lease "
            f"{LEASE_SECONDS} s + {TAKEOVER_SLACK_S:g}) {verdict(takeover <= target)}; "
            f"busiest 1 s window {result.busiest_window} (target <= {RATE:g}) "
            f"{verdict(result.busiest_window <= RATE)}; finished {result.finished_s:.1f} s "
            f"after due; stand-in's worst stall {lag.worst * 1000:.0f} ms (after the takeover)"
        )
        if result.over_at:
            lines.append(f"{label}: windows over {RATE:g} start at {result.over_at} s")
        return lines
    async with LagMonitor() as lag:
        await wait_sent(api, users, limit)
    result = burst_result(api, users, due, due)
    finish_target = plan.burst / RATE + FINISH_SLACK_S
    lines.append(
        f"{label}: {result.sent_once}/{result.users} sent exactly once, duplicates "
        f"{result.duplicates}, lost {result.lost} (target all once) "
        f"{verdict(result.sent_once == result.users)}"
    )
    lines.append(
        f"{label}: busiest 1 s window {result.busiest_window} (target <= {RATE:g}) "
        f"{verdict(result.busiest_window <= RATE)}; finished {result.finished_s:.1f} s after due "
        f"(target <= {finish_target:.0f}) {verdict(result.finished_s <= finish_target)}; "
        f"stand-in's worst stall {lag.worst * 1000:.0f} ms"
    )
    if result.over_at:
        lines.append(f"{label}: windows over {RATE:g} start at {result.over_at} s")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k users, 600 due at once")
    parser.add_argument("--url", default=DEFAULT_URL, help="a PostgreSQL server to use")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    schema = f"bench_replicas_{secrets.token_hex(4)}"
    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in args.url else "?"
    url = f"{args.url}{separator}options=-csearch_path%3D{schema}"
    try:
        lines = asyncio.run(run(plan, url))
    except BenchError as exc:
        print(f"benchmark broke: {exc}", file=sys.stderr)
        return 1
    finally:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
    print(
        f"bench_replicas {'--quick' if args.quick else ''} {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    for line in lines:
        print(" ", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
