from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from tgbot.storage import DiaryRecord, DiaryRepository, UserRepository, open_database
from tgbot.storage.database import load_migrations
from tgbot.storage.users import UserSettings


async def test_database_is_created_in_wal_mode_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "bot.sqlite3"
    database = await open_database(path)
    try:
        assert await database.schema_version() == len(load_migrations())
    finally:
        await database.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        columns = {row[1] for row in raw.execute("PRAGMA table_info(users)")}
    assert {"user_id", "language", "time_zone", "settings", "created_at", "last_seen_at"} <= columns


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = await open_database(path)
    await UserRepository(first).touch(1, "en", now=100)
    await first.close()
    second = await open_database(path)
    try:
        assert await UserRepository(second).count() == 1
    finally:
        await second.close()


async def test_touch_creates_then_keeps_the_chosen_language(tmp_path: Path) -> None:
    database = await open_database(tmp_path / "bot.sqlite3")
    users = UserRepository(database)
    try:
        created = await users.touch(7, "en", now=1_000)
        assert (created.language, created.created_at, created.last_seen_at) == ("en", 1000, 1000)
        await users.set_language(7, "es")
        again = await users.touch(7, "en", now=1_010)  # within a minute: no write needed
        assert again.language == "es" and again.last_seen_at == 1_000
        later = await users.touch(7, "en", now=2_000)
        assert later.last_seen_at == 2_000 and later.created_at == 1_000
    finally:
        await database.close()


async def test_settings_merge_and_delete_removes_everything(tmp_path: Path) -> None:
    database = await open_database(tmp_path / "bot.sqlite3")
    users = UserRepository(database)
    try:
        await users.touch(7, "en", now=1)
        await users.touch(8, "en", now=1)
        await users.update_settings(7, country="DE")
        await users.update_settings(7, diary_retention_days=90)
        with pytest.raises(ValueError, match="not a user setting: units"):
            await users.update_settings(7, units="metric")
        await users.set_time_zone(7, "Europe/Berlin")
        record = await users.get(7)
        assert record is not None
        assert record.settings == UserSettings(country="DE", diary_retention_days=90)
        assert record.time_zone == "Europe/Berlin"
        assert await users.delete(7) is True
        assert await users.get(7) is None
        assert await users.delete(7) is False
        assert await users.count() == 1
    finally:
        await database.close()


async def test_the_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = await open_database(tmp_path / "data" / "bot.sqlite3")
    try:
        await UserRepository(database).touch(7, "en", now=1)
    finally:
        await database.close()
    assert modes(tmp_path / "data") == {".": 0o700, "bot.sqlite3": 0o600}


async def test_forget_leaves_no_trace_of_a_note_in_any_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    database = await open_database(path)
    users, diary = UserRepository(database), DiaryRepository(database)
    secret = "zz-my-private-note-about-my-leg-zz"
    try:
        await users.touch(7, "en", now=1)
        entry = DiaryRecord(id=0, user_id=7, occurred_at=1, local_date="2026-01-01", site="calf")
        entry_id = await diary.add(entry, now=1)
        await diary.update(7, entry_id, note=secret)
        assert await users.delete(7) is True
        assert files_holding(tmp_path, secret) == []
    finally:
        await database.close()


def modes(folder: Path) -> dict[str, int]:
    found = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    return {".": stat.S_IMODE(folder.stat().st_mode), **found}


def files_holding(folder: Path, text: str) -> list[str]:
    return [p.name for p in folder.iterdir() if text.encode() in p.read_bytes()]
