"""Cramp diary rendering: chart and PDF time, and the event loop's lateness while charts render.

    .venv/bin/python bench/bench_diary.py               # about 20 s
    .venv/bin/python bench/bench_diary.py --renders 10  # quicker

Figures, on a 90-day diary (about 120 cramps, half with notes):
* chart: ms per PNG chart (median, p95; after 2 warm-up renders), both in this process and
  end to end through ``render_in_worker`` one at a time (the bot's path: pickling, the
  worker's render, its per-render garbage collection, the bytes back);
* pdf: ms per one-page PDF, chart included, in this process (median, p95);
* loop: p99 lateness of a task that sleeps 1 ms in a loop, first idle, then while
  ``--renders`` charts go through ``render_in_worker`` at once (the bot's path);
* for contrast, the same lateness with the renders on a *thread* of this process, which
  holds the GIL: why the bot renders in a separate process.
Prints PASS/FAIL against the targets and exits 0 either way (1 if the benchmark broke).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from tgbot.services.diary.model import DURATIONS, SIDES, SITES, DiaryEntry, summarize
from tgbot.services.diary.render import (
    CHART_LABEL_PLACEHOLDERS,
    PDF_TEXT_PLACEHOLDERS,
    render_chart_png,
    render_in_worker,
    render_summary_pdf,
    shutdown_workers,
    warm_up_workers,
)

TARGET_CHART_MS = 300.0
TARGET_LOOP_P99_MS = 100.0
TODAY = date(2026, 11, 21)
DAYS = 90
TICK_S = 0.001
ChartArgs = tuple[list[DiaryEntry], set[date], date, date, dict[str, str]]

# Each key's own name as its text: the bench needs text of a realistic length, not words.
LABELS = {
    key: key.replace("_", " ") for key in {**CHART_LABEL_PLACEHOLDERS, **PDF_TEXT_PLACEHOLDERS}
}
LABELS |= {"months": ",".join(str(month) for month in range(1, 13)), "date_short": "{day}.{month}"}
LABELS |= {"date_long": "{day}.{month}.{year}", "pdf_note_item": "{date} {site}: {note}"}


def diary(count: int = 120, seed: int = 11) -> list[DiaryEntry]:
    rnd = random.Random(seed)
    entries = []
    for i in range(count):
        day = TODAY - timedelta(days=rnd.randrange(DAYS))
        at = datetime(day.year, day.month, day.day, rnd.randrange(24), tzinfo=UTC)
        note = "stretched the calf, walked, eased slowly " * rnd.randrange(1, 6) if i % 2 else None
        site, side = rnd.choice(SITES), rnd.choice([None, *SIDES])
        severity, duration = rnd.choice([None, *range(1, 11)]), rnd.choice([None, *DURATIONS])
        entries.append(DiaryEntry(i, at, day, site, side, severity, duration, note))
    return entries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def time_ms(func: Callable[[], bytes], runs: int) -> list[float]:
    func()
    func()  # warm: fonts, glyph caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return times


async def lateness_while(work: Callable[[], Awaitable[object]]) -> tuple[list[float], float]:
    """Lateness (ms) of 1 ms sleeps while ``work`` runs; and how long the work took (s)."""
    samples: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        loop = asyncio.get_running_loop()
        while not done.is_set():
            start = loop.time()
            await asyncio.sleep(TICK_S)
            samples.append((loop.time() - start - TICK_S) * 1000)

    task = asyncio.create_task(probe())
    start = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - start
    done.set()
    await task
    return samples, elapsed


async def worker_chart_ms(args: ChartArgs, runs: int) -> list[float]:
    for _ in range(2):
        await render_in_worker(render_chart_png, *args)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await render_in_worker(render_chart_png, *args)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def loop_figures(args: ChartArgs, renders: int) -> dict[str, float]:
    start = time.perf_counter()
    await warm_up_workers()
    cold = time.perf_counter() - start

    async def idle() -> None:
        await asyncio.sleep(2)

    async def in_workers() -> None:
        await asyncio.gather(*(render_in_worker(render_chart_png, *args) for _ in range(renders)))

    async def in_threads() -> None:
        await asyncio.gather(*(asyncio.to_thread(render_chart_png, *args) for _ in range(renders)))

    figures = {"cold_start_s": cold}
    worker = await worker_chart_ms(args, renders)
    figures |= {"worker_median": statistics.median(worker), "worker_p95": percentile(worker, 0.95)}
    for name, work in (("idle", idle), ("workers", in_workers), ("threads", in_threads)):
        samples, elapsed = await lateness_while(work)
        figures[f"{name}_p99"] = percentile(samples, 0.99)
        figures[f"{name}_max"] = max(samples)
        figures[f"{name}_s"] = elapsed
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20, help="charts per figure (20)")
    options = parser.parse_args()
    entries = diary()
    done_dates = {TODAY - timedelta(days=ago) for ago in range(DAYS) if ago % 3}
    start = TODAY - timedelta(days=DAYS - 1)

    def chart() -> bytes:
        return render_chart_png(entries, done_dates, start, TODAY, LABELS)

    png = chart()
    summary = summarize(entries, done_dates, TODAY, DAYS)

    def pdf() -> bytes:
        return render_summary_pdf(summary, entries, png, LABELS, "90 days", TODAY)

    print(f"diary: {len(entries)} cramps over {DAYS} days; {options.renders} renders per figure")
    charts = time_ms(chart, options.renders)
    chart_median, chart_p95 = statistics.median(charts), percentile(charts, 0.95)
    print(f"chart in this process       median {chart_median:6.1f} ms   p95 {chart_p95:6.1f} ms")
    pdfs = time_ms(pdf, options.renders)
    pdf_median, pdf_p95 = statistics.median(pdfs), percentile(pdfs, 0.95)
    print(f"pdf in this process         median {pdf_median:6.1f} ms   p95 {pdf_p95:6.1f} ms")
    try:
        loop = asyncio.run(
            loop_figures((entries, done_dates, start, TODAY, LABELS), options.renders)
        )
    finally:
        shutdown_workers()
    print(f"worker cold start (process + matplotlib import): {loop['cold_start_s'] * 1000:.0f} ms")
    worker_median, worker_p95 = loop["worker_median"], loop["worker_p95"]
    print(f"chart via render_in_worker  median {worker_median:6.1f} ms   p95 {worker_p95:6.1f} ms")
    for name, what in (
        ("idle", "idle loop"),
        ("workers", f"{options.renders} charts in render_in_worker"),
        ("threads", f"{options.renders} charts in threads (contrast)"),
    ):
        print(
            f"loop lateness, {what:<38} p99 {loop[f'{name}_p99']:6.1f} ms   "
            f"max {loop[f'{name}_max']:6.1f} ms   ({loop[f'{name}_s']:.1f} s)"
        )
    for where, median, p95 in (
        ("in this process", chart_median, chart_p95),
        ("via render_in_worker", worker_median, worker_p95),
    ):
        ok = median < TARGET_CHART_MS and p95 < TARGET_CHART_MS
        print(f"{verdict(ok)}  chart < {TARGET_CHART_MS:.0f} ms {where} (median and p95)")
    loop_ok = loop["workers_p99"] <= TARGET_LOOP_P99_MS
    print(f"{verdict(loop_ok)}  loop p99 <= {TARGET_LOOP_P99_MS:.0f} ms during worker renders")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
