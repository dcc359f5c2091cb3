"""The diary_entries table. Every query is scoped to one user: no entry id alone is enough."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tgbot.storage.store import PerDialect, Row, Store
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


# The users who chose this retention period: the same JSON path in both dialects.
_RETENTION_CLEAN_UP = PerDialect(
    sqlite="DELETE FROM diary_entries WHERE occurred_at < ? AND user_id IN (SELECT user_id "
    "FROM users WHERE json_extract(settings, ?) = ?)",
    postgresql="DELETE FROM diary_entries WHERE occurred_at < ? AND user_id IN (SELECT user_id "
    "FROM users WHERE jsonb_path_query_first(settings, ?::jsonpath) = to_jsonb(?::bigint))",
)


class DiaryRepository:
    def __init__(self, database: Store) -> None:
        self._db = database

    async def add(self, record: DiaryRecord, now: int) -> int:
        row = await self._db.fetchone(
            "INSERT INTO diary_entries (user_id, occurred_at, local_date, site, side, severity, "
            "duration, note, source, local_time, time_zone, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        )
        assert row is not None
        return int(row["id"])

    async def get(self, user_id: int, entry_id: int) -> DiaryRecord | None:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM diary_entries WHERE id = ? AND user_id = ?",
            (entry_id, user_id),
        )
        return _record(row) if row else None

    async def update(self, user_id: int, entry_id: int, **changes: Any) -> bool:
        """Change some fields of the user's own entry; False if it isn't theirs or is gone."""
        unknown = set(changes) - set(EDITABLE)
        if unknown or not changes:
            raise ValueError(f"cannot change {sorted(unknown) or 'nothing'}")
        assignments = ", ".join(f"{name} = ?" for name in changes)
        changed = await self._db.execute(
            f"UPDATE diary_entries SET {assignments} WHERE id = ? AND user_id = ?",
            (*changes.values(), entry_id, user_id),
        )
        return changed > 0

    async def delete(self, user_id: int, entry_id: int) -> bool:
        deleted = await self._db.execute(
            "DELETE FROM diary_entries WHERE id = ? AND user_id = ?", (entry_id, user_id)
        )
        return deleted > 0

    async def between(self, user_id: int, since: int, until: int) -> list[DiaryRecord]:
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM diary_entries WHERE user_id = ? "
            "AND occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at",
            (user_id, since, until),
        )
        return [_record(row) for row in rows]

    async def all_for(self, user_id: int) -> list[DiaryRecord]:
        return await self.between(user_id, 0, 2**62)

    async def without_zone(self, user_id: int) -> list[DiaryRecord]:
        """The user's entries logged before any time zone was known."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM diary_entries WHERE user_id = ? AND time_zone IS NULL "
            "AND local_time IS NOT NULL",
            (user_id,),
        )
        return [_record(row) for row in rows]

    async def delete_older_than(self, retention_days: int, cutoff: int) -> int:
        """Retention clean-up: remove entries before ``cutoff`` of users who chose this period."""
        return await self._db.execute(
            _RETENTION_CLEAN_UP[self._db.dialect], (cutoff, RETENTION_JSON_PATH, retention_days)
        )


def _record(row: Row) -> DiaryRecord:
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
