"""Talk to the bot in a terminal (``tgbot chat``) or ask it one thing (``tgbot ask``).

Both run the real Application through its normal polling loop against the in-process
Bot API stand-in, so what you see here is what a Telegram user would get.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from tgbot.app import STANDIN_TOKEN, build_application
from tgbot.config import Settings
from tgbot.content import Catalog, Content, load_content
from tgbot.services.understanding.understander import understander_for
from tgbot.storage.database import MEMORY
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.evaluation import EvalItem, EvalReport, Reply, evaluate, load_questions
from tgbot_devtools.standin import BotDriver, BotMessage, DriverUser, FakeBotAPI, StandinRequest

CHAT_USER_ID = 100_001
EVAL_FIRST_USER_ID = 200_001
QUIT_WORDS = ("/quit", "/exit")
BANNER = "Local chat with the bot: type a message, a number to press a button, /quit to leave."


@asynccontextmanager
async def local_driver(
    settings: Settings, content: Content | None = None
) -> AsyncIterator[BotDriver]:
    """The real bot, polling a fresh in-process Bot API stand-in."""
    api = FakeBotAPI(token=STANDIN_TOKEN)
    app = build_application(
        replace(settings, token=STANDIN_TOKEN),
        content=content,
        request=StandinRequest(api),
        updates_request=StandinRequest(api),
        reminder_request=StandinRequest(api),
        rate_limited=False,
    )
    async with BotDriver(api, app) as driver:
        yield driver


@asynccontextmanager
async def local_bot(settings: Settings, language: str) -> AsyncIterator[DriverUser]:
    """The local bot and one user to talk to it."""
    async with local_driver(settings) as driver:
        yield driver.user(user_id=CHAT_USER_ID, first_name="You", language_code=language)


def format_message(message: BotMessage, first_number: int = 1) -> str:
    """A bot message as plain text, its inline buttons numbered from ``first_number``."""
    marker = "bot (updated) ›" if message.is_edit else "bot ›"
    lines = [f"{marker} {message.text}"]
    number = first_number
    for row in message.buttons:
        cells = []
        for button in row:
            cells.append(f"[{number}] {button.label}")
            number += 1
        lines.append("   " + "   ".join(cells))
    return "\n".join(lines)


def format_replies(messages: Sequence[BotMessage]) -> str:
    return "\n\n".join(format_message(m) for m in messages)


async def ask(settings: Settings, text: str, language: str) -> str:
    """The reply to one message; nothing is kept (in-memory database)."""
    async with local_bot(replace(settings, db_path=Path(MEMORY)), language) as user:
        return format_replies(await user.send(text))


async def ask_json(settings: Settings, text: str, language: str) -> dict[str, Any]:
    """The reply to one message as data: what was understood (screen, level, kind) and what
    the person reads (the answer's text and button labels)."""
    content = load_content(settings.messages_dir)
    async with local_driver(replace(settings, db_path=Path(MEMORY)), content) as driver:
        user = driver.user(user_id=CHAT_USER_ID, first_name="You", language_code=language)
        reply, messages = await _reply(driver, user, content, settings, text, language)
    catalog = content.catalog(language)
    first = messages[0] if messages else None
    return {
        "screen": reply.screen,
        "level": reply.level,
        "kind": reply.kind,
        "language": catalog.language,
        "text": first.text if first else "",
        "buttons": [[b.label for b in row] for row in first.buttons] if first else [],
    }


async def evaluate_file(settings: Settings, path: Path, language: str | None) -> EvalReport:
    """Send every question through the real bot (the path ``ask`` uses) and score the replies."""
    items = load_questions(path, language)
    content = load_content(settings.messages_dir)
    async with local_driver(replace(settings, db_path=Path(MEMORY)), content) as driver:
        next_user = iter(range(EVAL_FIRST_USER_ID, EVAL_FIRST_USER_ID + len(items) + 1))

        async def reply(item: EvalItem) -> Reply:
            # A fresh user per question: no state leaks from one answer into the next.
            user = driver.user(user_id=next(next_user), language_code=item.lang)
            answer, _ = await _reply(driver, user, content, settings, item.text, item.lang)
            return answer

        return await evaluate(items, reply)


async def _reply(
    driver: BotDriver,
    user: DriverUser,
    content: Content,
    settings: Settings,
    text: str,
    language: str,
) -> tuple[Reply, list[BotMessage]]:
    """Send ``text`` as ``user``; the reply's body (footer cut off) and what was understood
    (the same deterministic service the handler asked)."""
    started = time.perf_counter()
    messages = await user.send(text)
    seconds = time.perf_counter() - started
    catalog = content.catalog(language)
    body = answer_body(catalog, messages[0].text if messages else "")
    understander = understander_for(catalog, settings.encoder)
    if text.startswith("/") or understander is None:
        return Reply(body, "greeting", "none", None, seconds), messages
    understood = understander.understand(text)
    reply = Reply(body, understood.kind.value, understood.level.label, understood.screen, seconds)
    return reply, messages


def answer_body(catalog: Catalog, text: str) -> str:
    """A reply's text without the footer every screen carries (keywords are read there)."""
    for country in (None, *catalog.emergency.countries):
        footer = html_to_plain(catalog.personalise(catalog.text("footer"), country)).strip()
        if footer and text.rstrip().endswith(footer):
            return text.rstrip()[: -len(footer)].rstrip()
    return text


async def chat(
    settings: Settings, language: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    echo = not stdin.isatty()  # piped input: show what was "typed" so the transcript reads well

    def show(text: str) -> None:
        print(text, file=stdout, flush=True)

    async with local_bot(settings, language) as user:
        show(BANNER)
        last_with_buttons: BotMessage | None = None
        while True:
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            if echo:
                show(f"\nyou › {line}")
            if line.lower() in QUIT_WORDS:
                break
            replies = await _act(user, line, last_with_buttons, show)
            if replies:
                show("\n" + format_replies(replies))
                with_buttons = [m for m in replies if m.buttons]
                if with_buttons:
                    last_with_buttons = with_buttons[-1]
        show("Bye! Take care.")


async def _act(
    user: DriverUser, line: str, last: BotMessage | None, show: Callable[[str], None]
) -> list[BotMessage]:
    if line.isdigit() and last is not None:
        buttons = [b for row in last.buttons for b in row]
        index = int(line) - 1
        data = buttons[index].callback_data if 0 <= index < len(buttons) else None
        if data:
            return await user.press_data(last.message_id, data)
        show(f"(there is no button {line} on the last message; 1-{len(buttons)})")
        return []
    return await user.send(line)
