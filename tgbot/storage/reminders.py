"""The reminders table: one opt-in bedtime reminder per user.

Due rows are claimed before they are sent (``claim_due``). On PostgreSQL, where several
replicas share the table, a claim is a lease written to the row (claimed_by, claimed_until),
taken with ``FOR UPDATE SKIP LOCKED`` as procrastinate's fetch_job does: two replicas never
claim the same row, and a replica that dies releases its claims when their lease runs out.
SQLite serves one process, whose engine keeps its claims in memory (``exclude``). Every
statement that settles a row (sent, skipped, blocked) clears its claim in the same statement.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from tgbot.storage.store import PerDialect, Row, Store

_COLUMNS = (
    "user_id, local_time, time_zone, days, enabled, paused_until, next_fire_at, "
    "next_local_date, last_sent_date, snooze_at, last_done_date, checkin_enabled, checkin_at, "
    "checkin_date, created_at"
)


@dataclass(frozen=True)
class ReminderRecord:
    user_id: int
    local_time: str  # "HH:MM"
    time_zone: str
    days: int  # bit mask, bit i = weekday i (0 = Monday)
    enabled: bool
    paused_until: int | None = None
    next_fire_at: int | None = None
    next_local_date: str | None = None
    last_sent_date: str | None = None
    snooze_at: int | None = None
    last_done_date: str | None = None
    checkin_enabled: bool = True
    checkin_at: int | None = None
    checkin_date: str | None = None
    created_at: int | None = None


# Settling a row ends its claim in the same statement (NULL on SQLite, where none is written).
_RELEASE = "claimed_by = NULL, claimed_until = NULL"

# One claim statement per kind of due time, each over its own partial index, oldest first.
# SKIP LOCKED: a row another replica is claiming right now is left to it, nobody waits.
_CLAIM = """
    WITH due AS (
        SELECT user_id FROM reminders
        WHERE {due} AND (claimed_until IS NULL OR claimed_until <= ?)
        ORDER BY {order} LIMIT ?
        FOR UPDATE SKIP LOCKED
    )
    UPDATE reminders SET claimed_by = ?, claimed_until = ?
    FROM due WHERE reminders.user_id = due.user_id
    RETURNING reminders.*
"""
_DUE_KINDS = (  # (condition, order), claimed in this order
    # First the rows whose claim lapsed (their replica died mid-send): they have waited a
    # lease already, and a backlog due in the same second must not hold them back further.
    (
        "claimed_until <= ? AND enabled = 1 AND (next_fire_at <= ? OR snooze_at <= ? "
        "OR (checkin_at <= ? AND checkin_enabled = 1))",
        "claimed_until",
    ),
    ("enabled = 1 AND next_fire_at <= ?", "next_fire_at"),  # the regular reminder
    ("snooze_at <= ? AND enabled = 1", "snooze_at"),  # a snooze
    ("checkin_at <= ? AND enabled = 1 AND checkin_enabled = 1", "checkin_at"),  # morning
)

# One row per user and local night, whoever records it first.
_RECORD_SEND = PerDialect(
    sqlite="INSERT OR IGNORE INTO reminder_sends (user_id, local_date) VALUES (?, ?)",
    postgresql="INSERT INTO reminder_sends (user_id, local_date) VALUES (?, ?) "
    "ON CONFLICT DO NOTHING",
)
_RECORD_DONE = PerDialect(
    sqlite="INSERT OR IGNORE INTO routine_done (user_id, local_date) VALUES (?, ?)",
    postgresql="INSERT INTO routine_done (user_id, local_date) VALUES (?, ?) "
    "ON CONFLICT DO NOTHING",
)


class ReminderRepository:
    def __init__(self, database: Store) -> None:
        self._db = database

    async def get(self, user_id: int) -> ReminderRecord | None:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM reminders WHERE user_id = ?", (user_id,)
        )
        return _record(row) if row else None

    async def save(self, record: ReminderRecord, now: int) -> None:
        """Insert or replace the user's settings and next due time (history is kept)."""
        await self._db.execute(
            """
            INSERT INTO reminders (user_id, local_time, time_zone, days, enabled, paused_until,
                                   next_fire_at, next_local_date, snooze_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                local_time = excluded.local_time, time_zone = excluded.time_zone,
                days = excluded.days, enabled = excluded.enabled,
                paused_until = excluded.paused_until, next_fire_at = excluded.next_fire_at,
                next_local_date = excluded.next_local_date, snooze_at = NULL,
                updated_at = excluded.updated_at
            """,
            (
                record.user_id,
                record.local_time,
                record.time_zone,
                record.days,
                int(record.enabled),
                record.paused_until,
                record.next_fire_at if record.enabled else None,
                record.next_local_date if record.enabled else None,
                now,
                now,
            ),
        )

    async def due(
        self, now: int, limit: int, exclude: Collection[int] = ()
    ) -> list[ReminderRecord]:
        """Reminders (and snoozes) due by ``now``, oldest first, skipping those in flight."""
        rows: list[Row] = []
        for sql in (
            f"SELECT {_COLUMNS} FROM reminders WHERE enabled = 1 AND next_fire_at <= ? "
            "ORDER BY next_fire_at LIMIT ?",
            f"SELECT {_COLUMNS} FROM reminders WHERE snooze_at <= ? AND enabled = 1 "
            "ORDER BY snooze_at LIMIT ?",
            f"SELECT {_COLUMNS} FROM reminders WHERE checkin_at <= ? AND enabled = 1 "
            "AND checkin_enabled = 1 ORDER BY checkin_at LIMIT ?",
        ):
            rows.extend(await self._db.fetchall(sql, (now, limit + len(exclude))))
        found: dict[int, ReminderRecord] = {}
        for row in rows:
            record = _record(row)
            if record.user_id not in exclude:
                found.setdefault(record.user_id, record)
        return list(found.values())[:limit]

    async def claim_due(
        self, now: int, limit: int, *, owner: str, lease_until: int, exclude: Collection[int] = ()
    ) -> list[ReminderRecord]:
        """Due reminders (and snoozes, check-ins), oldest first, claimed for ``owner`` until
        ``lease_until``: no other claimer gets them before the lease ends or they are settled.
        ``exclude``: the caller's own claims in flight (one process's claims, on SQLite)."""
        if self._db.dialect == "sqlite":
            return await self.due(now, limit, exclude)  # one process: its engine holds claims
        claimed: dict[int, ReminderRecord] = {}
        for condition, order in _DUE_KINDS:
            room = limit - len(claimed)
            if room <= 0:
                break
            sql = _CLAIM.format(due=condition, order=order)
            params = (now,) * condition.count("?") + (now, room, owner, lease_until)
            rows = await self._db.fetchall(sql, params)
            records = sorted((_record(row) for row in rows), key=_due_key(order))
            for record in records:
                claimed.setdefault(record.user_id, record)
        return [r for r in claimed.values() if r.user_id not in exclude]

    async def renew_claims(self, owner: str, user_ids: Collection[int], until: int) -> None:
        """Extend ``owner``'s leases on these rows (sends in flight: a retry waiting out its
        backoff, an outcome held while the database was unavailable)."""
        if self._db.dialect == "sqlite" or not user_ids:
            return  # SQLite: claims live in the one process's memory
        await self._db.execute(
            "UPDATE reminders SET claimed_until = ? WHERE claimed_by = ? AND user_id = ANY(?)",
            (until, owner, list(user_ids)),
        )

    async def oldest_due(self, now: int) -> int | None:
        """When the oldest reminder due by ``now`` and not yet settled fell due (claim lag)."""
        row = await self._db.fetchone(
            """
            SELECT min(at) AS oldest FROM (
                SELECT min(next_fire_at) AS at FROM reminders
                    WHERE enabled = 1 AND next_fire_at <= ?
                UNION ALL SELECT min(snooze_at) FROM reminders
                    WHERE snooze_at <= ? AND enabled = 1
                UNION ALL SELECT min(checkin_at) FROM reminders
                    WHERE checkin_at <= ? AND enabled = 1 AND checkin_enabled = 1
            ) AS due
            """,
            (now, now, now),
        )
        return None if row is None or row["oldest"] is None else int(row["oldest"])

    async def mark_sent(
        self, user_id: int, local_date: str, next_fire_at: int, next_local_date: str, now: int
    ) -> None:
        """The day's reminder went out: remember the day and move on to the next one."""
        await self._db.execute(
            "UPDATE reminders SET last_sent_date = ?, next_fire_at = ?, next_local_date = ?, "
            f"updated_at = ?, {_RELEASE} WHERE user_id = ? AND enabled = 1",
            (local_date, next_fire_at, next_local_date, now, user_id),
        )
        await self._db.execute(_RECORD_SEND[self._db.dialect], (user_id, local_date))

    async def reschedule(
        self, user_id: int, next_fire_at: int, next_local_date: str, now: int
    ) -> None:
        """Move on without sending (missed beyond the grace window, or skipped)."""
        await self._db.execute(
            "UPDATE reminders SET next_fire_at = ?, next_local_date = ?, "
            f"updated_at = ?, {_RELEASE} WHERE user_id = ? AND enabled = 1",
            (next_fire_at, next_local_date, now, user_id),
        )

    async def set_checkin(self, user_id: int, at: int | None, night: str | None, now: int) -> None:
        """Ask about ``night`` at ``at``; None clears a pending check-in."""
        await self._db.execute(
            f"UPDATE reminders SET checkin_at = ?, checkin_date = ?, updated_at = ?, {_RELEASE} "
            "WHERE user_id = ?",
            (at, night, now, user_id),
        )

    async def set_checkin_enabled(self, user_id: int, enabled: bool, now: int) -> None:
        await self._db.execute(
            "UPDATE reminders SET checkin_enabled = ?, checkin_at = CASE WHEN ? = 1 THEN "
            "checkin_at END, updated_at = ? WHERE user_id = ?",
            (int(enabled), int(enabled), now, user_id),
        )

    async def set_snooze(self, user_id: int, at: int | None, now: int) -> None:
        await self._db.execute(
            f"UPDATE reminders SET snooze_at = ?, updated_at = ?, {_RELEASE} WHERE user_id = ?",
            (at, now, user_id),
        )

    async def mark_done(self, user_id: int, local_date: str, now: int) -> None:
        await self._db.execute(
            "UPDATE reminders SET last_done_date = ?, snooze_at = NULL, updated_at = ? "
            "WHERE user_id = ?",
            (local_date, now, user_id),
        )
        await self._db.execute(_RECORD_DONE[self._db.dialect], (user_id, local_date))

    async def done_dates(self, user_id: int) -> list[str]:
        """Every local day the user marked the bedtime routine Done, oldest first."""
        rows = await self._db.fetchall(
            "SELECT local_date FROM routine_done WHERE user_id = ? ORDER BY local_date",
            (user_id,),
        )
        return [row["local_date"] for row in rows]

    async def sent_dates(self, user_id: int) -> list[str]:
        """Every local day a bedtime reminder went out to the user, oldest first."""
        rows = await self._db.fetchall(
            "SELECT local_date FROM reminder_sends WHERE user_id = ? ORDER BY local_date",
            (user_id,),
        )
        return [row["local_date"] for row in rows]

    async def disable(self, user_id: int, now: int) -> bool:
        """Turn reminders off (kept, so they can be turned on again); True if they were on."""
        changed = await self._db.execute(
            "UPDATE reminders SET enabled = 0, next_fire_at = NULL, next_local_date = NULL, "
            f"snooze_at = NULL, checkin_at = NULL, updated_at = ?, {_RELEASE} "
            "WHERE user_id = ? AND enabled = 1",
            (now, user_id),
        )
        return changed > 0

    async def count_enabled(self) -> int:
        row = await self._db.fetchone("SELECT count(*) AS n FROM reminders WHERE enabled = 1")
        return int(row["n"]) if row else 0


def _due_key(column: str) -> Callable[[ReminderRecord], int]:
    """Oldest first by that kind's due time (a lapsed claim: by the reminder's own)."""
    return lambda record: int(getattr(record, column, None) or record.next_fire_at or 0)


def _record(row: Row) -> ReminderRecord:
    return ReminderRecord(
        user_id=row["user_id"],
        local_time=row["local_time"],
        time_zone=row["time_zone"],
        days=row["days"],
        enabled=bool(row["enabled"]),
        paused_until=row["paused_until"],
        next_fire_at=row["next_fire_at"],
        next_local_date=row["next_local_date"],
        last_sent_date=row["last_sent_date"],
        snooze_at=row["snooze_at"],
        last_done_date=row["last_done_date"],
        checkin_enabled=bool(row["checkin_enabled"]),
        checkin_at=row["checkin_at"],
        checkin_date=row["checkin_date"],
        created_at=row["created_at"],
    )
