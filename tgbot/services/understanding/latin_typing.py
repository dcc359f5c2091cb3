"""A Cyrillic language typed in Latin letters ("sudoroga v ikre ne prohodit").

People without a Cyrillic keyboard, or used to one for chat, write Russian and Ukrainian the
way they sound. The spellings are informal (ISO 9 and the passport standards differ from
chat use, "h" or "kh" for х, "ya" or "ia" for я), so each language lists its own letter groups
in matching.yaml (``latin_typing``), where a native speaker edits them; this module only
applies them, the longest group first, and leaves everything that is not a Latin letter as is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_NATIVE = re.compile(r"[^\W\d_a-z]", re.IGNORECASE)  # a letter that is not a Latin one


@dataclass(frozen=True)
class LatinTyping:
    groups: Mapping[str, str]  # Latin letter group (lower case) -> its native spelling

    @cached_property
    def longest(self) -> int:
        return max(map(len, self.groups), default=1)

    def to_native(self, text: str) -> str:
        """``text`` with every Latin letter group spelled natively (lower case)."""
        lowered = text.lower()
        out: list[str] = []
        at = 0
        while at < len(lowered):
            for size in range(min(self.longest, len(lowered) - at), 0, -1):
                native = self.groups.get(lowered[at : at + size])
                if native is not None:
                    out.append(native)
                    at += size
                    break
            else:
                out.append(lowered[at])
                at += 1
        return "".join(out)


def typed_in_latin(text: str) -> bool:
    """Only Latin letters (a few words at least): what a Cyrillic language typed in Latin looks
    like. A message with any Cyrillic, Greek... letter is read as it is."""
    return len(_LATIN.findall(text)) >= 6 and _NATIVE.search(text) is None
