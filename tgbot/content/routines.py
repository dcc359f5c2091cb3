"""routines/*.yaml: guided routines, expanded into one screen per step (Next … Done).

A step is a text, or ``{text, hold}`` when it asks to hold a stretch for a set time: ``hold``
(seconds) gives the step a countdown button. Only the content says which steps have one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tgbot.content.checks import ContentError, check_id, check_text, read_entries
from tgbot.content.contracts import STILL_HURTING_SCREEN
from tgbot.content.model import Button, Screen
from tgbot.content.screens import check_hold, check_screen_id, parse_rows


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


def still_hurting_screen(body: Mapping[str, Any], where: str) -> str:
    """The routine's escalation screen: its `still_hurting` id, else the shared one.

    Only the id's shape is checked here; an id naming no screen is caught with the other dead
    links when the screens are linked.
    """
    if "still_hurting" not in body:
        return STILL_HURTING_SCREEN
    return check_id(body["still_hurting"], f"{where}.still_hurting")


def _with_sources(text: str, sources: str | None) -> str:
    return f"{text}\n\n{sources}" if sources else text


def _expand(
    routine: str, body: dict[str, Any], where: str, source: str, ui: Mapping[str, str]
) -> Iterator[Screen]:
    title = check_text(body.get("title"), f"{where}.title")
    steps = body.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ContentError(f"{where}.steps: a routine needs at least one step")
    sources = check_text(body["sources"], f"{where}.sources") if "sources" in body else None
    total = len(steps)
    check_screen_id(done_id(routine), f"{where}: generated screen id")
    still = Button(ui["routine_still_hurting"], still_hurting_screen(body, where))
    for number, raw in enumerate(steps, start=1):
        step, hold = _step(raw, f"{where}.steps[{number - 1}]")
        progress = ui["routine_progress"].format(n=number, total=total)
        if number < total:
            onward = Button(ui["routine_next"], step_id(routine, number + 1))
        else:
            onward = Button(ui["routine_done"], done_id(routine))
        text = check_text(
            _with_sources(f"<b>{title}</b>\n<i>{progress}</i>\n\n{step}", sources),
            f"{where}.steps",
        )
        rows = ((onward,), (still,))
        yield Screen(step_id(routine, number), text, rows, source, hold_seconds=hold)
    done = check_text(body.get("done"), f"{where}.done")
    extra = parse_rows(body.get("done_buttons") or [], f"{where}.done")
    text = check_text(_with_sources(f"<b>{title}</b>\n\n{done}", sources), f"{where}.done")
    # Never a dead end: after the routine's own next steps, "Still hurting?" as on every step.
    yield Screen(done_id(routine), text, (*extra, (still,)), source)


def _step(raw: Any, where: str) -> tuple[str, int | None]:
    """A step's text, and its hold time in seconds if it has one."""
    if not isinstance(raw, dict):
        return check_text(raw, where), None
    unknown = set(raw) - {"text", "hold"}
    if unknown:
        raise ContentError(f"{where}: unknown key '{sorted(unknown)[0]}' (text, hold)")
    text = check_text(raw.get("text"), f"{where}.text")
    return text, check_hold(raw.get("hold"), text, f"{where}.hold")
