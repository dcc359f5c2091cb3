"""The PostgreSQL store's own behaviour: migrations under a lock, errors as SQLite's map,
and the real bot on it across a restart. Skipped, saying so, without a server."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.conftest import POSTGRES_URL, running_bot
from tests.test_diary import log_calf
from tests.test_reminder_engine import FakeSender
from tgbot.app import STANDIN_TOKEN
from tgbot.config import Settings
from tgbot.content import Content
from tgbot.services.clock import ManualClock
from tgbot.services.reminders.engine import ReminderEngine
from tgbot.services.reminders.service import ReminderService
from tgbot.storage import (
    DiaryRepository,
    ReminderRepository,
    StorageError,
    StorageUnavailable,
    UserRepository,
    open_store,
)
from tgbot.storage.database import load_migrations
from tgbot.storage.postgres import pyformat


def test_both_dialects_have_the_same_migration_versions() -> None:
    sqlite, postgresql = load_migrations("sqlite"), load_migrations("postgresql")
    assert [(m.version, m.name) for m in postgresql] == [(m.version, m.name) for m in sqlite]


def test_placeholders_outside_literals_become_pyformat() -> None:
    sql = "UPDATE t SET a = ?, b = '50% ?' WHERE c LIKE '%x' AND d = ?"
    assert pyformat(sql) == "UPDATE t SET a = %s, b = '50%% ?' WHERE c LIKE '%%x' AND d = %s"


async def test_replicas_starting_together_migrate_once(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tgbot.storage.postgres")
    stores = await asyncio.gather(*(open_store(postgres_url) for _ in range(3)))
    try:
        applied = [r for r in caplog.records if r.getMessage().startswith("applying migration")]
        assert len(applied) == len(load_migrations("postgresql"))
        versions = await stores[0].fetchall("SELECT version FROM schema_version ORDER BY 1")
        assert [row["version"] for row in versions] == list(range(1, len(applied) + 1))
        for store in stores:
            assert await store.schema_version() == len(applied)
    finally:
        for store in stores:
            await store.close()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgresql://bot:s3cret@127.0.0.1:1/test", "refused"),
        (f"{POSTGRES_URL}_no_such_database_here", "does not exist"),
    ],
)
async def test_a_store_that_cannot_open_is_one_line_without_the_password(
    url: str, why: str, postgres_url: str
) -> None:
    with pytest.raises(StorageError) as caught:
        await open_store(url)
    message = str(caught.value)
    assert why in message and "\n" not in message and "s3cret" not in message


async def test_a_lost_server_connection_is_storage_unavailable_then_recovers(
    postgres_url: str,
) -> None:
    store = await open_store(postgres_url)
    users = UserRepository(store)
    try:
        await users.touch(1, "en", now=1)
        name = postgres_url.rpartition("application_name=")[2]
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (name,),
            )
        outcomes = []
        for now in range(100, 110):  # each broken pooled connection fails once, then is replaced
            try:
                await users.touch(2, "en", now=now)
                outcomes.append("ok")
                break
            except StorageUnavailable:
                outcomes.append("unavailable")
        assert outcomes[0] == "unavailable" and outcomes[-1] == "ok"
        assert await users.count() == 2
    finally:
        await store.close()


async def test_the_bot_on_postgresql_keeps_everything_across_a_restart(
    postgres_url: str, tmp_path: Path, content: Content, clock: ManualClock
) -> None:
    settings = Settings(
        token=STANDIN_TOKEN, db_path=tmp_path / "bot.sqlite3", database_url=postgres_url
    )
    async for bot in running_bot(settings, content, clock):
        user = bot.driver.user(user_id=901)
        await user.send("/start")
        await log_calf(bot, 901)
        [confirm] = await user.send("/remind 22:15 Europe/Berlin")
        assert "22:15" in confirm.text
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing went to SQLite

    async for bot in running_bot(settings, content, clock):  # a new process, same database
        user = bot.driver.user(user_id=901)
        [state] = await user.send("/reminders")
        assert "22:15" in state.text and "Berlin" in state.text
        diary = await user.send("/diary")
        assert "1 cramp" in diary[0].text

    store = await open_store(postgres_url)
    try:
        assert await UserRepository(store).count() == 1
        reminder = await ReminderRepository(store).get(901)
        assert reminder is not None and reminder.enabled
        assert (reminder.local_time, reminder.time_zone) == ("22:15", "Europe/Berlin")
        [entry] = await DiaryRepository(store).all_for(901)
        assert (entry.site, entry.source) == ("calf", "menu")
    finally:
        await store.close()


async def test_the_reminder_engine_on_postgresql_sends_one_a_night_across_dst(
    postgres_url: str,
) -> None:
    start = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # Berlin moves its clocks on the 29th
    clock, sender = ManualClock(start), FakeSender()
    sender.clock = clock
    store = await open_store(postgres_url)
    try:
        repo = ReminderRepository(store)
        engine = ReminderEngine(repo, sender, clock, rate=1e6, retry_base=0.01)
        engine.start()
        await UserRepository(store).touch(1, "en", 0)
        await ReminderService(repo, clock).turn_on(1, time(22, 0), "Europe/Berlin")
        for hour in range(5 * 24):
            clock.set(start + timedelta(hours=hour, minutes=1))
            await engine.tick()
            await engine.idle()
        await engine.stop()
    finally:
        await store.close()
    nights = [day.isoformat() for _, day, _, _ in sender.sent]
    assert nights == [f"2026-03-{d}" for d in range(27, 32)]
    assert {when.astimezone(ZoneInfo("Europe/Berlin")).hour for *_, when in sender.sent} == {22}
