"""The command line as a user runs it: real subprocesses."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

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
        timeout=60,
        check=False,
    )


def test_ask_prints_the_reply_and_its_buttons(tmp_path: Path) -> None:
    result = run_tgbot(["ask", "/start"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cramp" in result.stdout.lower()
    assert "[1] ⚡ Cramp right now" in result.stdout
    assert not (tmp_path / "data").exists()  # ask keeps nothing


def test_ask_answers_a_sticker_free_text_too(tmp_path: Path) -> None:
    result = run_tgbot(["ask", "what is this bot", "--lang", "es"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Cramp right now" in result.stdout


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
    import shutil

    messages = tmp_path / "messages"
    shutil.copytree(ROOT / "messages", messages)
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
# any module of the development tools or of aiohttp that got imported on the way.
PRODUCTION_PATH = """
import sys
from tgbot.app import build_application
from tgbot.cli import main
from tgbot.config import load_settings

build_application(load_settings(require_token=True))
main(["health"])
main(["warm"])
loaded = [m for m in sys.modules if m.partition(".")[0] in ("aiohttp", "tgbot_devtools")]
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
