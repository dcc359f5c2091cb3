"""The command line as a user runs it: real subprocesses."""

from __future__ import annotations

import asyncio
import io
import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import english_catalogue_copy
from tgbot.app import STANDIN_TOKEN
from tgbot.config import Settings
from tgbot.content import load_content
from tgbot.services.clock import ManualClock
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.standin import FakeBotAPI
from tgbot_devtools.standin.records import Upload
from tgbot_devtools.terminal import CHAT_USER_ID, Transcript, chat

ROOT = Path(__file__).resolve().parents[1]


def run_tgbot(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGBOT_"))}
    environment.update({"TGBOT_DB_PATH": str(tmp_path / "data" / "bot.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-m", "tgbot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,  # from any directory: content ships with the package
        env=environment,
        timeout=180,  # `tgbot warm` embeds six languages' exemplars on a cold cache
        check=False,
    )


def test_ask_prints_the_reply_and_its_buttons(tmp_path: Path) -> None:
    result = run_tgbot(["ask", "/start"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cramp" in result.stdout.lower()
    assert "[1] ⚡ Cramp right now" in result.stdout
    assert not (tmp_path / "data").exists()  # ask keeps nothing


def test_ask_answers_in_the_senders_language(tmp_path: Path) -> None:
    result = run_tgbot(["ask", "¿qué es este bot?", "--lang", "es-MX"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "calambres" in result.stdout
    # French is not spoken: one line in French, then the English answer
    result = run_tgbot(["ask", "bonjour, qui es-tu ?", "--lang", "fr"], tmp_path)
    assert result.stdout.startswith("bot › Désolé") and "muscle cramps" in result.stdout


def test_piped_chat_shows_welcome_and_a_screen_then_exits(tmp_path: Path) -> None:
    result = run_tgbot(["chat"], tmp_path, stdin="/start\n1\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "I can't diagnose you" in out  # the welcome
    assert "bot (updated) › ⚡ Cramp right now" in out  # button 1 pressed, edited in place
    assert "[1] 🦵 Calf" in out
    assert (tmp_path / "data" / "bot.sqlite3").is_file()  # SQLite created on first use


def test_chat_explains_a_button_number_that_is_not_there(tmp_path: Path) -> None:
    result = run_tgbot(["chat"], tmp_path, stdin="/start\n42\n/quit\nnot read\n")
    assert result.returncode == 0, result.stderr
    assert "no button 42" in result.stdout
    assert "not read" not in result.stdout


class Terminal(io.StringIO):
    """What the chat printed; each write wakes whoever waits for a line to appear."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def write(self, text: str) -> int:
        self.changed.set()
        return super().write(text)


class ChatSession:
    """``tgbot chat`` in this process: lines go in through a pipe, as when piped from a shell,
    and the test reads what the terminal printed."""

    # Generous: the bot answers in milliseconds, a reminder within its one-second tick.
    WAIT_S = 30.0

    def __init__(self, tmp_path: Path, clock: ManualClock) -> None:
        read_end, write_end = os.pipe()
        self._stdin = os.fdopen(read_end, "r", encoding="utf-8")
        self._typing = os.fdopen(write_end, "w", encoding="utf-8")
        self.out = Terminal()
        self.files = tmp_path / "chat-files"
        settings = Settings(token=None, db_path=tmp_path / "data" / "bot.sqlite3")
        self.task = asyncio.create_task(
            chat(settings, "en", self._stdin, self.out, clock=clock, files_dir=self.files)
        )

    def type(self, line: str) -> None:
        self._typing.write(line + "\n")
        self._typing.flush()

    async def printed(self, pattern: str, after: int = 0) -> re.Match[str]:
        """The first match of ``pattern`` in what was printed from ``after`` on, once there."""
        async with asyncio.timeout(self.WAIT_S):
            while not (found := re.compile(pattern).search(self.out.getvalue(), after)):
                self.out.changed.clear()
                await self.out.changed.wait()
        return found

    async def close(self) -> None:
        self._typing.close()  # end of input: the chat says goodbye and stops
        async with asyncio.timeout(self.WAIT_S):
            await self.task
        self._stdin.close()


@pytest.fixture
async def chat_session(tmp_path: Path) -> AsyncIterator[tuple[ChatSession, ManualClock]]:
    # Saturday 2026-11-21, 19:00 in Berlin.
    clock = ManualClock(datetime(2026, 11, 21, 18, 0, tzinfo=UTC))
    session = ChatSession(tmp_path, clock)
    yield session, clock
    if not session.task.done():
        await session.close()


async def test_chat_prints_a_reminder_that_fires_while_nobody_types(chat_session) -> None:
    session, clock = chat_session
    session.type("/remind 22:15 Europe/Berlin")
    confirmed = await session.printed(r"tonight at 22:15")
    clock.set(datetime(2026, 11, 21, 21, 15, tzinfo=UTC))  # 22:15 in Berlin; nothing typed
    reminders = load_content().catalog("en").reminders
    title = html_to_plain(reminders.texts["reminder_title"]).strip()
    reminder = await session.printed(f"bot › {re.escape(title)}", confirmed.end())
    done = re.escape(reminders.buttons["done"])
    await session.printed(rf"\[\d+\] {done}", reminder.end())  # its buttons can be pressed
    await session.close()
    assert "you ›" not in session.out.getvalue()[confirmed.end() :].split("Bye!")[0]


async def test_chat_saves_the_files_the_bot_sends_and_prints_their_paths(chat_session) -> None:
    session, _clock = chat_session
    session.type("/diary")
    log = await session.printed(r"\[(\d+)\] 📝 Log a cramp")
    session.type(log[1])
    calf = await session.printed(r"\[(\d+)\] Calf", log.end())
    session.type(calf[1])
    logged = await session.printed(r"Logged: Calf", calf.end())
    session.type("/diary")
    summary = await session.printed(r"\[(\d+)\] 🩺 Summary for my doctor", logged.end())
    session.type(summary[1])
    pdf = await session.printed(r"bot › \[document saved: (\S+\.pdf)\]", summary.end())
    csv = await session.printed(r"bot › \[document saved: (\S+\.csv)\]", summary.end())
    await session.close()
    assert (await asyncio.to_thread(Path(pdf[1]).read_bytes)).startswith(b"%PDF")
    assert "calf" in (await asyncio.to_thread(Path(csv[1]).read_text)).lower()
    assert Path(pdf[1]).parent == session.files


async def test_a_number_presses_a_button_of_an_earlier_message_too(chat_session) -> None:
    session, _clock = chat_session
    session.type("/start")
    cramp = await session.printed(r"\[(\d+)\] ⚡ Cramp right now")
    session.type("/diary")
    diary = await session.printed(r"\[(\d+)\] 📝 Log a cramp", cramp.end())
    assert int(diary[1]) > int(cramp[1])  # numbered after the menu's buttons, not over them
    session.type(cramp[1])  # a button of the welcome, one message up
    await session.printed(r"bot \(updated\) › ⚡ Cramp right now", diary.end())
    await session.close()


async def test_chat_saves_a_photo_with_the_extension_its_bytes_have(tmp_path: Path) -> None:
    api = FakeBotAPI(token=STANDIN_TOKEN)
    api.user(CHAT_USER_ID, "You", "en", None)
    printed: list[str] = []
    transcript = Transcript(api, CHAT_USER_ID, printed.append, tmp_path / "chat-files")
    png = b"\x89PNG\r\n\x1a\n" + b"chart" * 10
    photo = Upload(png, "cramps.png", "image/png")
    await api.handle("sendPhoto", {"chat_id": CHAT_USER_ID, "photo": photo, "caption": "30 days"})
    transcript.print_new()
    [shown] = printed
    saved = re.search(r"^bot › \[photo saved: (\S+)\]\n30 days$", shown.strip())
    assert saved is not None, shown
    assert saved[1].endswith(".png")
    assert (await asyncio.to_thread(Path(saved[1]).read_bytes)) == png
    transcript.print_new()
    assert len(printed) == 1  # printed once


def test_run_without_a_token_names_the_variable(tmp_path: Path) -> None:
    result = run_tgbot(["run"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("tgbot: configuration error: TELEGRAM_BOT_TOKEN")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TELEGRAM_API_BASE_URL", "localhost:8081"), ("TGBOT_LOG_LEVEL", "chatty")],
)
def test_bad_configuration_is_one_line_naming_the_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = run_tgbot(["chat"], tmp_path, **{variable: value})
    assert result.returncode == 2
    assert f"configuration error: {variable}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_catalogue_stops_start_up_naming_file_and_key(tmp_path: Path) -> None:

    messages = english_catalogue_copy(tmp_path / "messages")
    ui = messages / "en" / "ui.yaml"
    ui.write_text(ui.read_text().replace("nav_back:", "nav_bak:"))
    result = run_tgbot(["ask", "hi"], tmp_path, TGBOT_MESSAGES_DIR=str(messages))
    assert result.returncode == 2
    assert "content error:" in result.stderr and "ui.yaml: nav_back" in result.stderr


def test_warm_fills_the_embedding_cache_that_start_up_reads(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = run_tgbot(["warm"], tmp_path, TGBOT_CACHE_DIR=str(cache))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in cache.glob("semantic-use-*.npy")], result.stdout


# What `tgbot run` builds (not started), then `tgbot health` and `tgbot warm`; exits 1 naming
# any module of the development tools that got imported on the way.
PRODUCTION_PATH = """
import sys
from tgbot.app import build_application
from tgbot.cli import main
from tgbot.config import load_settings

build_application(load_settings(require_token=True))
main(["health"])
main(["warm"])
loaded = [m for m in sys.modules if m.partition(".")[0] == "tgbot_devtools"]
sys.exit(f"loaded: {sorted(loaded)}" if loaded else 0)
"""


def test_the_production_path_never_imports_the_dev_tools(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGBOT_"))}
    environment.update(
        TELEGRAM_BOT_TOKEN="123456:TEST", TGBOT_DB_PATH=str(tmp_path / "data" / "bot.sqlite3")
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PATH],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# An install without the development tools, as the production image has it.
WITHOUT_DEV_TOOLS = """
import sys
sys.modules["tgbot_devtools"] = None
from tgbot.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "args", [["chat"], ["ask", "hi", "--json"], ["eval", "questions.yaml"], ["standin"]]
)
def test_dev_commands_without_the_dev_tools_say_how_to_get_them(
    tmp_path: Path, args: list[str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV_TOOLS, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    expected = f"tgbot {args[0]} needs the development tools: pip install -e ./devtools"
    assert result.stderr.strip() == expected
    assert result.stdout == ""


def test_backup_copies_the_live_database_privately(tmp_path: Path) -> None:
    live = tmp_path / "data" / "bot.sqlite3"
    live.parent.mkdir()
    with sqlite3.connect(live) as db:
        db.execute("CREATE TABLE diary (note TEXT)")
        db.execute("INSERT INTO diary VALUES ('after football')")
    copy = tmp_path / "backups" / "tonight.sqlite3"
    result = run_tgbot(["backup", str(copy)], tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT note FROM diary").fetchall() == [("after football",)]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    again = run_tgbot(["backup", str(copy)], tmp_path)  # never overwrites a backup
    assert again.returncode == 2 and "already exists" in again.stderr
