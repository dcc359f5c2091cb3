"""Webhook mode's guarantees, one API over both stores: each ``update_id`` handled once
however many replicas it reaches, and one chat's updates one at a time, in arrival order.

``async with gate.handle_once(update_id, chat_key) as fresh:`` waits for the chat's turn;
``fresh`` is False for an update already handled (answer Telegram 200, do nothing). The
update counts as handled only when the block ends without an exception:

- PostgreSQL (several replicas): the turn is a transaction holding the chat's advisory lock
  (``pg_advisory_xact_lock``, granted in the order asked). The processed row is inserted in
  that transaction at the end, so it commits with the lock's release. A replica that dies
  mid-update drops its connection: the lock goes, nothing commits, and Telegram's retry is
  handled by whoever gets it. The transaction holds a connection of its own pool for as
  long as the update is handled, so this pool is apart from the store's.
- SQLite (one instance): the turn is an in-process lane per chat; the row is written after.

A replica's own updates for one chat also wait in an in-process lane before asking for the
lock, so a busy chat holds at most one connection per replica and keeps exact arrival order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from tgbot.storage.database import StorageUnavailable
from tgbot.storage.postgres import (
    CONNECT_TIMEOUT_S,
    Connection,
    one_line,
    pyformat,
)
from tgbot.storage.store import Store

# Telegram keeps an update (and retries it) for at most a day; older rows can go.
RETENTION_S = 24 * 3600
# Waiting longer than this for a chat's turn answers 503: Telegram retries later.
TURN_WAIT_S = 20.0

_INSERT = (
    "INSERT INTO processed_updates (update_id, handled_at, replica) VALUES (?, ?, ?) "
    "ON CONFLICT (update_id) DO NOTHING"
)
_SEEN = "SELECT 1 AS seen FROM processed_updates WHERE update_id = ?"
_RECORDED = "SELECT fingerprint FROM webhook_settings WHERE id = 1"
_RECORD = (
    "INSERT INTO webhook_settings (id, fingerprint, set_at) VALUES (1, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, set_at = excluded.set_at"
)

# ensure(known): known says the settings recorded in the database are these ones.
EnsureWebhook = Callable[[bool], Awaitable[None]]


class UpdateGate(Protocol):
    def handle_once(self, update_id: int, chat_key: int) -> AbstractAsyncContextManager[bool]: ...

    async def set_webhook_once(self, fingerprint: str, ensure: EnsureWebhook) -> None:
        """Run ``ensure`` with no other replica doing the same, then record ``fingerprint``."""
        ...

    async def forget_expired(self, now: float | None = None) -> int: ...

    async def close(self) -> None: ...


class ChatLanes:
    """In-process turns per key, in the order asked; a waiter that gives up (cancelled)
    passes its place on only once the one before it is done."""

    def __init__(self) -> None:
        self._tails: dict[int, asyncio.Future[None]] = {}

    @asynccontextmanager
    async def turn(self, key: int) -> AsyncIterator[None]:
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done  # before any await: the lane follows arrival order
        try:
            if previous is not None:
                await asyncio.shield(previous)
            yield
        finally:
            if previous is not None and not previous.done():
                previous.add_done_callback(lambda _: done.set_result(None))
            else:
                done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    def __len__(self) -> int:
        return len(self._tails)


class SqliteUpdateGate:
    """One instance owns the database: in-process lanes give the order."""

    def __init__(self, store: Store, replica: str) -> None:
        self._store = store
        self._replica = replica
        self._lanes = ChatLanes()

    @asynccontextmanager
    async def handle_once(self, update_id: int, chat_key: int) -> AsyncIterator[bool]:
        async with self._lanes.turn(chat_key):
            if await self._store.fetchone(_SEEN, (update_id,)) is not None:
                yield False
                return
            yield True
            await self._store.execute(_INSERT, (update_id, int(time.time()), self._replica))

    async def set_webhook_once(self, fingerprint: str, ensure: EnsureWebhook) -> None:
        row = await self._store.fetchone(_RECORDED)
        await ensure(row is not None and row["fingerprint"] == fingerprint)
        await self._store.execute(_RECORD, (fingerprint, int(time.time())))

    async def forget_expired(self, now: float | None = None) -> int:
        cutoff = int(now if now is not None else time.time()) - RETENTION_S
        return await self._store.execute(
            "DELETE FROM processed_updates WHERE handled_at < ?", (cutoff,)
        )

    async def close(self) -> None:
        pass  # the store is the application's


class PostgresUpdateGate:
    """Several replicas on one schema: advisory locks, each turn on a connection of its own."""

    def __init__(self, pool: AsyncConnectionPool[Connection], replica: str) -> None:
        self._pool = pool
        self._replica = replica
        self._lanes = ChatLanes()

    @asynccontextmanager
    async def handle_once(self, update_id: int, chat_key: int) -> AsyncIterator[bool]:
        async with self._lanes.turn(chat_key):
            try:
                async with self._pool.connection() as connection, connection.transaction():
                    await connection.execute(f"SET LOCAL lock_timeout = '{int(TURN_WAIT_S)}s'")
                    # One lock space per schema, so test schemas on one server stay apart.
                    await connection.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended("
                        "coalesce(current_schema(), '') || %s, 0))",
                        (f":chat:{chat_key}",),
                    )
                    cursor = await connection.execute(pyformat(_SEEN), (update_id,))
                    if await cursor.fetchone() is not None:
                        yield False
                        return
                    yield True
                    await connection.execute(
                        pyformat(_INSERT), (update_id, int(time.time()), self._replica)
                    )
            except (psycopg.OperationalError, PoolTimeout) as exc:
                raise StorageUnavailable(one_line(exc)) from exc

    async def set_webhook_once(self, fingerprint: str, ensure: EnsureWebhook) -> None:
        async with self._pool.connection() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended("
                "coalesce(current_schema(), '') || ':set-webhook', 0))"
            )
            cursor = await connection.execute(_RECORDED)
            row = await cursor.fetchone()
            await ensure(row is not None and row["fingerprint"] == fingerprint)
            await connection.execute(pyformat(_RECORD), (fingerprint, int(time.time())))

    async def forget_expired(self, now: float | None = None) -> int:
        cutoff = int(now if now is not None else time.time()) - RETENTION_S
        async with self._pool.connection() as connection:
            cursor = await connection.execute(
                "DELETE FROM processed_updates WHERE handled_at < %s", (cutoff,)
            )
            return cursor.rowcount

    async def close(self) -> None:
        await self._pool.close()


async def open_update_gate(store: Store, url: str | None, replica: str, turns: int) -> UpdateGate:
    """``url``: the PostgreSQL store's URL (None: SQLite, ``store`` itself). ``turns``: how
    many updates this replica may handle at once (each holds a connection meanwhile)."""
    if url is None:
        return SqliteUpdateGate(store, replica)
    pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
        url,
        min_size=min(2, turns),
        max_size=turns,
        timeout=TURN_WAIT_S,
        open=False,
        connection_class=Connection,
        kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT_S},
    )
    try:
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    except BaseException:
        await pool.close()
        raise
    return PostgresUpdateGate(pool, replica)
