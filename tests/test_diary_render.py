"""Cramp diary exports: PNG chart, one-page PDF, CSV, and rendering in a worker process."""

from __future__ import annotations

import csv
import functools
import io
import random
import re
import struct
import warnings
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from tgbot.services.diary.model import DURATIONS, SIDES, SITES, DiaryEntry, summarize
from tgbot.services.diary.patterns import (
    DoctorDetails,
    ReminderCounts,
    doctor_details,
    part_of_day,
    reminder_counts,
)
from tgbot.services.diary.render import (
    CHART_LABEL_PLACEHOLDERS,
    CSV_COLUMN_KEYS,
    PDF_TEXT_PLACEHOLDERS,
    render_chart_png,
    render_csv,
    render_in_worker,
    render_summary_pdf,
    shutdown_workers,
)
from tgbot.services.diary.render import chart as chart_module
from tgbot.services.diary.render import pdf as pdf_module

TODAY = date(2026, 11, 21)

# English drafts of every key (the real texts live in messages/en/diary.yaml).
LABELS = {
    "chart_title_nightly": "Cramps per night",
    "chart_title_weekly": "Cramps per week",
    "chart_axis_cramps": "Cramps",
    "severity_mild": "Mild ({low}–{high})",
    "severity_moderate": "Moderate ({low}–{high})",
    "severity_severe": "Severe ({low}–{high})",
    "severity_unrated": "Not rated",
    "routine_done": "Bedtime routine done",
    "chart_empty": "No cramps logged in this period",
    "language": "en",
    "pdf_title": "Cramp diary",
    "pdf_generated": "Made on {date}",
    "pdf_row_frequency": "How often",
    "pdf_frequency": "Cramps logged: {cramps}. Nights with cramps: {nights} of {days}.",
    "pdf_previous": "The {days} days before ({start} – {end}): cramps logged: {cramps}; "
    "nights with cramps: {nights}.",
    "pdf_trend_up": "More cramps than in the period before.",
    "pdf_trend_down": "Fewer cramps than in the period before.",
    "pdf_trend_same": "About as many cramps as in the period before.",
    "pdf_trend_new": "Nothing logged before this period, so there is nothing to compare with.",
    "pdf_row_sites": "Where",
    "pdf_row_severity": "How bad (1–10)",
    "pdf_severity": "Average {mean}, worst {max} (rated for {rated} of {cramps} cramps).",
    "pdf_severity_none": "Not rated.",
    "pdf_row_duration": "How long",
    "pdf_row_routine": "Bedtime routine",
    "pdf_routine_adherence": "Marked done on {done} of {days} days since the reminders began.",
    "pdf_routine_compare": "Days with the routine done: cramps on {cramp_nights_with} of "
    "{nights_with} days ({cramps_with} cramps). Other days: cramps on {cramp_nights_without} "
    "of {nights_without} days ({cramps_without} cramps). These are counts only; they don't "
    "show cause and effect.",
    "pdf_routine_none": "No bedtime reminders in this period.",
    "pdf_count_item": "{label} {count}",
    "pdf_none": "None",
    "pdf_notes_heading": "Notes, most recent first",
    "pdf_note_item": "{date} · {site}: {note}",
    "pdf_notes_none": "No notes in this period.",
    "pdf_notes_more": "Older notes not shown: {count}.",
    "pdf_footer": "Made by the user with a self-care bot; not a medical record.",
    "list_separator": ",",
    "decimal_separator": ".",
    "site_calf": "Calf",
    "site_thigh_front": "Front of thigh",
    "site_thigh_back": "Back of thigh",
    "site_foot": "Foot",
    "site_hand": "Hand",
    "site_neck": "Neck",
    "site_back": "Back",
    "site_other": "Other",
    "side_left": "Left",
    "side_right": "Right",
    "side_both": "Both",
    "duration_under_1": "under 1 min",
    "duration_1_to_10": "1–10 min",
    "duration_over_10": "over 10 min",
    "duration_unknown": "not given",
    "csv_local_time": "Local time",
    "csv_site": "Site",
    "csv_side": "Side",
    "csv_severity": "Severity (1-10)",
    "csv_duration": "Duration",
    "csv_note": "Note",
    "side_unknown": "not given",
    "pdf_row_side": "Side",
    "pdf_row_time": "Time of day",
    "part_evening": "Evening (18–22 h)",
    "part_before_midnight": "Before midnight (22–24 h)",
    "part_after_midnight": "After midnight (0–4 h)",
    "part_early_morning": "Early morning (4–8 h)",
    "part_daytime": "Daytime (8–18 h)",
    "pdf_time_note": "Local time ({zone}), as logged.",
    "pdf_reminders": "Reminders sent: {sent}. Done: {done}. Skipped or no answer: {skipped}.",
    "pdf_row_medicines": "Medicines I take",
}
LONG_NOTE = "Woke me at 3, stretched the calf against the wall, eased after a while. " * 12


def make_entries(count: int, days: int, *, seed: int = 3, notes: bool = True) -> list[DiaryEntry]:
    rnd = random.Random(seed)
    result = []
    for i in range(count):
        day = TODAY - timedelta(days=rnd.randrange(days))
        at = datetime(
            day.year, day.month, day.day, rnd.randrange(24), rnd.randrange(60), tzinfo=UTC
        )
        note = LONG_NOTE[: rnd.randrange(10, len(LONG_NOTE))] if notes and i % 2 else None
        result.append(
            DiaryEntry(
                i,
                at,
                day,
                rnd.choice(SITES),
                rnd.choice([None, *SIDES]),
                rnd.choice([None, *range(1, 11)]),
                rnd.choice([None, *DURATIONS]),
                note,
            )
        )
    return result


def done_dates(days: int) -> set[date]:
    return {TODAY - timedelta(days=ago) for ago in range(days) if ago % 3}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_chunks(data: bytes) -> list[bytes]:
    kinds, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kinds.append(data[at + 4 : at + 8])
        at += 12 + length
    return kinds


def pdf_pages(data: bytes) -> int:
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    (count,) = re.findall(rb"/Type\s*/Pages\b[^>]*/Count\s+(\d+)", data)
    assert int(count) == pages
    return pages


def chart(entries: list[DiaryEntry], days: int, **kwargs: int) -> bytes:
    start = TODAY - timedelta(days=days - 1)
    return render_chart_png(entries, done_dates(days), start, TODAY, LABELS, **kwargs)


def test_label_contracts_cover_the_drafts() -> None:
    keys = set(CHART_LABEL_PLACEHOLDERS) | set(PDF_TEXT_PLACEHOLDERS) | set(CSV_COLUMN_KEYS)
    assert keys <= set(LABELS)
    for contract in (CHART_LABEL_PLACEHOLDERS, PDF_TEXT_PLACEHOLDERS):
        for key, allowed in contract.items():
            used = set(re.findall(r"{(\w+)}", LABELS[key]))
            assert used <= set(allowed), key


# --- chart ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "days"), [(0, 30), (2, 7), (40, 30), (120, 90), (520, 365)])
def test_chart_is_a_phone_sized_png(count: int, days: int) -> None:
    data = chart(make_entries(count, days), days)
    assert png_size(data) == (1000, 600)
    assert 10_000 < len(data) < 400_000


def test_chart_size_follows_dpi() -> None:
    assert png_size(chart(make_entries(10, 30), 30, dpi=150)) == (1500, 900)


def test_chart_is_deterministic_and_carries_no_metadata() -> None:
    entries = make_entries(60, 90)
    first = chart(entries, 90)
    assert chart(entries, 90) == first
    assert png_chunks(first) == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]  # no tEXt, no tIME
    assert b"atplotlib" not in first


def test_chart_text_is_taken_literally() -> None:
    # "$" would start matplotlib's math mode; emoji are not in the font. Neither may warn.
    odd = LABELS | {"chart_title_nightly": "Cramps $5 per 😣 night $x^2$", "routine_done": "✅"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_chart_png(make_entries(5, 7), done_dates(7), TODAY - timedelta(days=6), TODAY, odd)


def test_chart_names_missing_labels() -> None:
    partial = {k: v for k, v in LABELS.items() if k != "chart_empty"}
    with pytest.raises(KeyError, match="chart_empty"):
        render_chart_png([], set(), TODAY, TODAY, partial)


def test_chart_rejects_reversed_period() -> None:
    with pytest.raises(ValueError):
        render_chart_png([], set(), TODAY, TODAY - timedelta(days=1), LABELS)


@pytest.mark.parametrize(("days", "title"), [(59, "Cramps per night"), (60, "Cramps per week")])
def test_weekly_bars_from_60_days(days: int, title: str) -> None:
    bins = chart_module._Bins(TODAY - timedelta(days=days - 1), days, 7 if days >= 60 else 1)
    fig = chart_module._chart_figure(make_entries(20, days), [0, 3], bins, LABELS, 100)
    assert fig.axes[0].get_title(loc="left") == title


def test_weekly_bars_end_on_the_last_day() -> None:
    bins = chart_module._Bins(TODAY - timedelta(days=89), 90, 7)
    assert bins.count == 13
    assert bins.index(TODAY) == 12 and bins.last_day(12) == 89
    assert bins.last_day(11) - bins.first_day(11) == 6  # the latest bars are whole weeks
    assert (bins.first_day(0), bins.last_day(0)) == (0, 5)  # only the oldest is short


# --- PDF -----------------------------------------------------------------------------------


def pdf_for(entries: list[DiaryEntry], days: int, texts: dict[str, str] = LABELS) -> bytes:
    done = done_dates(days)
    summary = summarize(entries, done, TODAY, days, reminders_since=TODAY - timedelta(days=50))
    png = chart(entries, days) if entries else None
    return render_summary_pdf(summary, entries, png, texts, f"{days} days", TODAY)


@pytest.mark.parametrize(("count", "days"), [(0, 30), (3, 30), (520, 365)])
def test_pdf_is_exactly_one_page(count: int, days: int) -> None:
    data = pdf_for(make_entries(count, days), days)
    assert pdf_pages(data) == 1


def test_pdf_is_deterministic_and_carries_no_dates() -> None:
    entries = make_entries(40, 30)
    first = pdf_for(entries, 30)
    assert pdf_for(entries, 30) == first
    for marker in (b"CreationDate", b"Producer", b"Creator", b"atplotlib"):
        assert marker not in first
    assert b"/Title (Cramp diary)" in first


def page_texts(
    entries: list[DiaryEntry],
    days: int,
    texts: dict[str, str],
    details: DoctorDetails | None = None,
) -> list[str]:
    """Lay the page out and check every text lies on the page, above the footer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    summary = summarize(entries, done_dates(days), TODAY, days)
    png = chart(entries, days)
    fig = pdf_module._pdf_figure(summary, entries, png, texts, "period", TODAY, details)
    # Measured at 10 px per point: Agg's hinting at 72 dpi rounds every glyph to whole
    # points, which the PDF (vector, unhinted) does not.
    fig.set_dpi(720)
    renderer = FigureCanvasAgg(fig).get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in fig.texts]
    page, margin = fig.bbox, pdf_module._MARGIN * 10
    for text, box in boxes:
        assert margin - 5 <= box.x0 and box.x1 <= page.x1 - margin + 5, text  # inside margins
        assert margin - 5 <= box.y0 and box.y1 <= page.y1 - margin + 5, text
    footer_top = max(box.y1 for text, box in boxes if "medical record" in text)
    others = [box for text, box in boxes if "medical record" not in text]
    assert all(box.y0 > footer_top for box in others)
    return [text for text, _ in boxes]


def test_pdf_truncates_notes_and_says_how_many_were_left_out() -> None:
    entries = make_entries(520, 365)
    pasted = "https://example.org/" + "x" * 5000  # no spaces: split by characters
    entries = [replace(e, note=pasted) if e.id % 7 == 0 else e for e in entries]
    texts = page_texts(entries, 365, LABELS)
    with_notes = sorted(
        (e for e in entries if e.note), key=lambda e: (e.occurred_at, e.id), reverse=True
    )
    newest = with_notes[0].local_date
    month = newest.strftime("%b")  # English's CLDR abbreviations are C's
    notes = [t for t in texts if " · " in t]
    assert notes[0].startswith(f"{newest.day} {month} · {LABELS['site_' + with_notes[0].site]}")
    (more,) = [t for t in texts if t.startswith("Older notes not shown")]
    shown = int(more.split(": ")[1].rstrip("."))
    assert 0 < shown < len(with_notes)
    assert any(t.endswith("…") for t in texts)  # a long note was cut


def test_pdf_long_translations_stay_on_the_page() -> None:
    wordy = {k: " ".join([v] * 6) for k, v in LABELS.items() if k != "language"}
    wordy["language"] = "en"
    wordy["list_separator"], wordy["decimal_separator"] = ",", "."
    wordy["pdf_note_item"] = "{date} {site} {note}"
    texts = page_texts(make_entries(300, 90), 90, wordy)
    assert texts


def details_for(
    entries: list[DiaryEntry], days: int, sent: int = 0, medicines: str | None = None
) -> DoctorDetails:
    start = TODAY - timedelta(days=days - 1)
    sent_days = {TODAY - timedelta(days=ago) for ago in range(sent)}
    counts = reminder_counts(sent_days, done_dates(days), start, TODAY)
    return doctor_details(entries, "Europe/Berlin", start, TODAY, counts, medicines)


def test_part_of_day_bounds() -> None:
    hours = {hour: part_of_day(hour) for hour in range(24)}
    assert [hours[h] for h in (17, 18, 21, 22, 23, 0, 3, 4, 7, 8)] == [
        "daytime", "evening", "evening", "before_midnight", "before_midnight",
        "after_midnight", "after_midnight", "early_morning", "early_morning", "daytime",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        part_of_day(24)


def test_details_count_sides_and_parts_in_the_users_zone() -> None:
    def at(hour: int, minute: int, side: str | None) -> DiaryEntry:
        moment = datetime(2026, 11, 20, hour, minute, tzinfo=UTC)
        return DiaryEntry(hour, moment, moment.date(), "calf", side)

    # Berlin is UTC+1 in November: 23:30 UTC is 00:30 there (after midnight).
    entries = [at(23, 30, "left"), at(21, 30, "left"), at(4, 0, "right"), at(12, 0, None)]
    details = details_for(entries, 30)
    assert details.by_side == {"left": 2, "right": 1, "both": 0, "unknown": 1}
    assert details.by_part_of_day == {
        "evening": 0, "before_midnight": 1, "after_midnight": 1, "early_morning": 1,
        "daytime": 1,
    }  # fmt: skip


def test_reminder_counts_sent_done_and_skipped_apart() -> None:
    day = TODAY - timedelta(days=1)
    sent = {day, day - timedelta(days=1), day - timedelta(days=2), TODAY - timedelta(days=40)}
    done = {day, day - timedelta(days=3)}  # one Done without a reminder that night
    counts = reminder_counts(sent, done, TODAY - timedelta(days=29), TODAY)
    assert counts == ReminderCounts(sent=3, done=2, skipped=2)


def test_pdf_shows_sides_times_reminders_and_medicines() -> None:
    entries = make_entries(40, 30)
    details = details_for(entries, 30, sent=12, medicines="Magnesium 300 mg; ramipril 5 mg")
    texts = " ".join(page_texts(entries, 30, LABELS, details))
    sides = details.by_side
    assert f"Left {sides['left']}" in texts and f"not given {sides['unknown']}" in texts
    for name, count in details.by_part_of_day.items():
        if count:
            assert f"{LABELS['part_' + name]} {count}" in texts
    counts = details.reminders
    assert counts.sent == 12 and counts.skipped == len(
        {TODAY - timedelta(days=ago) for ago in range(12)} - done_dates(30)
    )
    assert "Reminders sent: 12." in texts and f"Skipped or no answer: {counts.skipped}." in texts
    assert "Medicines I take" in texts and "Magnesium 300 mg; ramipril 5 mg" in texts
    assert LABELS["pdf_routine_none"] not in texts


def test_pdf_says_no_reminders_only_when_none_was_sent_or_done() -> None:
    entries = make_entries(10, 30, notes=False)
    start = TODAY - timedelta(days=29)
    none = doctor_details(entries, "UTC", start, TODAY, ReminderCounts(0, 0, 0))
    summary = summarize(entries, set(), TODAY, 30)  # no reminders set up: no comparison
    fig = pdf_module._pdf_figure(summary, entries, None, LABELS, "p", TODAY, none)
    assert LABELS["pdf_routine_none"] in [t.get_text() for t in fig.texts]
    assert "Medicines I take" not in [t.get_text() for t in fig.texts]  # optional line


def test_pdf_with_details_and_long_translations_stays_on_the_page() -> None:
    wordy = {k: " ".join([v] * 6) for k, v in LABELS.items() if k != "language"}
    wordy["language"] = "en"
    wordy["list_separator"], wordy["decimal_separator"] = ",", "."
    wordy["pdf_note_item"] = "{date} {site} {note}"
    entries = make_entries(300, 90)
    details = details_for(entries, 90, sent=60, medicines="x " * 150)
    assert page_texts(entries, 90, wordy, details)
    summary = summarize(entries, done_dates(90), TODAY, 90)
    data = render_summary_pdf(summary, entries, chart(entries, 90), wordy, "p", TODAY, details)
    assert pdf_pages(data) == 1


def test_pdf_without_chart_or_notes() -> None:
    entries = make_entries(5, 30, notes=False)
    summary = summarize(entries, set(), TODAY)
    assert pdf_pages(render_summary_pdf(summary, entries, None, LABELS, "30 days", TODAY)) == 1


def test_pdf_names_missing_texts() -> None:
    partial = {k: v for k, v in LABELS.items() if k != "pdf_footer"}
    summary = summarize([], set(), TODAY)
    with pytest.raises(KeyError, match="pdf_footer"):
        render_summary_pdf(summary, [], None, partial, "30 days", TODAY)


# --- CSV -----------------------------------------------------------------------------------

NASTY_NOTES = [
    "plain",
    'with, commas and "quotes"',
    "two\nlines\r\nand CRLF",
    '=HYPERLINK("http://x","click")',
    "+1 cmd",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "  =1+1",
    "",
]


def csv_entries() -> list[DiaryEntry]:
    base = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # Berlin switches to CEST at 01:00 UTC
    result = []
    for i, note in enumerate(NASTY_NOTES):
        at = base + timedelta(hours=i)
        site, side, duration = SITES[i % 8], SIDES[i % 3], DURATIONS[i % 3]
        result.append(DiaryEntry(i, at, at.date(), site, side, 1 + i % 10, duration, note or None))
    return result[::-1]  # given newest first: the file is oldest first


def read_csv(data: bytes) -> list[list[str]]:
    assert not data.startswith(b"\xef\xbb\xbf")  # plain UTF-8, no BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_round_trips() -> None:
    rows = read_csv(render_csv(csv_entries(), LABELS, "Europe/Berlin"))
    assert rows[0] == [LABELS[key] for key in CSV_COLUMN_KEYS]
    assert len(rows) == len(NASTY_NOTES) + 1
    assert all(len(row) == 6 for row in rows)
    assert rows[1][:5] == ["2026-03-29T01:30+01:00", "calf", "left", "1", "under_1"]
    assert rows[2][0] == "2026-03-29T03:30+02:00"  # CEST from 01:00 UTC
    notes = [row[5] for row in rows[1:]]
    assert notes[:3] == NASTY_NOTES[:3]  # commas, quotes and newlines stay in their cell


def test_csv_neutralises_formulas() -> None:
    notes = [row[5] for row in read_csv(render_csv(csv_entries(), LABELS, "UTC"))[1:]]
    for typed, written in zip(NASTY_NOTES[3:9], notes[3:9], strict=True):
        assert written == "'" + typed
    assert notes[9] == ""


def test_csv_value_labels_and_header_are_neutralised_too() -> None:
    columns = LABELS | {"csv_note": "=Note"}
    values = LABELS | {"site_calf": "-Calf"}
    rows = read_csv(render_csv(csv_entries(), columns, "UTC", value_labels=values))
    assert rows[0][5] == "'=Note"
    assert rows[1][1:3] == ["'-Calf", "Left"]


def test_csv_empty_and_bad_zone() -> None:
    assert read_csv(render_csv([], LABELS, "UTC")) == [[LABELS[k] for k in CSV_COLUMN_KEYS]]
    with pytest.raises(ValueError, match="Nowhere"):
        render_csv([], LABELS, "Nowhere/Atlantis")


# --- worker process ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workers() -> Iterator[None]:
    # One pool for the module: each start costs a process and a matplotlib import.
    yield
    shutdown_workers()


async def test_worker_renders_the_same_bytes(workers: None) -> None:
    entries = make_entries(80, 90)
    start = TODAY - timedelta(days=89)
    done = done_dates(90)
    local = render_chart_png(entries, done, start, TODAY, LABELS)
    remote = await render_in_worker(render_chart_png, entries, done, start, TODAY, LABELS)
    assert remote == local
    summary = summarize(entries, done, TODAY, 90)
    pdf = functools.partial(
        render_summary_pdf, summary, entries, local, LABELS, period_label="90", generated_on=TODAY
    )
    assert await render_in_worker(pdf) == pdf()


async def test_worker_errors_reach_the_caller(workers: None) -> None:
    with pytest.raises(KeyError, match="chart_empty"):
        await render_in_worker(render_chart_png, [], set(), TODAY, TODAY, {})
    assert await render_in_worker(bytes, 3) == b"\0\0\0"  # the pool is still fine


async def test_a_dead_worker_is_replaced(workers: None) -> None:
    import os

    with pytest.raises(BrokenProcessPool):
        await render_in_worker(os._exit, 1)
    assert await render_in_worker(bytes, 2) == b"\0\0"


def test_importing_the_module_leaves_matplotlib_out_of_the_bot() -> None:
    # The bot only calls render_in_worker: matplotlib (~0.5 s, tens of MB) stays in the worker.
    import subprocess
    import sys

    code = (
        "import sys, tgbot.services.diary.render; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
