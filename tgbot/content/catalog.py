"""Load ``messages/<lang>/`` into an immutable catalogue and refuse anything broken.

A broken file stops start-up with a ``ContentError`` naming the file and the key, so a
translator or clinician sees exactly what to fix.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tgbot.services.navigation import MAIN_SCREEN, screen_callback
from tgbot.telegram_html import TelegramHtmlError, parse_html, utf16_len

DEFAULT_LANGUAGE = "en"
MAX_TEXT_LENGTH = 4096  # Telegram's limit, counted after entity parsing
MAX_CALLBACK_DATA_BYTES = 64
MAX_LABEL_LENGTH = 40
MAX_COMMAND_DESCRIPTION = 256
SCREEN_ID_RE = re.compile(r"^[a-z0-9_]{1,40}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
LANGUAGE_DIR_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")

REQUIRED_UI_KEYS = (
    "nav_back",
    "nav_home",
    "footer",
    "welcome",
    "help",
    "privacy",
    "forget_confirm",
    "forget_yes",
    "forget_no",
    "forget_done",
    "forget_cancelled",
    "expired",
    "expired_toast",
    "unknown_command",
    "non_text",
    "text_pointer",
    "edited_message",
    "error",
    "main_menu_title",
)
# Shown on buttons or as popups: plain text, short.
BUTTON_UI_KEYS = ("nav_back", "nav_home", "forget_yes", "forget_no")
POPUP_UI_KEYS = {"expired_toast": 200}


class ContentError(ValueError):
    """A content file is broken; the message starts with ``file: key:``."""


@dataclass(frozen=True)
class Button:
    label: str
    to: str


@dataclass(frozen=True)
class Screen:
    id: str
    text: str
    rows: tuple[tuple[Button, ...], ...]
    source: str
    parent: str | None = None  # where Back leads: the first screen that links here


@dataclass(frozen=True)
class Command:
    command: str
    description: str


@dataclass(frozen=True)
class Catalog:
    language: str
    ui: Mapping[str, str]
    commands: tuple[Command, ...]
    screens: Mapping[str, Screen]

    def text(self, key: str) -> str:
        return self.ui[key]

    def screen(self, screen_id: str) -> Screen | None:
        return self.screens.get(screen_id)


@dataclass(frozen=True)
class Content:
    catalogs: Mapping[str, Catalog]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.catalogs))

    def resolve_language(self, code: str | None) -> str:
        """IETF tag → a language we have: exact, then base language, then the default."""
        if code:
            tag = code.lower().replace("_", "-")
            for candidate in (tag, tag.split("-")[0]):
                if candidate in self.catalogs:
                    return candidate
        return DEFAULT_LANGUAGE

    def catalog(self, code: str | None) -> Catalog:
        return self.catalogs[self.resolve_language(code)]


def messages_dir() -> Path:
    """The installed ``tgbot/messages`` when packaged, else the checkout's ``messages/``."""
    packaged = Path(str(resources.files("tgbot"))) / "messages"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "messages"


def load_content(root: Path | None = None) -> Content:
    root = root or messages_dir()
    if not root.is_dir():
        raise ContentError(f"{root}: messages folder not found")
    catalogs = {
        d.name: load_catalog(d)
        for d in sorted(root.iterdir())
        if d.is_dir() and LANGUAGE_DIR_RE.match(d.name)
    }
    if DEFAULT_LANGUAGE not in catalogs:
        raise ContentError(f"{root}: no '{DEFAULT_LANGUAGE}' folder (the default language)")
    return Content(catalogs)


def load_catalog(folder: Path) -> Catalog:
    ui = _load_ui(folder / "ui.yaml")
    commands = _load_commands(folder / "commands.yaml")
    screens = _load_screens(folder / "screens", ui)
    return Catalog(folder.name, ui, commands, screens)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from None


def _load_ui(path: Path) -> dict[str, str]:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping of key: text")
    for key in REQUIRED_UI_KEYS:
        if key not in data:
            raise ContentError(f"{path}: {key}: required text is missing")
    ui: dict[str, str] = {}
    for key, value in data.items():
        where = f"{path}: {key}"
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{where}: must be a non-empty text")
        text = value.strip()
        if key in BUTTON_UI_KEYS:
            _check_label(text, where)
        elif key in POPUP_UI_KEYS:
            if len(text) > POPUP_UI_KEYS[key] or "<" in text:
                raise ContentError(f"{where}: popup text must be plain and ≤ 200 characters")
        else:
            _check_html(text, where)
        ui[str(key)] = text
    return ui


def _load_commands(path: Path) -> tuple[Command, ...]:
    data = _read_yaml(path)
    if not isinstance(data, list) or not data:
        raise ContentError(f"{path}: expected a list of {{command, description}}")
    commands = []
    for index, item in enumerate(data):
        where = f"{path}: [{index}]"
        if not isinstance(item, dict):
            raise ContentError(f"{where}: expected {{command, description}}")
        command, description = str(item.get("command", "")), str(item.get("description", ""))
        if not COMMAND_RE.match(command):
            raise ContentError(f"{where}.command: 1-32 lowercase letters, digits or _")
        if not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION:
            raise ContentError(f"{where}.description: 1-256 characters")
        commands.append(Command(command, description))
    return tuple(commands)


def _load_screens(folder: Path, ui: Mapping[str, str]) -> dict[str, Screen]:
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise ContentError(f"{folder}: no screen files (*.yaml)")
    screens: dict[str, Screen] = {}
    for path in files:
        for screen in _parse_screen_file(path):
            if screen.id in screens:
                raise ContentError(
                    f"{path}: {screen.id}: already defined in {screens[screen.id].source}"
                )
            screens[screen.id] = screen
    _check_links(screens)
    parents = _parents(screens)
    _check_footer_fits(screens, ui["footer"])
    return {sid: _with_parent(s, parents.get(sid)) for sid, s in screens.items()}


def _parse_screen_file(path: Path) -> Iterator[Screen]:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping of screen ids")
    for screen_id, body in data.items():
        where = f"{path}: {screen_id}"
        if not isinstance(screen_id, str) or not SCREEN_ID_RE.match(screen_id):
            raise ContentError(f"{where}: screen id must be 1-40 of a-z, 0-9, _")
        if len(screen_callback(screen_id).encode()) > MAX_CALLBACK_DATA_BYTES:
            raise ContentError(f"{where}: id too long for Telegram's 64-byte callback data")
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise ContentError(f"{where}.text: every screen needs a text")
        text = body["text"].strip()
        _check_html(text, f"{where}.text")
        rows = _parse_rows(body.get("buttons") or [], where)
        yield Screen(screen_id, text, rows, str(path))


def _parse_rows(raw: Any, where: str) -> tuple[tuple[Button, ...], ...]:
    if not isinstance(raw, list):
        raise ContentError(f"{where}.buttons: expected a list of rows")
    rows = []
    for r, row in enumerate(raw):
        items = row if isinstance(row, list) else [row]
        buttons = []
        for b, item in enumerate(items):
            key = f"{where}.buttons[{r}][{b}]"
            if not isinstance(item, dict) or not {"label", "to"} <= set(item):
                raise ContentError(f"{key}: a button needs a label and a 'to' screen")
            label = str(item["label"]).strip()
            _check_label(label, f"{key}.label")
            buttons.append(Button(label, str(item["to"])))
        if buttons:
            rows.append(tuple(buttons))
    return tuple(rows)


def _check_label(label: str, where: str) -> None:
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise ContentError(f"{where}: button label must be 1-{MAX_LABEL_LENGTH} characters")


def _check_html(text: str, where: str) -> None:
    try:
        plain, _ = parse_html(text)
    except TelegramHtmlError as exc:
        raise ContentError(f"{where}: invalid Telegram HTML: {exc}") from None
    if utf16_len(plain) > MAX_TEXT_LENGTH:
        raise ContentError(f"{where}: text is longer than Telegram's {MAX_TEXT_LENGTH} characters")


def _check_links(screens: Mapping[str, Screen]) -> None:
    if MAIN_SCREEN not in screens:
        raise ContentError(f"screens: '{MAIN_SCREEN}' (the main menu) is not defined")
    for screen in screens.values():
        for r, row in enumerate(screen.rows):
            for b, button in enumerate(row):
                if button.to not in screens:
                    raise ContentError(
                        f"{screen.source}: {screen.id}.buttons[{r}][{b}].to: "
                        f"unknown screen '{button.to}'"
                    )


def _parents(screens: Mapping[str, Screen]) -> dict[str, str]:
    """Breadth-first from main: Back leads to the first screen that links to each one."""
    parents: dict[str, str] = {}
    queue = deque([MAIN_SCREEN])
    seen = {MAIN_SCREEN}
    while queue:
        current = screens[queue.popleft()]
        for row in current.rows:
            for button in row:
                if button.to not in seen:
                    seen.add(button.to)
                    parents[button.to] = current.id
                    queue.append(button.to)
    for orphan in sorted(set(screens) - seen):
        raise ContentError(
            f"{screens[orphan].source}: {orphan}: orphan screen, no button leads to it from main"
        )
    return parents


def _check_footer_fits(screens: Mapping[str, Screen], footer: str) -> None:
    for screen in screens.values():
        combined = parse_html(screen.text)[0] + "\n\n" + parse_html(footer)[0]
        if utf16_len(combined) > MAX_TEXT_LENGTH:
            raise ContentError(
                f"{screen.source}: {screen.id}.text: too long once the footer is added "
                f"(Telegram's limit is {MAX_TEXT_LENGTH} characters)"
            )


def _with_parent(screen: Screen, parent: str | None) -> Screen:
    return Screen(screen.id, screen.text, screen.rows, screen.source, parent)
