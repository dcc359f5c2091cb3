"""The label contracts of the chart, the PDF and the CSV: each key the renderers read, with
the placeholders they fill in (a text may use any subset). content/diary_texts.py checks
diary.yaml against them when the content loads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from tgbot.services.diary.model import DURATIONS, SEVERITY_BANDS, SIDES, SITES, UNRATED
from tgbot.services.diary.patterns import PARTS_OF_DAY, SIDE_UNKNOWN
from tgbot.services.locale_format import day_label

# Set by the code beside the labels: the catalogue's language, for dates in CLDR's words.
LANGUAGE_LABEL = "language"
CHART_LABEL_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "chart_title_nightly": (),
    "chart_title_weekly": (),
    "chart_axis_cramps": (),
    **{f"severity_{name}": ("low", "high") for name, _, _ in SEVERITY_BANDS},
    f"severity_{UNRATED}": (),
    "routine_done": (),
    "chart_empty": (),
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
    **{f"site_{site}": () for site in SITES},
    **{f"duration_{code}": () for code in (*DURATIONS, "unknown")},
    # The doctor details (tgbot/services/diary/patterns.py): side, part of the day,
    # reminders sent / done / skipped, the person's medicines line.
    "pdf_row_side": (),
    **{f"side_{side}": () for side in (*SIDES, SIDE_UNKNOWN)},
    "pdf_row_time": (),
    **{f"part_{name}": () for name, _, _ in PARTS_OF_DAY},
    "pdf_time_note": ("zone",),
    "pdf_reminders": ("sent", "done", "skipped"),
    "pdf_row_medicines": (),
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


def require_keys(texts: Mapping[str, str], keys: Iterable[str]) -> None:
    missing = [key for key in keys if key not in texts]
    if missing:
        raise KeyError(f"diary texts are missing: {', '.join(missing)}")


def format_date(texts: Mapping[str, str], day: date, *, year: bool = False) -> str:
    """'4 Feb' / '4 февр.' (CLDR, in the labels' language); with ``year``: '4 Feb 2026'."""
    return day_label(day, texts.get(LANGUAGE_LABEL, "en"), weekday=False, year=year)
