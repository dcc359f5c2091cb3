"""Cramp diary exports: a PNG chart, a one-page A4 PDF and a CSV file, as bytes.

No Telegram imports and no user-facing text: every word comes from the caller's label
mappings (keys and placeholders in CHART_LABEL_PLACEHOLDERS, PDF_TEXT_PLACEHOLDERS and
CSV_COLUMN_KEYS, in labels.py). Missing keys raise KeyError naming them.

matplotlib is used through its object-oriented API only (``Figure`` + an explicit canvas),
never pyplot, which keeps global figure state. It is imported lazily inside the render
functions, so the bot process, which only calls :func:`render_in_worker`, never loads it
(about 0.5 s and tens of MB). Rendering is CPU-bound for 50-300 ms, so the bot runs it in a
separate process through :func:`render_in_worker`; every argument must be picklable (plain
dicts, lists, sets, the frozen dataclasses of tgbot.services.diary.model).

Output is deterministic for a given matplotlib version: fixed font (DejaVu Sans, shipped
with matplotlib), no software name or timestamp in the PNG/PDF metadata.

Modules: labels (the key contracts), text_fit (fonts, wrapping), figure (shared by the chart
and the PDF), chart, pdf, csv_export, workers (the render process).
"""

from tgbot.services.diary.render.chart import render_chart_png
from tgbot.services.diary.render.csv_export import render_csv
from tgbot.services.diary.render.labels import (
    CHART_LABEL_PLACEHOLDERS,
    CSV_COLUMN_KEYS,
    PDF_TEXT_PLACEHOLDERS,
)
from tgbot.services.diary.render.pdf import render_summary_pdf
from tgbot.services.diary.render.workers import (
    render_in_worker,
    shutdown_workers,
    warm_up_workers,
)

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
