"""Where the bot keeps what it can rebuild: exemplar embeddings and parsed content files.
``TGBOT_CACHE_DIR`` chooses the folder (the Docker image puts it on the data volume)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "TGBOT_CACHE_DIR"


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "tgbot"
