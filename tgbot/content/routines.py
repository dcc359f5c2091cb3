"""routines/*.yaml: guided routines, expanded into one screen per step (Next … Done)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tgbot.content.checks import ContentError, check_text, read_entries
from tgbot.content.model import Button, Screen
from tgbot.content.screens import check_screen_id, parse_rows

STILL_HURTING_SCREEN = "still_hurting"


def step_id(routine: str, number: int) -> str:
    return f"r_{routine}_{number}"


def done_id(routine: str) -> str:
    return f"r_{routine}_done"


def load_routines(folder: Path, ui: Mapping[str, str]) -> list[Screen]:
    if not folder.is_dir():
        return []
    return [screen for path in sorted(folder.glob("*.yaml")) for screen in _parse_file(path, ui)]


def _parse_file(path: Path, ui: Mapping[str, str]) -> Iterator[Screen]:
    for routine, body, where in read_entries(path, "routine"):
        yield from _expand(routine, body, where, str(path), ui)


def _expand(
    routine: str, body: dict[str, Any], where: str, source: str, ui: Mapping[str, str]
) -> Iterator[Screen]:
    title = check_text(body.get("title"), f"{where}.title")
    steps = body.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ContentError(f"{where}.steps: a routine needs at least one step")
    total = len(steps)
    check_screen_id(done_id(routine), f"{where}: generated screen id")
    still = Button(ui["routine_still_hurting"], STILL_HURTING_SCREEN)
    for number, raw in enumerate(steps, start=1):
        step = check_text(raw, f"{where}.steps[{number - 1}]")
        progress = ui["routine_progress"].format(n=number, total=total)
        if number < total:
            onward = Button(ui["routine_next"], step_id(routine, number + 1))
        else:
            onward = Button(ui["routine_done"], done_id(routine))
        text = check_text(f"<b>{title}</b>\n<i>{progress}</i>\n\n{step}", f"{where}.steps")
        yield Screen(step_id(routine, number), text, ((onward,), (still,)), source)
    done = check_text(body.get("done"), f"{where}.done")
    extra = parse_rows(body.get("done_buttons") or [], f"{where}.done")
    yield Screen(done_id(routine), f"<b>{title}</b>\n\n{done}", extra, source)
