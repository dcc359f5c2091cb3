"""The nightly backup (TGBOT_BACKUP_DIR): a consistent online copy of the live database,
named by its UTC day, written whole or not at all, with only the newest few kept."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from tgbot.services.clock import Clock
from tgbot.storage import StorageError
from tgbot.storage.database import backup_database

log = logging.getLogger(__name__)

BACKUP_NAME = re.compile(r"^cramps-[0-9]{4}-[0-9]{2}-[0-9]{2}\.sqlite3$")
# Not matched by BACKUP_NAME, so pruning never counts (or keeps) a half-written copy.
PARTIAL_SUFFIX = ".partial"


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int  # bytes
    seconds: float
    pruned: tuple[Path, ...]  # older backups deleted to keep the newest ``keep``


class NightlyBackup:
    def __init__(self, database: Path, folder: Path, keep: int, clock: Clock) -> None:
        self._database, self._folder, self._keep, self._clock = database, folder, keep, clock

    def target(self) -> Path:
        return self._folder / f"cramps-{self._clock.now().date().isoformat()}.sqlite3"

    async def run(self) -> Backup | None:
        """Back up and prune; a failure (disk full, folder gone) is logged, never raised:
        the bot goes on serving and tomorrow's run tries again."""
        try:
            # The copy reads the whole file: off the event loop, so updates keep flowing.
            backup = await asyncio.to_thread(self.write)
        except (StorageError, sqlite3.Error, OSError) as exc:
            log.warning("nightly backup failed (%s); the bot carries on", exc)
            return None
        log.info(
            "nightly backup written: %s (%d bytes, %.1f s, %d older deleted)",
            backup.path,
            backup.size,
            backup.seconds,
            len(backup.pruned),
        )
        return backup

    def write(self) -> Backup:
        started = time.monotonic()
        target = self.target()
        partial = target.with_name(target.name + PARTIAL_SUFFIX)
        partial.unlink(missing_ok=True)  # left by a run that was killed half-way
        try:
            backup_database(self._database, partial)  # 0600, in a 0700 folder when new
            _fsync(partial)
            # A second run on the same day replaces that day's copy with the newer one.
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        _fsync(self._folder)  # the rename itself survives a power loss
        return Backup(target, target.stat().st_size, time.monotonic() - started, self.prune())

    def prune(self) -> tuple[Path, ...]:
        """Delete all but the newest ``keep`` backups; other files in the folder are left."""
        backups = sorted(p for p in self._folder.iterdir() if BACKUP_NAME.match(p.name))
        old = backups[: max(0, len(backups) - self._keep)]
        for path in old:
            path.unlink(missing_ok=True)
        return tuple(old)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
