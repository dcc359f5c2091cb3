"""``tgbot migrate-store``: copy every row from one store into another, empty one (SQLite to
PostgreSQL when a deployment outgrows one machine). Both are first brought to the same
schema version by opening them; the copy is one transaction on the target."""

from __future__ import annotations

from pathlib import Path

from tgbot.storage.database import StorageError
from tgbot.storage.store import Store, open_store

# Every table and column, parents before children (the foreign keys). A migration that adds
# a column adds it here too (tests/test_migrate_store.py compares with SQLite's schema).
TABLES: dict[str, tuple[str, ...]] = {
    "users": ("user_id", "language", "time_zone", "settings", "created_at", "last_seen_at"),
    "reminders": (
        "user_id",
        "local_time",
        "time_zone",
        "days",
        "enabled",
        "paused_until",
        "next_fire_at",
        "next_local_date",
        "last_sent_date",
        "snooze_at",
        "last_done_date",
        "created_at",
        "updated_at",
        "checkin_enabled",
        "checkin_at",
        "checkin_date",
        "claimed_by",
        "claimed_until",
    ),
    "diary_entries": (
        "id",
        "user_id",
        "occurred_at",
        "local_date",
        "site",
        "side",
        "severity",
        "duration",
        "note",
        "source",
        "created_at",
        "local_time",
        "time_zone",
    ),
    "routine_done": ("user_id", "local_date"),
    "reminder_sends": ("user_id", "local_date"),
}
# Kept by the running bot for a day at most and rebuilt by it (webhook mode's processed
# updates, the webhook settings last set): not data to move.
NOT_COPIED = frozenset({"processed_updates", "update_inbox", "webhook_settings"})
# Where PostgreSQL's type is not what a plain parameter becomes.
_PG_CASTS = {("users", "settings"): "?::jsonb"}
# The rows read from the source per round trip.
BATCH = 5_000


async def counts(store: Store) -> dict[str, int]:
    found = {}
    for table in TABLES:
        row = await store.fetchone(f"SELECT count(*) AS n FROM {table}")
        found[table] = int(row["n"]) if row else 0
    return found


async def copy_rows(source: Store, target: Store) -> dict[str, int]:
    """Copy every row; refuses a target that holds any. Returns the rows copied per table."""
    held = {table: n for table, n in (await counts(target)).items() if n}
    if held:
        listed = ", ".join(f"{n} {table}" for table, n in held.items())
        raise StorageError(f"the target already holds data ({listed}): it must be empty")
    copied = dict.fromkeys(TABLES, 0)
    async with target.transaction() as session:
        for table, columns in TABLES.items():
            names = ", ".join(columns)
            holders = ", ".join(
                _PG_CASTS.get((table, c), "?") if target.dialect == "postgresql" else "?"
                for c in columns
            )
            insert = f"INSERT INTO {table} ({names}) VALUES ({holders})"
            # Pages in primary key order: the source is read in bounded memory.
            order = "user_id, local_date" if columns[-1] == "local_date" else columns[0]
            offset = 0
            while True:
                rows = await source.fetchall(
                    f"SELECT {names} FROM {table} ORDER BY {order} LIMIT ? OFFSET ?",
                    (BATCH, offset),
                )
                if not rows:
                    break
                await session.executemany(insert, ([row[c] for c in columns] for row in rows))
                copied[table] += len(rows)
                offset += len(rows)
        if target.dialect == "postgresql":
            # Copied ids were given explicitly: the next new entry must come after them.
            await session.execute(
                "SELECT setval(pg_get_serial_sequence('diary_entries', 'id'), "
                "coalesce(max(id), 0) + 1, false) FROM diary_entries"
            )
    return copied


def _must_exist(source: str | Path) -> None:
    """A SQLite source that is not there would be created empty, and copy nothing."""
    if isinstance(source, Path) and not source.is_file():
        raise StorageError(f"{source}: no SQLite database here")


async def migrate_store(source: str | Path, target: str | Path) -> dict[str, int]:
    _must_exist(source)
    origin = await open_store(source)
    try:
        destination = await open_store(target)
        try:
            if await origin.schema_version() != await destination.schema_version():
                raise StorageError("the two stores are at different schema versions")
            return await copy_rows(origin, destination)
        finally:
            await destination.close()
    finally:
        await origin.close()
