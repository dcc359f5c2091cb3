"""What the repositories see of a database, whichever it is: SQLite (database.py) or
PostgreSQL (postgres.py). SQL is written once with ``?`` placeholders; where the dialects
differ, a repository names the statement once per dialect (PerDialect)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]
Params = Sequence[Any]


class Row(Protocol):
    """A result row, read by column name (sqlite3.Row and dict rows both are)."""

    def __getitem__(self, key: str, /) -> Any: ...


class Session(Protocol):
    """Statements on a store, or inside one of its transactions."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...


class Store(Session, Protocol):
    """An open, migrated database. ``unavailable``: the errors that mean "not now" (locked,
    read-only, server gone), which callers that can carry on without a write catch."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def unavailable(self) -> tuple[type[Exception], ...]: ...

    def transaction(self) -> AbstractAsyncContextManager[Session]:
        """Statements that commit together, or not at all."""
        ...

    async def schema_version(self) -> int: ...

    async def migrate(self) -> int: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class PerDialect:
    """One statement, written for each dialect where they differ."""

    sqlite: str
    postgresql: str

    def __getitem__(self, dialect: Dialect) -> str:
        return self.sqlite if dialect == "sqlite" else self.postgresql


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


async def open_store(location: str | Path) -> Store:
    """A ``postgresql://`` URL opens PostgreSQL; anything else is a SQLite file's path
    (config.py has already turned ``sqlite:///path`` into a path)."""
    if isinstance(location, str) and is_postgres(location):
        from tgbot.storage.postgres import open_postgres  # psycopg only when it is used

        return await open_postgres(location)
    from tgbot.storage.database import open_database

    return await open_database(location)
