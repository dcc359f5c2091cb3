"""Update throughput and reply latency of the bot at three distances from Telegram.

    .venv/bin/python bench/bench_updates.py                    # 0, 80 and 200 ms round trip
    .venv/bin/python bench/bench_updates.py --quick            # 0 and 80 ms, short phases
    .venv/bin/python bench/bench_updates.py --latency-ms 80    # one distance (repeatable)

This process serves the Bot API stand-in over loopback HTTP and generates the load (one
event loop). The stand-in takes the round trip given by ``--latency-ms`` (± ``--jitter``) for
every call, half before answering and half after, as api.telegram.org would from afar. Each
bot under test runs in a child process (``--serve ours|echo``) with production's HTTP client
(aiohttp, ``tgbot/http_client.py``; ``--client httpx`` for PTB's default) pointed at the
stand-in, polling as ``run_polling`` does. An update is done when its last expected call
reaches the stand-in; latency = that moment - the moment the update was queued.
Ours runs twice per distance: with its send budget raised (capacity) and with the default
budget of 30 messages/s. See bench/README.md.
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
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import telegram
from distances import add_distance_options, latencies_from
from lag_monitor import LagMonitor
from machine_facts import cpu_model, usable_cpus
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from tgbot import telegram_html
from tgbot.app import ALLOWED_UPDATES, STANDIN_TOKEN, build_application
from tgbot.config import MAX_REPLY_RATE, Settings
from tgbot.http_client import AiohttpRequest
from tgbot.services.reminders.engine import MAX_SENDERS
from tgbot_devtools.standin import checks as standin_checks
from tgbot_devtools.standin.api import FakeBotAPI, Latency
from tgbot_devtools.standin.http_server import StandinHttpServer, start_http_server
from tgbot_devtools.standin.records import JSON
from tgbot_devtools.standin.users import FakeUser

BotKind = Literal["echo", "ours"]
BOTS: tuple[BotKind, ...] = ("echo", "ours")
Client = Literal["httpx", "aiohttp"]
CLIENTS: tuple[Client, ...] = ("httpx", "aiohttp")
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# One simulated user's cycle: /start, then three presses on the message the bot sent.
SCRIPT = ("/start", "s:cramp_now", "s:calf_now", "s:main")
MESSAGE_METHODS = frozenset({"sendmessage", "editmessagetext"})  # each takes a budget slot
WATCHED_METHODS = MESSAGE_METHODS | {"answercallbackquery"}
FIRST_USER_ID = 10_001
HOST = "127.0.0.1"  # loopback only


# Targets (issue 12). "Capacity" = ours with its send budget raised (TGBOT_REPLY_RATE).
FAR_MS = 80.0  # the distance the issue's figures are given for
TARGET_FAR_THROUGHPUT = 150.0  # updates/s, 500 users active
TARGET_FAR_P99_S = 0.400  # at TARGET_RATE updates/s offered
TARGET_RATE = 100
FAR_RATE = 150  # open loop further away, for information: the capacity target offered
TODAY_0MS_THROUGHPUT = 162.7  # bench/README.md, full run of 2026-11-22 (limiter off)
TARGET_TODAY_SHARE = 0.90  # at 0 ms, capacity not below this share of today's
TARGET_RATIO = 0.70  # at 0 ms, our throughput / echo throughput (issue 4)
TARGET_P99_0MS_S = 0.100  # at 0 ms and TARGET_RATE (issue 4)
DEFAULT_BUDGET = 30.0  # Settings.reply_rate's default: messages/s, all chats together
TARGET_BUDGET_REPLIES = 28.0  # replies/s sustained with the default budget
BUDGET_RATE = 20  # updates/s offered with the default budget
TARGET_BUDGET_P99_S = 0.400


@dataclass(frozen=True)
class Plan:
    throughput_s: float  # capacity closed loop, per bot, split into alternating windows
    windows: int
    latency_s: float  # each capacity open-loop phase
    warmup_rounds: float  # warm-up: updates per simulated user (the first is /start)
    pool: int  # simulated users
    near_rates: tuple[int, ...] = (TARGET_RATE, 200)  # open loop at 0 ms
    far_rates: tuple[int, ...] = (TARGET_RATE, FAR_RATE)  # further away
    concurrency: int = 50  # closed loop: updates outstanding at any time
    budget_s: float = 8.0  # default budget: closed loop, then open loop at BUDGET_RATE
    budget_concurrency: int = 40
    eager_share: float = 0.25  # of /start steps: a button of the old screen pressed at once too
    ramp_s: float = 0.2  # closed loop: refilled before each window is measured
    budget_ramp_s: float = 1.5  # the budget's queue fills before its window is measured
    drain_s: float = 3.0  # grace after a phase before outstanding updates count as lost
    warmup_cap_s: float = 40.0
    hard_limit_s: float = 200.0  # safety net for each distance


FULL = Plan(throughput_s=10.0, windows=8, latency_s=10.0, warmup_rounds=2.0, pool=500)
QUICK = Plan(
    throughput_s=2.4,
    windows=4,
    latency_s=2.0,
    warmup_rounds=1.5,
    pool=500,
    near_rates=(TARGET_RATE,),
    budget_s=3.0,
    budget_ramp_s=1.0,
    drain_s=2.0,
    hard_limit_s=90.0,
)


class BenchError(RuntimeError):
    """The benchmark itself went wrong (not a missed target)."""


# ---------------------------------------------------------------------------- bots (child)


def serve(
    kind: BotKind,
    base_url: str,
    db_path: Path,
    reply_rate: float,
    client: Client,
    cpu: int | None,
    max_s: float,
) -> int:
    """Child process: run one bot against the stand-in until SIGTERM."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # before any thread starts: they inherit it
    logging.basicConfig(level=logging.WARNING, format="[bot %(name)s] %(levelname)s %(message)s")
    _exit_when_orphaned(max_s)
    if kind == "ours":
        app = build_ours(base_url, db_path, reply_rate, client)
    else:
        app = build_echo(base_url, client)
    app.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


def build_ours(base_url: str, db_path: Path, reply_rate: float, client: Client) -> AnyApplication:
    """The production application; ``reply_rate`` is its send budget (TGBOT_REPLY_RATE)."""
    settings = Settings(
        token=STANDIN_TOKEN, api_base_url=base_url, db_path=db_path, reply_rate=reply_rate
    )
    if client == "aiohttp":
        return build_application(settings)  # production's own client
    return build_application(
        settings,
        request=HTTPXRequest(connection_pool_size=256),
        updates_request=HTTPXRequest(connection_pool_size=1),
        reminder_request=HTTPXRequest(connection_pool_size=MAX_SENDERS),
    )


def build_echo(base_url: str, client: Client) -> AnyApplication:
    """Bare PTB: the same API calls per update as ours, no database, no content, no limiter,
    on the same HTTP client as ours.

    Updates are handled concurrently (PTB's ``concurrent_updates(True)``): one at a time,
    every update would wait out the round trips of the one before it."""
    builder = (
        Application.builder()
        .token(STANDIN_TOKEN)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .concurrent_updates(True)
    )
    if client == "aiohttp":
        builder = builder.request(AiohttpRequest(256)).get_updates_request(AiohttpRequest(1))
    app = builder.build()
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
    screen) in this process, which also generates the load: that would put the stand-in's
    cost, not the bot's, into our figures. Entities are copied per message, so no two stored
    messages share them.
    """
    namespace = vars(standin_checks)
    if namespace.get("parse_html") is not telegram_html.parse_html:
        return  # the stand-in changed: nothing to speed up here
    parse = functools.lru_cache(maxsize=4096)(telegram_html.parse_html)

    def parse_html(html: str) -> tuple[str, list[JSON]]:
        text, entities = parse(html)
        return text, [dict(entity) for entity in entities]

    namespace["parse_html"] = parse_html


CallListener = Callable[[str, JSON, Any, float], None]


class BenchAPI(FakeBotAPI):
    """The stand-in, telling a listener about every successful reply call when it is carried
    out: after the way in, before the way back, where Telegram would count and show it."""

    def __init__(self, latency: Latency) -> None:
        # No call records: they would grow all run long.
        super().__init__(STANDIN_TOKEN, record_calls=False, latency=latency)
        self.listener: CallListener | None = None
        self.polled = asyncio.Event()
        self.call_count = 0
        self.errors: Counter[str] = Counter()

    async def _answer(self, method: str, params: JSON, token: str | None) -> tuple[int, JSON]:
        name = method.lower()
        if name == "getupdates":
            self.polled.set()  # on arrival: the answer may be a long poll
        status, body = await super()._answer(method, params, token)
        self.call_count += 1
        if status != 200:
            self.errors[f"{method} {status} {body.get('description')}"] += 1
        elif name in WATCHED_METHODS and self.listener is not None:
            self.listener(name, params, body["result"], time.perf_counter())
        return status, body


# ---------------------------------------------------------------------------- load


@dataclass
class Pending:
    """One update a user sent, and the calls that complete it."""

    sent_at: float
    needs: set[str]
    query_id: str | None = None  # a button press: its callback query
    result: JSON | None = None  # the message its sendMessage / editMessageText produced


@dataclass
class SimUser:
    fake: FakeUser
    step: int = 0  # index into SCRIPT of the next action
    message_id: int = 0  # the bot message whose buttons we press
    buttons: frozenset[str] = frozenset()  # callback data on that message
    pending: deque[Pending] = field(default_factory=deque)  # oldest first


class Workload:
    """Simulated users; issues updates, matches the bot's calls to them and checks their order.

    Most users wait for the answer before their next action. An *eager* user sends /start
    and at once presses a button of the screen they already have, so two of their updates
    are outstanding together: every call for the first must reach the stand-in before any
    call for the second (``order_violations`` counts the calls that did not)."""

    def __init__(
        self, api: BenchAPI, pool: int, strict_buttons: bool, eager_share: float, seed: int = 1
    ) -> None:
        self.strict_buttons = strict_buttons
        self.eager_share = eager_share
        self.rng = random.Random(seed)
        ids = range(FIRST_USER_ID, FIRST_USER_ID + pool)
        self.users = {uid: SimUser(api.user(uid, first_name=f"U{uid}")) for uid in ids}
        self.fresh: list[SimUser] = list(self.users.values())  # never active: no DB row yet
        self.idle: list[SimUser] = []
        self.queries: dict[str, int] = {}  # callback query id -> user id
        self.closed_loop = False
        self.concurrency = 0  # closed loop: updates kept outstanding
        self.in_flight = 0  # updates outstanding
        self.completed = 0
        self.latencies: list[float] = []
        self.message_stamps: list[float] = []  # every message call's arrival (perf_counter)
        self.order_violations = 0
        self.failure: BenchError | None = None
        self.quiet = asyncio.Event()  # set while nothing is outstanding
        self.quiet.set()
        api.listener = self.on_call

    def reset_counters(self) -> None:
        self.completed = 0
        self.latencies = []

    def refill(self) -> None:
        while self.in_flight < self.concurrency and self.issue():
            pass

    def issue(self) -> int:
        """Queue the next action of a new user, else of a random idle one; returns how many
        updates that queued (2 for an eager /start, 0 if every user is busy)."""
        if self.fresh:
            user = self.fresh.pop()
        elif self.idle:
            index = self.rng.randrange(len(self.idle))
            self.idle[index], self.idle[-1] = self.idle[-1], self.idle[index]
            user = self.idle.pop()
        else:
            return 0
        action = SCRIPT[user.step]
        if user.step and self.strict_buttons and action not in user.buttons:
            # Press only real buttons of the bot's keyboard (the echo bot sends none). We may be
            # inside the stand-in's request handler here: the phase raises ``failure`` later.
            self.failure = self.failure or BenchError(
                f"user {user.fake.id}: no button {action!r} in {sorted(user.buttons)}"
            )
            del self.users[user.fake.id]
            return 0
        self.quiet.clear()
        now = time.perf_counter()
        if user.step:
            self._press(user, action, now)
            count = 1
        else:
            user.fake.send_text(action)
            user.pending.append(Pending(now, {"sendmessage"}))
            count = 1
            old_screen = user.message_id and (SCRIPT[1] in user.buttons or not self.strict_buttons)
            if old_screen and self.rng.random() < self.eager_share:
                self._press(user, SCRIPT[1], now)
                count = 2
        self.in_flight += count
        return count

    def _press(self, user: SimUser, data: str, now: float) -> None:
        update = user.fake.press(user.message_id, data)
        query_id = str(update["callback_query"]["id"])
        self.queries[query_id] = user.fake.id
        user.pending.append(Pending(now, {"answercallbackquery", "editmessagetext"}, query_id))

    def on_call(self, method: str, params: JSON, result: Any, at: float) -> None:
        if method == "answercallbackquery":
            query_id = str(params.get("callback_query_id"))
            uid = self.queries.pop(query_id, None)
            user = None if uid is None else self.users.get(uid)
            owner = None
            if user is not None:
                owner = next((p for p in user.pending if p.query_id == query_id), None)
        else:
            self.message_stamps.append(at)
            user = self.users.get(result["chat"]["id"])
            owner = None
            if user is not None:
                owner = next((p for p in user.pending if method in p.needs), None)
        if user is None or owner is None:
            return  # a retired user's late reply, or a call that completes nothing
        if owner is not user.pending[0]:
            self.order_violations += 1  # a later update's call before an earlier one was done
        owner.needs.discard(method)
        if method in MESSAGE_METHODS:
            owner.result = result
        while user.pending and not user.pending[0].needs:
            self._complete(user, user.pending.popleft(), at)
        if not user.pending:
            self.idle.append(user)
        if self.closed_loop:
            self.refill()
        elif not self.in_flight:
            self.quiet.set()

    def _complete(self, user: SimUser, done: Pending, at: float) -> None:
        self.latencies.append(at - done.sent_at)
        self.completed += 1
        self.in_flight -= 1
        if done.result is not None:
            user.message_id = done.result["message_id"]
            rows = done.result.get("reply_markup", {}).get("inline_keyboard", [])
            user.buttons = frozenset(b["callback_data"] for row in rows for b in row)
        user.step = (user.step + 1) % len(SCRIPT)

    def retire_busy(self) -> int:
        """Give up on outstanding updates: drop their users so late calls are ignored."""
        lost = 0
        for uid in [uid for uid, user in self.users.items() if user.pending]:
            lost += len(self.users.pop(uid).pending)
        self.in_flight -= lost
        return lost


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
    messages: list[float] = field(default_factory=list)  # message arrivals in the phase
    order_violations: int = 0
    max_lag_s: float = 0.0  # open loop: how late the generator queued an update
    loop_lag_s: float = 0.0  # worst stall of this process's event loop (stand-in + load)
    skipped: int = 0  # open loop: arrivals dropped because every user was busy

    @property
    def throughput(self) -> float:
        return self.completed / self.duration_s

    @property
    def replies_per_s(self) -> float:
        return len(self.messages) / self.duration_s

    @property
    def max_messages_1s(self) -> int:
        return max_in_window(self.messages)

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
            loop_lag_s=max((p.loop_lag_s for p in parts), default=0.0),
            messages=[x for p in parts for x in p.messages],
            order_violations=sum(p.order_violations for p in parts),
        )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def max_in_window(stamps: Sequence[float], width: float = 1.0) -> int:
    """The most arrivals in any half-open window [t, t+width) (the busiest starts at one)."""
    ordered = sorted(stamps)
    return max((bisect_left(ordered, s + width) - i for i, s in enumerate(ordered)), default=0)


def _proc_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) of a process, from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Meter:
    """Wall time, CPU of both processes, API calls and order violations since construction."""

    def __init__(self, api: BenchAPI, work: Workload, bot_pid: int) -> None:
        self.api, self.work, self.bot_pid = api, work, bot_pid
        self.wall, self.gen, self.calls = time.perf_counter(), time.process_time(), api.call_count
        self.violations = work.order_violations
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

    def messages(self, until: float) -> list[float]:
        return [t for t in self.work.message_stamps if self.wall <= t < until]

    def order_violations(self) -> int:
        return self.work.order_violations - self.violations


# ---------------------------------------------------------------------------- phases


class Subject:
    """One bot under test: its stand-in, its child process and its simulated users."""

    def __init__(
        self,
        kind: BotKind,
        plan: Plan,
        latency: Latency,
        workdir: Path,
        cpu: int | None,
        client: Client,
    ) -> None:
        self.kind = kind
        self.plan = plan
        self.client = client
        self.api = BenchAPI(latency)
        self.workdir = workdir
        self.cpu = cpu
        self.server: StandinHttpServer | None = None
        self.bot: BotProcess | None = None
        self.work = Workload(
            self.api, plan.pool, strict_buttons=kind == "ours", eager_share=plan.eager_share
        )
        self.concurrency = plan.concurrency
        self.windows: list[PhaseResult] = []
        self.open: dict[float, PhaseResult] = {}
        self.budget_closed: PhaseResult | None = None  # ours with the default budget
        self.budget_open: PhaseResult | None = None
        self.errors: Counter[str] = Counter()

    @property
    def closed(self) -> PhaseResult:
        return PhaseResult.merge(self.windows)

    def phases(self) -> list[tuple[str, PhaseResult]]:
        rows = [("closed", self.closed), *((f"{r:g}/s", p) for r, p in self.open.items())]
        if self.budget_closed is not None:
            rows.append(("30:closed", self.budget_closed))
        if self.budget_open is not None:
            rows.append((f"30:{BUDGET_RATE}/s", self.budget_open))
        return rows

    @property
    def order_violations(self) -> int:
        return self.work.order_violations

    async def start(self, stack: contextlib.AsyncExitStack) -> None:
        self.server = await start_http_server(self.api, HOST, 0)
        stack.push_async_callback(self.server.close)
        stack.push_async_callback(self.stop_bot)  # runs before server.close
        await self.start_bot(MAX_REPLY_RATE)

    async def start_bot(self, reply_rate: float) -> None:
        assert self.server is not None
        db_path = self.workdir / f"{self.kind}.sqlite3"
        self.bot = BotProcess(
            self.kind,
            self.server.base_url,
            db_path,
            reply_rate,
            self.client,
            self.cpu,
            self.plan.hard_limit_s,
        )
        await self.bot.start(self.api)

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.stop()

    async def restart(self, reply_rate: float) -> None:
        """The same users and database, a new bot process with another send budget."""
        await self.stop_bot()
        await self.start_bot(reply_rate)

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

    def _fill(self, concurrency: int) -> None:
        self.work.closed_loop = True
        self.work.concurrency = concurrency
        self.work.refill()

    async def warm_up(self) -> None:
        """Closed loop until every user has been active (DB row) and cycle steps are mixed."""
        plan, work = self.plan, self.work
        target = int(plan.warmup_rounds * plan.pool)
        deadline = time.perf_counter() + plan.warmup_cap_s
        work.reset_counters()
        self._fill(self.concurrency)
        while work.fresh or work.completed < target:
            if work.failure is not None:
                raise work.failure
            if time.perf_counter() > deadline:
                raise BenchError(f"{self.kind} warm-up: {work.completed}/{target} updates done")
            await asyncio.sleep(0.05)
        await self.drain()

    async def closed_window(self, seconds: float, concurrency: int, ramp_s: float) -> PhaseResult:
        """``concurrency`` updates always outstanding; count completions in the window."""
        work = self.work
        self._fill(concurrency)
        await asyncio.sleep(ramp_s)
        work.reset_counters()
        meter = Meter(self.api, work, self.pid)
        async with LagMonitor() as lag:
            await asyncio.sleep(seconds)
        duration, completed = meter.elapsed(), work.completed
        latencies = list(work.latencies)  # the drain below completes more
        messages = meter.messages(time.perf_counter())
        api_calls, (bot_cpu, gen_cpu) = meter.api_calls(), meter.cpu()
        lost = await self.drain()
        return PhaseResult(
            None, duration, completed, lost, latencies, api_calls, bot_cpu, gen_cpu,
            messages=messages, order_violations=meter.order_violations(), loop_lag_s=lag.worst,
        )  # fmt: skip

    async def open_loop(self, rate: float, seconds: float) -> PhaseResult:
        """Queue updates at ``rate`` per second whatever the bot does; then drain."""
        work = self.work
        work.reset_counters()
        meter = Meter(self.api, work, self.pid)
        sent = skipped = 0
        max_lag = 0.0
        total = int(rate * seconds)
        async with LagMonitor() as lag:
            while sent < total:
                elapsed = meter.elapsed()
                due = min(total, int(elapsed * rate) + 1)
                if due > sent:
                    max_lag = max(max_lag, elapsed - sent / rate)
                while sent < due:
                    issued = work.issue()  # an eager /start counts as the two updates it is
                    skipped += 0 if issued else 1
                    sent += max(issued, 1)
                await asyncio.sleep(max(0.0, sent / rate - meter.elapsed()))
        offered_for = meter.elapsed()
        messages_until = time.perf_counter()
        lost = await self.drain()
        api_calls, (bot_cpu, gen_cpu) = meter.api_calls(), meter.cpu()
        return PhaseResult(
            offered=rate,
            duration_s=offered_for,
            completed=work.completed,
            lost=lost,
            latencies=work.latencies + [math.inf] * lost,
            api_calls=api_calls,
            bot_cpu=bot_cpu,
            gen_cpu=gen_cpu,
            messages=meter.messages(messages_until),
            order_violations=meter.order_violations(),
            max_lag_s=max_lag,
            loop_lag_s=lag.worst,
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
        self,
        kind: BotKind,
        base_url: str,
        db_path: Path,
        reply_rate: float,
        client: Client,
        cpu: int | None,
        max_s: float,
    ) -> None:
        self.kind = kind
        self.args = [sys.executable, str(Path(__file__).resolve()), "--serve", kind]
        self.args += ["--base-url", base_url, "--db", str(db_path), "--max-seconds", f"{max_s:g}"]
        self.args += ["--reply-rate", f"{reply_rate:g}", "--client", client]
        if cpu is not None:
            self.args += ["--cpu", str(cpu)]
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, api: BenchAPI, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Start the child; ready once its first getUpdates arrives."""
        api.polled.clear()
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


@dataclass
class DistanceRun:
    latency: Latency
    subjects: list[Subject]
    seconds: float = 0.0

    def subject(self, kind: BotKind) -> Subject | None:
        return next((s for s in self.subjects if s.kind == kind), None)


async def run_plan(subjects: list[Subject], plan: Plan, near: bool) -> None:
    """Warm up each bot, then alternate them (ABBA…) so both see the same machine state;
    then ours again with the default send budget."""
    for subject in subjects:
        await subject.warm_up()
    window = plan.throughput_s / plan.windows
    for round_ in range(plan.windows):
        for subject in subjects if round_ % 2 == 0 else subjects[::-1]:
            subject.windows.append(
                await subject.closed_window(window, subject.concurrency, plan.ramp_s)
            )
    for rate in plan.near_rates if near else plan.far_rates:
        for subject in subjects:
            subject.open[rate] = await subject.open_loop(rate, plan.latency_s)
    for subject in subjects:
        if subject.kind == "ours":
            await subject.restart(DEFAULT_BUDGET)
            subject.budget_closed = await subject.closed_window(
                plan.budget_s, plan.budget_concurrency, plan.budget_ramp_s
            )
            subject.budget_open = await subject.open_loop(BUDGET_RATE, plan.budget_s)
    for subject in subjects:
        subject.errors = subject.api.errors.copy()  # before the shutdown, whose poll gets a 409


async def bench_distance(
    plan: Plan, kinds: tuple[BotKind, ...], pin: bool, latency: Latency, client: Client
) -> DistanceRun:
    cpus = CpuSplit.choose() if pin else None
    saved = os.sched_getaffinity(0) if cpus else None
    started = time.perf_counter()
    gc.disable()  # see Subject.drain
    try:
        if cpus:
            os.sched_setaffinity(0, {cpus.generator})
        with tempfile.TemporaryDirectory(prefix="tgbot-bench-") as tmp:
            cpu = cpus.bot if cpus else None
            subjects = [Subject(k, plan, latency, Path(tmp), cpu, client) for k in kinds]
            async with asyncio.timeout(plan.hard_limit_s), contextlib.AsyncExitStack() as stack:
                await asyncio.gather(*(s.start(stack) for s in subjects))
                await run_plan(subjects, plan, near=latency.ms == 0)
    finally:
        gc.enable()
        if saved:
            os.sched_setaffinity(0, saved)
    return DistanceRun(latency, subjects, time.perf_counter() - started)


async def bench(
    plan: Plan,
    kinds: tuple[BotKind, ...],
    pin: bool,
    latencies: Sequence[Latency],
    client: Client = "aiohttp",
) -> list[DistanceRun]:
    memoize_standin_html()
    return [await bench_distance(plan, kinds, pin, latency, client) for latency in latencies]


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
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [
        f"machine: {usable} usable cores ({os.cpu_count()} online), {model}, {platform.system()}"
        f"; load average at the end {load}",
        f"python {platform.python_version()}, python-telegram-bot {telegram.__version__}",
        placement,
    ]


def _cpu_ms(p: PhaseResult) -> str:
    return (
        "n/a"
        if p.bot_cpu is None
        else f"{p.bot_cpu * p.duration_s / max(p.completed, 1) * 1000:.2f}"
    )


def phase_line(kind: str, offered: str, p: PhaseResult) -> str:
    notes = ""
    if p.max_lag_s > 0.05:
        notes += f"  (generator up to {_ms(p.max_lag_s)} ms late)"
    if p.skipped:
        notes += f"  ({p.skipped} arrivals skipped: every user busy)"
    return (
        f"  {kind:<5} {offered:>9} {p.throughput:>7.1f} {p.replies_per_s:>6.1f}"
        f" {p.max_messages_1s:>5} {_ms(p.pct(50)):>7} {_ms(p.pct(95)):>7}"
        f" {_ms(p.pct(99)):>7} {_ms(max(p.latencies, default=math.nan)):>7} {p.lost:>5}"
        f" {p.order_violations:>5} {p.api_calls / max(p.completed, 1):>6.2f}"
        f" {_cpu(p.bot_cpu):>7} {_cpu_ms(p):>7} {_cpu(p.gen_cpu):>7}"
        f" {p.loop_lag_s * 1000:>5.0f}{notes}"
    )


def _distance(latency: Latency) -> str:
    return f"{latency.ms:g} ms" + (f" ±{latency.jitter_ms:g}" if latency.jitter_ms else "")


def header(
    plan: Plan, command: str, pin: bool, latencies: Sequence[Latency], client: Client
) -> list[str]:
    http = (
        "bots' HTTP client: aiohttp (tgbot/http_client.py, production)"
        if client == "aiohttp"
        else "bots' HTTP client: PTB's HTTPXRequest (--client httpx, for comparison)"
    )
    return [
        f"command: {command}",
        *machine_info(pin),
        http,
        f"distances (Bot API round trip, ± uniform jitter): "
        f"{', '.join(_distance(x) for x in latencies)}",
        f"workload: {plan.pool} simulated users, each cycling {' > '.join(SCRIPT)} (real callback "
        f"data from the bot's keyboard); {plan.eager_share:.0%} of the /start steps are eager (a "
        f"button of the old screen pressed at once: two updates outstanding); warm-up "
        f"{plan.warmup_rounds:g} updates per user; closed loop {plan.concurrency} outstanding, "
        f"{plan.throughput_s:g} s per bot in "
        f"{plan.windows} windows alternating between the bots; open loop "
        f"{' and '.join(f'{r}/s' for r in plan.near_rates)} at 0 ms, "
        f"{' and '.join(f'{r}/s' for r in plan.far_rates)} further away, {plan.latency_s:g} s "
        "each",
        f"capacity: ours with TGBOT_REPLY_RATE={MAX_REPLY_RATE:g}; echo is bare PTB, "
        "concurrent_updates(True), no limiter",
        f"default budget ('30:' rows): ours restarted with TGBOT_REPLY_RATE={DEFAULT_BUDGET:g}, "
        f"closed loop {plan.budget_concurrency} outstanding and open loop {BUDGET_RATE}/s, "
        f"{plan.budget_s:g} s each",
        "stand-in: HTML parsing memoized in this process (bench only, see README)"
        if vars(standin_checks).get("parse_html") is not telegram_html.parse_html
        else "stand-in: HTML parsed on every call",
        "",
        "latency: ms from update queued to its last call reaching the stand-in; done/s: updates;"
        " msg/s: sendMessage + editMessageText reaching the stand-in; max1s: most of those in any"
        " 1 s window; lost: not done "
        f"{plan.drain_s:g} s after the phase (counted as inf); order: calls that reached the "
        "stand-in before every call of the same user's earlier update; calls: Bot API calls per "
        "update (getUpdates too); bot/gen CPU: share of one core used by the bot / by load "
        "generator + stand-in; ms/upd: bot CPU time per update; lag: worst stall (ms) of this "
        "process's event loop in the phase (the stand-in's timestamps bunch by that much)",
    ]


def distance_lines(run: DistanceRun) -> list[str]:
    lines = [
        "",
        f"round trip {_distance(run.latency)} ({run.seconds:.0f} s)",
        "  bot     offered  done/s  msg/s max1s     p50     p95     p99     max  lost order"
        "  calls bot CPU  ms/upd gen CPU   lag",
    ]
    for subject in run.subjects:
        lines += [phase_line(subject.kind, name, p) for name, p in subject.phases()]
    for subject in run.subjects:
        spread = " ".join(f"{w.throughput:.0f}" for w in subject.windows)
        lines.append(f"  {subject.kind} closed-loop windows, updates/s: {spread}")
        errors = {k: v for k, v in subject.errors.items() if not k.startswith("getUpdates 409")}
        if errors:
            lines.append(f"  {subject.kind} Bot API errors: {errors}")
    ours, echo = run.subject("ours"), run.subject("echo")
    if ours is not None and echo is not None:
        ratio = ours.closed.throughput / (echo.closed.throughput or math.nan)
        rounds = sorted(
            o.throughput / e.throughput
            for o, e in zip(ours.windows, echo.windows, strict=True)
            if e.throughput
        ) or [math.nan]
        lines.append(
            f"  ratio ours/echo throughput: {ratio:.2f} (per alternation round: min "
            f"{rounds[0]:.2f}, median {rounds[len(rounds) // 2]:.2f}, max {rounds[-1]:.2f})"
        )
    return lines


def _verdict(ok: bool, applies: bool) -> str:
    if not applies:
        return "INFO"
    return "PASS" if ok else "FAIL"


def verdicts(run: DistanceRun, plan: Plan) -> list[str]:
    """One line per figure with a target; INFO where the issue sets none at this distance."""
    ms = run.latency.ms
    tag = f"[{ms:g} ms]"
    near, far = ms == 0, ms == FAR_MS
    where = "" if far else f"; the target is for {FAR_MS:g} ms"
    ours, echo = run.subject("ours"), run.subject("echo")
    lines: list[str] = []
    if ours is not None:
        capacity = ours.closed.throughput
        if near:
            floor = TARGET_TODAY_SHARE * TODAY_0MS_THROUGHPUT
            lines.append(
                f"{_verdict(capacity >= floor, True)}: {tag} capacity: ours {capacity:.1f}"
                f" updates/s (target >= {TARGET_TODAY_SHARE:.0%} of {TODAY_0MS_THROUGHPUT:g}"
                f" recorded in bench/README.md = {floor:.1f})"
            )
            p99 = ours.open[TARGET_RATE].pct(99)
            lines.append(
                f"{_verdict(p99 <= TARGET_P99_0MS_S, True)}: {tag} capacity: ours p99 at"
                f" {TARGET_RATE} updates/s = {_ms(p99)} ms (target <= {_ms(TARGET_P99_0MS_S)} ms)"
            )
            if echo is not None:
                ratio = capacity / (echo.closed.throughput or math.nan)
                lines.append(
                    f"{_verdict(ratio >= TARGET_RATIO, True)}: {tag} capacity: ours/echo"
                    f" throughput = {ratio:.2f} (target >= {TARGET_RATIO:.2f})"
                )
        else:
            lines.append(
                f"{_verdict(capacity >= TARGET_FAR_THROUGHPUT, far)}: {tag} capacity: ours"
                f" {capacity:.1f} updates/s with {plan.pool} users active, closed loop"
                f" (target >= {TARGET_FAR_THROUGHPUT:g}{where})"
            )
            offered = ours.open.get(FAR_RATE)
            if offered is not None:
                lines.append(
                    f"INFO: {tag} capacity: ours at {FAR_RATE} updates/s offered:"
                    f" {offered.throughput:.1f} done/s, {offered.lost} lost,"
                    f" {offered.skipped} arrivals skipped, p99 {_ms(offered.pct(99))} ms"
                )
            p99 = ours.open[TARGET_RATE].pct(99)
            lines.append(
                f"{_verdict(p99 <= TARGET_FAR_P99_S, far)}: {tag} capacity: ours p99 at"
                f" {TARGET_RATE} updates/s = {_ms(p99)} ms"
                f" (target <= {_ms(TARGET_FAR_P99_S)} ms{where})"
            )
        lines += _budget_verdicts(ours, plan, tag, far, where)
        lines.append(
            f"{_verdict(ours.order_violations == 0, True)}: {tag} per-user order: ours"
            f" {ours.order_violations} calls ahead of an earlier update of the same user, all"
            " phases (target 0)"
        )
    if echo is not None:
        lines.append(
            f"INFO: {tag} per-user order: echo (PTB concurrent_updates, no per-user order)"
            f" {echo.order_violations} calls ahead of an earlier update of the same user"
        )
    return lines


def _budget_verdicts(ours: Subject, plan: Plan, tag: str, far: bool, where: str) -> list[str]:
    if ours.budget_closed is None or ours.budget_open is None:
        return []
    replies = ours.budget_closed.replies_per_s
    p99 = ours.budget_open.pct(99)
    busiest = max(ours.budget_closed.max_messages_1s, ours.budget_open.max_messages_1s)
    return [
        f"{_verdict(replies >= TARGET_BUDGET_REPLIES, far)}: {tag} default budget: ours"
        f" {replies:.1f} replies/s sustained with {plan.pool} users active"
        f" (target >= {TARGET_BUDGET_REPLIES:g}{where})",
        f"{_verdict(p99 <= TARGET_BUDGET_P99_S, far)}: {tag} default budget: ours p99 at"
        f" {BUDGET_RATE} updates/s = {_ms(p99)} ms (target <= {_ms(TARGET_BUDGET_P99_S)} ms"
        f"{where})",
        f"{_verdict(busiest <= DEFAULT_BUDGET, True)}: {tag} default budget: most messages"
        f" reaching the stand-in in any 1 s window {busiest} (target <= {DEFAULT_BUDGET:g})",
    ]


def report(
    runs: list[DistanceRun],
    plan: Plan,
    command: str,
    pin: bool,
    latencies: Sequence[Latency],
    client: Client,
) -> list[str]:
    lines = header(plan, command, pin, latencies, client)
    for run in runs:
        lines += distance_lines(run)
    lines.append("")
    for run in runs:
        lines += verdicts(run, plan)
    return lines


# ---------------------------------------------------------------------------- entry point


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases, 0 and 80 ms only")
    add_distance_options(parser)
    parser.add_argument(
        "--bots", default="echo,ours", help="echo, ours or both (default; the ratio needs both)"
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin the bot and the generator to own CPUs"
    )
    parser.add_argument(
        "--client",
        choices=CLIENTS,
        default="aiohttp",
        help="the bots' HTTP client: aiohttp (production's, tgbot/http_client.py) or httpx"
        " (PTB's default HTTPXRequest, for comparison)",
    )
    # Internal: the child process serving one bot.
    parser.add_argument("--serve", choices=BOTS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reply-rate", type=float, default=DEFAULT_BUDGET, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--max-seconds", type=float, default=200.0, help=argparse.SUPPRESS)
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
        return serve(
            args.serve,
            args.base_url,
            args.db,
            args.reply_rate,
            args.client,
            args.cpu,
            args.max_seconds,
        )
    plan, pin = (QUICK if args.quick else FULL), not args.no_pin
    latencies = latencies_from(args)
    command = shlex.join([sys.executable, *sys.argv])
    started = time.perf_counter()
    try:
        runs = asyncio.run(bench(plan, _kinds(args.bots), pin, latencies, args.client))
    except (BenchError, TimeoutError) as exc:
        print(f"bench_updates: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_updates: interrupted", file=sys.stderr)
        return 130
    print("\n".join(report(runs, plan, command, pin, latencies, args.client)))
    print(f"\ntotal time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
