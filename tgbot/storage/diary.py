"""The diary_entries table. Every query is scoped to one user: no entry id alone is enough."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tgbot.storage.database import Database
from tgbot.storage.users import RETENTION_JSON_PATH

_COLUMNS = (
    "id, user_id, occurred_at, local_date, site, side, severity, duration, note, source, "
    "local_time, time_zone"
)
EDITABLE = (
    "occurred_at",
    "local_date",
    "site",
    "side",
    "severity",
    "duration",
    "note",
    "local_time",
    "time_zone",
)


@dataclass(frozen=True)
class DiaryRecord:
    id: int
    user_id: int
    occurred_at: int
    local_date: str
    site: str
    side: str | None = None
    severity: int | None = None
    duration: str | None = None
    note: str | None = None
    source: str = "menu"
    local_time: str | None = None  # 'YYYY-MM-DDTHH:MM', the wall clock the person meant
    time_zone: str | None = None  # the zone local_time is in; None: none was known yet


class DiaryRepository:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    async def add(self, record: DiaryRecord, now: int) -> int:
        async with self._db.execute(
            "INSERT INTO diary_entries (user_id, occurred_at, local_date, site, side, severity, "
            "duration, note, source, local_time, time_zone, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.user_id,
                record.occurred_at,
                record.local_date,
                record.site,
                record.side,
                record.severity,
                record.duration,
                record.note,
                record.source,
                record.local_time,
                record.time_zone,
                now,
            ),
        ) as cursor:
            new_id = cursor.lastrowid
        assert new_id is not None
        return new_id

    async def get(self, user_id: int, entry_id: int) -> DiaryRecord | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM diary_entries WHERE id = ? AND user_id = ?",
            (entry_id, user_id),
        ) as cursor:
            row = await cursor.fetchone()
        return _record(row) if row else None

    async def update(self, user_id: int, entry_id: int, **changes: Any) -> bool:
        """Change some fields of the user's own entry; False if it isn't theirs or is gone."""
        unknown = set(changes) - set(EDITABLE)
        if unknown or not changes:
            raise ValueError(f"cannot change {sorted(unknown) or 'nothing'}")
        assignments = ", ".join(f"{name} = ?" for name in changes)
        async with self._db.execute(
            f"UPDATE diary_entries SET {assignments} WHERE id = ? AND user_id = ?",
            (*changes.values(), entry_id, user_id),
        ) as cursor:
            changed = cursor.rowcount
        return changed > 0

    async def delete(self, user_id: int, entry_id: int) -> bool:
        async with self._db.execute(
            "DELETE FROM diary_entries WHERE id = ? AND user_id = ?", (entry_id, user_id)
        ) as cursor:
            deleted = cursor.rowcount
        return deleted > 0

    async def between(self, user_id: int, since: int, until: int) -> list[DiaryRecord]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM diary_entries WHERE user_id = ? "
            "AND occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at",
            (user_id, since, until),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def all_for(self, user_id: int) -> list[DiaryRecord]:
        return await self.between(user_id, 0, 2**62)

    async def without_zone(self, user_id: int) -> list[DiaryRecord]:
        """The user's entries logged before any time zone was known."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM diary_entries WHERE user_id = ? AND time_zone IS NULL "
            "AND local_time IS NOT NULL",
            (user_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def delete_older_than(self, retention_days: int, cutoff: int) -> int:
        """Retention clean-up: remove entries before ``cutoff`` of users who chose this period."""
        async with self._db.execute(
            "DELETE FROM diary_entries WHERE occurred_at < ? AND user_id IN (SELECT user_id "
            "FROM users WHERE json_extract(settings, ?) = ?)",
            (cutoff, RETENTION_JSON_PATH, retention_days),
        ) as cursor:
            deleted = cursor.rowcount
        return deleted


def _record(row: Any) -> DiaryRecord:
    return DiaryRecord(
        id=row["id"],
        user_id=row["user_id"],
        occurred_at=row["occurred_at"],
        local_date=row["local_date"],
        site=row["site"],
        side=row["side"],
        severity=row["severity"],
        duration=row["duration"],
        note=row["note"],
        source=row["source"],
        local_time=row["local_time"],
        time_zone=row["time_zone"],
    )
