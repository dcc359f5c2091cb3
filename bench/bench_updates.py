"""Update throughput and reply latency of the bot, next to a bare python-telegram-bot echo bot.

    .venv/bin/python bench/bench_updates.py            # full run, about 75 s
    .venv/bin/python bench/bench_updates.py --quick    # CI smoke, under 30 s

This process serves the Bot API stand-in over loopback HTTP and generates the load (one
event loop). Each bot under test runs in a child process (``--serve ours|echo``) with PTB's
default HTTPXRequest pointed at the stand-in, polling as ``run_polling`` does. An update is
done when its last expected bot call arrives (sendMessage for a message, editMessageText for
a button press); latency = done time - time the update was queued. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import logging
import math
import os
import platform
import random
import shlex
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import telegram
from machine_facts import cpu_model, usable_cpus
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tgbot import telegram_html
from tgbot.app import ALLOWED_UPDATES, STANDIN_TOKEN, build_application
from tgbot.config import Settings
from tgbot_devtools.standin import checks as standin_checks
from tgbot_devtools.standin.api import FakeBotAPI
from tgbot_devtools.standin.http_server import StandinHttpServer, start_http_server
from tgbot_devtools.standin.records import JSON
from tgbot_devtools.standin.users import FakeUser

BotKind = Literal["echo", "ours"]
BOTS: tuple[BotKind, ...] = ("echo", "ours")
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# One simulated user's cycle: /start, then three presses on the message the bot sent.
SCRIPT = ("/start", "s:cramp_now", "s:calf_now", "s:main")
REPLY_METHODS = frozenset({"sendmessage", "editmessagetext"})
FIRST_USER_ID = 10_001
HOST = "127.0.0.1"  # loopback only

TARGET_RATIO = 0.70  # our throughput / echo throughput
TARGET_P99_S = 0.100  # at TARGET_RATE updates/s offered
TARGET_RATE = 100


@dataclass(frozen=True)
class Plan:
    throughput_s: float  # closed loop, per bot, split into alternating windows
    windows: int
    latency_s: float  # each open-loop phase
    warmup_rounds: float  # warm-up: updates per simulated user (the first is /start)
    pool: int  # simulated users; each has at most one update outstanding
    rates: tuple[int, ...] = (TARGET_RATE, 200)
    concurrency: int = 50  # closed loop: updates outstanding at any time
    ramp_s: float = 0.2  # closed loop: refilled before each window is measured
    drain_s: float = 3.0  # grace after a phase before outstanding updates count as lost
    warmup_cap_s: float = 20.0
    hard_limit_s: float = 120.0  # safety net for the whole run


FULL = Plan(throughput_s=10.0, windows=8, latency_s=10.0, warmup_rounds=2.0, pool=250)
QUICK = Plan(
    throughput_s=2.4,
    windows=4,
    latency_s=2.0,
    warmup_rounds=1.5,
    pool=150,
    rates=(TARGET_RATE,),
    drain_s=2.0,
    hard_limit_s=45.0,
)


class BenchError(RuntimeError):
    """The benchmark itself went wrong (not a missed target)."""


# ---------------------------------------------------------------------------- bots (child)


def serve(kind: BotKind, base_url: str, db_path: Path, cpu: int | None, max_s: float) -> int:
    """Child process: run one bot against the stand-in until SIGTERM."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # before any thread starts: they inherit it
    logging.basicConfig(level=logging.WARNING, format="[bot %(name)s] %(levelname)s %(message)s")
    _exit_when_orphaned(max_s)
    app = build_ours(base_url, db_path) if kind == "ours" else build_echo(base_url)
    app.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


def build_ours(base_url: str, db_path: Path) -> AnyApplication:
    settings = Settings(token=STANDIN_TOKEN, api_base_url=base_url, db_path=db_path)
    # The production limiter caps all sends at 30/s (Telegram's bulk guidance): off for capacity.
    return build_application(settings, rate_limited=False)


def build_echo(base_url: str) -> AnyApplication:
    """Bare PTB: the same API calls per update as ours, no database, no content."""
    app = (
        Application.builder()
        .token(STANDIN_TOKEN)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo_text))
    app.add_handler(CallbackQueryHandler(_echo_button))
    return app


async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def _echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None and query.data is not None:
        await query.answer()
        await query.edit_message_text(query.data)


def _exit_when_orphaned(max_s: float) -> None:
    """Exit if the parent goes away (stdin closes) or the run overstays its bound."""

    def on_eof() -> None:
        while os.read(0, 4096):
            pass
        os._exit(3)

    def on_deadline() -> None:
        time.sleep(max_s)
        os._exit(4)

    threading.Thread(target=on_eof, daemon=True).start()
    threading.Thread(target=on_deadline, daemon=True).start()


# ---------------------------------------------------------------------------- stand-in hook


def memoize_standin_html() -> None:
    """Cache the stand-in's HTML parsing for the bench's repeating texts.

    The stand-in parses every parse_mode=HTML text in pure Python (about 0.3 ms for a long
    screen) while the bot, which handles updates one at a time, waits for the answer: that
    would put the stand-in's cost, not the bot's, into our figures. Entities are copied per
    message, so no two stored messages share them.
    """
    namespace = vars(standin_checks)
    if namespace.get("parse_html") is not telegram_html.parse_html:
        return  # the stand-in changed: nothing to speed up here
    parse = functools.lru_cache(maxsize=4096)(telegram_html.parse_html)

    def parse_html(html: str) -> tuple[str, list[JSON]]:
        text, entities = parse(html)
        return text, [dict(entity) for entity in entities]

    namespace["parse_html"] = parse_html


ReplyListener = Callable[[str, JSON], None]


class BenchAPI(FakeBotAPI):
    """The stand-in, telling a listener about every successful reply call as it arrives."""

    def __init__(self) -> None:
        super().__init__(STANDIN_TOKEN, record_calls=False)  # records would grow all run long
        self.listener: ReplyListener | None = None
        self.polled = asyncio.Event()
        self.call_count = 0
        self.errors: Counter[str] = Counter()

    async def handle(self, method: str, params: JSON, token: str | None = None) -> tuple[int, JSON]:
        name = method.lower()
        if name == "getupdates":
            self.polled.set()  # on arrival: the answer may be a long poll
        status, body = await super().handle(method, params, token)
        self.call_count += 1
        if status != 200:
            self.errors[f"{method} {status} {body.get('description')}"] += 1
        elif name in REPLY_METHODS and self.listener is not None:
            self.listener(name, body["result"])
        return status, body


# ---------------------------------------------------------------------------- load


@dataclass
class SimUser:
    fake: FakeUser
    step: int = 0  # index into SCRIPT of the next action
    message_id: int = 0  # the bot message whose buttons we press
    buttons: frozenset[str] = frozenset()  # callback data on that message
    expect: str = ""  # reply method awaited; "" when idle
    sent_at: float = 0.0


class Workload:
    """Simulated users; issues updates and matches the bot's replies to them."""

    def __init__(self, api: BenchAPI, pool: int, strict_buttons: bool, seed: int = 1) -> None:
        self.strict_buttons = strict_buttons
        self.rng = random.Random(seed)
        ids = range(FIRST_USER_ID, FIRST_USER_ID + pool)
        self.users = {uid: SimUser(api.user(uid, first_name=f"U{uid}")) for uid in ids}
        self.fresh: list[SimUser] = list(self.users.values())  # never active: no DB row yet
        self.idle: list[SimUser] = []
        self.closed_loop = False
        self.completed = 0
        self.latencies: list[float] = []
        self.failure: BenchError | None = None
        self.quiet = asyncio.Event()  # set while nothing is outstanding
        self.quiet.set()
        api.listener = self.on_reply

    @property
    def outstanding(self) -> int:
        return len(self.users) - len(self.idle) - len(self.fresh)

    def reset_counters(self) -> None:
        self.completed = 0
        self.latencies = []

    def issue(self) -> bool:
        """Queue the next action of a new user, else of a random idle one; False if all busy."""
        if self.fresh:
            user = self.fresh.pop()
        elif self.idle:
            index = self.rng.randrange(len(self.idle))
            self.idle[index], self.idle[-1] = self.idle[-1], self.idle[index]
            user = self.idle.pop()
        else:
            return False
        action = SCRIPT[user.step]
        if user.step and self.strict_buttons and action not in user.buttons:
            # Press only real buttons of the bot's keyboard (the echo bot sends none). We may be
            # inside the stand-in's request handler here: the phase raises ``failure`` later.
            self.failure = self.failure or BenchError(
                f"user {user.fake.id}: no button {action!r} in {sorted(user.buttons)}"
            )
            del self.users[user.fake.id]
            return False
        self.quiet.clear()
        user.sent_at = time.perf_counter()
        if user.step == 0:
            user.expect = "sendmessage"
            user.fake.send_text(action)
        else:
            user.expect = "editmessagetext"
            user.fake.press(user.message_id, action)
        return True

    def on_reply(self, method: str, message: JSON) -> None:
        user = self.users.get(message["chat"]["id"])
        if user is None or user.expect != method:
            return  # a retired user's late reply, or not the call that completes the update
        self.latencies.append(time.perf_counter() - user.sent_at)
        self.completed += 1
        user.expect = ""
        user.message_id = message["message_id"]
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        user.buttons = frozenset(b["callback_data"] for row in rows for b in row)
        user.step = (user.step + 1) % len(SCRIPT)
        self.idle.append(user)
        if self.closed_loop:
            self.issue()
        elif not self.outstanding:
            self.quiet.set()

    def retire_busy(self) -> int:
        """Give up on outstanding updates: drop their users so late replies are ignored."""
        busy = [uid for uid, user in self.users.items() if user.expect]
        for uid in busy:
            del self.users[uid]
        return len(busy)


# ---------------------------------------------------------------------------- measurement


@dataclass
class PhaseResult:
    offered: float | None  # updates/s offered; None for the closed loop
    duration_s: float
    completed: int
    lost: int
    latencies: list[float]  # seconds; lost updates count as infinite
    api_calls: int
    bot_cpu: float | None  # share of one core
    gen_cpu: float
    max_lag_s: float = 0.0  # open loop: how late the generator queued an update
    skipped: int = 0  # open loop: arrivals dropped because every user was busy

    @property
    def throughput(self) -> float:
        return self.completed / self.duration_s

    def pct(self, q: float) -> float:
        return percentile(self.latencies, q)

    @classmethod
    def merge(cls, parts: list[PhaseResult]) -> PhaseResult:
        """Several closed-loop windows as one."""
        duration = sum(p.duration_s for p in parts)
        bot_cpus = [p.bot_cpu for p in parts]
        return cls(
            offered=None,
            duration_s=duration,
            completed=sum(p.completed for p in parts),
            lost=sum(p.lost for p in parts),
            latencies=[x for p in parts for x in p.latencies],
            api_calls=sum(p.api_calls for p in parts),
            bot_cpu=None
            if None in bot_cpus
            else sum((p.bot_cpu or 0.0) * p.duration_s for p in parts) / duration,
            gen_cpu=sum(p.gen_cpu * p.duration_s for p in parts) / duration,
        )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def _proc_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) of a process, from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Meter:
    """Wall time, CPU of both processes and API calls since construction."""

    def __init__(self, api: BenchAPI, bot_pid: int) -> None:
        self.api, self.bot_pid = api, bot_pid
        self.wall, self.gen, self.calls = time.perf_counter(), time.process_time(), api.call_count
        self.bot = _proc_cpu_s(bot_pid)

    def elapsed(self) -> float:
        return time.perf_counter() - self.wall

    def cpu(self) -> tuple[float | None, float]:
        """(bot, generator) CPU as a share of one core."""
        wall = self.elapsed()
        gen = (time.process_time() - self.gen) / wall
        bot_now = _proc_cpu_s(self.bot_pid)
        if bot_now is None or self.bot is None:
            return None, gen
        return (bot_now - self.bot) / wall, gen

    def api_calls(self) -> int:
        return self.api.call_count - self.calls


# ---------------------------------------------------------------------------- phases


class Subject:
    """One bot under test: its stand-in, its child process and its simulated users."""

    def __init__(self, kind: BotKind, plan: Plan, workdir: Path, cpu: int | None) -> None:
        self.kind = kind
        self.plan = plan
        self.api = BenchAPI()
        self.workdir = workdir
        self.cpu = cpu
        self.server: StandinHttpServer | None = None
        self.bot: BotProcess | None = None
        self.work = Workload(self.api, plan.pool, strict_buttons=kind == "ours")
        self.windows: list[PhaseResult] = []
        self.open: dict[float, PhaseResult] = {}
        self.errors: Counter[str] = Counter()

    @property
    def closed(self) -> PhaseResult:
        return PhaseResult.merge(self.windows)

    def phases(self) -> list[PhaseResult]:
        return [self.closed, *self.open.values()]

    async def start(self, stack: contextlib.AsyncExitStack) -> None:
        self.server = await start_http_server(self.api, HOST, 0)
        stack.push_async_callback(self.server.close)
        db_path = self.workdir / f"{self.kind}.sqlite3"
        self.bot = BotProcess(
            self.kind, self.server.base_url, db_path, self.cpu, self.plan.hard_limit_s
        )
        stack.push_async_callback(self.bot.stop)  # runs before server.close
        await self.bot.start(self.api)

    @property
    def pid(self) -> int:
        assert self.bot is not None
        self.bot.check_alive()
        return self.bot.pid

    async def drain(self) -> int:
        """Wait for outstanding updates; returns how many were given up on."""
        self.work.closed_loop = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.work.quiet.wait(), self.plan.drain_s)
        if self.work.failure is not None:
            raise self.work.failure
        lost = self.work.retire_busy()
        # The generator's GC runs between phases only: a full collection of the stand-in's
        # growing state would stall replies for tens of ms in the middle of a phase.
        gc.collect()
        gc.freeze()
        return lost

    def _fill(self) -> None:
        self.work.closed_loop = True
        for _ in range(self.plan.concurrency - self.work.outstanding):
            self.work.issue()

    async def warm_up(self) -> None:
        """Closed loop until every user has been active (DB row) and cycle steps are mixed."""
        plan, work = self.plan, self.work
        target = int(plan.warmup_rounds * plan.pool)
        deadline = time.perf_counter() + plan.warmup_cap_s
        work.reset_counters()
        self._fill()
        while work.fresh or work.completed < target:
            if work.failure is not None:
                raise work.failure
            if time.perf_counter() > deadline:
                raise BenchError(f"{self.kind} warm-up: {work.completed}/{target} updates done")
            await asyncio.sleep(0.05)
        await self.drain()

    async def closed_window(self, seconds: float) -> None:
        """``plan.concurrency`` updates always outstanding; count completions in the window."""
        work = self.work
        self._fill()
        await asyncio.sleep(self.plan.ramp_s)
        work.reset_counters()
        meter = Meter(self.api, self.pid)
        await asyncio.sleep(seconds)
        duration, completed, latencies = meter.elapsed(), work.completed, work.latencies
        api_calls, (bot_cpu, gen_cpu) = meter.api_calls(), meter.cpu()
        lost = await self.drain()
        self.windows.append(
            PhaseResult(None, duration, completed, lost, latencies, api_calls, bot_cpu, gen_cpu)
        )

    async def open_loop(self, rate: float) -> None:
        """Queue updates at ``rate`` per second whatever the bot does; then drain."""
        work = self.work
        work.reset_counters()
        meter = Meter(self.api, self.pid)
        sent = skipped = 0
        max_lag = 0.0
        total = int(rate * self.plan.latency_s)
        while sent < total:
            elapsed = meter.elapsed()
            due = min(total, int(elapsed * rate) + 1)
            if due > sent:
                max_lag = max(max_lag, elapsed - sent / rate)
            while sent < due:
                skipped += 0 if work.issue() else 1
                sent += 1
            await asyncio.sleep(max(0.0, sent / rate - meter.elapsed()))
        offered_for = meter.elapsed()
        lost = await self.drain()
        api_calls, (bot_cpu, gen_cpu) = meter.api_calls(), meter.cpu()
        self.open[rate] = PhaseResult(
            offered=rate,
            duration_s=offered_for,
            completed=work.completed,
            lost=lost,
            latencies=work.latencies + [math.inf] * lost,
            api_calls=api_calls,
            bot_cpu=bot_cpu,
            gen_cpu=gen_cpu,
            max_lag_s=max_lag,
            skipped=skipped,
        )


# ---------------------------------------------------------------------------- orchestration


@dataclass(frozen=True)
class CpuSplit:
    """Load generator + stand-ins on one CPU, the bot under test on another."""

    generator: int
    bot: int

    @classmethod
    def choose(cls) -> CpuSplit | None:
        if not hasattr(os, "sched_getaffinity"):
            return None
        cpus = sorted(os.sched_getaffinity(0))
        return cls(cpus[0], cpus[1]) if len(cpus) >= 2 else None


class BotProcess:
    """The bot under test in a child process; ``stop`` always leaves no process behind."""

    def __init__(
        self, kind: BotKind, base_url: str, db_path: Path, cpu: int | None, max_s: float
    ) -> None:
        self.kind = kind
        self.args = [sys.executable, str(Path(__file__).resolve()), "--serve", kind]
        self.args += ["--base-url", base_url, "--db", str(db_path), "--max-seconds", f"{max_s:g}"]
        if cpu is not None:
            self.args += ["--cpu", str(cpu)]
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, api: BenchAPI, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Start the child; ready once its first getUpdates arrives."""
        self.proc = await asyncio.create_subprocess_exec(
            *self.args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL
        )
        polled = asyncio.ensure_future(api.polled.wait())
        exited = asyncio.ensure_future(self.proc.wait())
        done, _ = await asyncio.wait(
            {polled, exited}, timeout=timeout, return_when="FIRST_COMPLETED"
        )
        polled.cancel()
        exited.cancel()
        if exited in done:
            raise BenchError(
                f"the {self.kind} bot exited with code {self.proc.returncode} at start"
            )
        if polled not in done:
            raise BenchError(f"the {self.kind} bot did not start polling within {timeout:g}s")

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.returncode is not None:
            raise BenchError(f"the {self.kind} bot exited with code {self.proc.returncode}")

    async def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM (PTB shuts down gracefully), SIGKILL after ``grace_s``."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), grace_s)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
        except ProcessLookupError:
            pass
        finally:
            if proc.stdin is not None:
                proc.stdin.close()


async def run_plan(subjects: list[Subject], plan: Plan) -> None:
    """Warm up each bot, then alternate them (ABBA…) so both see the same machine state."""
    for subject in subjects:
        await subject.warm_up()
    window = plan.throughput_s / plan.windows
    for round_ in range(plan.windows):
        for subject in subjects if round_ % 2 == 0 else subjects[::-1]:
            await subject.closed_window(window)
    for rate in plan.rates:
        for subject in subjects:
            await subject.open_loop(rate)
    for subject in subjects:
        subject.errors = subject.api.errors.copy()  # before the shutdown, whose poll gets a 409


async def bench(plan: Plan, kinds: tuple[BotKind, ...], pin: bool) -> list[Subject]:
    cpus = CpuSplit.choose() if pin else None
    saved = os.sched_getaffinity(0) if cpus else None
    gc.disable()  # see Subject.drain
    memoize_standin_html()
    try:
        if cpus:
            os.sched_setaffinity(0, {cpus.generator})
        with tempfile.TemporaryDirectory(prefix="tgbot-bench-") as tmp:
            subjects = [Subject(k, plan, Path(tmp), cpus.bot if cpus else None) for k in kinds]
            async with asyncio.timeout(plan.hard_limit_s), contextlib.AsyncExitStack() as stack:
                await asyncio.gather(*(s.start(stack) for s in subjects))
                await run_plan(subjects, plan)
    finally:
        gc.enable()
        if saved:
            os.sched_setaffinity(0, saved)
    return subjects


# ---------------------------------------------------------------------------- report


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return "inf" if math.isinf(seconds) else f"{seconds * 1000:.1f}"


def _cpu(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.0f}%"


def machine_info(pin: bool) -> list[str]:
    model = cpu_model()
    usable = usable_cpus()
    cpus = CpuSplit.choose() if pin else None
    placement = (
        f"bots pinned to CPU {cpus.bot}, load generator + stand-ins to CPU {cpus.generator}"
        if cpus
        else "no CPU pinning: bots and load generator share the cores"
    )
    return [
        f"machine: {usable} usable cores ({os.cpu_count()} online), {model}, {platform.system()}",
        f"python {platform.python_version()}, python-telegram-bot {telegram.__version__}",
        placement,
    ]


def _cpu_ms(p: PhaseResult) -> str:
    return (
        "n/a"
        if p.bot_cpu is None
        else f"{p.bot_cpu * p.duration_s / max(p.completed, 1) * 1000:.2f}"
    )


def phase_line(kind: str, p: PhaseResult) -> str:
    offered = "closed" if p.offered is None else f"{p.offered:g}/s"
    notes = ""
    if p.max_lag_s > 0.05:
        notes += f"  (generator up to {_ms(p.max_lag_s)} ms late)"
    if p.skipped:
        notes += f"  ({p.skipped} arrivals skipped: every user busy)"
    return (
        f"  {kind:<5} {offered:>7} {p.throughput:>7.1f} {_ms(p.pct(50)):>7} {_ms(p.pct(95)):>7}"
        f" {_ms(p.pct(99)):>7} {_ms(max(p.latencies, default=math.nan)):>7} {p.lost:>5}"
        f" {p.api_calls / max(p.completed, 1):>6.2f} {_cpu(p.bot_cpu):>7} {_cpu_ms(p):>7}"
        f" {_cpu(p.gen_cpu):>7}{notes}"
    )


def report(subjects: list[Subject], plan: Plan, command: str, pin: bool) -> list[str]:
    lines = [f"command: {command}", *machine_info(pin)]
    lines += [
        f"workload: {plan.pool} simulated users, each cycling {' > '.join(SCRIPT)} (real callback "
        f"data from the bot's keyboard); warm-up {plan.warmup_rounds:g} updates per user; "
        f"closed loop {plan.concurrency} outstanding, {plan.throughput_s:g} s per bot in "
        f"{plan.windows} windows alternating between the bots; open loop "
        f"{' and '.join(f'{r}/s' for r in plan.rates)} for {plan.latency_s:g} s"
        + (" each" if len(plan.rates) > 1 else ""),
        "rate limiter OFF in both bots (production caps sends at 30/s): this measures capacity",
        "stand-in: HTML parsing memoized in this process (bench only, see README)"
        if vars(standin_checks).get("parse_html") is not telegram_html.parse_html
        else "stand-in: HTML parsed on every call",
        "",
        "latency: ms from update queued to its last reply call; lost: not done "
        f"{plan.drain_s:g} s after the phase (counted as inf); calls: Bot API calls per update "
        "(getUpdates too); bot/gen CPU: share of one core used by the bot / by load generator + "
        "stand-in; ms/upd: bot CPU time per update",
        "  bot   offered  done/s     p50     p95     p99     max  lost  calls"
        " bot CPU  ms/upd gen CPU",
    ]
    for subject in subjects:
        lines += [phase_line(subject.kind, p) for p in subject.phases()]
    for subject in subjects:
        spread = " ".join(f"{w.throughput:.0f}" for w in subject.windows)
        lines.append(f"  {subject.kind} closed-loop windows, updates/s: {spread}")
        if subject.errors:
            lines.append(f"  {subject.kind} Bot API errors: {dict(subject.errors)}")
    return [*lines, "", *summary(subjects)]


def summary(subjects: list[Subject]) -> list[str]:
    lines = [f"  bot   throughput/s  p50@{TARGET_RATE}/s  p99@{TARGET_RATE}/s"]
    for subject in subjects:
        at = subject.open[TARGET_RATE]
        lines.append(
            f"  {subject.kind:<5} {subject.closed.throughput:>12.1f} {_ms(at.pct(50)):>10} "
            f"{_ms(at.pct(99)):>10}"
        )
    by_kind = {subject.kind: subject for subject in subjects}
    if "ours" not in by_kind:
        return lines
    ours = by_kind["ours"]
    if "echo" in by_kind:
        echo = by_kind["echo"]
        ratio = ours.closed.throughput / echo.closed.throughput
        rounds = sorted(
            o.throughput / e.throughput for o, e in zip(ours.windows, echo.windows, strict=True)
        )
        verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        lines += [
            f"  ratio ours/echo throughput: {ratio:.2f} (per alternation round: min "
            f"{rounds[0]:.2f}, median {rounds[len(rounds) // 2]:.2f}, max {rounds[-1]:.2f})",
            "",
            f"{verdict}: throughput ours/echo = {ratio:.2f} (target >= {TARGET_RATIO:.2f})",
        ]
    p99 = ours.open[TARGET_RATE].pct(99)
    verdict = "PASS" if p99 <= TARGET_P99_S else "FAIL"
    lines.append(
        f"{verdict}: ours p99 at {TARGET_RATE} updates/s = {_ms(p99)} ms "
        f"(target <= {TARGET_P99_S * 1000:g} ms)"
    )
    return lines


# ---------------------------------------------------------------------------- entry point


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases for CI (< 30 s)")
    parser.add_argument(
        "--bots", default="echo,ours", help="echo, ours or both (default; the ratio needs both)"
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin the bot and the generator to own CPUs"
    )
    # Internal: the child process serving one bot.
    parser.add_argument("--serve", choices=BOTS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--max-seconds", type=float, default=120.0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _kinds(value: str) -> tuple[BotKind, ...]:
    kinds = tuple(k for k in BOTS if k in value.split(","))
    if not kinds:
        raise SystemExit(f"--bots: expected echo, ours or echo,ours, not {value!r}")
    return kinds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        if not args.base_url or args.db is None:
            raise SystemExit("--serve needs --base-url and --db")
        return serve(args.serve, args.base_url, args.db, args.cpu, args.max_seconds)
    plan, pin = (QUICK if args.quick else FULL), not args.no_pin
    command = shlex.join([sys.executable, *sys.argv])
    started = time.perf_counter()
    try:
        subjects = asyncio.run(bench(plan, _kinds(args.bots), pin))
    except (BenchError, TimeoutError) as exc:
        print(f"bench_updates: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_updates: interrupted", file=sys.stderr)
        return 130
    print("\n".join(report(subjects, plan, command, pin)))
    print(f"\ntotal time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
