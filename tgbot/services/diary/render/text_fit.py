"""Fonts and text fitting, in points, for the chart and the PDF.

One bundled font everywhere so output never depends on the fonts of the host. DejaVu Sans
covers Latin, Greek and Cyrillic; other scripts would show as empty boxes, see printable.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

FONT = "DejaVu Sans"
_SIZE_REF = 100.0  # glyph advances are measured once at this size and scaled
_SAFETY = 1.03  # we sum advances without kerning; keep a margin so lines never overflow
_ELLIPSIS = "…"
_MISSING = "□"


@dataclass(frozen=True)
class _Metrics:
    charmap: frozenset[int]
    advances: dict[str, float]  # per character, in points at _SIZE_REF, filled on demand
    path: str


@cache
def _metrics(bold: bool) -> _Metrics:
    from matplotlib import font_manager

    prop = font_manager.FontProperties(family=FONT, weight="bold" if bold else "normal")
    path = font_manager.findfont(prop, fallback_to_default=False)
    return _Metrics(frozenset(font_manager.get_font(path).get_charmap()), {}, path)


def _advance(char: str, bold: bool) -> float:
    """The unhinted advance of one glyph: what the PDF's vector text uses."""
    metrics = _metrics(bold)
    width = metrics.advances.get(char)
    if width is None:
        from matplotlib.font_manager import get_font
        from matplotlib.ft2font import LoadFlags

        font = get_font(metrics.path)  # matplotlib's per-thread cached instance
        font.set_size(_SIZE_REF, 72)
        width = font.load_char(ord(char), flags=LoadFlags.NO_HINTING).linearHoriAdvance / 65536
        metrics.advances[char] = width
    return width


def width_of(text: str, size: float, bold: bool = False) -> float:
    """Width in points, a little over the real one (no kerning, safety margin)."""
    return sum(_advance(char, bold) for char in text) * size / _SIZE_REF * _SAFETY


def _fitting(text: str, size: float, width: float, bold: bool) -> int:
    """How many leading characters of ``text`` fit in ``width`` points (one pass: a pasted
    600-character word must not cost a width sum per character)."""
    scale = size / _SIZE_REF * _SAFETY
    total = 0.0
    for count, char in enumerate(text):
        total += _advance(char, bold) * scale
        if total > width:
            return count
    return len(text)


def printable(text: str) -> str:
    """Only characters the font has, on one line: so matplotlib never warns about missing
    glyphs. Missing emoji and marks are dropped; missing letters become a visible box."""
    charmap = _metrics(False).charmap
    kept: list[str] = []
    for char in " ".join(text.split()):
        if ord(char) in charmap:
            kept.append(char)
        elif unicodedata.category(char)[0] in "LNP":
            kept.append(_MISSING)
    return " ".join("".join(kept).split())


def _cut_to(text: str, size: float, width: float, bold: bool, suffix: str = "") -> str:
    """The longest prefix of ``text`` that fits with ``suffix``."""
    return text[: _fitting(text, size, width - width_of(suffix, size, bold), bold)]


def wrap(text: str, size: float, width: float, max_lines: int, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` points; words longer than a line are split; anything past
    ``max_lines`` is cut and the last line ends with an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if width_of(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while width_of(word, size, bold) > width:
            head = _cut_to(word, size, width, bold) or word[0]
            lines.append(head)
            word = word[len(head) :]
        current = word
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _cut_to(lines[-1], size, width, bold, _ELLIPSIS).rstrip() + _ELLIPSIS
    return lines
