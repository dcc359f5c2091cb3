"""SQLite: connection set-up and versioned migrations (``PRAGMA user_version``)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import aiosqlite

from tgbot.storage.store import Dialect, Params, Row, Session

log = logging.getLogger(__name__)

MEMORY = ":memory:"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(dialect: Dialect = "sqlite") -> list[Migration]:
    """Migrations are ``NNNN_name.sql`` files shipped inside the package: SQLite's in
    ``migrations/``, PostgreSQL's (the same versions) in ``migrations/postgresql/``."""
    folder = resources.files("tgbot.storage") / "migrations"
    if dialect != "sqlite":
        folder = folder / dialect
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"migration numbers must be 1..N without gaps: {found!r}")
    return found


class Database:
    """Owns the single aiosqlite connection (one writer; WAL lets readers in)."""

    dialect: Literal["sqlite"] = "sqlite"
    # Locked past the busy timeout, read-only or a full disk: a write that cannot be done now.
    unavailable: tuple[type[Exception], ...] = (sqlite3.OperationalError,)

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        # Not closed: that would be one more trip to aiosqlite's thread per write.
        cursor = await self.connection.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self.connection.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self.connection.execute(sql, params) as cursor:
            row: Row | None = await cursor.fetchone()
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.connection.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """For tools that own the database (migrate-store): on the bot's one shared
        connection, another coroutine's statement meanwhile would join the transaction."""
        await self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            await self.connection.execute("ROLLBACK")
            raise
        await self.connection.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction; returns the new version."""
        current = await self.schema_version()
        for migration in load_migrations():
            if migration.version <= current:
                continue
            log.info("applying migration %04d_%s", migration.version, migration.name)
            # executescript commits first; BEGIN/COMMIT make each migration atomic.
            await self.connection.executescript(
                f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
            )
            current = migration.version
        return current

    async def close(self) -> None:
        await self.connection.close()


BUSY_TIMEOUT_MS = 1000


def private_file(path: Path) -> None:
    """Create ``path`` readable by this user only (0600, its folder 0700 when we create it):
    the diary is health data. SQLite gives its -wal and -shm files the same mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class StorageError(Exception):
    """The database cannot be opened or set up: the bot cannot start (one clear line)."""


class StorageUnavailable(Exception):
    """A write could not be done now (read-only, disk full, locked too long)."""


async def open_database(path: Path | str) -> Database:
    """Open (creating the file and its folder on first use) and migrate the database.
    A file that is not a database, unreadable or on a full disk raises StorageError, with
    the connection closed: its worker thread would otherwise keep a failed process alive."""
    try:
        if str(path) != MEMORY:
            private_file(Path(path))
        connection = await aiosqlite.connect(str(path), isolation_level=None)
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"{path}: {exc}") from exc
    try:
        connection.row_factory = aiosqlite.Row
        # WAL: readers never block the writer; FULL: a committed write survives power loss.
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = FULL")
        await connection.execute("PRAGMA foreign_keys = ON")
        # One connection serves every user: a long wait behind another process's lock would
        # stall them all, so give up soon and let the caller fall back (or retry later).
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Deleted rows (a /forget, a deleted note) are overwritten, not left in free pages.
        await connection.execute("PRAGMA secure_delete = ON")
        database = Database(connection)
        await database.migrate()
    except BaseException as exc:
        await connection.close()
        if isinstance(exc, sqlite3.Error | OSError):
            raise StorageError(f"{path}: {exc}") from exc
        raise
    return database


def backup_database(source: Path, target: Path) -> int:
    """A consistent copy of the live database (SQLite's online backup: the bot keeps running;
    WAL lets it read and write meanwhile). The copy is private (0600). Returns its pages."""
    if not source.is_file():
        raise StorageError(f"{source}: no database here")
    if target.exists():
        raise StorageError(f"{target}: already exists (choose a new file)")
    try:
        private_file(target)
        with (
            contextlib.closing(sqlite3.connect(source)) as live,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            live.backup(copy)
            (pages,) = copy.execute("PRAGMA page_count").fetchone()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise StorageError(f"{source}: {exc}") from exc
    return int(pages)
