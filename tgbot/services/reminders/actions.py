"""Callback data of the reminder screens: short, stateless, and checked on the way back in.

Every choice made so far travels in the button itself (time, zone, days), so a half-finished
set-up survives restarts and forged data is refused rather than trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from tgbot.services.reminders.schedule import mask_to_days

PREFIX = "rm:"
_HHMM = re.compile(r"^([01]\d|2[0-3])([0-5]\d)$")
_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-/]{0,40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FULL_MASK = 0b1111111


@dataclass(frozen=True)
class ReminderAction:
    """``verb`` says what to do; the optional fields carry the choices made so far."""

    verb: str
    at: time | None = None
    zone: str | None = None
    mask: int | None = None
    region: str | None = None
    day: str | None = None
    count: int | None = None


# verb -> the fields its data carries, in order
_GRAMMAR: dict[str, tuple[str, ...]] = {
    "menu": (),  # show the settings
    "on": (),  # start setting up: ask the time
    "t": ("at",),  # a time was picked
    "tx": (),  # type a time
    "r": ("at", "region"),  # list the zones of a region
    "z": ("at", "zone"),  # a zone was picked: ask the days
    "zx": ("at",),  # type a zone
    "dc": ("at", "zone", "mask"),  # choosing custom days
    "d": ("at", "zone", "mask"),  # days chosen: save
    "ct": (),  # change the time
    "cz": (),  # change the zone
    "cd": (),  # change the days
    "p": (),  # pause for a week
    "off": (),  # turn off
    "done": ("day",),  # the nightly routine was done
    "sn": (),  # snooze
    "sk": (),  # skip tonight
    "go": (),  # start the bedtime routine (in a new message: the reminder keeps its buttons)
    "ci": ("day", "count"),  # the morning check-in's answer: 0, 1 or 2 (several)
    "cit": (),  # turn the morning check-in on or off
}


def reminder_callback(verb: str, **fields: object) -> str:
    parts = [verb]
    for name in _GRAMMAR[verb]:
        value = fields[name]
        if isinstance(value, time):
            value = f"{value.hour:02d}{value.minute:02d}"
        parts.append(str(value))
    data = PREFIX + ":".join(parts)
    if len(data.encode()) > 64:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def parse_reminder_callback(data: str | None) -> ReminderAction | None:
    if not data or not data.startswith(PREFIX):
        return None
    verb, *values = data.removeprefix(PREFIX).split(":")
    names = _GRAMMAR.get(verb)
    if names is None or len(values) != len(names):
        return None
    fields: dict[str, object] = {}
    for name, value in zip(names, values, strict=True):
        parsed = _parse_field(name, value)
        if parsed is None:
            return None
        fields[name] = parsed
    return ReminderAction(verb, **fields)  # type: ignore[arg-type]


def _parse_field(name: str, value: str) -> object | None:
    if name == "at":
        match = _HHMM.match(value)
        return time(int(match[1]), int(match[2])) if match else None
    if name in ("zone", "region"):
        return value if _ZONE.match(value) else None
    if name == "mask":
        if not value.isdigit() or not 0 <= int(value) <= FULL_MASK:
            return None
        return int(value)
    if name == "day":
        return value if _DATE.match(value) else None
    if name == "count":
        return int(value) if value in ("0", "1", "2") else None
    return None


def toggle_day(mask: int, weekday: int) -> int:
    return mask ^ (1 << weekday)


def mask_days(mask: int) -> frozenset[int]:
    return mask_to_days(mask) if mask else frozenset()
