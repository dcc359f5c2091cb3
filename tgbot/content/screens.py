"""screens/*.yaml: the guided menu, and the link checks over every screen."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tgbot.content.checks import (
    ContentError,
    check_id,
    check_label,
    check_text,
    read_entries,
)
from tgbot.content.contracts import MAIN_SCREEN
from tgbot.content.model import Button, Screen
from tgbot.services.navigation import screen_callback
from tgbot.telegram_html import html_to_plain

MAX_CALLBACK_DATA_BYTES = 64
# The hold timer edits its message every 5 s at most (Telegram's edit limits): a multiple of 5
# ends exactly on "release"; a minute is the longest hold the facts give.
HOLD_STEP_SECONDS = 5
MAX_HOLD_SECONDS = 60


def load_screen_files(folder: Path) -> list[Screen]:
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise ContentError(f"{folder}: no screen files (*.yaml)")
    return [screen for path in files for screen in _parse_file(path)]


def _parse_file(path: Path) -> Iterator[Screen]:
    for screen_id, body, where in read_entries(path, "screen"):
        check_screen_id(screen_id, where)
        text = check_text(body.get("text"), f"{where}.text")
        title = check_label(body["title"], f"{where}.title") if "title" in body else None
        rows = parse_rows(body.get("buttons") or [], where)
        hold = check_hold(body.get("hold"), text, f"{where}.hold")
        yield Screen(screen_id, text, rows, str(path), title, hold_seconds=hold)


def check_hold(hold: Any, text: str, where: str) -> int | None:
    """A stretch's hold time in seconds (it gets a countdown button), or None."""
    if hold is None:
        return None
    if (
        not isinstance(hold, int)
        or isinstance(hold, bool)
        or not HOLD_STEP_SECONDS <= hold <= MAX_HOLD_SECONDS
        or hold % HOLD_STEP_SECONDS
    ):
        raise ContentError(
            f"{where}: seconds, a multiple of {HOLD_STEP_SECONDS} from "
            f"{HOLD_STEP_SECONDS} to {MAX_HOLD_SECONDS}"
        )
    # The timer must count what the text says to do, so its number is in the text.
    if str(hold) not in html_to_plain(text):
        raise ContentError(f"{where}: the text does not mention {hold} seconds")
    return hold


def check_screen_id(screen_id: Any, where: str) -> str:
    check_id(screen_id, where)
    if len(screen_callback(screen_id).encode()) > MAX_CALLBACK_DATA_BYTES:
        raise ContentError(f"{where}: id too long for Telegram's 64-byte callback data")
    return str(screen_id)


def parse_rows(raw: Any, where: str) -> tuple[tuple[Button, ...], ...]:
    """A list of rows; a row is one button or a list of buttons."""
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
            buttons.append(Button(check_label(item["label"], f"{key}.label"), str(item["to"])))
        if buttons:
            rows.append(tuple(buttons))
    return tuple(rows)


def link_screens(screens: list[Screen]) -> dict[str, Screen]:
    """Check ids are unique, every button leads somewhere, nothing is orphaned; set parents."""
    by_id: dict[str, Screen] = {}
    for screen in screens:
        if screen.id in by_id:
            raise ContentError(
                f"{screen.source}: {screen.id}: already defined in {by_id[screen.id].source}"
            )
        by_id[screen.id] = screen
    _check_links(by_id)
    parents = _parents(by_id)
    return {sid: s.with_parent(parents.get(sid)) for sid, s in by_id.items()}


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
