"""No secret and no user's words in the logs, at any level."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator

import pytest

from tests.conftest import Harness
from tests.test_diary import button, log_calf
from tgbot.app import STANDIN_TOKEN
from tgbot.content import Content
from tgbot.logs import LIBRARY_LEVELS, REDACTED, RedactSecrets, configure_logging

SECRET_TEXT = "zq-private-words-about-my-leg-qz"
REAL_LOOKING_TOKEN = "7412345678:AAHc0ffee-Tok3n_shaped_like_BotFathers_1"


@contextlib.contextmanager
def production_logging(*, json_lines: bool = False) -> Iterator[io.StringIO]:
    """Everything the bot logs at DEBUG, through the production set-up; restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LEVELS}
    stream = io.StringIO()
    configure_logging(logging.DEBUG, [STANDIN_TOKEN], stream=stream, json_lines=json_lines)
    try:
        yield stream
    finally:
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    with production_logging() as stream:
        yield stream


async def test_debug_logs_hold_neither_the_token_nor_what_users_typed(
    bot: Harness, content: Content, debug_log: io.StringIO
) -> None:
    user = bot.driver.user(user_id=931)
    await user.send(f"my calf hurts {SECRET_TEXT}")
    logged = await log_calf(bot, 931)
    await user.press(button(content, "note"), logged)
    await user.send(f"note: {SECRET_TEXT}")
    try:
        raise RuntimeError(f"The token `{STANDIN_TOKEN}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("tgbot.test").exception("start-up failed")
    output = debug_log.getvalue()
    assert "typed message" in output and "start-up failed" in output  # it did log
    assert STANDIN_TOKEN not in output
    assert SECRET_TEXT not in output


def test_anything_shaped_like_a_token_is_redacted() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "GET https://api/bot%s/getMe", (REAL_LOOKING_TOKEN,), None
    )
    RedactSecrets(()).filter(record)
    assert record.getMessage() == f"GET https://api/bot{REDACTED}/getMe"


async def test_json_logs_give_one_object_per_line_with_the_update_fields(bot: Harness) -> None:
    with production_logging(json_lines=True) as stream:
        await bot.driver.user(user_id=932).send(f"/start {SECRET_TEXT}")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [handled] = [line for line in lines if line.get("handler") == "start"]
    assert handled["update_type"] == "message" and handled["outcome"] == "ok"
    assert handled["levelname"] == "INFO" and isinstance(handled["duration_ms"], float)
    assert SECRET_TEXT not in stream.getvalue() and STANDIN_TOKEN not in stream.getvalue()
