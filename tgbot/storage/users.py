"""The users table: who uses the bot, their language and settings. Never message texts."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from tgbot.storage.database import StorageUnavailable
from tgbot.storage.store import PerDialect, Row, Store

# Writing last_seen on every update would cost a commit per tap; once a minute is plenty.
LAST_SEEN_RESOLUTION_S = 60
# Recently active users stay in memory, so a tap costs no database round trip (SQLite).
CACHE_SIZE = 10_000
# Webhook mode on PostgreSQL: the sender's row, read in the same message as the chat's turn
# (read_ahead_sql, storage/updates.py), for touch() to use instead of a round trip of its own.
_READ_AHEAD: ContextVar[tuple[int, Sequence[Row]] | None] = ContextVar(
    "users_read_ahead", default=None
)


def read_ahead_sql(user_id: int) -> str:
    """PostgreSQL: the user's row, jsonb as its JSON text (the store's connections read it so;
    this runs on the update gate's). Values are literals: it goes in a multi-statement
    message."""
    return (
        "SELECT user_id, language, time_zone, settings::text AS settings, created_at, "
        f"last_seen_at FROM users WHERE user_id = {int(user_id):d}"
    )


@contextmanager
def users_read_ahead(user_id: int, rows: Sequence[Row] | None) -> Iterator[None]:
    """Within this block, ``touch(user_id, ...)`` takes ``rows`` (read_ahead_sql's result, no
    row: no such user) as the stored row, once. ``rows`` None: nothing was read ahead."""
    token = _READ_AHEAD.set(None if rows is None else (user_id, rows))
    try:
        yield
    finally:
        _READ_AHEAD.reset(token)


@dataclass(frozen=True)
class UserSettings:
    """The users.settings JSON object, typed. Its keys are these field names, and are read
    nowhere else (SQL included: see RETENTION_JSON_PATH). A value of the wrong type, from an
    older version or a hand edit, reads as unset."""

    country: str | None = None  # ISO 3166 alpha-2, chosen for the emergency number
    prompt: Mapping[str, Any] | None = None  # the open question a typed message may answer
    diary_retention_days: int | None = None  # None: keep entries until deleted
    diary_nudged: Mapping[str, str] = field(default_factory=dict)  # nudge reason -> ISO day
    medicines: str | None = None  # typed for the doctor summary, shown as typed, never advised on

    @classmethod
    def from_json(cls, raw: str | None) -> UserSettings:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        country, prompt = data.get("country"), data.get("prompt")
        retention, nudged = data.get("diary_retention_days"), data.get("diary_nudged")
        return cls(
            country=country if isinstance(country, str) else None,
            prompt=prompt if isinstance(prompt, dict) else None,
            diary_retention_days=retention if type(retention) is int else None,
            diary_nudged=(
                {k: v for k, v in nudged.items() if isinstance(v, str)}
                if isinstance(nudged, dict)
                else {}
            ),
            medicines=medicines if isinstance(medicines := data.get("medicines"), str) else None,
        )


SETTINGS_FIELDS = frozenset(f.name for f in fields(UserSettings))
RETENTION_JSON_PATH = "$.diary_retention_days"

# A JSON merge patch (RFC 7396: null removes a key); PostgreSQL's is in its migration 0001.
_MERGE_SETTINGS = PerDialect(
    sqlite="UPDATE users SET settings = json_patch(settings, ?) WHERE user_id = ?",
    postgresql="UPDATE users SET settings = json_merge_patch(settings, ?::jsonb) WHERE user_id = ?",
)


@dataclass(frozen=True)
class UserRecord:
    user_id: int
    language: str | None
    time_zone: str | None
    settings: UserSettings = field(default_factory=UserSettings)
    created_at: int = 0
    last_seen_at: int = 0


class UserRepository:
    """The users table's writer. On SQLite it is the only one, so its cache of recent rows is
    current and answers reads. PostgreSQL may be shared by replicas: there a row is read each
    time (a language chosen through another replica shows on this one's next update), and
    the cache only serves a visit while the database cannot be reached."""

    def __init__(self, database: Store, cache_size: int = CACHE_SIZE) -> None:
        self._db = database
        self._cache: OrderedDict[int, UserRecord] = OrderedDict()
        self._cache_size = cache_size
        self._cache_is_current = database.dialect == "sqlite"

    async def touch(self, user_id: int, language: str | None, now: int) -> UserRecord:
        """Create the user on first contact, refresh last-seen; returns the stored row.

        ``language`` is only used for a new row: a language the user chose later wins.
        """
        cached = self._cache.get(user_id) if self._cache_is_current else None
        if cached is not None and now - cached.last_seen_at < LAST_SEEN_RESOLUTION_S:
            self._cache.move_to_end(user_id)
            return cached
        try:
            if not self._cache_is_current:
                # Read first: a row seen within the resolution needs no write, and an upsert
                # that changes nothing still locks the row (a WAL flush, ~0.3 ms of CPU).
                ahead = _taken_ahead(user_id)
                stored = await self._select(user_id) if ahead is None else ahead or None
                if stored is not None and now - stored.last_seen_at < LAST_SEEN_RESOLUTION_S:
                    return self._remember(stored)
            return self._remember(await self._upsert(user_id, language, now))
        except self._db.unavailable as exc:
            raise StorageUnavailable(str(exc)) from exc

    async def _upsert(self, user_id: int, language: str | None, now: int) -> UserRecord:
        row = await self._db.fetchone(
            """
            INSERT INTO users (user_id, language, created_at, last_seen_at)
            VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at
                WHERE users.last_seen_at <= excluded.last_seen_at - ?
            RETURNING user_id, language, time_zone, settings, created_at, last_seen_at
            """,
            (user_id, language, now, now, LAST_SEEN_RESOLUTION_S),
        )
        if row is None:  # recent enough: the conditional update touched nothing
            record = await self._select(user_id)
            assert record is not None
            return record
        return _record(row)

    def _remember(self, record: UserRecord) -> UserRecord:
        self._cache[record.user_id] = record
        self._cache.move_to_end(record.user_id)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return record

    def cached(self, user_id: int) -> UserRecord | None:
        """The row as last read, without touching the database (None if not in memory)."""
        return self._cache.get(user_id)

    async def get(self, user_id: int) -> UserRecord | None:
        cached = self._cache.get(user_id) if self._cache_is_current else None
        return cached if cached is not None else await self._select(user_id)

    async def _select(self, user_id: int) -> UserRecord | None:
        row = await self._db.fetchone(
            "SELECT user_id, language, time_zone, settings, created_at, last_seen_at "
            "FROM users WHERE user_id = ?",
            (user_id,),
        )
        return _record(row) if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        await self._db.execute(
            "UPDATE users SET language = ? WHERE user_id = ?", (language, user_id)
        )
        self._forget_cached(user_id)

    async def set_time_zone(self, user_id: int, time_zone: str) -> None:
        await self._db.execute(
            "UPDATE users SET time_zone = ? WHERE user_id = ?", (time_zone, user_id)
        )
        self._forget_cached(user_id)

    async def update_settings(self, user_id: int, **changes: Any) -> None:
        """Set some of the user's settings (UserSettings field names; None removes one)."""
        unknown = set(changes) - SETTINGS_FIELDS
        if unknown:
            raise ValueError(f"not a user setting: {', '.join(sorted(unknown))}")
        await self._db.execute(_MERGE_SETTINGS[self._db.dialect], (json.dumps(changes), user_id))
        self._forget_cached(user_id)

    async def delete(self, user_id: int) -> bool:
        """Delete everything stored about the user; True when there was something."""
        self._forget_cached(user_id)
        deleted = await self._db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        if self._db.dialect == "sqlite":
            # The deleted rows still sit in the write-ahead log until a checkpoint: do it now.
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted > 0

    def _forget_cached(self, user_id: int) -> None:
        self._cache.pop(user_id, None)

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) AS n FROM users")
        return int(row["n"]) if row else 0


def _taken_ahead(user_id: int) -> UserRecord | Literal[False] | None:
    """The row read ahead for this user (False: read ahead, none stored), once; None: not
    read ahead, so read it now."""
    ahead = _READ_AHEAD.get()
    if ahead is None or ahead[0] != user_id:
        return None
    _READ_AHEAD.set(None)
    rows = ahead[1]
    return _record(rows[0]) if rows else False


def _record(row: Row) -> UserRecord:
    return UserRecord(
        user_id=row["user_id"],
        language=row["language"],
        time_zone=row["time_zone"],
        settings=UserSettings.from_json(row["settings"]),
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
    )
