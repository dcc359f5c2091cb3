"""The CSV export: one row per diary entry, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from tgbot.services.diary.model import DURATIONS, SIDES, SITES, DiaryEntry
from tgbot.services.diary.render.labels import CSV_COLUMN_KEYS, require_keys
from tgbot.services.zones import load_zone

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
    require_keys(columns, CSV_COLUMN_KEYS)
    if value_labels is not None:
        keys = [f"site_{s}" for s in SITES] + [f"side_{s}" for s in SIDES]
        require_keys(value_labels, keys + [f"duration_{d}" for d in DURATIONS])
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
