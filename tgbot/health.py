"""A heartbeat file the running bot touches, so a container healthcheck can tell it is alive."""

from __future__ import annotations

import time
from pathlib import Path

from tgbot.storage.database import private_file

HEARTBEAT_INTERVAL_S = 30
# Three missed beats: the event loop is stuck or the process is gone.
STALE_AFTER_S = 3 * HEARTBEAT_INTERVAL_S


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
