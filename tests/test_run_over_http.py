"""`tgbot run` as a real process, polling the stand-in over loopback HTTP (the HTTPX path)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.test_metrics import label_values
from tgbot_devtools.standin import FakeBotAPI
from tgbot_devtools.standin.http_server import StandinHttpServer, start_http_server

TOKEN = "123456:TEST"


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeBotAPI, StandinHttpServer]]:
    api = FakeBotAPI(token=TOKEN)
    http = await start_http_server(api, "127.0.0.1", 0)
    try:
        yield api, http
    finally:
        api.close()
        await http.close()


async def start_bot(
    http: StandinHttpServer,
    folder: Path,
    database: Path,
    log_level: str,
    output: int | IO[bytes] = asyncio.subprocess.PIPE,
    **more: str,
) -> asyncio.subprocess.Process:
    """``tgbot run`` in its own process, polling the stand-in; stdout and stderr go to
    ``output`` (a file for long runs: a pipe nobody reads would stall the bot)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGBOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=http.base_url,
        TGBOT_DB_PATH=str(database),
        TGBOT_LOG_LEVEL=log_level,
        **more,
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tgbot", "run",
        cwd=folder, env=env,
        stdout=output, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def wait_for(predicate: Callable[[], bool]) -> None:
    """Poll what the stand-in recorded until the bot process has done its part."""
    async with asyncio.timeout(15):
        while not predicate():  # noqa: ASYNC110 - the bot is another process
            await asyncio.sleep(0.05)


async def test_run_serves_a_user_over_http_and_stops_on_sigterm(
    server: tuple[FakeBotAPI, StandinHttpServer], tmp_path: Path
) -> None:
    api, http = server
    process = await start_bot(http, tmp_path, tmp_path / "bot.sqlite3", "INFO")
    try:
        user = api.user(901, first_name="Ann")
        user.send_text("/start")
        await wait_for(lambda: len(api.chat_messages(901)) == 1)
        [welcome] = api.chat_messages(901)
        assert "cramp" in welcome["text"].lower()

        user.press_button(welcome["message_id"], "Cramp right now")
        await wait_for(lambda: "Where is the cramp" in api.chat_messages(901)[0]["text"])
        # The answer to the press and the command menu go out beside the screen, not before.
        await wait_for(lambda: api.unanswered_callback_queries() == [])
        await wait_for(lambda: any(c.method == "setMyCommands" for c in api.calls))
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    log = output.decode()
    assert process.returncode == 0, log
    assert "handler=start" in log and "handler=on_button" in log
    assert TOKEN not in log  # the token never reaches the logs
    assert "Traceback" not in log


async def test_a_corrupt_database_stops_start_up_with_one_clear_line(
    server: tuple[FakeBotAPI, StandinHttpServer], tmp_path: Path
) -> None:
    _, http = server
    database = tmp_path / "bot.sqlite3"
    database.write_bytes(b"this is not a database, " * 400)
    process = await start_bot(http, tmp_path, database, "WARNING")
    try:
        async with asyncio.timeout(10):  # the target is 5 s; a loaded CI machine gets slack
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 2
    lines = output.decode().strip().splitlines()
    assert lines == [f"tgbot: cannot open the database: {database}: file is not a database"]


async def test_metrics_and_health_endpoints_when_asked_for(
    server: tuple[FakeBotAPI, StandinHttpServer], tmp_path: Path
) -> None:
    api, http = server
    with socket.socket() as probe:  # a free port for the metrics server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listen = f"127.0.0.1:{port}"
    process = await start_bot(
        http, tmp_path, tmp_path / "bot.sqlite3", "WARNING", TGBOT_METRICS_LISTEN=listen
    )
    try:
        api.user(905).send_text("/start")
        await wait_for(lambda: len(api.chat_messages(905)) == 1)
        async with httpx.AsyncClient(base_url=f"http://{listen}") as client:
            metrics = (await client.get("/metrics")).text
            assert (await client.get("/readyz")).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
        assert 'tgbot_updates_total{outcome="ok",type="message"}' in metrics
        assert "tgbot_handler_seconds_bucket" in metrics and "tgbot_reminders_in_flight" in metrics
        for event in ("retried", "late", "missed", "rate_limited", "record_held"):
            assert f'tgbot_reminder_events_total{{event="{event}"}} 0.0' in metrics
        assert 'tgbot_reminders_total{outcome="blocked"} 0.0' in metrics
        assert "tgbot_reminders_queue_depth 0.0" in metrics
        assert label_values(metrics).isdisjoint({"905"})  # counts, never a user
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            await process.wait()
