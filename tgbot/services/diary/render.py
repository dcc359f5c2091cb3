"""Cramp diary exports: a PNG chart, a one-page A4 PDF and a CSV file, as bytes.

No Telegram imports and no user-facing text: every word comes from the caller's label
mappings (keys and placeholders in CHART_LABEL_PLACEHOLDERS, PDF_TEXT_PLACEHOLDERS and
CSV_COLUMN_KEYS). Missing keys raise KeyError naming them.

matplotlib is used through its object-oriented API only (``Figure`` + an explicit canvas),
never pyplot, which keeps global figure state. It is imported lazily inside the render
functions, so the bot process, which only calls :func:`render_in_worker`, never loads it
(about 0.5 s and tens of MB). Rendering is CPU-bound for 50-300 ms, so the bot runs it in a
separate process through :func:`render_in_worker`; every argument must be picklable (plain
dicts, lists, sets, the frozen dataclasses of tgbot.services.diary.model).

Output is deterministic for a given matplotlib version: fixed font (DejaVu Sans, shipped
with matplotlib), no software name or timestamp in the PNG/PDF metadata.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import importlib
import io
import math
import multiprocessing
import os
import signal
import threading
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVarTuple

from tgbot.services.diary.model import (
    DURATIONS,
    SEVERITY_BANDS,
    SIDES,
    SITES,
    UNRATED,
    DiaryEntry,
    DiarySummary,
    PeriodStats,
    severity_band,
)
from tgbot.services.zones import load_zone

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CHART_LABEL_PLACEHOLDERS",
    "CSV_COLUMN_KEYS",
    "PDF_TEXT_PLACEHOLDERS",
    "render_chart_png",
    "render_csv",
    "render_in_worker",
    "render_summary_pdf",
    "shutdown_workers",
    "warm_up_workers",
]

# --- label contracts -------------------------------------------------------------------
# Each key the renderers read, with the placeholders they fill in (a text may use any
# subset). The content loader can validate diary.yaml against these, as reminder_texts does.

_DATE_KEYS: dict[str, tuple[str, ...]] = {
    "months": (),  # 12 short month names, comma-separated: "Jan,Feb,…"
    "date_short": ("day", "month", "year"),
}
CHART_LABEL_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "chart_title_nightly": (),
    "chart_title_weekly": (),
    "chart_axis_cramps": (),
    **{f"severity_{name}": ("low", "high") for name, _, _ in SEVERITY_BANDS},
    f"severity_{UNRATED}": (),
    "routine_done": (),
    "chart_empty": (),
    **_DATE_KEYS,
}
_ROUTINE_NUMBERS = (
    "done",
    "days",
    "cramps_with",
    "cramp_nights_with",
    "nights_with",
    "cramps_without",
    "cramp_nights_without",
    "nights_without",
)
PDF_TEXT_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "pdf_title": (),
    "pdf_generated": ("date",),
    "pdf_row_frequency": (),
    "pdf_frequency": ("cramps", "nights", "days"),
    "pdf_previous": ("start", "end", "cramps", "nights", "days"),
    "pdf_trend_up": (),
    "pdf_trend_down": (),
    "pdf_trend_same": (),
    "pdf_trend_new": (),
    "pdf_row_sites": (),
    "pdf_row_severity": (),
    "pdf_severity": ("mean", "max", "rated", "cramps"),
    "pdf_severity_none": (),
    "pdf_row_duration": (),
    "pdf_row_routine": (),
    "pdf_routine_adherence": _ROUTINE_NUMBERS,
    "pdf_routine_compare": _ROUTINE_NUMBERS,
    "pdf_routine_none": (),
    "pdf_count_item": ("label", "count"),
    "pdf_none": (),
    "pdf_notes_heading": (),
    "pdf_note_item": ("date", "site", "note"),
    "pdf_notes_none": (),
    "pdf_notes_more": ("count",),
    "pdf_footer": (),
    "list_separator": (),
    "decimal_separator": (),
    "date_long": ("day", "month", "year"),
    **{f"site_{site}": () for site in SITES},
    **{f"duration_{code}": () for code in (*DURATIONS, "unknown")},
    **_DATE_KEYS,
}
# Prefixed so one flat mapping can carry the chart, PDF and CSV texts together.
CSV_COLUMN_KEYS = (
    "csv_local_time",
    "csv_site",
    "csv_side",
    "csv_severity",
    "csv_duration",
    "csv_note",
)


def _require(texts: Mapping[str, str], keys: Iterable[str]) -> None:
    missing = [key for key in keys if key not in texts]
    if missing:
        raise KeyError(f"diary texts are missing: {', '.join(missing)}")


def _format_date(texts: Mapping[str, str], key: str, day: date) -> str:
    months = [name.strip() for name in texts["months"].split(",")]
    if len(months) != 12:
        raise ValueError("texts['months'] must list 12 comma-separated month names")
    return texts[key].format(day=day.day, month=months[day.month - 1], year=day.year)


# --- fonts and text fitting ------------------------------------------------------------
# One bundled font everywhere so output never depends on the fonts of the host. DejaVu Sans
# covers Latin, Greek and Cyrillic; other scripts would show as empty boxes, see _printable.

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


def _width(text: str, size: float, bold: bool = False) -> float:
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


def _printable(text: str) -> str:
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
    return text[: _fitting(text, size, width - _width(suffix, size, bold), bold)]


def _wrap(text: str, size: float, width: float, max_lines: int, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` points; words longer than a line are split; anything past
    ``max_lines`` is cut and the last line ends with an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if _width(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while _width(word, size, bold) > width:
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


# --- chart -----------------------------------------------------------------------------

# Paul Tol's YlOrBr sequential scheme: light to dark reads as mild to severe for every kind
# of colour vision and in greyscale. Unrated is Tol's grey plus hatching.
_BAND_COLOURS = {"mild": "#FEC44F", "moderate": "#EC7014", "severe": "#993404"}
_UNRATED_COLOUR = "#BBBBBB"
_ROUTINE_COLOUR = "#0072B2"  # Okabe-Ito blue: far from the yellow-brown bars
_INK = "#222222"
_GREY = "#555555"
_GRID = "#DDDDDD"
WEEKLY_FROM_DAYS = 60  # this many days or more: one bar per week
_CHART_SIZE_IN = (10.0, 6.0)  # 1000 x 600 px at the default dpi=100
_MAX_TICKS = 7
# Fixed margins (figure fractions) instead of constrained layout, which cost ~60 ms a chart:
# room on the left for the axis label and counts, below for the dates and a 2-row legend.
_MARGINS = {"left": 0.085, "right": 0.955, "top": 0.9, "bottom": 0.24, "hspace": 0.1}


@dataclass(frozen=True)
class _Bins:
    """Bars on an x axis counted in days from ``start`` (day 0 .. days-1).

    Weekly bars end on the last day, so the most recent bar is a whole week and only the
    oldest one may be short: a short latest bar would look like a sudden drop.
    """

    start: date
    days: int
    span: int  # 1 (nightly) or 7 (weekly)

    @property
    def offset(self) -> int:
        return -self.days % self.span  # empty days before day 0 in the first bar

    @property
    def count(self) -> int:
        return (self.days + self.offset) // self.span

    def index(self, day: date) -> int:
        return ((day - self.start).days + self.offset) // self.span

    def first_day(self, i: int) -> int:
        return max(0, i * self.span - self.offset)

    def last_day(self, i: int) -> int:
        return (i + 1) * self.span - self.offset - 1

    def centre(self, i: int) -> float:
        return (self.first_day(i) + self.last_day(i)) / 2

    def width(self, i: int) -> float:
        return (self.last_day(i) - self.first_day(i) + 1) * 0.8


def _band_heights(entries: Sequence[DiaryEntry], bins: _Bins) -> dict[str, list[int]]:
    heights = {name: [0] * bins.count for name in (*_BAND_COLOURS, UNRATED)}
    for entry in entries:
        heights[severity_band(entry.severity)][bins.index(entry.local_date)] += 1
    return heights


def _band_label(labels: Mapping[str, str], name: str) -> str:
    bounds = {band: (low, high) for band, low, high in SEVERITY_BANDS}
    low, high = bounds.get(name, (0, 0))
    return _printable(labels[f"severity_{name}"].format(low=low, high=high))


def _draw_bars(
    ax: Axes, entries: Sequence[DiaryEntry], bins: _Bins, labels: Mapping[str, str]
) -> int:
    """Stacked bars, mild at the bottom; returns the tallest stack."""
    bottom = [0] * bins.count
    for name, values in _band_heights(entries, bins).items():
        # Only non-empty segments: zero-height bars cost time and memory for nothing, and a
        # band that isn't there gets no legend entry.
        shown = [i for i, value in enumerate(values) if value]
        if not shown:
            continue
        ax.bar(
            [bins.centre(i) for i in shown],
            [values[i] for i in shown],
            [bins.width(i) for i in shown],
            bottom=[bottom[i] for i in shown],
            color=_BAND_COLOURS.get(name, _UNRATED_COLOUR),
            edgecolor="white",
            linewidth=0.8,
            hatch="//" if name == UNRATED else None,
            label=_band_label(labels, name),
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    return max(bottom, default=0)


def _ticks(bins: _Bins, labels: Mapping[str, str]) -> tuple[list[float], list[str]]:
    # Label the first day of every step-th bar, counted back from the latest bar so the
    # newest dates are always labelled.
    step = max(1, math.ceil(bins.count / _MAX_TICKS))
    chosen = sorted(range(bins.count - 1, -1, -step))
    positions = [float(bins.first_day(i)) for i in chosen]
    days = [bins.start + timedelta(days=bins.first_day(i)) for i in chosen]
    return positions, [_printable(_format_date(labels, "date_short", day)) for day in days]


def _style_axes(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=16, labelfontfamily=FONT, colors=_INK)


def _new_figure(size_in: tuple[float, float], dpi: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=size_in, dpi=dpi, facecolor="white")


def _chart_figure(
    entries: Sequence[DiaryEntry],
    routine_days: list[int],
    bins: _Bins,
    labels: Mapping[str, str],
    dpi: float,
) -> Figure:
    from matplotlib.ticker import MaxNLocator

    fig = _new_figure(_CHART_SIZE_IN, dpi)
    if routine_days:
        ax, strip = fig.subplots(2, 1, sharex=True, height_ratios=[9, 1], gridspec_kw=_MARGINS)
    else:
        ax, strip = fig.subplots(gridspec_kw=_MARGINS), None
    top = _draw_bars(ax, entries, bins, labels)
    weekly = bins.span > 1
    title = labels["chart_title_weekly" if weekly else "chart_title_nightly"]
    ax.set_title(_printable(title), loc="left", fontsize=22, fontweight="bold", fontfamily=FONT)
    ax.set_ylabel(_printable(labels["chart_axis_cramps"]), fontsize=17, fontfamily=FONT)
    ax.set_ylim(0, max(3, top * 1.12))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.grid(axis="y", color=_GRID, linewidth=1)
    ax.set_axisbelow(True)
    ax.set_xlim(-0.6, bins.days - 0.4)
    _style_axes(ax)
    if not entries:
        ax.text(0.5, 0.5, _printable(labels["chart_empty"]), transform=ax.transAxes,
                ha="center", va="center", fontsize=18, color=_GREY, fontfamily=FONT,
                parse_math=False)  # fmt: skip
    bottom_axes = ax
    if strip is not None:
        # Dots for single nights; thin ticks when a day is only ~2.5 px wide, so the gaps
        # (nights without the routine) stay visible.
        marker, size = ("o", 60.0) if bins.span == 1 else ("|", 90.0)
        strip.scatter(routine_days, [0] * len(routine_days), s=size, marker=marker,
                      color=_ROUTINE_COLOUR, label=_printable(labels["routine_done"]))  # fmt: skip
        strip.set_ylim(-1, 1)
        strip.set_yticks([])
        for side in ("top", "right", "left"):
            strip.spines[side].set_visible(False)
        _style_axes(strip)
        bottom_axes = strip
    positions, names = _ticks(bins, labels)
    bottom_axes.set_xticks(positions, names, fontsize=16, fontfamily=FONT)
    _legend(fig, [ax] if strip is None else [ax, strip])
    return fig


def _legend(fig: Figure, axes: list[Axes]) -> None:
    from matplotlib.font_manager import FontProperties

    handles: list[Any] = []
    names: list[str] = []
    for ax in axes:
        more_handles, more_names = ax.get_legend_handles_labels()
        handles += more_handles
        names += more_names
    if handles:
        fig.legend(handles, names, loc="lower center", bbox_to_anchor=(0.5, 0.0),
                   ncols=min(len(handles), 3), frameon=False,
                   prop=FontProperties(family=FONT, size=16))  # fmt: skip


def _figure_bytes(fig: Figure, fmt: str, dpi: float, metadata: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def render_chart_png(
    entries: Sequence[DiaryEntry],
    done_dates: Collection[date],
    start: date,
    end: date,
    labels: Mapping[str, str],
    *,
    dpi: int = 100,
) -> bytes:
    """Cramps per night (per week from 60 days on) for ``start``..``end``, stacked by
    severity band, with the bedtime-routine Done days as dots under the bars.

    1000 x 600 px at dpi=100, white background. Keys: CHART_LABEL_PLACEHOLDERS.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    _require(labels, CHART_LABEL_PLACEHOLDERS)
    if end < start:
        raise ValueError("end is before start")
    days = (end - start).days + 1
    bins = _Bins(start, days, 7 if days >= WEEKLY_FROM_DAYS else 1)
    inside = [entry for entry in entries if start <= entry.local_date <= end]
    routine = sorted((day - start).days for day in set(done_dates) if start <= day <= end)
    fig = _chart_figure(inside, routine, bins, labels, dpi)
    FigureCanvasAgg(fig)
    # Without a Software entry the PNG holds no version string; Agg writes no timestamp.
    return _figure_bytes(fig, "png", dpi, {"Software": None})


# --- PDF -------------------------------------------------------------------------------

_A4_PT = (595.28, 841.89)
_MARGIN = 42.0  # about 15 mm
_BODY = 10.5
_NOTE = 9.5
_LEADING = 1.32  # line height / font size
_ROW_MAX_LINES = 3  # per paragraph of a summary row
_NOTE_MAX_LINES = 3
_NOTE_MAX_CHARS = 600  # wrap at most this much of one note; the rest could never show
_CHART_MAX_HEIGHT = 290.0
_NOTES_MIN_HEIGHT = 70.0  # the chart shrinks before the notes lose their heading + 3 lines
_HANG = 12.0  # hanging indent of a note's continuation lines
_FOOTER = 8.5
_FOOTER_GAP = 8.0


class _Sheet:
    """Lays text out top-down on one A4 page, in points from the top-left corner.

    Everything is positioned explicitly and nothing is placed below ``floor`` (the top of the
    footer), so a long diary is truncated, never spilled: a matplotlib figure is one page.
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.width, self.height = _A4_PT
        self.left = _MARGIN
        self.text_width = self.width - 2 * _MARGIN
        self.y = _MARGIN
        self.floor = self.height - _MARGIN

    def room(self) -> float:
        return self.floor - self.y

    def line(
        self, x: float, text: str, size: float, *, bold: bool = False, colour: str = _INK
    ) -> None:
        self.fig.text(x / self.width, 1 - self.y / self.height, text, fontsize=size,
                      fontfamily=FONT, fontweight="bold" if bold else "normal", color=colour,
                      va="top", ha="left", parse_math=False)  # fmt: skip

    def lines(self, x: float, lines: Sequence[str], size: float, **style: Any) -> None:
        for text in lines:
            if self.y + size * _LEADING > self.floor:
                return  # last line of defence: callers already size their text to fit
            self.line(x, text, size, **style)
            self.y += size * _LEADING

    def skip(self, points: float) -> None:
        self.y += points

    def image(self, png: bytes, max_height: float) -> None:
        from PIL import Image

        with Image.open(io.BytesIO(png)) as source:
            picture = source.convert("RGB")
        height = min(max_height, self.text_width * picture.height / picture.width)
        width = height * picture.width / picture.height
        left = self.left + (self.text_width - width) / 2
        ax = self.fig.add_axes((left / self.width, 1 - (self.y + height) / self.height,
                                width / self.width, height / self.height))  # fmt: skip
        ax.imshow(picture, interpolation="none", aspect="auto")
        ax.set_axis_off()
        self.y += height


def _counts_text(texts: Mapping[str, str], counts: Mapping[str, int], prefix: str) -> str:
    items = [
        texts["pdf_count_item"].format(label=texts[f"{prefix}_{code}"], count=count)
        for code, count in counts.items()
        if count > 0
    ]
    # YAML loaders strip values, so the separator is just its punctuation; a space follows.
    return f"{texts['list_separator']} ".join(items) if items else texts["pdf_none"]


def _severity_text(texts: Mapping[str, str], stats: PeriodStats) -> str:
    if stats.mean_severity is None:
        return texts["pdf_severity_none"]
    mean = f"{stats.mean_severity:.1f}".replace(".", texts["decimal_separator"])
    return texts["pdf_severity"].format(
        mean=mean, max=stats.max_severity, rated=stats.rated, cramps=stats.cramps
    )


def _frequency_texts(texts: Mapping[str, str], summary: DiarySummary) -> list[str]:
    current, previous = summary.current, summary.previous
    paragraphs = [
        texts["pdf_frequency"].format(
            cramps=current.cramps, nights=current.nights_with_cramps, days=current.days
        )
    ]
    if summary.trend != "new":
        paragraphs.append(
            texts["pdf_previous"].format(
                start=_format_date(texts, "date_short", previous.start),
                end=_format_date(texts, "date_short", previous.end),
                cramps=previous.cramps,
                nights=previous.nights_with_cramps,
                days=previous.days,
            )
        )
    paragraphs.append(texts[f"pdf_trend_{summary.trend}"])
    return paragraphs


def _routine_texts(texts: Mapping[str, str], summary: DiarySummary) -> list[str]:
    routine = summary.routine
    if routine is None:
        return [texts["pdf_routine_none"]]
    numbers = {
        "done": routine.nights_with,
        "days": routine.days,
        "cramps_with": routine.cramps_with,
        "cramp_nights_with": routine.cramp_nights_with,
        "nights_with": routine.nights_with,
        "cramps_without": routine.cramps_without,
        "cramp_nights_without": routine.cramp_nights_without,
        "nights_without": routine.nights_without,
    }
    return [texts["pdf_routine_adherence"].format(**numbers),
            texts["pdf_routine_compare"].format(**numbers)]  # fmt: skip


def _summary_rows(texts: Mapping[str, str], summary: DiarySummary) -> list[tuple[str, list[str]]]:
    stats = summary.current
    durations = stats.by_duration or {}
    return [
        (texts["pdf_row_frequency"], _frequency_texts(texts, summary)),
        (texts["pdf_row_sites"], [_counts_text(texts, stats.by_site, "site")]),
        (texts["pdf_row_severity"], [_severity_text(texts, stats)]),
        (texts["pdf_row_duration"], [_counts_text(texts, durations, "duration")]),
        (texts["pdf_row_routine"], _routine_texts(texts, summary)),
    ]


def _draw_rows(sheet: _Sheet, rows: list[tuple[str, list[str]]]) -> None:
    label_width = min(
        max(_width(_printable(label), _BODY, bold=True) for label, _ in rows),
        sheet.text_width * 0.3,
    )
    value_x = sheet.left + label_width + 12
    value_width = sheet.left + sheet.text_width - value_x
    for label, paragraphs in rows:
        top = sheet.y
        head = _wrap(_printable(label), _BODY, label_width, 2, bold=True)
        sheet.lines(sheet.left, head, _BODY, bold=True)
        label_bottom, sheet.y = sheet.y, top
        for paragraph in paragraphs:
            text = _printable(paragraph)
            if text:
                sheet.lines(value_x, _wrap(text, _BODY, value_width, _ROW_MAX_LINES), _BODY)
        sheet.y = max(sheet.y, label_bottom) + 5


def _notes(entries: Sequence[DiaryEntry], stats: PeriodStats) -> list[DiaryEntry]:
    """Entries of the period with a note, most recent first."""
    kept = [
        entry
        for entry in entries
        if entry.note and entry.note.strip() and stats.start <= entry.local_date <= stats.end
    ]
    return sorted(kept, key=lambda entry: (entry.occurred_at, entry.id), reverse=True)


def _draw_notes(sheet: _Sheet, notes: list[DiaryEntry], texts: Mapping[str, str]) -> None:
    line_height = _NOTE * _LEADING
    shown = 0
    for entry in notes:
        # Keep one line free for "N more not shown" whenever notes would remain.
        reserve = line_height if shown + 1 < len(notes) else 0
        fit = min(_NOTE_MAX_LINES, int((sheet.room() - reserve) // line_height))
        if fit < 1:
            break
        item = texts["pdf_note_item"].format(
            date=_format_date(texts, "date_short", entry.local_date),
            site=texts[f"site_{entry.site}"],
            note=(entry.note or "")[:_NOTE_MAX_CHARS],
        )
        # Hanging indent: continuation lines start further in, so each note stands out.
        lines = _wrap(_printable(item), _NOTE, sheet.text_width - _HANG, fit)
        sheet.lines(sheet.left, lines[:1], _NOTE)
        sheet.lines(sheet.left + _HANG, lines[1:], _NOTE)
        shown += 1
    if not notes:
        sheet.lines(sheet.left, [_printable(texts["pdf_notes_none"])], _NOTE, colour=_GREY)
    elif shown < len(notes) and sheet.room() >= line_height:
        more = _printable(texts["pdf_notes_more"].format(count=len(notes) - shown))
        sheet.lines(sheet.left, _wrap(more, _NOTE, sheet.text_width, 1), _NOTE, colour=_GREY)


def _footer_lines(sheet: _Sheet, footer: str) -> list[str]:
    """Wrap the footer and raise the floor above it, before anything else is placed."""
    lines = _wrap(_printable(footer), _FOOTER, sheet.text_width, 2)
    sheet.floor -= len(lines) * _FOOTER * _LEADING + _FOOTER_GAP
    return lines


def _draw_footer(sheet: _Sheet, lines: list[str]) -> None:
    # Drawn last so the PDF's text order (copy, screen readers) is top to bottom.
    sheet.y, sheet.floor = sheet.floor + _FOOTER_GAP, sheet.height - _MARGIN
    sheet.lines(sheet.left, lines, _FOOTER, colour=_GREY)


def _pdf_figure(
    summary: DiarySummary,
    entries: Sequence[DiaryEntry],
    chart_png: bytes | None,
    texts: Mapping[str, str],
    period_label: str,
    generated_on: date,
) -> Figure:
    fig = _new_figure((_A4_PT[0] / 72, _A4_PT[1] / 72), 72)
    sheet = _Sheet(fig)
    footer = _footer_lines(sheet, texts["pdf_footer"])
    title = _wrap(_printable(texts["pdf_title"]), 20, sheet.text_width, 2, bold=True)
    sheet.lines(sheet.left, title, 20, bold=True)
    sheet.skip(2)
    sheet.lines(sheet.left, _wrap(_printable(period_label), 13, sheet.text_width, 2), 13)
    made = texts["pdf_generated"].format(date=_format_date(texts, "date_long", generated_on))
    sheet.lines(sheet.left, _wrap(_printable(made), 9, sheet.text_width, 1), 9, colour=_GREY)
    sheet.skip(12)
    _draw_rows(sheet, _summary_rows(texts, summary))
    if chart_png is not None:
        sheet.skip(6)
        height = min(_CHART_MAX_HEIGHT, sheet.room() - _NOTES_MIN_HEIGHT)
        if height > 100:  # a smaller chart would be unreadable; the notes get the room
            sheet.image(chart_png, height)
    sheet.skip(12)
    heading = _wrap(_printable(texts["pdf_notes_heading"]), 12, sheet.text_width, 1, bold=True)
    sheet.lines(sheet.left, heading, 12, bold=True)
    sheet.skip(3)
    _draw_notes(sheet, _notes(entries, summary.current), texts)
    _draw_footer(sheet, footer)
    return fig


def render_summary_pdf(
    summary: DiarySummary,
    entries: Sequence[DiaryEntry],
    chart_png: bytes | None,
    texts: Mapping[str, str],
    period_label: str,
    generated_on: date,
) -> bytes:
    """One A4 page: title, period, the summary rows, the chart and the period's notes (most
    recent first, as many as fit, then how many were left out), and the footer.

    Keys: PDF_TEXT_PLACEHOLDERS. ``period_label`` is shown as given (the caller formats it).
    Every parameter may be passed by position, as render_in_worker only forwards those.
    Notes are taken from ``entries`` within ``summary.current``'s dates.
    """
    from matplotlib.backends.backend_pdf import FigureCanvasPdf

    _require(texts, PDF_TEXT_PLACEHOLDERS)
    fig = _pdf_figure(summary, entries, chart_png, texts, period_label, generated_on)
    FigureCanvasPdf(fig)
    # No Creator/Producer (version strings) and no CreationDate: same input, same bytes.
    metadata = {"Creator": None, "Producer": None, "CreationDate": None,
                "Title": _printable(texts["pdf_title"])}  # fmt: skip
    return _figure_bytes(fig, "pdf", 72, metadata)


# --- CSV -------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ (or a tab/CR) as a formula (OWASP
    "CSV injection"); a leading apostrophe makes them show it as text."""
    stripped = text.lstrip()
    if text.startswith(_FORMULA_STARTS) or stripped.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _code(value: str | None, prefix: str, value_labels: Mapping[str, str] | None) -> str:
    if value is None:
        return ""
    return _safe_cell(value_labels[f"{prefix}_{value}"] if value_labels else value)


def render_csv(
    entries: Sequence[DiaryEntry],
    columns: Mapping[str, str],
    zone: str,
    *,
    value_labels: Mapping[str, str] | None = None,
) -> bytes:
    """UTF-8 (no BOM), RFC 4180 (comma, CRLF, quotes doubled), a header row from ``columns``
    (keys: CSV_COLUMN_KEYS, in that order), then one row per entry, oldest first.

    * local_time: ISO 8601 in ``zone`` (an IANA name) to the minute, with the offset:
      2026-03-04T03:12+01:00.
    * site, side, duration: the raw codes (calf, left, over_10), language-independent and
      stable; pass ``value_labels`` (keys site_*, side_*, duration_*, e.g. the PDF texts) to
      write the user's words instead. Empty when not given.
    * severity: 1-10 or empty. note: as typed (newlines kept inside the quoted cell).
    Every text cell is neutralised against formula injection (leading apostrophe).
    """
    _require(columns, CSV_COLUMN_KEYS)
    if value_labels is not None:
        keys = [f"site_{s}" for s in SITES] + [f"side_{s}" for s in SIDES]
        _require(value_labels, keys + [f"duration_{d}" for d in DURATIONS])
    tz = load_zone(zone)  # ValueError for an unknown zone
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_safe_cell(columns[key]) for key in CSV_COLUMN_KEYS])
    for entry in sorted(entries, key=lambda entry: (entry.occurred_at, entry.id)):
        writer.writerow(
            [
                entry.occurred_at.astimezone(tz).isoformat(timespec="minutes"),
                _code(entry.site, "site", value_labels),
                _code(entry.side, "side", value_labels),
                "" if entry.severity is None else str(entry.severity),
                _code(entry.duration, "duration", value_labels),
                _safe_cell(entry.note or ""),
            ]
        )
    return buffer.getvalue().encode("utf-8")


# --- worker process --------------------------------------------------------------------

_Ts = TypeVarTuple("_Ts")
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _worker_count() -> int:
    # On the 2-core target one worker leaves a core to the bot; renders are rare and short.
    return 2 if (os.cpu_count() or 1) >= 4 else 1


def _start_method() -> str:
    # The bot has threads (aiosqlite, the executor's manager), so fork could copy a held
    # lock into the child. forkserver forks from a clean single-threaded server process.
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _worker_init() -> None:
    # Ctrl+C reaches the whole process group: the bot shuts the pool down, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(10)  # on a busy 2-core host the bot's event loop wins over a chart
    # Pay the matplotlib import (about 0.5 s) here, not inside the first render.
    for module in (
        "matplotlib.backends.backend_agg",
        "matplotlib.backends.backend_pdf",
        "PIL.Image",
    ):
        importlib.import_module(module)
    # Move everything imported so far out of the collector's view: a full collection then
    # walks only what renders create (about 6 ms instead of 55 ms).
    gc.collect()
    gc.freeze()


def _collected(func: Callable[[*_Ts], bytes], *args: *_Ts) -> bytes:
    """Worker side of render_in_worker. A render leaves ~8k objects in reference cycles
    (figure <-> axes <-> artists) that outlive the young generations; left to the automatic
    collector they pile up and are freed every ~9 renders in one 150 ms pause. Pausing the
    collector during the render and collecting once after it keeps every render even."""
    gc.disable()
    try:
        return func(*args)
    finally:
        gc.enable()
        gc.collect()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=_worker_count(),
                mp_context=multiprocessing.get_context(_start_method()),
                initializer=_worker_init,
            )
        return _pool


def _discard(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


async def render_in_worker(func: Callable[[*_Ts], bytes], *args: *_Ts) -> bytes:
    """Run ``func(*args)`` in the render process and return its bytes.

    The pool (one worker on a 2-core host, two from 4 cores) starts on first use; the first
    call also pays the worker's start and matplotlib import (about 1 s; see
    :func:`warm_up_workers`). For keyword arguments pass a ``functools.partial``. If a worker
    dies, the pool is dropped, the call raises ``BrokenProcessPool`` and the next call starts
    a fresh pool.
    """
    pool = _executor()
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, _collected, func, *args)
    except BrokenProcessPool:
        _discard(pool)
        raise


def _ready() -> bytes:
    return b""


async def warm_up_workers() -> None:
    """Start the render process now (e.g. at bot start-up) instead of on the first export."""
    await render_in_worker(_ready)


def shutdown_workers(*, wait: bool = True) -> None:
    """Stop the render processes (at bot shutdown). Queued renders are cancelled; with
    ``wait`` this blocks until a running one finishes (well under a second)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)
