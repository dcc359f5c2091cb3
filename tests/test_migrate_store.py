"""tgbot migrate-store: every row from SQLite into an empty PostgreSQL schema, counted."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from tgbot.cli import main
from tgbot.storage import (
    DiaryRecord,
    DiaryRepository,
    ReminderRecord,
    ReminderRepository,
    UserRepository,
    open_store,
)
from tgbot.storage.transfer import NOT_COPIED, TABLES, counts


async def seed(path: Path) -> None:
    store = await open_store(path)
    users, reminders, diary = (
        UserRepository(store),
        ReminderRepository(store),
        DiaryRepository(store),
    )
    try:
        for uid in (101, 102, 103):
            await users.touch(uid, "uk" if uid == 102 else "en", now=uid)
        await users.update_settings(101, country="DE", prompt={"what": "zone", "opened": 5})
        await users.update_settings(102, diary_retention_days=90, medicines="магній 400 мг")
        await users.set_time_zone(101, "Europe/Berlin")
        record = ReminderRecord(101, "22:15", "Europe/Berlin", 31, True, None, 5_000, "2026-11-21")
        await reminders.save(record, now=10)
        await reminders.mark_sent(101, "2026-11-21", 9_000, "2026-11-22", now=11)
        await reminders.mark_done(101, "2026-11-21", now=12)
        await reminders.set_checkin(101, 8_000, "2026-11-21", now=13)
        for n in range(4):
            entry = DiaryRecord(0, 102, 1_000 + n, "2026-11-20", "calf", note=f"ніч {n} 100%")
            await diary.add(entry, now=14)
        await diary.delete(102, 1)  # ids need not be dense
    finally:
        await store.close()


def test_the_copy_covers_every_column_of_every_table(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    asyncio.run(seed(path))
    with sqlite3.connect(path) as raw:
        tables = {
            name: tuple(row[1] for row in raw.execute(f"PRAGMA table_info({name})"))
            for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in NOT_COPIED
        }
    assert {name: set(columns) for name, columns in tables.items()} == {
        name: set(columns) for name, columns in TABLES.items()
    }


def test_migrate_store_copies_every_row_then_refuses_a_full_target(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.sqlite3"
    asyncio.run(seed(path))
    source_url = f"sqlite:///{path}"

    assert main(["migrate-store", "--from", source_url, "--to", postgres_url]) == 0
    printed = capsys.readouterr().out
    assert "users: 3 rows" in printed and "diary_entries: 3 rows" in printed
    assert "copied 9 rows" in printed

    async def compare() -> int:
        source, target = await open_store(path), await open_store(postgres_url)
        try:
            assert await counts(target) == await counts(source)
            for uid in (101, 102, 103):
                assert await UserRepository(target).get(uid) == await UserRepository(source).get(
                    uid
                )
                assert await ReminderRepository(target).get(uid) == await ReminderRepository(
                    source
                ).get(uid)
                for repo in (ReminderRepository(target), ReminderRepository(source)):
                    assert await repo.sent_dates(101) == ["2026-11-21"]
                    assert await repo.done_dates(101) == ["2026-11-21"]
            entries = await DiaryRepository(target).all_for(102)
            assert entries == await DiaryRepository(source).all_for(102)
            assert [e.id for e in entries] == [2, 3, 4]
            entry = DiaryRecord(0, 102, 2_000, "2026-11-21", "foot")
            return await DiaryRepository(target).add(entry, now=20)  # after the copied ids
        finally:
            await source.close()
            await target.close()

    assert asyncio.run(compare()) == 5

    assert main(["migrate-store", "--from", source_url, "--to", postgres_url]) == 2
    error = capsys.readouterr().err
    assert "already holds data (3 users, 1 reminders, 4 diary_entries" in error


def test_a_missing_source_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.sqlite3"
    target = f"sqlite:///{tmp_path}/target.sqlite3"
    assert main(["migrate-store", "--from", f"sqlite:///{missing}", "--to", target]) == 2
    assert not missing.exists() and not (tmp_path / "target.sqlite3").exists()
