"""The nightly backup (TGBOT_BACKUP_DIR): run by the bot's own job queue, driven here by
hand with a moved clock instead of waiting for 03:30."""

from __future__ import annotations

import logging
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import UTC, time, timedelta
from pathlib import Path

import pytest

from tests.conftest import Harness, running_bot
from tgbot.app import BACKUP_JOB, STANDIN_TOKEN
from tgbot.config import Settings
from tgbot.content import Content
from tgbot.services.clock import ManualClock

KEEP = 3


async def backed_up_bot(
    tmp_path: Path, content: Content, clock: ManualClock, backup_dir: Path | None
) -> AsyncIterator[Harness]:
    settings = Settings(
        token=STANDIN_TOKEN,
        db_path=tmp_path / "data" / "bot.sqlite3",
        backup_dir=backup_dir,
        backup_keep=KEEP,
    )
    async for harness in running_bot(settings, content, clock):
        yield harness


@pytest.fixture
async def bot(tmp_path: Path, content: Content, clock: ManualClock) -> AsyncIterator[Harness]:
    async for harness in backed_up_bot(tmp_path, content, clock, tmp_path / "backups"):
        yield harness


async def run_nightly_backup(bot: Harness) -> None:
    """What the job queue does at TGBOT_BACKUP_TIME."""
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name(BACKUP_JOB)
    await job.run(bot.app)


async def test_the_job_is_scheduled_daily_at_the_backup_time(bot: Harness) -> None:
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name(BACKUP_JOB)
    assert job.next_t is not None
    assert job.next_t.astimezone(UTC).time() == time(3, 30)


async def test_the_nightly_backup_is_a_private_restorable_copy_named_by_its_day(
    bot: Harness,
) -> None:
    await bot.driver.user(user_id=971).send("/start")
    await run_nightly_backup(bot)
    folder = bot.settings.backup_dir
    assert folder is not None
    backup = folder / "cramps-2026-11-21.sqlite3"  # the clock's UTC day
    assert sorted(p.name for p in folder.iterdir()) == [backup.name]  # no temporary file left
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT user_id FROM users").fetchall() == [(971,)]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


async def test_only_the_newest_backups_are_kept_and_other_files_left(bot: Harness) -> None:
    folder = bot.settings.backup_dir
    assert folder is not None
    folder.mkdir(mode=0o700)
    (folder / "notes.txt").write_text("the operator's own file")
    for day in range(14, 21):  # a week of older nightly backups
        (folder / f"cramps-2026-11-{day}.sqlite3").write_bytes(b"older")
    await run_nightly_backup(bot)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "cramps-2026-11-19.sqlite3",
        "cramps-2026-11-20.sqlite3",
        "cramps-2026-11-21.sqlite3",
        "notes.txt",
    ]


async def test_next_nights_backup_gets_the_next_days_name(bot: Harness) -> None:
    await run_nightly_backup(bot)
    bot.clock.advance(timedelta(days=1))
    await run_nightly_backup(bot)
    folder = bot.settings.backup_dir
    assert folder is not None
    assert sorted(p.name for p in folder.iterdir()) == [
        "cramps-2026-11-21.sqlite3",
        "cramps-2026-11-22.sqlite3",
    ]


async def test_a_failed_backup_logs_a_warning_and_the_bot_keeps_serving(
    tmp_path: Path, content: Content, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # the backup folder cannot be created under a file
    async for bot in backed_up_bot(tmp_path, content, clock, blocker / "backups"):
        with caplog.at_level(logging.INFO):
            await run_nightly_backup(bot)
        failures = [r for r in caplog.records if "nightly backup failed" in r.getMessage()]
        assert [r.levelno for r in failures] == [logging.WARNING]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        [reply] = await bot.driver.user(user_id=972).send("/start")
        assert reply.text


async def test_a_backup_cut_short_leaves_no_half_file(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def disk_full(source: Path, target: Path) -> int:
        target.parent.mkdir(mode=0o700, exist_ok=True)
        target.write_bytes(b"half a database")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("tgbot.services.backups.backup_database", disk_full)
    with caplog.at_level(logging.WARNING):
        await run_nightly_backup(bot)
    folder = bot.settings.backup_dir
    assert folder is not None
    assert list(folder.iterdir()) == []
    assert any("disk is full" in r.getMessage() for r in caplog.records)


async def test_the_log_line_names_the_file_and_its_size(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.driver.user(user_id=973).send("/start")
    with caplog.at_level(logging.INFO, logger="tgbot.services.backups"):
        await run_nightly_backup(bot)
    [line] = [r.getMessage() for r in caplog.records if r.name == "tgbot.services.backups"]
    assert "cramps-2026-11-21.sqlite3" in line and "bytes" in line


async def test_no_backup_job_unless_a_folder_is_set(
    tmp_path: Path, content: Content, clock: ManualClock
) -> None:
    async for bot in backed_up_bot(tmp_path, content, clock, None):
        assert bot.app.job_queue is not None
        assert bot.app.job_queue.get_jobs_by_name(BACKUP_JOB) == ()
