"""Logging set-up: no secret and no user's words in any line, at any level.

At the root: the libraries that log request payloads, SQL parameters or the API URL (which
holds the token) are capped below DEBUG, so users' texts never reach a handler; a filter on
every handler then redacts the token and anything shaped like one, tracebacks included.
The bot's own lines name update types, handlers and outcomes, never message text.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
REDACTED = "[redacted]"
# Bot API tokens look like 123456789:AAH...; anything of that shape is hidden.
_TOKEN_SHAPE = re.compile(r"(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{30,}")

# logger -> the most it may say. telegram at DEBUG logs every update and API call with its
# parameters; httpx/httpcore the URL with the token; aiosqlite the SQL parameters (diary
# notes); APScheduler two lines per reminder tick (every second).
LIBRARY_LEVELS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "apscheduler": logging.WARNING,
    "asyncio": logging.INFO,
}


class RedactSecrets(logging.Filter):
    """Replaces the given secrets, and token-shaped strings, in the formatted line."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        if message != record.msg or record.args:
            record.msg, record.args = message, None
        if record.exc_info:
            # Format the traceback now, redacted; the formatter then uses exc_text as is.
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(
    level: int,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    *,
    json_lines: bool = False,
) -> None:
    """One handler on the root logger, redacting; libraries capped (LIBRARY_LEVELS).
    ``json_lines``: one JSON object per line, with a line's ``extra`` fields as keys."""
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = JsonFormatter(JSON_FIELDS) if json_lines else logging.Formatter(FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, most in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(max(level, most))
