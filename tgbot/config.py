"""Configuration from environment variables (and an optional ``.env`` file).

Every problem is reported as one line that names the variable; the token itself is
never echoed, logged or included in ``repr``.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, time
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

DEFAULT_DB_PATH = Path("data") / "tgbot.sqlite3"
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
MAX_REPLY_RATE = 10_000.0  # against a stand-in; Telegram itself allows about 30/s
MAX_REMINDER_RATE = 30.0
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_HH_MM_RE = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
# setWebhook's secret_token: what Telegram accepts (and echoes in a header on every call).
_WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_WEBHOOK_CONNECTIONS = 100  # setWebhook's max_connections is 1-100
_REPLICA_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


# The semantic tier's sentence encoders (services/understanding/semantic.py); "off": rules only.
ENCODERS = ("use", "e5")
ENCODER_CHOICES = (*ENCODERS, "off")


class ConfigError(ValueError):
    """A configuration variable is missing or invalid; the message names it."""


@dataclass(frozen=True)
class Settings:
    token: str | None = field(default=None, repr=False)
    api_base_url: str | None = None
    db_path: Path = DEFAULT_DB_PATH
    # TGBOT_DATABASE_URL=postgresql://…: PostgreSQL instead of the SQLite file at db_path.
    # Not in repr: the URL may hold a password.
    database_url: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object per line, for log collectors
    metrics_listen: str | None = None  # "host:port" of /metrics, /healthz, /readyz; None: off
    admin_ids: frozenset[int] = frozenset()
    messages_dir: Path | None = None  # None: the messages/ shipped with the package
    reminder_rate: float = 25.0  # reminders per second; Telegram allows about 30/s in bulk
    # Replies per second, all chats together: Telegram's ~30/s. Higher only for a stand-in.
    reply_rate: float = 30.0
    encoder: str = ENCODERS[0]  # the semantic tier's sentence encoder, or "off" (rules only)
    backup_dir: Path | None = None  # the nightly backup's folder; None: no nightly backup
    backup_time: time = time(3, 30, tzinfo=UTC)  # when it runs, UTC
    backup_keep: int = 7  # how many nightly backups stay; older ones are deleted
    # Webhook mode (tgbot run --webhook): the public HTTPS URL Telegram calls, where this
    # replica listens, the secret Telegram sends back in a header, and Telegram's cap on
    # requests in flight at once (all replicas together).
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0:8443"
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_max_connections: int = 40
    replica_id: str = ""  # names this process in metrics and logs; default hostname-pid

    @property
    def store(self) -> str | Path:
        """Where the data lives: a PostgreSQL URL, or the SQLite file (storage.open_store)."""
        return self.database_url or self.db_path

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    require_token: bool = False,
    dotenv_path: Path | None = Path(".env"),
) -> Settings:
    """Read settings; values in the real environment win over the ``.env`` file."""
    merged: dict[str, str] = {}
    if dotenv_path is not None and dotenv_path.is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    merged.update(os.environ if env is None else env)
    db_path, database_url = _store(
        merged.get("TGBOT_DB_PATH", "").strip(), merged.get("TGBOT_DATABASE_URL", "").strip()
    )

    return Settings(
        token=_token(merged.get("TELEGRAM_BOT_TOKEN", "").strip(), require_token),
        api_base_url=_base_url(merged.get("TELEGRAM_API_BASE_URL", "").strip()),
        db_path=db_path,
        database_url=database_url,
        log_level=_log_level(merged.get("TGBOT_LOG_LEVEL", "").strip()),
        log_format=_log_format(merged.get("TGBOT_LOG_FORMAT", "").strip().lower()),
        metrics_listen=_listen(merged.get("TGBOT_METRICS_LISTEN", "").strip()),
        admin_ids=_admin_ids(merged.get("TGBOT_ADMIN_IDS", "").strip()),
        messages_dir=_messages_dir(merged.get("TGBOT_MESSAGES_DIR", "").strip()),
        reminder_rate=_reminder_rate(merged.get("TGBOT_REMINDER_RATE", "").strip()),
        reply_rate=_reply_rate(merged.get("TGBOT_REPLY_RATE", "").strip()),
        encoder=_encoder(merged.get("TGBOT_ENCODER", "").strip().lower()),
        backup_dir=_backup_dir(merged.get("TGBOT_BACKUP_DIR", "").strip()),
        backup_time=_backup_time(merged.get("TGBOT_BACKUP_TIME", "").strip()),
        backup_keep=_backup_keep(merged.get("TGBOT_BACKUP_KEEP", "").strip()),
        webhook_url=_webhook_url(merged.get("TGBOT_WEBHOOK_URL", "").strip()),
        webhook_listen=_webhook_listen(merged.get("TGBOT_WEBHOOK_LISTEN", "").strip()),
        webhook_secret=_webhook_secret(merged.get("TGBOT_WEBHOOK_SECRET", "").strip()),
        webhook_max_connections=_webhook_max_connections(
            merged.get("TGBOT_WEBHOOK_MAX_CONNECTIONS", "").strip()
        ),
        replica_id=_replica_id(merged.get("TGBOT_REPLICA_ID", "").strip()),
    )


def check_webhook_mode(settings: Settings) -> None:
    """What ``tgbot run --webhook`` needs beyond polling; raises ConfigError (one line)."""
    if settings.webhook_secret is None:
        raise ConfigError(
            "TGBOT_WEBHOOK_SECRET is not set: webhook mode needs a secret of 1-256 characters "
            "A-Z a-z 0-9 _ - (for example: openssl rand -hex 32)"
        )
    if settings.webhook_url is None:
        raise ConfigError("TGBOT_WEBHOOK_URL is not set: the public HTTPS URL Telegram calls")
    if not settings.webhook_url.startswith("https://") and settings.api_base_url is None:
        raise ConfigError("TGBOT_WEBHOOK_URL must be https:// (Telegram calls only HTTPS)")


def _token(value: str, required: bool) -> str | None:
    if not value:
        if required:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the "
                "environment or in .env (tgbot chat needs no token)"
            )
        return None
    if not _TOKEN_RE.match(value):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (expected <digits>:<letters>, "
            "as issued by @BotFather)"
        )
    return value


def _base_url(value: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            "TELEGRAM_API_BASE_URL must be an http(s) URL of a Bot API server, "
            "e.g. http://127.0.0.1:8081"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigError(f"TELEGRAM_API_BASE_URL has an invalid port: {exc}") from None
    root = value.rstrip("/")
    # Accept the PTB-style ".../bot" too; we append "/bot{token}" ourselves.
    return root.removesuffix("/bot")


def _db_path(value: str) -> Path:
    path = Path(value).expanduser() if value else DEFAULT_DB_PATH
    if value and path.is_dir():
        raise ConfigError(f"TGBOT_DB_PATH points to a directory, not a file: {path}")
    return path


def _store(path_value: str, url_value: str) -> tuple[Path, str | None]:
    db_path = _db_path(path_value)
    if not url_value:
        return db_path, None
    where = parse_database_url(url_value, "TGBOT_DATABASE_URL")
    if isinstance(where, str):
        return db_path, where
    if path_value and where != db_path:
        raise ConfigError(
            "TGBOT_DATABASE_URL and TGBOT_DB_PATH name two different SQLite files: set one"
        )
    return where, None


def parse_database_url(value: str, name: str) -> str | Path:
    """``postgresql://user@host:port/database`` as given (libpq reads it), or
    ``sqlite:///path`` as that path (``sqlite:////abs/path`` for an absolute one). The value
    is never echoed in an error: it may hold a password."""
    usage = f"{name} must be postgresql://user@host:port/database or sqlite:///path"
    scheme, sep, rest = value.partition("://")
    if not sep:
        raise ConfigError(f"{usage} (it has no scheme)")
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise ConfigError(f"{usage} (a SQLite URL has three slashes, then the file)")
        path = Path(rest[1:]).expanduser()
        if path.is_dir():
            raise ConfigError(f"{name} names a directory, not a SQLite file: {path}")
        return path
    if scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"{usage}, not a {scheme!r} URL")
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ConfigError(f"{usage} (its port is not a number from 1 to 65535)") from None
    if not (parts.hostname or "host=" in parts.query):
        raise ConfigError(f"{usage} (it names no host)")
    database = parts.path.lstrip("/")
    if not database or "/" in database:
        raise ConfigError(f"{usage} (it names no database)")
    return value


def _log_level(value: str) -> str:
    level = (value or "INFO").upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"TGBOT_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, not {value!r}")
    return level


def _listen(value: str) -> str | None:
    if not value:
        return None
    port = value.rpartition(":")[2]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"TGBOT_METRICS_LISTEN must be host:port, e.g. 0.0.0.0:9108, not {value!r}"
        )
    return value


def _log_format(value: str) -> str:
    if value not in ("", "text", "json"):
        raise ConfigError(f"TGBOT_LOG_FORMAT must be text or json, not {value!r}")
    return value or "text"


def _admin_ids(value: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        if not part.isdigit():
            raise ConfigError(
                f"TGBOT_ADMIN_IDS must be a comma-separated list of Telegram user ids, not {part!r}"
            )
        ids.add(int(part))
    return frozenset(ids)


def _messages_dir(value: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise ConfigError(f"TGBOT_MESSAGES_DIR is not a folder: {path}")
    return path


def _reminder_rate(value: str) -> float:
    why = " (Telegram's bulk limit)"
    return _rate("TGBOT_REMINDER_RATE", value, Settings.reminder_rate, MAX_REMINDER_RATE, why)


def _reply_rate(value: str) -> float:
    return _rate("TGBOT_REPLY_RATE", value, Settings.reply_rate, MAX_REPLY_RATE, "")


def _rate(name: str, value: str, default: float, maximum: float, why: str) -> float:
    if not value:
        return default
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= maximum:
        raise ConfigError(
            f"{name} must be a number of messages per second above 0 and at most "
            f"{maximum:g}{why}, not {value!r}"
        )
    return rate


def _encoder(value: str) -> str:
    if not value:
        return Settings.encoder
    if value not in ENCODER_CHOICES:
        raise ConfigError(
            f"TGBOT_ENCODER must be one of {', '.join(ENCODER_CHOICES)}, not {value!r}"
        )
    return value


def _backup_dir(value: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"TGBOT_BACKUP_DIR points to a file, not a folder: {path}")
    return path


def _backup_time(value: str) -> time:
    if not value:
        return Settings.backup_time
    match = _HH_MM_RE.match(value)
    if match is None:
        raise ConfigError(
            f"TGBOT_BACKUP_TIME must be HH:MM (UTC, 24-hour), e.g. 03:30, not {value!r}"
        )
    return time(int(match[1]), int(match[2]), tzinfo=UTC)


def _backup_keep(value: str) -> int:
    if not value:
        return Settings.backup_keep
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ConfigError(
            f"TGBOT_BACKUP_KEEP must be how many nightly backups to keep, 1 or more, not {value!r}"
        )
    return int(value)


def _webhook_url(value: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            "TGBOT_WEBHOOK_URL must be the public https:// URL Telegram calls, "
            "e.g. https://bot.example.org/telegram"
        )
    return value


def _webhook_listen(value: str) -> str:
    if not value:
        return Settings.webhook_listen
    port = value.rpartition(":")[2]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"TGBOT_WEBHOOK_LISTEN must be host:port, e.g. 0.0.0.0:8443, not {value!r}"
        )
    return value


def _webhook_secret(value: str) -> str | None:
    if not value:
        return None
    if not _WEBHOOK_SECRET_RE.match(value):
        # Never echoed: it is a secret.
        raise ConfigError(
            "TGBOT_WEBHOOK_SECRET must be 1-256 characters, each A-Z, a-z, 0-9, _ or - "
            "(Telegram's rule for secret_token)"
        )
    return value


def _webhook_max_connections(value: str) -> int:
    if not value:
        return Settings.webhook_max_connections
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_WEBHOOK_CONNECTIONS:
        raise ConfigError(
            f"TGBOT_WEBHOOK_MAX_CONNECTIONS must be a whole number from 1 to "
            f"{MAX_WEBHOOK_CONNECTIONS} (Telegram's range), not {value!r}"
        )
    return int(value)


def _replica_id(value: str) -> str:
    if not value:
        return f"{socket.gethostname()}-{os.getpid()}"
    if not _REPLICA_ID_RE.match(value):
        raise ConfigError(
            f"TGBOT_REPLICA_ID must be 1-64 characters of A-Z a-z 0-9 _ . : -, not {value!r}"
        )
    return value
