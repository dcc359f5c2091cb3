"""Shared fixtures: the real bot driven through the in-process Bot API stand-in."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tgbot.app import STANDIN_TOKEN, build_application
from tgbot.config import Settings
from tgbot.content import Content, load_content
from tgbot.handlers.context import BotApplication
from tgbot.standin import BotDriver, FakeBotAPI


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@dataclass
class Harness:
    api: FakeBotAPI
    app: BotApplication
    driver: BotDriver
    settings: Settings

    def db_rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read the bot's SQLite file directly, as an auditor would."""
        with sqlite3.connect(self.settings.db_path) as connection:
            return list(connection.execute(sql, params))


@pytest.fixture
async def bot(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    api = FakeBotAPI(token=STANDIN_TOKEN)
    settings = Settings(token=STANDIN_TOKEN, db_path=tmp_path / "data" / "bot.sqlite3")
    app = build_application(
        settings,
        content=content,
        request=api.request(),
        updates_request=api.request(),
        rate_limited=False,
    )
    async with BotDriver(api, app) as driver:
        yield Harness(api, app, driver, settings)
