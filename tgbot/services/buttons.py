"""Inline buttons as typed actions: one frozen dataclass per thing a button does.

A button's callback_data is ``prefix + code`` and then its fields, each after a ``:``
(``rm:z:2215:Europe/Berlin``). Telegram allows 64 bytes and gives the data back as it
was sent, or as a forger wrote it, so decoding checks everything: an unknown code, a
field of the wrong shape or a value the action refuses (``valid``) reads as None, which
the handlers answer as an expired menu. The data names what to do, never a label, so
buttons keep working across restarts.

Field types: ``str`` (no ``:``), ``int`` (digits, below 2**63: SQLite's integers),
``bool`` (``y``/``n``), ``time`` (``HHMM``), ``date`` (ISO), and any of them ``| None``
(empty, or left off at the end).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterable
from datetime import date, time
from typing import Any, ClassVar, Generic, TypeVar

MAX_DATA_BYTES = 64
_MAX_INT = 2**63 - 1
_HHMM = re.compile(r"^([01]\d|2[0-3])([0-5]\d)$")


class ButtonAction:
    """Base of every button's action; subclasses are frozen dataclasses with a ``code``."""

    prefix: ClassVar[str] = ""  # the family's, e.g. "rm:"; handlers route on it
    code: ClassVar[str]

    @property
    def data(self) -> str:
        """The callback_data of a button doing this."""
        return encode(self)

    def valid(self) -> bool:
        """Whether decoded values make sense (checked on the way in; override)."""
        return True


Action = TypeVar("Action", bound=ButtonAction)


def encode(action: ButtonAction) -> str:
    values = [_text(getattr(action, f.name)) for f in dataclasses.fields(action)]  # type: ignore[arg-type]
    while values and values[-1] == "":
        values.pop()  # trailing None fields are left off
    data = action.prefix + ":".join([action.code, *values])
    if len(data.encode()) > MAX_DATA_BYTES:
        raise ValueError(f"callback data over {MAX_DATA_BYTES} bytes: {data!r}")
    return data


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "y" if value else "n"
    if isinstance(value, time):
        return f"{value.hour:02d}{value.minute:02d}"
    text = value.isoformat() if isinstance(value, date) else str(value)
    if ":" in text:
        raise ValueError(f"a button field may not contain ':': {text!r}")
    return text


class ButtonCodec(Generic[Action]):
    """Decodes one family of buttons (one prefix)."""

    def __init__(self, prefix: str, actions: Iterable[type[Action]]) -> None:
        self.prefix = prefix
        self._by_code: dict[str, tuple[type[Action], list[_Field]]] = {}
        for action in actions:
            if action.prefix != prefix:
                raise ValueError(f"{action.__name__} has prefix {action.prefix!r}, not {prefix!r}")
            if action.code in self._by_code:
                raise ValueError(f"two actions with the code {action.code!r}")
            self._by_code[action.code] = (action, _fields_of(action))

    @property
    def pattern(self) -> str:
        """For ``CallbackQueryHandler(pattern=...)``."""
        return "^" + re.escape(self.prefix)

    def decode(self, data: str | None) -> Action | None:
        if not data or not data.startswith(self.prefix):
            return None
        code, *texts = data.removeprefix(self.prefix).split(":")
        known = self._by_code.get(code)
        if known is None:
            return None
        action_type, fields = known
        if len(texts) > len(fields):
            return None
        values: dict[str, object] = {}
        for index, field in enumerate(fields):
            text = texts[index] if index < len(texts) else ""
            if text == "" and field.optional:
                values[field.name] = None
                continue
            value = field.parse(text)
            if value is None:
                return None
            values[field.name] = value
        action = action_type(**values)
        return action if action.valid() else None


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    parse: Callable[[str], object | None]
    optional: bool


def _fields_of(action: type[ButtonAction]) -> list[_Field]:
    hints = typing.get_type_hints(action)
    fields = []
    for f in dataclasses.fields(action):  # type: ignore[arg-type]
        kind: Any = hints[f.name]
        optional = False
        if isinstance(kind, types.UnionType):
            members = [m for m in typing.get_args(kind) if m is not type(None)]
            optional, kind = True, members[0]
        fields.append(_Field(f.name, _PARSERS[kind], optional))
    return fields


def _int(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value <= _MAX_INT else None


def _time(text: str) -> time | None:
    match = _HHMM.match(text)
    return time(int(match[1]), int(match[2])) if match else None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None  # an impossible date (2026-02-31)


_PARSERS: dict[object, Callable[[str], object | None]] = {
    str: lambda text: text or None,
    int: _int,
    bool: lambda text: {"y": True, "n": False}.get(text),
    time: _time,
    date: _date,
}
