"""The bot's hot statements on each store and driver: psycopg 3 (our PostgreSQL store),
asyncpg (the same SQL straight through its own pool, when it is installed), and SQLite.

    .venv/bin/python bench/bench_postgres.py [--url postgresql://…] [--ops 20000]

Per update the bot writes last-seen (UserRepository.touch, at most once a minute per user);
per reminder it reads the due rows and records the send. Each is run by 64 tasks at once
(the bot's updates in flight), against 10,000 seeded users; a pool of 10 connections for
both drivers. It prints operations per second and p50 / p99 latency per statement. Each
run uses a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg

from tgbot.storage import ReminderRepository, Store, UserRepository, open_store
from tgbot.storage.reminders import ReminderRecord

USERS = 10_000
CONCURRENCY = 64
POOL = 10

Op = Callable[[int], Awaitable[object]]


async def timed(op: Op, ops: int) -> tuple[float, list[float]]:
    """ops calls of op(i) by CONCURRENCY tasks; (ops/s, latencies in ms)."""
    latencies: list[float] = []
    counter = iter(range(ops))

    async def worker() -> None:
        for i in counter:
            start = time.perf_counter()
            await op(i)
            latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return ops / (time.perf_counter() - start), latencies


def line(name: str, result: tuple[float, list[float]]) -> str:
    rate, latencies = result
    cuts = statistics.quantiles(latencies, n=100)
    return f"  {name:<28} {rate:8.0f} ops/s   p50 {cuts[49]:6.2f} ms   p99 {cuts[98]:6.2f} ms"


async def seed(store: Store) -> None:
    users, reminders = UserRepository(store, cache_size=0), ReminderRepository(store)
    for uid in range(USERS):
        await users.touch(uid, "en", now=0)
        if uid % 10 == 0:  # a tenth have a bedtime reminder, due at second uid
            record = ReminderRecord(uid, "22:15", "Europe/Berlin", 127, True, None, uid, "x")
            await reminders.save(record, now=0)


async def ours(location: str | Path, ops: int) -> list[str]:
    store = await open_store(location)
    try:
        await seed(store)
        users, reminders = UserRepository(store, cache_size=0), ReminderRepository(store)
        now = 10_000

        async def touch(i: int) -> object:
            return await users.touch(i % USERS, "en", now=now + 60 * (1 + i // USERS))

        async def due(i: int) -> object:
            return await reminders.due(now=i % USERS, limit=30)

        async def sent(i: int) -> object:
            uid = (i * 10) % USERS
            await reminders.mark_sent(uid, f"d{i}", uid + 86_400, "n", now=now)
            return None

        return [
            line("touch (upsert last seen)", await timed(touch, ops)),
            line("due (claim query, 30)", await timed(due, ops // 4)),
            line("mark_sent (2 statements)", await timed(sent, ops // 4)),
        ]
    finally:
        await store.close()


async def asyncpg_run(url: str, ops: int) -> list[str]:
    """The same statements, $n placeholders, through asyncpg's pool (its prepared cache)."""
    asyncpg: Any = importlib.import_module("asyncpg")
    pool = await asyncpg.create_pool(url, min_size=POOL, max_size=POOL)
    try:
        now = 10_000
        columns = "user_id, local_time, time_zone, days, enabled, next_fire_at, snooze_at"

        async def touch(i: int) -> object:
            return await pool.fetchrow(
                "INSERT INTO users (user_id, language, created_at, last_seen_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET last_seen_at = "
                "excluded.last_seen_at WHERE users.last_seen_at <= excluded.last_seen_at - $5 "
                "RETURNING user_id, language, time_zone, settings::text, created_at, last_seen_at",
                i % USERS,
                "en",
                now,
                now + 60 * (1 + i // USERS) + 10_000_000,
                60,
            )

        async def due(i: int) -> object:
            rows = []
            for column in ("next_fire_at", "snooze_at", "checkin_at"):
                rows += await pool.fetch(
                    f"SELECT {columns} FROM reminders WHERE enabled = 1 AND {column} <= $1 "
                    f"ORDER BY {column} LIMIT $2",
                    i % USERS,
                    30,
                )
            return rows

        async def sent(i: int) -> object:
            uid = (i * 10) % USERS
            await pool.execute(
                "UPDATE reminders SET last_sent_date = $1, next_fire_at = $2, "
                "next_local_date = $3, updated_at = $4 WHERE user_id = $5 AND enabled = 1",
                f"a{i}",
                uid + 86_400,
                "n",
                now,
                uid,
            )
            return await pool.execute(
                "INSERT INTO reminder_sends (user_id, local_date) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING",
                uid,
                f"a{i}",
            )

        return [
            line("touch (upsert last seen)", await timed(touch, ops)),
            line("due (claim query, 30)", await timed(due, ops // 4)),
            line("mark_sent (2 statements)", await timed(sent, ops // 4)),
        ]
    finally:
        await pool.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--ops", type=int, default=20_000)
    args = parser.parse_args()
    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    scoped = f"{args.url}{'&' if '?' in args.url else '?'}options=-csearch_path%3D{schema}"
    try:
        print(f"PostgreSQL, psycopg {psycopg.__version__} (tgbot's store, pool {POOL}):")
        print("\n".join(await ours(scoped, args.ops)))
        try:
            version = importlib.import_module("asyncpg").__version__
        except ImportError:
            print("asyncpg: not installed, skipped")
        else:
            print(f"PostgreSQL, asyncpg {version} (same SQL, its pool {POOL}):")
            print("\n".join(await asyncpg_run(scoped, args.ops)))
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite (tgbot's store, one connection, WAL, synchronous=FULL):")
            print("\n".join(await ours(Path(folder) / "bench.sqlite3", args.ops)))
    finally:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
