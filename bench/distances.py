"""Telegram's distance for the benches: the round trips to measure at (--latency-ms, --jitter)."""

from __future__ import annotations

import argparse

from tgbot_devtools.standin.api import Latency

FULL_DISTANCES_MS = (0.0, 80.0, 200.0)
QUICK_DISTANCES_MS = (0.0, 80.0)
JITTER_SHARE = 0.2  # ± this share of the round trip, uniform


def add_distance_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--latency-ms",
        action="append",
        type=_distances,
        help="round trip(s) to measure at, e.g. 80 or 0,80,200; repeatable"
        f" (default: {', '.join(f'{x:g}' for x in FULL_DISTANCES_MS)};"
        f" --quick: {', '.join(f'{x:g}' for x in QUICK_DISTANCES_MS)})",
    )
    parser.add_argument(
        "--jitter",
        type=float,
        default=JITTER_SHARE,
        help=f"± share of the round trip, uniform (default {JITTER_SHARE:g})",
    )


def _distances(value: str) -> list[float]:
    try:
        found = [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected milliseconds like 80 or 0,80,200") from None
    if not found or any(x < 0 for x in found):
        raise argparse.ArgumentTypeError("expected milliseconds >= 0")
    return found


def latencies_from(args: argparse.Namespace) -> list[Latency]:
    chosen = [x for group in args.latency_ms or [] for x in group]
    if not chosen:
        chosen = list(QUICK_DISTANCES_MS if args.quick else FULL_DISTANCES_MS)
    if not 0 <= args.jitter <= 1:
        raise SystemExit("--jitter: expected a share between 0 and 1")
    return [Latency(ms, ms * args.jitter) for ms in dict.fromkeys(chosen)]
