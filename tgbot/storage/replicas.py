"""The replicas sharing one PostgreSQL database: who is alive (a heartbeat each), and a
429 pause every replica honours. SQLite serves one process, which has neither."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tgbot.storage.store import Store

CHANNEL = "tgbot_replicas"  # NOTIFY'd when a replica joins, or was told 429
JOINED, PAUSED = "joined", "paused"  # the notifications' payloads


@runtime_checkable
class SharedStore(Store, Protocol):
    """A store several processes use at once, which can tell them of each other's writes."""

    def notifications(self, channel: str) -> AsyncIterator[str]:
        """Each NOTIFY on ``channel`` (its payload), for as long as the caller listens."""
        ...


def shared_store(database: Store) -> SharedStore | None:
    """``database`` when other replicas can share it (PostgreSQL), else None (SQLite)."""
    return database if isinstance(database, SharedStore) else None


@dataclass(frozen=True)
class Census:
    live: int  # replicas whose heartbeat is fresh, this one included
    unaware: int  # live others whose last heartbeat came before this one joined


class ReplicaRepository:
    def __init__(self, database: SharedStore) -> None:
        self._db = database

    async def heartbeat(self, replica_id: str, now: float, ttl: float, joined_at: float) -> Census:
        """Say this replica is alive at ``now``; count the live ones (seen within ``ttl``)."""
        await self._db.execute(
            "INSERT INTO replicas (replica_id, joined_at, last_seen) VALUES (?, ?, ?) "
            "ON CONFLICT (replica_id) DO UPDATE SET last_seen = excluded.last_seen",
            (replica_id, joined_at, now),
        )
        row = await self._db.fetchone(
            "SELECT count(*) AS live, "
            "count(*) FILTER (WHERE last_seen < ? AND replica_id <> ?) AS unaware "
            "FROM replicas WHERE last_seen > ?",
            (joined_at, replica_id, now - ttl),
        )
        assert row is not None
        return Census(int(row["live"]), int(row["unaware"]))

    async def forget_dead(self, before: float) -> int:
        """Rows of replicas silent since ``before`` (killed ones never delete their own)."""
        return await self._db.execute("DELETE FROM replicas WHERE last_seen < ?", (before,))

    async def leave(self, replica_id: str) -> None:
        await self._db.execute("DELETE FROM replicas WHERE replica_id = ?", (replica_id,))

    async def pause_all(self, until: float) -> None:
        """No replica sends before ``until`` (unix seconds); the others hear of it at once."""
        await self._db.execute(
            "WITH paused AS (UPDATE send_pause SET paused_until = greatest(paused_until, ?) "
            "WHERE id = 1 RETURNING paused_until) "
            f"SELECT pg_notify('{CHANNEL}', '{PAUSED}') FROM paused",
            (until,),
        )

    async def announce_join(self) -> None:
        """Ask the live replicas to beat now, so they see the new one without waiting."""
        await self._db.execute(f"SELECT pg_notify('{CHANNEL}', '{JOINED}')")

    async def paused_until(self) -> float:
        row = await self._db.fetchone("SELECT paused_until FROM send_pause WHERE id = 1")
        return float(row["paused_until"]) if row else 0.0

    def news(self) -> AsyncIterator[str]:
        """JOINED or PAUSED, each time a replica calls ``announce_join`` or ``pause_all``."""
        return self._db.notifications(CHANNEL)
