"""The one-page A4 PDF for a doctor: the summary rows, the chart, the period's notes."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from tgbot.services.diary.model import DiaryEntry, DiarySummary, PeriodStats
from tgbot.services.diary.patterns import DoctorDetails
from tgbot.services.diary.render.figure import GREY, INK, figure_bytes, new_figure
from tgbot.services.diary.render.labels import PDF_TEXT_PLACEHOLDERS, format_date, require_keys
from tgbot.services.diary.render.text_fit import FONT, printable, width_of, wrap

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
        self, x: float, text: str, size: float, *, bold: bool = False, colour: str = INK
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
                start=format_date(texts, previous.start),
                end=format_date(texts, previous.end),
                cramps=previous.cramps,
                nights=previous.nights_with_cramps,
                days=previous.days,
            )
        )
    paragraphs.append(texts[f"pdf_trend_{summary.trend}"])
    return paragraphs


def _routine_texts(
    texts: Mapping[str, str], summary: DiarySummary, details: DoctorDetails | None
) -> list[str]:
    """How the reminders went (sent, done, skipped), then the with/without comparison; "no
    bedtime reminders" only when none was sent and no routine marked done."""
    paragraphs = []
    counts = details.reminders if details else None
    if counts is not None and (counts.sent or counts.done):
        numbers = {"sent": counts.sent, "done": counts.done, "skipped": counts.skipped}
        paragraphs.append(texts["pdf_reminders"].format(**numbers))
    routine = summary.routine
    if routine is None:
        return paragraphs or [texts["pdf_routine_none"]]
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
    if not paragraphs:  # without the counts, at least how often it was done
        paragraphs.append(texts["pdf_routine_adherence"].format(**numbers))
    return [*paragraphs, texts["pdf_routine_compare"].format(**numbers)]


def _summary_rows(
    texts: Mapping[str, str], summary: DiarySummary, details: DoctorDetails | None
) -> list[tuple[str, list[str]]]:
    stats = summary.current
    durations = stats.by_duration or {}
    rows = [
        (texts["pdf_row_frequency"], _frequency_texts(texts, summary)),
        (texts["pdf_row_sites"], [_counts_text(texts, stats.by_site, "site")]),
    ]
    if details is not None:
        times = [_counts_text(texts, details.by_part_of_day, "part"),
                 texts["pdf_time_note"].format(zone=details.zone)]  # fmt: skip
        rows += [
            (texts["pdf_row_side"], [_counts_text(texts, details.by_side, "side")]),
            (texts["pdf_row_time"], times),
        ]
    rows += [
        (texts["pdf_row_severity"], [_severity_text(texts, stats)]),
        (texts["pdf_row_duration"], [_counts_text(texts, durations, "duration")]),
        (texts["pdf_row_routine"], _routine_texts(texts, summary, details)),
    ]
    if details is not None and details.medicines:
        rows.append((texts["pdf_row_medicines"], [details.medicines]))
    return rows


def _draw_rows(sheet: _Sheet, rows: list[tuple[str, list[str]]]) -> None:
    label_width = min(
        max(width_of(printable(label), _BODY, bold=True) for label, _ in rows),
        sheet.text_width * 0.3,
    )
    value_x = sheet.left + label_width + 12
    value_width = sheet.left + sheet.text_width - value_x
    for label, paragraphs in rows:
        top = sheet.y
        head = wrap(printable(label), _BODY, label_width, 2, bold=True)
        sheet.lines(sheet.left, head, _BODY, bold=True)
        label_bottom, sheet.y = sheet.y, top
        for paragraph in paragraphs:
            text = printable(paragraph)
            if text:
                sheet.lines(value_x, wrap(text, _BODY, value_width, _ROW_MAX_LINES), _BODY)
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
            date=format_date(texts, entry.local_date),
            site=texts[f"site_{entry.site}"],
            note=(entry.note or "")[:_NOTE_MAX_CHARS],
        )
        # Hanging indent: continuation lines start further in, so each note stands out.
        lines = wrap(printable(item), _NOTE, sheet.text_width - _HANG, fit)
        sheet.lines(sheet.left, lines[:1], _NOTE)
        sheet.lines(sheet.left + _HANG, lines[1:], _NOTE)
        shown += 1
    if not notes:
        sheet.lines(sheet.left, [printable(texts["pdf_notes_none"])], _NOTE, colour=GREY)
    elif shown < len(notes) and sheet.room() >= line_height:
        more = printable(texts["pdf_notes_more"].format(count=len(notes) - shown))
        sheet.lines(sheet.left, wrap(more, _NOTE, sheet.text_width, 1), _NOTE, colour=GREY)


def _footer_lines(sheet: _Sheet, footer: str) -> list[str]:
    """Wrap the footer and raise the floor above it, before anything else is placed."""
    lines = wrap(printable(footer), _FOOTER, sheet.text_width, 2)
    sheet.floor -= len(lines) * _FOOTER * _LEADING + _FOOTER_GAP
    return lines


def _draw_footer(sheet: _Sheet, lines: list[str]) -> None:
    # Drawn last so the PDF's text order (copy, screen readers) is top to bottom.
    sheet.y, sheet.floor = sheet.floor + _FOOTER_GAP, sheet.height - _MARGIN
    sheet.lines(sheet.left, lines, _FOOTER, colour=GREY)


def _pdf_figure(
    summary: DiarySummary,
    entries: Sequence[DiaryEntry],
    chart_png: bytes | None,
    texts: Mapping[str, str],
    period_label: str,
    generated_on: date,
    details: DoctorDetails | None = None,
) -> Figure:
    fig = new_figure((_A4_PT[0] / 72, _A4_PT[1] / 72), 72)
    sheet = _Sheet(fig)
    footer = _footer_lines(sheet, texts["pdf_footer"])
    title = wrap(printable(texts["pdf_title"]), 20, sheet.text_width, 2, bold=True)
    sheet.lines(sheet.left, title, 20, bold=True)
    sheet.skip(2)
    sheet.lines(sheet.left, wrap(printable(period_label), 13, sheet.text_width, 2), 13)
    made = texts["pdf_generated"].format(date=format_date(texts, generated_on, year=True))
    sheet.lines(sheet.left, wrap(printable(made), 9, sheet.text_width, 1), 9, colour=GREY)
    sheet.skip(12)
    _draw_rows(sheet, _summary_rows(texts, summary, details))
    if chart_png is not None:
        sheet.skip(6)
        height = min(_CHART_MAX_HEIGHT, sheet.room() - _NOTES_MIN_HEIGHT)
        if height > 100:  # a smaller chart would be unreadable; the notes get the room
            sheet.image(chart_png, height)
    sheet.skip(12)
    heading = wrap(printable(texts["pdf_notes_heading"]), 12, sheet.text_width, 1, bold=True)
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
    details: DoctorDetails | None = None,
) -> bytes:
    """One A4 page: title, period, the summary rows, the chart and the period's notes (most
    recent first, as many as fit, then how many were left out), and the footer.

    Keys: PDF_TEXT_PLACEHOLDERS. ``period_label`` is shown as given (the caller formats it).
    Every parameter may be passed by position, as render_in_worker only forwards those.
    Notes are taken from ``entries`` within ``summary.current``'s dates. ``details`` adds
    the side and time-of-day rows, the reminder counts and the medicines line.
    """
    from matplotlib.backends.backend_pdf import FigureCanvasPdf

    require_keys(texts, PDF_TEXT_PLACEHOLDERS)
    fig = _pdf_figure(summary, entries, chart_png, texts, period_label, generated_on, details)
    FigureCanvasPdf(fig)
    # No Creator/Producer (version strings) and no CreationDate: same input, same bytes.
    metadata = {"Creator": None, "Producer": None, "CreationDate": None,
                "Title": printable(texts["pdf_title"])}  # fmt: skip
    return figure_bytes(fig, "pdf", 72, metadata)
