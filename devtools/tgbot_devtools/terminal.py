"""Talk to the bot in a terminal (``tgbot chat``) or ask it one thing (``tgbot ask``).

Both run the real Application through its normal polling loop against the in-process
Bot API stand-in, so what you see here is what a Telegram user would get.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from tgbot.app import STANDIN_TOKEN, build_application
from tgbot.config import Settings
from tgbot.content import Catalog, Content, load_content
from tgbot.handlers.context import SERVICES_KEY, BotServices
from tgbot.services.clock import Clock
from tgbot.services.understanding.languages import understand
from tgbot.storage.database import MEMORY
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.evaluation import EvalItem, EvalReport, Reply, evaluate, load_questions
from tgbot_devtools.standin import BotDriver, BotMessage, DriverUser, FakeBotAPI, StandinRequest

CHAT_USER_ID = 100_001
EVAL_FIRST_USER_ID = 200_001
QUIT_WORDS = ("/quit", "/exit")
BANNER = (
    "Local chat with the bot: type a message, a number to press a button (on any of the last "
    "few messages), /quit to leave."
)
# Photos and documents the bot sends are saved here (relative to the working directory).
CHAT_FILES_DIR = Path("chat-files")
# How many of the latest messages with buttons keep their numbers.
PRESSABLE_MESSAGES = 4
LINE_PREFIX = 30  # a reply's language: the first characters of its first line
_LINES: dict[int, tuple[Content, dict[str, frozenset[str]]]] = {}
# How often the chat looks for messages the bot sent on its own (reminders, check-ins).
WATCH_INTERVAL_S = 0.2


@asynccontextmanager
async def local_driver(
    settings: Settings, content: Content | None = None, clock: Clock | None = None
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
        clock=clock,
    )
    async with BotDriver(api, app) as driver:
        # Typed messages wait for the encoder and exemplars; a step's time limit should not.
        services: BotServices = app.bot_data[SERVICES_KEY]
        await services.understanding.ready()
        yield driver


@asynccontextmanager
async def local_bot(
    settings: Settings, language: str, clock: Clock | None = None
) -> AsyncIterator[DriverUser]:
    """The local bot and one user to talk to it."""
    async with local_driver(settings, clock=clock) as driver:
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


def in_memory(settings: Settings) -> Settings:
    """An in-memory SQLite database, whatever TGBOT_DATABASE_URL says: nothing is kept."""
    return replace(settings, db_path=Path(MEMORY), database_url=None)


async def ask(settings: Settings, text: str, language: str) -> str:
    """The reply to one message; nothing is kept (in-memory database)."""
    async with local_bot(in_memory(settings), language) as user:
        return format_replies(await user.send(text))


async def ask_json(settings: Settings, text: str, language: str) -> dict[str, Any]:
    """The reply to one message as data: what was understood (screen, level, kind) and what
    the person reads (the answer's text and button labels)."""
    content = load_content(settings.messages_dir)
    async with local_driver(in_memory(settings), content) as driver:
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
    async with local_driver(in_memory(settings), content) as driver:
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
    # The apology for a language the bot does not speak comes first; the answer is after it.
    apology = content.not_spoken_line(language)
    messages = [m for m in messages if m.text != apology] or messages
    catalog = content.catalog(language)
    body = answer_body(catalog, messages[0].text if messages else "")
    in_language = spoken_in(content, body, catalog.language)
    reading = understand(content, catalog.language, text, settings.encoder)
    if text.startswith("/") or reading is None:
        return Reply(body, "greeting", "none", None, seconds, in_language), messages
    understood = reading.understood
    reply = Reply(
        body, understood.kind.value, understood.level.label, understood.screen, seconds, in_language
    )
    return reply, messages


def spoken_in(content: Content, body: str, language: str) -> bool | None:
    """Whether the reply's first line is one of ``language``'s texts: True, False (another
    language's), or None (several catalogues have it, or none does)."""
    line = _first_line(body)
    speakers = [code for code, lines in _catalogue_lines(content).items() if line in lines]
    if not speakers or len(speakers) == len(content.catalogs):
        return None
    return language in speakers


def _catalogue_lines(content: Content) -> dict[str, frozenset[str]]:
    """The opening of every line each catalogue can show (screens, texts, questions)."""
    cached = _LINES.get(id(content))
    if cached is not None and cached[0] is content:
        return cached[1]
    found: dict[str, frozenset[str]] = {}
    for code, catalog in content.catalogs.items():
        texts = [s.text for s in catalog.screens.values()] + list(catalog.ui.values())
        texts += list(catalog.reminders.texts.values()) + list(catalog.diary.texts.values())
        if catalog.semantic is not None:
            texts += [flag.confirm for flag in catalog.semantic.red_flags.values()]
        found[code] = frozenset(
            _first_line(line)
            for text in texts
            for line in html_to_plain(catalog.personalise(text, None)).splitlines()
            if line.strip()
        )
    _LINES[id(content)] = (content, found)
    return found


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line[:LINE_PREFIX]


def answer_body(catalog: Catalog, text: str) -> str:
    """A reply's text without the footer every screen carries (keywords are read there)."""
    for country in (None, *catalog.emergency.countries):
        footer = html_to_plain(catalog.personalise(catalog.text("footer"), country)).strip()
        if footer and text.rstrip().endswith(footer):
            return text.rstrip()[: -len(footer)].rstrip()
    return text


async def chat(
    settings: Settings,
    language: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    clock: Clock | None = None,
    files_dir: Path = CHAT_FILES_DIR,
) -> None:
    """Talk to the bot: every bot message is printed as it arrives, also the ones nobody
    typed anything for (a reminder, a morning check-in), while the next line is read."""
    echo = not stdin.isatty()  # piped input: show what was "typed" so the transcript reads well

    def show(text: str) -> None:
        print(text, file=stdout, flush=True)

    async with local_bot(settings, language, clock) as user:
        show(BANNER)
        transcript = Transcript(user.driver.api, user.id, show, files_dir)
        watcher = asyncio.create_task(transcript.watch())
        try:
            while True:
                line = await asyncio.to_thread(stdin.readline)
                transcript.print_new()  # what arrived while the person was typing, first
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                if echo:
                    show(f"\nyou › {line}")
                if line.lower() in QUIT_WORDS:
                    break
                await _act(user, line, transcript, show)
                transcript.print_new()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        show("Bye! Take care.")


@dataclass(frozen=True)
class Pressable:
    message_id: int
    callback_data: str


class Transcript:
    """Prints the bot's messages in the chat as they come (sent or edited), saves the files
    they carry, and numbers the buttons of the last few so a number presses one of them."""

    def __init__(
        self, api: FakeBotAPI, chat_id: int, show: Callable[[str], None], files_dir: Path
    ) -> None:
        self._api = api
        self._chat_id = chat_id
        self._show = show
        self._files_dir = files_dir
        self._marker = self._api.marker()
        # message id -> its buttons' numbers; the newest last, at most PRESSABLE_MESSAGES
        self._numbered: OrderedDict[int, dict[int, Pressable]] = OrderedDict()

    async def watch(self) -> None:
        """Print what the bot sends on its own, without waiting for the next line typed."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            self.print_new()

    def print_new(self) -> None:
        """Everything the bot sent or edited in the chat since the last call, once each."""
        changes = self._api.changes_since(self._chat_id, self._marker)
        self._marker = self._api.marker()
        for change in changes:
            self._numbered.pop(change.message_id, None)
            if change.message is not None:
                self._show("\n" + self._format(BotMessage.from_change(change)))

    def pressable(self, number: int) -> Pressable | None:
        for buttons in self._numbered.values():
            if number in buttons:
                return buttons[number]
        return None

    @property
    def numbers(self) -> list[int]:
        return sorted(n for buttons in self._numbered.values() for n in buttons)

    def _format(self, message: BotMessage) -> str:
        saved = self._save_file(message)
        marker = "bot (updated) ›" if message.is_edit else "bot ›"
        if saved is None:
            lines = [f"{marker} {message.text}"]
        else:  # the file, then its caption
            lines = [f"{marker} [{saved.kind} saved: {saved.path}]"]
            lines += [message.text] if message.text else []
        with_data = [b for row in message.buttons for b in row if b.callback_data]
        first = self._first_free_number(len(with_data))
        numbers: dict[int, Pressable] = {}
        for row in message.buttons:
            cells = []
            for button in row:
                if button.callback_data is None:
                    cells.append(f"[link] {button.label}: {button.url}")
                    continue
                number = first + len(numbers)
                numbers[number] = Pressable(message.message_id, button.callback_data)
                cells.append(f"[{number}] {button.label}")
            lines.append("   " + "   ".join(cells))
        if numbers:
            self._numbered[message.message_id] = numbers
            while len(self._numbered) > PRESSABLE_MESSAGES:
                self._numbered.popitem(last=False)
        return "\n".join(lines)

    def _first_free_number(self, count: int) -> int:
        """The lowest run of ``count`` numbers no pressable message uses: numbers stay small,
        and a screen edited in place keeps the numbers it had."""
        used = set(self.numbers)
        first = 1
        while any(n in used for n in range(first, first + count)):
            first += 1
        return first

    def _save_file(self, message: BotMessage) -> SavedFile | None:
        stored = self._api.file_of(message.raw)
        if stored is None or stored.data is None:
            return None
        kind = "photo" if message.raw.get("photo") else "document"
        name = stored.file_name or PurePosixPath(stored.file_path).name
        if kind == "photo":  # the stand-in files every photo as .jpg; the bytes know better
            name = PurePosixPath(name).stem + _image_extension(stored.data)
        path = self._files_dir / f"{message.message_id}-{name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(stored.data)
        return SavedFile(kind, path)


@dataclass(frozen=True)
class SavedFile:
    kind: str  # "photo" or "document"
    path: Path


def _image_extension(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"%PDF"):
        return ".pdf"
    return ".jpg"


async def _act(
    user: DriverUser, line: str, transcript: Transcript, show: Callable[[str], None]
) -> None:
    """Press the numbered button, or send the line as a message."""
    if line.isdigit() and transcript.numbers:
        pressable = transcript.pressable(int(line))
        if pressable is not None:
            await user.press_data(pressable.message_id, pressable.callback_data)
            return
        numbers = transcript.numbers
        shown = f"{numbers[0]}-{numbers[-1]}" if numbers else "none yet"
        show(f"(there is no button {line} on the last few messages; buttons: {shown})")
        return
    await user.send(line)
