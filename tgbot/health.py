"""Liveness: a heartbeat file the running bot touches, so a container healthcheck can tell it
is alive. Readiness: the database answers (/readyz, on the metrics and the webhook port)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from tgbot.storage.database import private_file
from tgbot.storage.store import Store

HEARTBEAT_INTERVAL_S = 30
# Three missed beats: the event loop is stuck or the process is gone.
STALE_AFTER_S = 3 * HEARTBEAT_INTERVAL_S
# /readyz: the database answers SELECT 1 within this, checked at most once per READY_TTL_S.
READY_TIMEOUT_S = 1.0
READY_TTL_S = 1.0
# A probe from another thread reads the last answer; older than this it no longer counts (the
# event loop that refreshes it is stuck).
READY_STALE_S = 5.0


def heartbeat_path(db_path: Path) -> Path:
    return db_path.parent / "heartbeat"


def write_heartbeat(path: Path, now: float | None = None) -> None:
    private_file(path)
    path.write_text(f"{now if now is not None else time.time():.0f}\n")


def is_healthy(path: Path, now: float | None = None) -> bool:
    try:
        beat = float(path.read_text().strip())
    except (OSError, ValueError):
        return False
    return (now if now is not None else time.time()) - beat <= STALE_AFTER_S


class DatabaseReadiness:
    """Is the database answering? A cheap ``SELECT 1`` with a short timeout, the answer kept
    for a second so that probes cannot load the database."""

    def __init__(
        self,
        store: Store,
        *,
        timeout: float = READY_TIMEOUT_S,
        ttl: float = READY_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._timeout = timeout
        self._ttl = ttl
        self._monotonic = monotonic
        self._checked_at: float | None = None
        self._answer = False

    def answer_now(self) -> bool:
        """The last answer while it is fresh: for a probe served by another thread, which
        cannot await (the app refreshes it every READY_TTL_S)."""
        checked = self._checked_at
        return self._answer and checked is not None and self._monotonic() - checked < READY_STALE_S

    async def ready(self) -> bool:
        now = self._monotonic()
        if self._checked_at is None or now - self._checked_at >= self._ttl:
            self._answer = await self._ping()
            self._checked_at = self._monotonic()
        return self._answer

    async def _ping(self) -> bool:
        down: tuple[type[Exception], ...] = (TimeoutError, *self._store.unavailable)
        try:
            async with asyncio.timeout(self._timeout):
                await self._store.fetchone("SELECT 1 AS one")
        except down:
            return False
        return True
