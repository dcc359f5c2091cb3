"""The PNG chart: cramps per night (per week from 60 days on), stacked by severity band, with
the bedtime-routine Done days as dots under the bars."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tgbot.services.diary.model import SEVERITY_BANDS, UNRATED, DiaryEntry, severity_band
from tgbot.services.diary.render.figure import GREY, INK, figure_bytes, new_figure
from tgbot.services.diary.render.labels import CHART_LABEL_PLACEHOLDERS, format_date, require_keys
from tgbot.services.diary.render.text_fit import FONT, printable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Paul Tol's YlOrBr sequential scheme: light to dark reads as mild to severe for every kind
# of colour vision and in greyscale. Unrated is Tol's grey plus hatching.
_BAND_COLOURS = {"mild": "#FEC44F", "moderate": "#EC7014", "severe": "#993404"}
_UNRATED_COLOUR = "#BBBBBB"
_ROUTINE_COLOUR = "#0072B2"  # Okabe-Ito blue: far from the yellow-brown bars
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
    return printable(labels[f"severity_{name}"].format(low=low, high=high))


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
    return positions, [printable(format_date(labels, day)) for day in days]


def _style_axes(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=16, labelfontfamily=FONT, colors=INK)


def _chart_figure(
    entries: Sequence[DiaryEntry],
    routine_days: list[int],
    bins: _Bins,
    labels: Mapping[str, str],
    dpi: float,
) -> Figure:
    from matplotlib.ticker import MaxNLocator

    fig = new_figure(_CHART_SIZE_IN, dpi)
    if routine_days:
        ax, strip = fig.subplots(2, 1, sharex=True, height_ratios=[9, 1], gridspec_kw=_MARGINS)
    else:
        ax, strip = fig.subplots(gridspec_kw=_MARGINS), None
    top = _draw_bars(ax, entries, bins, labels)
    weekly = bins.span > 1
    title = labels["chart_title_weekly" if weekly else "chart_title_nightly"]
    ax.set_title(printable(title), loc="left", fontsize=22, fontweight="bold", fontfamily=FONT)
    ax.set_ylabel(printable(labels["chart_axis_cramps"]), fontsize=17, fontfamily=FONT)
    ax.set_ylim(0, max(3, top * 1.12))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.grid(axis="y", color=_GRID, linewidth=1)
    ax.set_axisbelow(True)
    ax.set_xlim(-0.6, bins.days - 0.4)
    _style_axes(ax)
    if not entries:
        ax.text(0.5, 0.5, printable(labels["chart_empty"]), transform=ax.transAxes,
                ha="center", va="center", fontsize=18, color=GREY, fontfamily=FONT,
                parse_math=False)  # fmt: skip
    bottom_axes = ax
    if strip is not None:
        # Dots for single nights; thin ticks when a day is only ~2.5 px wide, so the gaps
        # (nights without the routine) stay visible.
        marker, size = ("o", 60.0) if bins.span == 1 else ("|", 90.0)
        strip.scatter(routine_days, [0] * len(routine_days), s=size, marker=marker,
                      color=_ROUTINE_COLOUR, label=printable(labels["routine_done"]))  # fmt: skip
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

    require_keys(labels, CHART_LABEL_PLACEHOLDERS)
    if end < start:
        raise ValueError("end is before start")
    days = (end - start).days + 1
    bins = _Bins(start, days, 7 if days >= WEEKLY_FROM_DAYS else 1)
    inside = [entry for entry in entries if start <= entry.local_date <= end]
    routine = sorted((day - start).days for day in set(done_dates) if start <= day <= end)
    fig = _chart_figure(inside, routine, bins, labels, dpi)
    FigureCanvasAgg(fig)
    # Without a Software entry the PNG holds no version string; Agg writes no timestamp.
    return figure_bytes(fig, "png", dpi, {"Software": None})
