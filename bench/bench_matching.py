"""Typed-question matching speed: answers per second, and how long the content takes to load.

    .venv/bin/python bench/bench_matching.py                  # tests/data/questions.yaml
    .venv/bin/python bench/bench_matching.py FILE [--seconds 3]

Matching runs on the bot's event loop, so it must stay cheap. Three figures:
* cold: every question once on a fresh matcher (no cached word lookups), like new users;
* warm: the questions repeated for at least ``--seconds`` (caches hot), the steady state;
* long: 4096-character messages, the longest Telegram allows.
Content load is timed in a fresh subprocess, so no import or cache is already warm.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from tgbot.content import load_content
from tgbot.services.evaluation import load_questions
from tgbot.services.matching import Matcher

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
    return 0 if ok_warm and ok_load else 1


if __name__ == "__main__":
    sys.exit(main())
