"""Webhook mode's guarantees, one API over both stores: each ``update_id`` handled once
however many replicas it reaches, and one chat's updates one at a time, in update order.

``await gate.deliver(arrival, handle)`` returns "handled" or "duplicate" (already handled:
answer Telegram 200 and do nothing); ``handle(update_id, payload, ahead)`` runs the bot on one
update (``ahead``: the rows of the arrival's ``read_ahead`` statement, see below). An update
counts as handled only once ``handle`` returned; any exception propagates and leaves it
unhandled, so Telegram's retry gets it.

- PostgreSQL (several replicas): the update is first written to ``update_inbox``. After a
  short reorder window it takes its chat's turn: a transaction holding the chat's advisory
  lock (``tgbot_chat_turn``, migration 0008), on a connection of the gate's own pool, apart
  from the store's, since it stays open while the bot handles the update. The holder
  handles the chat's arrived updates in ``update_id`` order up to its own, one transaction
  each: marked processed and taken out of the inbox (``tgbot_update_done``), then committed,
  which releases the lock. Two updates of one chat that reach two replicas at nearly the
  same moment are thus handled in Telegram's order, not in the order their requests won the
  lock; one whose replica died is handled by the chat's next holder. A busy replica may
  record an update later than the window: a turn also waits, holding the lock, for the
  ``update_id``s just below its own that no replica has recorded yet (Telegram's sequence is
  bot-wide, so one may be the chat's), up to ``REORDER_WAIT_S``; an id that never comes is a
  gap, not waited for again. A replica that dies
  drops its connection: its transaction rolls back, its lock goes at once, nothing it had
  not finished is marked. An arrival may name a ``read_ahead`` statement (the sender's users
  row): it goes in the turn's message, after the lock, so the handler needs no round trip of
  its own for it (a webhook replica's CPU per update is mostly round trips).
- SQLite (one instance): an in-process lane per chat; the processed row is written after.

Either way a replica's own updates for one chat also wait in an in-process lane, so a busy
chat holds at most one of its connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

import psycopg
from psycopg import sql
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

from tgbot.storage.postgres import (
    CONNECT_TIMEOUT_S,
    Connection,
    new_pool,
    pyformat,
    unreachable_as_unavailable,
)
from tgbot.storage.store import Row, Store

# Telegram keeps an update (and retries it) for at most a day; older rows can go.
RETENTION_S = 24 * 3600
# Waiting longer than this for a chat's turn fails the request (503): Telegram retries.
TURN_WAIT_S = 20.0
# Connections beyond the chats' turns, so that recording an arrival never waits for a turn.
ARRIVAL_CONNECTIONS = 4
# Updates of one chat arriving within this of each other are handled in update_id order even
# when they reach different replicas: each waits this long after its arrival is recorded.
REORDER_WINDOW_S = 0.02
# After the window, the turn waits for the REORDER_SPAN ids below its own that have not
# arrived anywhere (tgbot_missing_below, migration 0011) up to REORDER_WAIT_S after its
# arrival, checking at these intervals (then every 50 ms).
REORDER_SPAN = 64
REORDER_WAIT_S = 0.5
_RECHECK_S = (0.005, 0.01, 0.02, 0.04)
_RECHECK_LAST_S = 0.05

Outcome = Literal["handled", "duplicate"]
# The rows of an arrival's read_ahead statement, read under the chat's lock just before the
# update is handled; None when there was none (or on SQLite).
ReadAhead = Sequence[Row] | None
# Runs the bot on one update: its id, its JSON (another replica's, when this one holds the
# chat's turn; the caller may have its own update parsed already), and the rows read ahead.
Handle = Callable[[int, str, ReadAhead], Awaitable[object]]
# ensure(known): known says the settings recorded in the database are these ones.
EnsureWebhook = Callable[[bool], Awaitable[None]]


@dataclass(frozen=True)
class Arrival:
    update_id: int
    chat_key: int  # whose turn it waits for: the chat, else the user, else its own id
    payload: str  # the update's JSON, as Telegram sent it
    # A SELECT without parameters (values as literals) run in each of this arrival's turns
    # after the lock; PostgreSQL only. Its rows go to handle().
    read_ahead: str | None = None


_PROCESSED = (
    "INSERT INTO processed_updates (update_id, handled_at, replica) VALUES (?, ?, ?) "
    "ON CONFLICT (update_id) DO NOTHING"
)
_SEEN = "SELECT 1 AS seen FROM processed_updates WHERE update_id = ?"
_RECORDED = "SELECT fingerprint FROM webhook_settings WHERE id = 1"
_RECORD = (
    "INSERT INTO webhook_settings (id, fingerprint, set_at) VALUES (1, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, set_at = excluded.set_at"
)
# Not when already processed: the inbox holds only updates still to handle. Committed
# without waiting for the WAL flush (synchronous_commit off for this one transaction: a
# flush costs the server ~0.2 ms of CPU here). Safe: an arrival lost with the server is lost
# with its request's connection too (a 5xx, so Telegram sends the update again), and the
# turn that handles it commits synchronously, which flushes the arrival with it.
_ARRIVE = pyformat(
    "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)) "
    "INSERT INTO update_inbox (update_id, chat_key, payload, arrived_at) "
    "SELECT ?, ?, ?, ? FROM relaxed WHERE NOT EXISTS "
    "(SELECT 1 FROM processed_updates WHERE update_id = ?) "
    "ON CONFLICT (update_id) DO NOTHING"
)
# One lock space per schema, so test schemas on one server stay apart (tgbot_chat_turn's too).
_LOCK_KEY = "hashtextextended(coalesce(current_schema(), '') || %s, 0)"


class UpdateGate(Protocol):
    async def deliver(self, arrival: Arrival, handle: Handle) -> Outcome: ...

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

    async def deliver(self, arrival: Arrival, handle: Handle) -> Outcome:
        async with self._lanes.turn(arrival.chat_key):
            if await self._store.fetchone(_SEEN, (arrival.update_id,)) is not None:
                return "duplicate"
            await handle(arrival.update_id, arrival.payload, None)
            await self._store.execute(
                _PROCESSED, (arrival.update_id, int(time.time()), self._replica)
            )
            return "handled"

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


async def _row_sets(cursor: psycopg.AsyncCursor[DictRow]) -> list[list[DictRow]]:
    """The rows of each statement of a message that returns rows, in order."""
    sets: list[list[DictRow]] = []
    while True:
        if cursor.description is not None:
            sets.append(await cursor.fetchall())
        if not cursor.nextset():
            return sets


async def _roll_back(connection: Connection) -> None:
    """End a failed turn; a connection that cannot is closed, which ends it too (and frees
    its lock), rather than going back to the pool mid-transaction."""
    try:
        await connection.execute("ROLLBACK")
    except BaseException as exc:
        with contextlib.suppress(Exception):
            await connection.close()
        if not isinstance(exc, Exception):
            raise  # cancelled: go on being cancelled


class PostgresUpdateGate:
    """Several replicas on one schema: an inbox, and an advisory lock per chat."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Connection],
        replica: str,
        reorder_window_s: float = REORDER_WINDOW_S,
    ) -> None:
        self._pool = pool
        self._replica = replica
        self._window = reorder_window_s
        self._gaps: set[int] = set()  # ids waited for in vain: not waited for again
        self._lanes = ChatLanes()
        self._turns = asyncio.Semaphore(max(1, (pool.max_size or 1) - ARRIVAL_CONNECTIONS))

    async def deliver(self, arrival: Arrival, handle: Handle) -> Outcome:
        with unreachable_as_unavailable():
            async with self._pool.connection() as connection:
                await connection.execute(
                    _ARRIVE,
                    (
                        arrival.update_id,
                        arrival.chat_key,
                        arrival.payload,
                        int(time.time()),
                        arrival.update_id,
                    ),
                )
            deadline = time.monotonic() + REORDER_WAIT_S
            await asyncio.sleep(self._window)
            async with (
                self._lanes.turn(arrival.chat_key),
                self._turns,
                self._pool.connection() as connection,
            ):
                return await self._take_turns(connection, arrival, handle, deadline)

    async def _take_turns(
        self, connection: Connection, arrival: Arrival, handle: Handle, deadline: float
    ) -> Outcome:
        """The chat's arrived updates up to this one, oldest first, one transaction each:
        the chat's lock, the update handled, marked done, and the commit that releases the
        lock (two round trips; the values are integers and a quoted literal). After another
        replica's update, marking it done and the next turn go in one message; the arrival's
        read_ahead statement follows each turn. The first turn's message also asks which ids
        below this one have not arrived yet; if any has not, the turn waits for them."""
        replica = sql.Literal(self._replica).as_string(connection)
        turn = f"BEGIN; SELECT * FROM tgbot_chat_turn({arrival.chat_key:d}, {arrival.update_id:d})"
        if arrival.read_ahead is not None:
            turn = f"{turn}; {arrival.read_ahead}"
        missing_below = f"SELECT tgbot_missing_below({arrival.update_id:d}, {REORDER_SPAN:d}) AS m"
        message = f"{turn}; {missing_below}"
        while True:
            try:
                cursor = await connection.execute(message)
                results = await _row_sets(cursor)  # past BEGIN's and the others without rows
                if message.endswith(missing_below):
                    missing = set(results.pop()[0]["m"]) - self._gaps
                    mine = results[-2 if arrival.read_ahead is not None else -1]
                    if (
                        mine
                        and missing
                        and await self._waited_for(connection, arrival, missing, deadline)
                    ):
                        # Arrived meanwhile: one may be this chat's, to handle first.
                        cursor = await connection.execute(turn.removeprefix("BEGIN; "))
                        results = await _row_sets(cursor)
                ahead = results.pop() if arrival.read_ahead is not None else None
                waiting = results[-1]
                if not waiting:
                    await connection.execute("COMMIT")
                    return "duplicate"  # handled already, by this replica or another
                update_id = int(waiting[0]["waiting_id"])
                await handle(update_id, waiting[0]["waiting_payload"], ahead)
                done = f"SELECT tgbot_update_done({update_id:d}, {replica}, {int(time.time()):d})"
                if update_id == arrival.update_id:
                    await connection.execute(f"{done}; COMMIT")
                    return "handled"
                message = f"{done}; COMMIT; {turn}"  # and the chat's next turn, at once
            except BaseException:
                await _roll_back(connection)
                raise

    async def _waited_for(
        self, connection: Connection, arrival: Arrival, missing: set[int], deadline: float
    ) -> bool:
        """Waits, in the turn's transaction, until every id in ``missing`` (below the
        arrival's) has arrived or ``deadline`` (monotonic) has passed; those still missing
        then are gaps. True if any arrived."""
        arrived = False
        for attempt in itertools.count():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            pause = _RECHECK_S[attempt] if attempt < len(_RECHECK_S) else _RECHECK_LAST_S
            await asyncio.sleep(min(pause, left))
            cursor = await connection.execute(
                "SELECT tgbot_missing_below(%s, %s) AS m", (arrival.update_id, REORDER_SPAN)
            )
            row = await cursor.fetchone()
            still = missing & set(row["m"] if row is not None else ())
            arrived = arrived or still != missing
            missing = still - self._gaps  # the gaps: another turn gave up on it already
            if not missing:
                return arrived
        self._gaps |= missing
        if len(self._gaps) > 4 * REORDER_SPAN:  # only ids near the newest are asked about
            newest = max(self._gaps)
            self._gaps = {gap for gap in self._gaps if gap > newest - 2 * REORDER_SPAN}
        return arrived

    async def set_webhook_once(self, fingerprint: str, ensure: EnsureWebhook) -> None:
        async with self._pool.connection() as connection, connection.transaction():
            await connection.execute(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})", (":webhook",))
            cursor = await connection.execute(_RECORDED)
            row = await cursor.fetchone()
            await ensure(row is not None and row["fingerprint"] == fingerprint)
            await connection.execute(pyformat(_RECORD), (fingerprint, int(time.time())))

    async def forget_expired(self, now: float | None = None) -> int:
        """Deletes what is older than a day; StorageUnavailable while the database is down
        (the sweep tries again later; it must not end the server)."""
        cutoff = int(now if now is not None else time.time()) - RETENTION_S
        with unreachable_as_unavailable():
            async with self._pool.connection() as connection:
                cursor = await connection.execute(
                    "DELETE FROM processed_updates WHERE handled_at < %s", (cutoff,)
                )
                deleted = cursor.rowcount
                cursor = await connection.execute(
                    "DELETE FROM update_inbox WHERE arrived_at < %s", (cutoff,)
                )
                return deleted + cursor.rowcount

    async def close(self) -> None:
        await self._pool.close()


async def _configure(connection: Connection) -> None:
    # A chat's turn not granted within TURN_WAIT_S fails (LockNotAvailable) rather than hangs.
    await connection.execute(f"SET lock_timeout = '{int(TURN_WAIT_S * 1000)}ms'")


async def open_update_gate(store: Store, url: str | None, replica: str, turns: int) -> UpdateGate:
    """``url``: the PostgreSQL store's URL (None: SQLite, ``store`` itself). ``turns``: how
    many chats this replica may handle at once (each holds a connection meanwhile)."""
    if url is None:
        return SqliteUpdateGate(store, replica)
    pool = new_pool(
        url,
        min_size=min(2, turns),
        max_size=turns + ARRIVAL_CONNECTIONS,
        timeout=TURN_WAIT_S,
        configure=_configure,
    )
    try:
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    except BaseException:
        await pool.close()
        raise
    return PostgresUpdateGate(pool, replica)
