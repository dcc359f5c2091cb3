"""Shared fixtures: the real bot driven through the in-process Bot API stand-in."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

# The evaluation tests read each set several times (levels, leave-one-set-out, negations):
# the encoder keeps every reading for the session instead of its production few hundred.
os.environ.setdefault("TGBOT_ENCODER_MEMO", "50000")

from tgbot.app import STANDIN_TOKEN
from tgbot.config import Settings
from tgbot.content import Content, load_content, messages_dir
from tgbot.handlers.context import SERVICES_KEY, BotApplication, BotServices
from tgbot.services.clock import ManualClock
from tgbot_devtools.standin import BotDriver, FakeBotAPI
from tgbot_devtools.terminal import local_driver

# The files that take longest go first, so that under `make test` (pytest-xdist, one worker per
# file) no worker starts the long evaluation last while the others sit idle.
SLOWEST_FIRST = ("test_evaluation.py", "test_run_faults.py", "test_cli.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def slowness(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FIRST.index(name) if name in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=slowness)  # stable: each file keeps its own order


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@dataclass
class Harness:
    api: FakeBotAPI
    app: BotApplication
    driver: BotDriver
    settings: Settings
    clock: ManualClock

    @property
    def services(self) -> BotServices:
        services: BotServices = self.app.bot_data[SERVICES_KEY]
        return services

    def db_rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read the bot's SQLite file directly, as an auditor would."""
        with sqlite3.connect(self.settings.db_path) as connection:
            return list(connection.execute(sql, params))


# Tests move time by hand: Saturday 2026-11-21 18:00 UTC unless a test sets it.
START = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def bot(tmp_path: Path, content: Content, clock: ManualClock) -> AsyncIterator[Harness]:
    settings = Settings(token=STANDIN_TOKEN, db_path=tmp_path / "data" / "bot.sqlite3")
    async for harness in running_bot(settings, content, clock):
        yield harness


async def running_bot(
    settings: Settings, content: Content, clock: ManualClock
) -> AsyncIterator[Harness]:
    """The real application on an in-process stand-in, polling until the caller is done."""
    async with local_driver(settings, content, clock) as driver:
        yield Harness(driver.api, driver.application, driver, settings, clock)


def english_catalogue_copy(target: Path) -> Path:
    """A writable copy of messages/ with English as its only language (and the files beside
    the language folders): quick to load, and a test that breaks English on purpose is not
    refused first by another language that still has what it removed."""
    source = messages_dir()
    shutil.copytree(
        source,
        target,
        ignore=lambda folder, names: (
            [n for n in names if (Path(folder) / n).is_dir() and n != "en"]
            if Path(folder) == source
            else []
        ),
    )
    return target


# The server the PostgreSQL variants use; each test gets its own schema there, dropped after.
POSTGRES_URL = os.environ.get(
    "TGBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
_postgres_down: list[str] = []  # why the server did not answer, once per session


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a new, empty schema of their own (random name):
    runs never collide. Skips, saying so, when no server answers."""
    import psycopg

    from tgbot.storage.postgres import one_line, redacted

    if _postgres_down:
        pytest.skip(_postgres_down[0])
    schema = f"test_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:
        _postgres_down.append(
            f"PostgreSQL not reachable at {redacted(POSTGRES_URL)} ({one_line(exc)}); "
            "its tests are skipped (set TGBOT_TEST_POSTGRES_URL to use another server)"
        )
        pytest.skip(_postgres_down[0])
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        # application_name: a test can find its own connections in pg_stat_activity.
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a repository test's store lives: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return tmp_path / "bot.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url
