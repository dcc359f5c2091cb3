"""The standing fault suite: `tgbot run` as a real process against the stand-in over HTTP,
with Bot API faults armed through the stand-in's control API, thousands of fuzzed updates,
and storage that is locked, full or read-only underneath the running bot."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import time as clock_time
from pathlib import Path

import httpx
import pytest

from tests.test_fuzz import SETTLE_EVERY, Fuzzer, assert_telegram_would_accept_everything
from tests.test_run_over_http import TOKEN, server, start_bot, wait_for
from tgbot.services.clock import SystemClock
from tgbot.services.reminders.engine import PIPELINE_SECONDS
from tgbot.services.reminders.service import ReminderService
from tgbot.storage import ReminderRepository, UserRepository, open_database
from tgbot_devtools.standin import FakeBotAPI, Latency
from tgbot_devtools.standin.http_server import StandinHttpServer, start_http_server
from tgbot_devtools.standin.users import FakeUser

__all__ = ["server"]  # the fixture, shared with test_run_over_http
Server = tuple[FakeBotAPI, StandinHttpServer]
FUZZED_UPDATES = 10_000


@contextlib.asynccontextmanager
async def running_bot(http: StandinHttpServer, folder: Path, **env: str) -> AsyncIterator[Path]:
    """`tgbot run` for the body of the ``with``; yields its log file, checked afterwards:
    a clean stop, no traceback, no token."""
    log_path = folder / "bot.log"
    database = env.pop("database", str(folder / "bot.sqlite3"))
    with log_path.open("wb") as log:
        process = await start_bot(http, folder, Path(database), "WARNING", log, **env)
        try:
            yield log_path
        finally:
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                await process.wait()
    text = log_path.read_text()
    assert process.returncode == 0, text[-3000:]
    assert "Traceback" not in text and TOKEN not in text, text[-3000:]


async def quiet(api: FakeBotAPI, seconds: float = 1.0) -> None:
    """Wait until the bot has made no call (but polling) for ``seconds``."""
    async with asyncio.timeout(60):
        while True:
            seen = sum(1 for c in api.calls if c.method.lower() != "getupdates")
            await asyncio.sleep(seconds)
            if seen == sum(1 for c in api.calls if c.method.lower() != "getupdates"):
                return


# ---------------------------------------------------------------------- Bot API faults


async def test_faults_are_armed_listed_and_cleared_over_http(server: Server) -> None:
    api, http = server
    async with httpx.AsyncClient(base_url=f"{http.base_url}/_standin") as control:
        armed = await control.post(
            "/faults", json={"kind": "server_error", "method": "sendMessage", "status": 502}
        )
        assert armed.status_code == 200
        [fault] = armed.json()["faults"]
        assert fault["kind"] == "server_error" and fault["status"] == 502
        assert fault["method"] == "sendmessage" and fault["remaining"] == 1
        wrongs: list[object] = [
            {"kind": "gremlins"},
            {"times": 2},
            {"kind": "slow", "delay": -1},
            [],
        ]
        for wrong in wrongs:
            assert (await control.post("/faults", json=wrong)).status_code == 400
        assert len((await control.get("/faults")).json()["faults"]) == 1
        assert (await control.delete("/faults")).json() == {"faults": []}
    assert api.pending_faults() == []


async def test_the_running_bot_answers_through_faults_armed_over_http(
    server: Server, tmp_path: Path
) -> None:
    api, http = server
    faults: dict[int, dict[str, str | int | float]] = {
        951: {"kind": "server_error", "status": 502, "times": 2},  # a 5xx burst
        952: {"kind": "network"},  # the connection is reset
        953: {"kind": "slow", "delay": 1.5},
        954: {"kind": "retry_after", "retry_after": 1},
        955: {"kind": "lost"},  # delivered, but the answer never comes back
        956: {"kind": "forbidden"},  # the user blocked the bot meanwhile
    }
    async with running_bot(http, tmp_path):
        async with httpx.AsyncClient(base_url=f"{http.base_url}/_standin") as control:
            for chat_id, fault in faults.items():
                body = {"method": "sendMessage", "chat_id": chat_id, **fault}
                assert (await control.post("/faults", json=body)).status_code == 200
            for chat_id in faults:
                sent = await control.post(f"/users/{chat_id}/send", json={"text": "/start"})
                assert sent.status_code == 200
        answered = [951, 952, 953, 954, 955]
        await wait_for(lambda: all(api.chat_messages(c) for c in answered))
        await quiet(api)
        assert api.pending_faults() == []
        for chat_id in (951, 952, 953, 954):
            [welcome] = api.chat_messages(chat_id)
            assert "cramp" in welcome["text"].lower()
        # A lost answer cannot be told from a lost request: sent again, better twice than never.
        assert 1 <= len(api.chat_messages(955)) <= 2
        assert api.chat_messages(956) == []
        api.user(956).send_text("/start")  # the bot is still serving everyone
        await wait_for(lambda: len(api.chat_messages(956)) == 1)


# ---------------------------------------------------------------------- fuzz


async def caught_up(api: FakeBotAPI, sentinel: FakeUser) -> None:
    """Updates are handled in order, so the sentinel's answer means the bot has caught up:
    the storm stays a storm without an unbounded backlog."""
    expected = len(api.chat_messages(sentinel.id)) + 1
    sentinel.send_text("/help")
    await wait_for(lambda: len(api.chat_messages(sentinel.id)) >= expected)


async def test_ten_thousand_fuzzed_updates_through_tgbot_run(
    server: Server, tmp_path: Path
) -> None:
    api, http = server
    api.record_calls = True
    # Many users: the bot keeps to about one message a second in any one chat.
    fuzzer = Fuzzer(api, random.Random(20261202), users=1_000)
    began = time.monotonic()
    sentinels = [api.user(29_900 + n) for n in range(20)]
    # Telegram's 30 messages/s would make this a six-minute test; the stand-in has no limit.
    async with running_bot(http, tmp_path, TGBOT_REPLY_RATE="10000") as log_path:
        for n in range(FUZZED_UPDATES):
            fuzzer.act()
            if n % SETTLE_EVERY == SETTLE_EVERY - 1:
                await caught_up(api, sentinels[n // SETTLE_EVERY % len(sentinels)])
        print(f"{FUZZED_UPDATES} updates through tgbot run in {time.monotonic() - began:.1f}s")
        await quiet(api)
        newcomer = api.user(29_999)
        started = time.monotonic()
        newcomer.send_text("/start")
        await wait_for(lambda: len(api.chat_messages(29_999)) == 1)
        assert time.monotonic() - started < 2.0  # /start within 2 s after the storm
        await quiet(api)
    assert_telegram_would_accept_everything(api)
    errors = [line for line in log_path.read_text().splitlines() if " ERROR " in line]
    assert errors[:5] == []


# ---------------------------------------------------------------------- storage faults


def stored_users(database: Path) -> set[int]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return {row[0] for row in connection.execute("SELECT user_id FROM users")}


async def test_a_held_write_lock_delays_no_one_and_loses_nothing(
    server: Server, tmp_path: Path
) -> None:
    api, http = server
    database = tmp_path / "bot.sqlite3"
    async with running_bot(http, tmp_path):
        api.user(961).send_text("/start")
        await wait_for(lambda: len(api.chat_messages(961)) == 1)
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            started = time.monotonic()
            api.user(962).send_text("/start")
            await wait_for(lambda: len(api.chat_messages(962)) == 1)
            waited = time.monotonic() - started
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert waited < 4.0  # the busy timeout, not the lock's length, bounds the wait
        [welcome] = api.chat_messages(962)
        assert "cramp" in welcome["text"].lower()  # the welcome alone, no apology
        api.user(962).send_text("/help")  # the next update stores what the lock held back
        await wait_for(lambda: len(api.chat_messages(962)) == 2)
        await quiet(api, 0.5)
    assert stored_users(database) == {961, 962}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs: a disk that can be filled, or made read-only, under the running bot."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (CAP_SYS_ADMIN); storage-fault test skipped")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount(folder: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)


def fill(folder: Path) -> None:
    with (folder / "filler").open("wb") as filler, contextlib.suppress(OSError):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()


async def test_a_full_disk_keeps_the_bot_answering_and_loses_no_row(
    server: Server, tmp_path: Path, small_disk: Path
) -> None:
    api, http = server
    database = small_disk / "bot.sqlite3"
    async with running_bot(http, tmp_path, database=str(database)):
        api.user(971).send_text("/start")
        await wait_for(lambda: len(api.chat_messages(971)) == 1)
        fill(small_disk)
        api.user(972).send_text("/start")  # a new user while nothing can be written
        await wait_for(lambda: len(api.chat_messages(972)) == 1)
        assert "cramp" in api.chat_messages(972)[0]["text"].lower()
        assert 972 not in stored_users(database)  # the disk really was full
        api.user(971).send_text("my calf is cramping right now")
        await wait_for(lambda: len(api.chat_messages(971)) == 2)
        (small_disk / "filler").unlink()
        api.user(972).send_text("/help")
        await wait_for(lambda: len(api.chat_messages(972)) == 2)
        await quiet(api, 0.5)
    assert stored_users(database) == {971, 972}


async def test_a_read_only_disk_at_start_is_one_clear_line_and_exit_2(
    server: Server, tmp_path: Path, small_disk: Path
) -> None:
    """A disk gone read-only (ext4's errors=remount-ro) cannot hold the WAL: say so and stop,
    so the supervisor restarts it and someone is told. (Writes failing under a running bot
    are test_bot_menus' read-only test.)"""
    api, http = server
    database = small_disk / "bot.sqlite3"
    async with running_bot(http, tmp_path, database=str(database)):
        api.user(981).send_text("/start")
        await wait_for(lambda: len(api.chat_messages(981)) == 1)
    remount(small_disk, "ro")
    try:
        process = await start_bot(http, tmp_path, database, "WARNING")
        async with asyncio.timeout(10):  # the target is 5 s; a loaded CI machine gets slack
            output, _ = await process.communicate()
    finally:
        remount(small_disk, "rw")
    assert process.returncode == 2
    [line] = output.decode().strip().splitlines()
    assert line.startswith(f"tgbot: cannot open the database: {database}: ")
    assert stored_users(database) == {981}  # nothing lost


# ---------------------------------------------------------------------- kill -9


async def due_reminders(database: Path, users: range) -> None:
    """People whose reminder is due now, written as the bot would have stored them."""
    db = await open_database(database)
    try:
        service = ReminderService(ReminderRepository(db), SystemClock())
        for uid in users:
            await UserRepository(db).touch(uid, "en", 0)
            await service.turn_on(uid, clock_time(22, 0), "UTC")
        await db.connection.execute("UPDATE reminders SET next_fire_at = strftime('%s', 'now')")
    finally:
        await db.close()


async def test_kill_9_with_sends_in_flight_loses_none_and_repeats_only_those(
    tmp_path: Path,
) -> None:
    api = FakeBotAPI(token=TOKEN, latency=Latency(ms=200, jitter_ms=40))  # Telegram's distance
    http = await start_http_server(api, "127.0.0.1", 0)
    database = tmp_path / "bot.sqlite3"
    people = range(40_001, 40_151)
    await due_reminders(database, people)
    rate = 25
    in_flight_at_most = math.ceil(rate * PIPELINE_SECONDS)

    def reached() -> int:
        return sum(1 for uid in people if api.chat(uid).messages)

    try:
        for uid in people:
            api.user(uid)
        first = await start_bot(http, tmp_path, database, "WARNING", TGBOT_REMINDER_RATE=str(rate))
        await wait_for(lambda: reached() >= 40)
        first.kill()  # kill -9 mid-burst, several sends in flight
        await first.wait()
        async with running_bot(http, tmp_path, TGBOT_REMINDER_RATE=str(rate)):
            await wait_for(lambda: reached() == len(people))
            await quiet(api, 1.0)
    finally:
        api.close()
        await http.close()
    copies = [len(api.chat(uid).messages) for uid in people]
    assert min(copies) >= 1  # none lost
    duplicates = sum(n - 1 for n in copies)
    print(f"kill -9 mid-burst: {duplicates} duplicate(s), at most {in_flight_at_most} in flight")
    assert duplicates <= in_flight_at_most, f"{duplicates} duplicates"
