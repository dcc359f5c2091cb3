"""Callback data of the diary screens (``dy:``): short, stateless, checked on the way in.

Entry ids travel in the data, but every use is scoped to the pressing user in storage, so a
forged id can at most point at nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from tgbot.services.diary.model import DURATIONS, SIDES, SITES
from tgbot.services.diary.service import RETENTION_CHOICES, WHEN_CODES

PREFIX = "dy:"


@dataclass(frozen=True)
class DiaryAction:
    verb: str
    entry_id: int | None = None
    value: str | None = None


def diary_callback(verb: str, entry_id: int | None = None, value: object = None) -> str:
    parts = [verb]
    if entry_id is not None:
        parts.append(str(entry_id))
    if value is not None:
        parts.append(str(value))
    return PREFIX + ":".join(parts)


_SEVERITIES = tuple(str(n) for n in range(1, 11))
# verb -> (takes an entry id, the values allowed after it; None = no value)
_VALUES: dict[str, tuple[bool, tuple[str, ...] | None]] = {
    "new": (False, WHEN_CODES),  # ask the site, for this time
    "s": (False, None),  # handled specially: site and time
    "o": (True, None),  # open an entry
    "v": (True, _SEVERITIES),  # severity
    "sd": (True, SIDES),
    "d": (True, DURATIONS),
    "n": (True, None),  # add a note
    "x": (True, None),  # delete
    "list": (False, None),
    "me": (False, None),  # /diary
    "doc": (False, None),  # summary for the doctor
    "ret": (False, ("0", *(str(d) for d in RETENTION_CHOICES))),
    "no": (False, None),  # an offer to log was declined
    "w": (True, (*WHEN_CODES, "tx")),  # change when it happened (tx: type it)
}


def parse_diary_callback(data: str | None) -> DiaryAction | None:
    if not data or not data.startswith(PREFIX):
        return None
    verb, *rest = data.removeprefix(PREFIX).split(":")
    if verb == "s":  # dy:s:<site>:<when>[:<severity>]
        ok = len(rest) in (2, 3) and rest[0] in SITES and rest[1] in WHEN_CODES
        if len(rest) == 3:
            ok = ok and rest[2] in _SEVERITIES
        return DiaryAction("s", value=":".join(rest)) if ok else None
    if verb not in _VALUES:
        return None
    needs_id, allowed = _VALUES[verb]
    entry_id = None
    if needs_id:
        if not rest or not rest[0].isdigit():
            return None
        entry_id, rest = int(rest[0]), rest[1:]
    if allowed is None:
        return DiaryAction(verb, entry_id) if not rest else None
    if verb in ("new", "ret", "w") and not rest:
        return DiaryAction(verb, entry_id)  # the question itself, nothing chosen yet
    if len(rest) != 1 or rest[0] not in allowed:
        return None
    return DiaryAction(verb, entry_id, rest[0])
