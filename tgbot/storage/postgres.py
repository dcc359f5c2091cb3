"""PostgreSQL: a psycopg 3 connection pool behind the same Store API as SQLite's Database.

Each statement runs on a pooled connection in autocommit, as SQLite's do on its one
connection. Migrations (``migrations/postgresql/``) are applied under an advisory lock, so
replicas that start together migrate once; ``schema_version`` records each one applied.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.string import TextLoader
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from tgbot.storage.database import StorageError, StorageUnavailable, load_migrations
from tgbot.storage.store import Params, Row, Session

log = logging.getLogger(__name__)

# Enough for the updates and reminder sends in flight at once: each holds a connection for
# one statement only. Past it, a statement waits up to POOL_WAIT_S, then StorageUnavailable.
POOL_MIN = 2
POOL_MAX = 10
POOL_WAIT_S = 5.0
CONNECT_TIMEOUT_S = 5
# pg_advisory_lock(MIGRATION_LOCK, hash of the schema): one migrator per schema at a time.
MIGRATION_LOCK = 0x7467_6274  # "tgbt"

Connection = psycopg.AsyncConnection[DictRow]


@functools.lru_cache(maxsize=1024)
def pyformat(sql: str) -> str:
    """The repositories' ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled).
    A ``?`` inside a quoted literal stays; jsonb's ``?`` operator is written jsonb_exists()."""
    parts = sql.replace("%", "%%").split("'")
    parts[::2] = [part.replace("?", "%s") for part in parts[::2]]
    return "'".join(parts)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def one_line(exc: BaseException) -> str:
    """libpq's messages run over several lines (a hint, a second address tried)."""
    return re.sub(r"\s*\n\s*", "; ", str(exc).strip()) or type(exc).__name__


@contextmanager
def unreachable_as_unavailable() -> Iterator[None]:
    """The server gone, or every pooled connection busy too long: StorageUnavailable (a write
    that cannot be done now), as a locked SQLite is."""
    try:
        yield
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise StorageUnavailable(one_line(exc)) from exc


async def _configure(connection: Connection) -> None:
    # jsonb reads as its JSON text, as SQLite's TEXT column does (UserSettings.from_json).
    connection.adapters.register_loader("jsonb", TextLoader)


class _ConnectionSession:
    """Statements on one connection (a transaction's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._connection.execute(pyformat(sql), params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self._connection.cursor() as cursor:
            await cursor.executemany(pyformat(sql), rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        cursor = await self._connection.execute(pyformat(sql), params)
        return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = await self._connection.execute(pyformat(sql), params)
        return list(await cursor.fetchall())


class PostgresDatabase:
    dialect: Literal["postgresql"] = "postgresql"
    unavailable: tuple[type[Exception], ...] = (StorageUnavailable,)

    def __init__(self, url: str, pool: AsyncConnectionPool[Connection]) -> None:
        self._url = url
        self._pool = pool

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[_ConnectionSession]:
        """A pooled connection (unreachable_as_unavailable)."""
        with unreachable_as_unavailable():
            async with self._pool.connection() as connection:
                yield _ConnectionSession(connection)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._session() as session:
            return await session.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self._session() as session:
            await session.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._session() as session:
            return await session.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._session() as session:
            return await session.fetchall(sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        with unreachable_as_unavailable():
            async with self._pool.connection() as connection, connection.transaction():
                yield _ConnectionSession(connection)

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT coalesce(max(version), 0) AS version FROM schema_version")
        return int(row["version"]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction, holding the schema's
        advisory lock: a replica starting meanwhile waits, then finds nothing left to do."""
        async with await _connect(self._url) as connection:
            lock = (MIGRATION_LOCK,)
            scope = "hashtext(coalesce(current_schema(), ''))"
            await connection.execute(f"SELECT pg_advisory_lock(%s, {scope})", lock)
            try:
                return await _apply_migrations(connection)
            finally:
                await connection.execute(f"SELECT pg_advisory_unlock(%s, {scope})", lock)

    async def notifications(self, channel: str) -> AsyncIterator[str]:
        """LISTEN on a connection of its own (outside the pool) and yield each payload."""
        try:
            async with await _connect(self._url) as connection:
                await connection.execute(f"LISTEN {channel}")
                async for notify in connection.notifies():
                    yield notify.payload
        except psycopg.OperationalError as exc:
            raise StorageUnavailable(one_line(exc)) from exc

    async def close(self) -> None:
        await self._pool.close()


async def _apply_migrations(connection: Connection) -> int:
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
        "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    cursor = await connection.execute("SELECT coalesce(max(version), 0) AS v FROM schema_version")
    row = await cursor.fetchone()
    current = int(row["v"]) if row else 0
    for migration in load_migrations("postgresql"):
        if migration.version <= current:
            continue
        log.info("applying migration %04d_%s (postgresql)", migration.version, migration.name)
        async with connection.transaction():
            await connection.execute(migration.sql)  # no parameters: % and ? taken as written
            await connection.execute(
                "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
        current = migration.version
    return current


# Every connection alike: one statement at a time in autocommit, rows read by column name.
_CONNECTION_OPTIONS: dict[str, Any] = {
    "autocommit": True,
    "row_factory": dict_row,
    "connect_timeout": CONNECT_TIMEOUT_S,
}


async def _connect(url: str) -> Connection:
    return await psycopg.AsyncConnection.connect(url, **_CONNECTION_OPTIONS)


def new_pool(
    url: str,
    *,
    min_size: int,
    max_size: int,
    timeout: float,
    configure: Callable[[Connection], Awaitable[None]],
) -> AsyncConnectionPool[Connection]:
    """A pool of such connections, not opened yet (``await pool.open(...)``)."""
    return AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        open=False,
        connection_class=Connection,
        kwargs=_CONNECTION_OPTIONS,
        configure=configure,
    )


async def open_postgres(url: str) -> PostgresDatabase:
    """Migrate, then open the pool. A server that does not answer, a refused login or a
    failed migration raises StorageError (one line, no password), with nothing left open."""
    pool = new_pool(
        url, min_size=POOL_MIN, max_size=POOL_MAX, timeout=POOL_WAIT_S, configure=_configure
    )
    database = PostgresDatabase(url, pool)
    try:
        await database.migrate()
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    except BaseException as exc:
        await pool.close()
        if isinstance(exc, psycopg.Error | PoolTimeout | OSError):
            raise StorageError(f"{redacted(url)}: {one_line(exc)}") from exc
        raise
    return database
