"""Bedtime-reminder engine: start-up, memory, send pacing, taps under load, kill -9 restarts.

    .venv/bin/python bench/bench_reminders.py                  # 0, 80, 200 ms; ~10 minutes
    .venv/bin/python bench/bench_reminders.py --quick          # 10k users, 0 and 80 ms, ~2 min
    .venv/bin/python bench/bench_reminders.py --latency-ms 80  # one distance (repeatable)

This process seeds SQLite files directly (the app's migrations make the schema), serves the
Bot API stand-in (``FakeBotAPI`` over loopback HTTP) and plays the users. The bot is the real
thing in a child process, ``python -m tgbot run``, configured only through its environment.
The stand-in takes the round trip of each distance (``Latency``: ± jitter, half before it
carries a call out, half after); every figure is taken where it carries calls out. Phases, at
each distance, all against the largest database (start-up at every size only at the first):

1. start-up: process start -> first getUpdates, and -> the reminder of a row due at start+0;
2. memory: VmRSS when idle, VmRSS/VmHWM while sending;
3. bursts: N rows due in the same second at TGBOT_REMINDER_RATE 25 and 30; the stand-in's
   arrival times give the busiest 1 s window, the sustained rate and the finish time;
4. menu taps (/menu, then a button) from a few users while the first burst drains;
5. kill -9 + restart during a burst, 20 times: lost and duplicated reminders, compared with
   the sends in flight (accepted by the stand-in, not yet recorded in SQLite) at each kill.

Every wait is bounded; the child is killed at the end (and by the kernel, through
PR_SET_PDEATHSIG, if this process dies first). Prints PASS/FAIL against the targets and exits
0; 1 only if the benchmark itself broke. See bench/README.md, section "Reminders".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import math
import os
import platform
import random
import shlex
import signal
import sqlite3
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import aiosqlite
import telegram
from distances import add_distance_options, latencies_from
from lag_monitor import LagMonitor
from machine_facts import cpu_model, usable_cpus

import tgbot
from tgbot.content import load_content
from tgbot.services.reminders.actions import REMINDER_BUTTONS, RoutineDone
from tgbot.services.reminders.schedule import DailySchedule, mask_to_days, next_occurrence
from tgbot.storage import open_database
from tgbot_devtools.standin.api import FakeBotAPI, Latency
from tgbot_devtools.standin.http_server import StandinHttpServer, start_http_server
from tgbot_devtools.standin.records import JSON
from tgbot_devtools.standin.users import FakeUser

HOST = "127.0.0.1"  # loopback only
TOKEN = "123456:TEST"
FIRST_USER_ID = 500_000_001
BOT_COMMAND = (sys.executable, "-m", "tgbot", "run")

# Targets (the issue; perf-notes G3, G5, G6, G7).
TARGET_STARTUP_S = 2.0  # process start -> first getUpdates, and -> first due reminder sent
G5_FIRST_TICK_S = 5.0  # perf-notes G5 allows this for the first due tick
TARGET_RSS_MB = 120.0
TARGET_RSS_GROWTH_MB = 20.0  # G6: 10k -> 100k users
TARGET_SUSTAINED = 0.95  # of the configured rate, with a backlog
BURST_SLACK_S = 5.0  # a burst of N finishes within N/rate + this
TARGET_TAP_P99_S = {0.0: 0.250, 80.0: 0.300}  # by round trip (ms); none set further away
DEFAULT_BUDGET = 30.0  # Settings.reply_rate: all messages together, replies and reminders

# Seeded population: (value, weight).
ZONES = (
    ("Europe/Berlin", 20),
    ("Europe/London", 12),
    ("America/New_York", 18),
    ("Asia/Kolkata", 14),
    ("Australia/Sydney", 10),
    ("America/Sao_Paulo", 10),
    ("UTC", 8),
    ("America/Los_Angeles", 8),
)
TIMES = (("22:00", 60), ("21:30", 10), ("22:30", 15), ("23:00", 10), ("21:00", 5))
DAY_MASKS = ((127, 85), (31, 10), (96, 5))  # every day, Mon-Fri, Sat-Sun
# Seeded rows get their next occurrence after now + this, so that nothing but the bench's own
# bursts falls due during the run (as if those users had opted in a little later).
SEED_HORIZON = timedelta(minutes=20)

REPLY_METHODS = frozenset({"sendmessage", "editmessagetext"})  # each takes a budget slot
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]  # databases measured at start-up; the last one runs every phase
    startup_runs: int  # per size
    burst_n: int  # phase 3+4: due at once, rate 25, with menu taps
    fast_n: int  # phase 3 again at rate 30
    kill_n: int  # phase 5
    kills: int
    tap_users: int = 4
    # A person reads a screen before the next tap; Telegram allows about one message a second
    # per chat, and the bot's budget keeps to that, so faster tapping waits by design.
    tap_pause_s: tuple[float, float] = (1.0, 2.0)
    tap_baseline_s: float = 5.0  # taps before the burst falls due (no reminders draining)
    burst_lead_s: int = 3  # rows are set due this far in the future
    rate: float = 25.0
    fast_rate: float = 30.0
    kill_delay_s: float = 2.0  # a kill comes up to this long after the bot resumed sending
    hard_limit_s: float = 330.0  # per distance


FULL = Plan(sizes=(10_000, 100_000), startup_runs=2, burst_n=2000, fast_n=600, kill_n=800, kills=20)
QUICK = Plan(
    sizes=(10_000,),
    startup_runs=1,
    burst_n=250,
    fast_n=120,
    kill_n=200,
    kills=5,
    tap_users=3,
    tap_baseline_s=4.0,
    burst_lead_s=2,
    kill_delay_s=1.2,
    hard_limit_s=110.0,
)


class BenchError(RuntimeError):
    """The benchmark itself went wrong (not a missed target)."""


# ---------------------------------------------------------------------------- population


@dataclass
class Population:
    """Who is seeded: zone and weekday mask per user, plus a shuffled pool of ids to hand out."""

    zone: dict[int, str]
    mask: dict[int, int]
    pool: list[int]  # every-day users not handed out yet

    @classmethod
    def make(cls, size: int, rng: random.Random) -> Population:
        ids = range(FIRST_USER_ID, FIRST_USER_ID + size)
        zones = rng.choices([z for z, _ in ZONES], [w for _, w in ZONES], k=size)
        masks = rng.choices([m for m, _ in DAY_MASKS], [w for _, w in DAY_MASKS], k=size)
        pool = [uid for uid, mask in zip(ids, masks, strict=True) if mask == 127]
        rng.shuffle(pool)
        return cls(dict(zip(ids, zones, strict=True)), dict(zip(ids, masks, strict=True)), pool)

    def take(self, count: int, *, within: int | None = None) -> list[int]:
        """``count`` unused every-day users (among the first ``within`` seeded, if given)."""
        limit = FIRST_USER_ID + (within if within is not None else len(self.zone))
        taken = [uid for uid in self.pool if uid < limit][:count]
        if len(taken) < count:
            raise BenchError(f"not enough seeded users left for {count} more")
        chosen = set(taken)
        self.pool = [uid for uid in self.pool if uid not in chosen]
        return taken

    def local_date(self, user_id: int, unix: int) -> str:
        return datetime.fromtimestamp(unix, ZoneInfo(self.zone[user_id])).date().isoformat()


async def create_schema(path: Path) -> None:
    """Let the app create the schema (its migrations), then seed with plain sqlite3."""
    database = await open_database(path)
    await database.close()


def seed_database(path: Path, population: Population, size: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    stamp = int(now.timestamp())
    horizon = now + SEED_HORIZON
    times = rng.choices([t for t, _ in TIMES], [w for _, w in TIMES], k=size)
    cache: dict[tuple[str, str, int], tuple[int, str]] = {}
    users, reminders = [], []
    for index in range(size):
        uid = FIRST_USER_ID + index
        zone, mask, hhmm = population.zone[uid], population.mask[uid], times[index]
        key = (zone, hhmm, mask)
        if key not in cache:  # the same for every user with this zone, time and weekdays
            hours, minutes = (int(part) for part in hhmm.split(":"))
            schedule = DailySchedule(clock_time(hours, minutes), zone, mask_to_days(mask))
            found = next_occurrence(schedule, after=horizon)
            cache[key] = (int(found.fire_at.timestamp()), found.local_date.isoformat())
        fire_at, local_date = cache[key]
        users.append((uid, "en", zone, "{}", stamp, stamp))
        reminders.append((uid, hhmm, zone, mask, 1, fire_at, local_date, stamp, stamp))
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO users (user_id, language, time_zone, settings, created_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            users,
        )
        db.executemany(
            "INSERT INTO reminders (user_id, local_time, time_zone, days, enabled, next_fire_at, "
            "next_local_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            reminders,
        )
        db.execute("COMMIT")


def set_due(path: Path, population: Population, users: Sequence[int], at: int) -> dict[int, str]:
    """Make ``users`` due at unix second ``at``; returns each one's local date of that instant."""
    days = {uid: population.local_date(uid, at) for uid in users}
    rows = [(at, days[uid], at, uid) for uid in users]
    with contextlib.closing(sqlite3.connect(path, timeout=10, isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "UPDATE reminders SET next_fire_at = ?, next_local_date = ?, updated_at = ? "
            "WHERE user_id = ?",
            rows,
        )
        db.execute("COMMIT")
    return days


def last_sent_dates(path: Path, users: Iterable[int]) -> dict[int, str | None]:
    """user_id -> last_sent_date as the database has it now."""
    ids = list(users)
    found: dict[int, str | None] = {}
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as db:
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT user_id, last_sent_date FROM reminders WHERE user_id IN ({marks})"
            found.update(db.execute(query, chunk).fetchall())
    return found


def count_due(path: Path, now: int) -> int:
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as db:
        row = db.execute(
            "SELECT count(*) FROM reminders WHERE enabled = 1 AND next_fire_at <= ?", (now,)
        ).fetchone()
    return int(row[0])


# ---------------------------------------------------------------------------- stand-in


@dataclass(frozen=True)
class Send:
    """One sendMessage of the reminder engine as it reached the stand-in."""

    wall: float  # time.time() on arrival
    perf: float  # time.perf_counter() on arrival
    user_id: int
    bedtime: bool  # the nightly reminder (its title); else a check-in or snooze, say
    day: str | None  # the local date in the Done button
    ok: bool


ReplyListener = Callable[[str, JSON, float], None]


class BenchAPI(FakeBotAPI):
    """The stand-in, noting getUpdates arrivals, engine sends and replies when it carries them
    out: after the way in, before the way back (``latency``), where Telegram would count them.

    Every sendMessage to a chat that is not a tapping user's counts as the engine's."""

    def __init__(self, title: str) -> None:
        super().__init__(TOKEN, record_calls=False)  # the bench keeps its own, smaller log
        self.title = title
        self.polls: list[float] = []
        self.polled = asyncio.Event()
        self.sends: list[Send] = []
        self.messages: list[float] = []  # wall time of every message carried out, any path
        self.tap_chats: set[int] = set()
        self.sent = asyncio.Event()
        self.reply_listener: ReplyListener | None = None
        self.kill_at_send: Callable[[], None] | None = None
        self.errors: Counter[str] = Counter()

    async def _answer(self, method: str, params: JSON, token: str | None) -> tuple[int, JSON]:
        perf, wall = time.perf_counter(), time.time()
        name = method.lower()
        if name == "getupdates":
            self.polls.append(perf)
            self.polled.set()
        status, body = await super()._answer(method, params, token)
        if status != 200:
            self.errors[f"{method} {status} {body.get('description')}"] += 1
        elif name in REPLY_METHODS:
            self.messages.append(wall)
        chat = _chat_id(params)
        if name == "sendmessage" and chat not in self.tap_chats:
            self._engine_send(params, chat, status == 200, perf, wall)
        elif status == 200 and name in REPLY_METHODS and self.reply_listener is not None:
            self.reply_listener(name, body["result"], perf)
        return status, body

    def _engine_send(self, params: JSON, chat: int, ok: bool, perf: float, wall: float) -> None:
        bedtime = self.title in str(params.get("text", ""))
        day = _done_day(params.get("reply_markup")) if bedtime else None
        self.sends.append(Send(wall, perf, chat, bedtime, day, ok))
        self.sent.set()
        if ok and bedtime and self.kill_at_send is not None:
            kill, self.kill_at_send = self.kill_at_send, None
            kill()  # the stand-in has the message; the bot never hears back


def _chat_id(params: JSON) -> int:
    try:
        return int(params.get("chat_id") or 0)
    except (TypeError, ValueError):
        return 0


def _done_day(markup: Any) -> str | None:
    """The local date carried by the reminder's Done button."""
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for row in rows:
        for button in row:
            action = REMINDER_BUTTONS.decode(button.get("callback_data"))
            if isinstance(action, RoutineDone):
                return action.day.isoformat()
    return None


def reminder_title() -> str:
    """The first line of the nightly reminder, as the bot sends it (HTML)."""
    return load_content().catalog("en").reminders.text("reminder_title").strip()


# ---------------------------------------------------------------------------- the bot


def _load_libc() -> Any:
    with contextlib.suppress(OSError):
        return ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
    return None


_LIBC = _load_libc()


def _child_setup(cpu: int | None) -> Callable[[], None]:
    """Runs in the child before exec: die with this process; optionally pin to one CPU."""

    def setup() -> None:
        if _LIBC is not None:
            _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    return setup


def bot_env(base_url: str, db_path: Path, rate: float) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "TGBOT_DB_PATH": str(db_path),
        "TGBOT_REMINDER_RATE": f"{rate:g}",
        "TGBOT_LOG_LEVEL": "WARNING",
    }


def proc_status_kb(pid: int, key: str) -> int | None:
    """A ``kB`` field of /proc/PID/status (VmRSS, VmHWM); None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a worker pool would count as part of the bot)."""
    found: list[int] = []
    todo = [pid]
    while todo and len(found) < 1000:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def tree_status_kb(pid: int, key: str) -> int:
    """A /proc status field summed over the process tree (0 once it is gone)."""
    return sum(proc_status_kb(member, key) or 0 for member in process_tree(pid))


def proc_cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BotProcess:
    """``python -m tgbot run`` against the stand-in; one at a time, never left running."""

    def __init__(self, api: BenchAPI, env: dict[str, str], workdir: Path, cpu: int | None):
        self.api = api
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGBOT_"))
        }
        self.env.update(env)
        self.workdir = workdir  # cwd: no stray .env file is read
        self.cpu = cpu
        self.proc: asyncio.subprocess.Process | None = None
        self.spawned = 0.0
        self.rss_max_kb = 0  # over every process this object started
        self.hwm_max_kb = 0
        self.processes = 0  # the most processes seen in the bot's tree
        self._log: IO[bytes] | None = None
        self._sampler: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise BenchError("the bot is not running")
        return self.proc.pid

    async def start(self, limit_s: float = 30.0) -> float:
        """Spawn; returns seconds from spawn to the first getUpdates (the bot is live)."""
        self.api.polled.clear()
        self._log = (self.workdir / "bot.log").open("ab")
        self.spawned = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *BOT_COMMAND, cwd=self.workdir, env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log, stderr=self._log, preexec_fn=_child_setup(self.cpu),
        )  # fmt: skip
        polled = asyncio.ensure_future(self.api.polled.wait())
        exited = asyncio.ensure_future(self.proc.wait())
        done, _ = await asyncio.wait(
            {polled, exited}, timeout=limit_s, return_when="FIRST_COMPLETED"
        )
        polled.cancel()
        exited.cancel()
        if polled not in done:
            code = self.proc.returncode
            await self.stop()
            raise BenchError(f"the bot did not start polling within {limit_s:g}s (exit {code})")
        self._sampler = asyncio.ensure_future(self._sample_rss())
        return self.api.polls[-1] - self.spawned

    async def _sample_rss(self) -> None:
        while self.proc is not None and self.proc.returncode is None:
            self.sample_memory()
            await asyncio.sleep(0.2)

    def sample_memory(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            pid = self.proc.pid
            self.processes = max(self.processes, len(process_tree(pid)))
            self.rss_max_kb = max(self.rss_max_kb, tree_status_kb(pid, "VmRSS"))
            self.hwm_max_kb = max(self.hwm_max_kb, tree_status_kb(pid, "VmHWM"))

    def rss_mb(self) -> float:
        """VmRSS of the bot's whole process tree, in MB."""
        self.check_alive()
        return tree_status_kb(self.pid, "VmRSS") / 1024

    def check_alive(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            code = None if self.proc is None else self.proc.returncode
            raise BenchError(f"the bot exited unexpectedly (code {code}); see its log")

    def kill9_now(self) -> None:
        """SIGKILL without waiting (also called from inside the stand-in's request handler)."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)

    async def kill9(self) -> None:
        self.kill9_now()
        await self._reap(5.0)

    async def stop(self, grace_s: float = 10.0) -> int | None:
        """SIGTERM (the bot shuts down gracefully), SIGKILL after ``grace_s``; exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        code = await self._reap(grace_s)
        return code

    async def _reap(self, grace_s: float) -> int | None:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        try:
            await asyncio.wait_for(proc.wait(), grace_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.wait_for(proc.wait(), 5.0)
        if self._sampler is not None:
            self._sampler.cancel()
            self._sampler = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return proc.returncode


# ---------------------------------------------------------------------------- menu taps


@dataclass
class Tap:
    enqueued: float  # perf_counter when the update was queued in the stand-in
    latency: float  # seconds to the bot's reply call; inf if none came within the timeout
    kind: str  # "menu" or "press"


@dataclass
class TapUser:
    fake: FakeUser
    expect: frozenset[str] = frozenset()
    reply: asyncio.Future[tuple[JSON, float]] | None = None


class Tapper:
    """A few users, each repeating: send /menu, press one of its buttons, pause briefly."""

    def __init__(
        self,
        api: BenchAPI,
        user_ids: Sequence[int],
        rng: random.Random,
        pause_s: tuple[float, float],
    ) -> None:
        self.users = {uid: TapUser(api.user(uid)) for uid in user_ids}
        api.tap_chats.update(user_ids)
        self.rng = rng
        self.pause_s = pause_s
        self.taps: list[Tap] = []
        self.stop = asyncio.Event()
        api.reply_listener = self.on_reply

    def on_reply(self, method: str, message: JSON, perf: float) -> None:
        user = self.users.get(message.get("chat", {}).get("id"))
        if user is None or method not in user.expect or user.reply is None:
            return
        if not user.reply.done():
            user.reply.set_result((message, perf))
        user.expect = frozenset()

    async def run(self, timeout_s: float = 5.0) -> None:
        await asyncio.gather(*(self._loop(user, timeout_s) for user in self.users.values()))

    async def _loop(self, user: TapUser, timeout_s: float) -> None:
        while not self.stop.is_set():
            menu = await self._act(user, timeout_s)
            buttons = _callback_buttons(menu)
            if menu is not None and buttons and not self.stop.is_set():
                await asyncio.sleep(self.rng.uniform(*self.pause_s))
                press = (int(menu["message_id"]), self.rng.choice(buttons))
                await self._act(user, timeout_s, press)
            await asyncio.sleep(self.rng.uniform(*self.pause_s))

    async def _act(
        self, user: TapUser, timeout_s: float, press: tuple[int, str] | None = None
    ) -> JSON | None:
        """Send /menu (or press a button); returns the bot's reply message, if it came."""
        kind = "menu" if press is None else "press"
        user.reply = asyncio.get_running_loop().create_future()
        user.expect = frozenset({"sendmessage"}) if press is None else REPLY_METHODS
        enqueued = time.perf_counter()
        if press is None:
            user.fake.send_text("/menu")
        else:
            user.fake.press(*press)
        try:
            message, arrived = await asyncio.wait_for(user.reply, timeout_s)
        except TimeoutError:
            user.expect = frozenset()
            self.taps.append(Tap(enqueued, math.inf, kind))
            return None
        self.taps.append(Tap(enqueued, arrived - enqueued, kind))
        return message


def _callback_buttons(message: JSON | None) -> list[str]:
    rows = (message or {}).get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


# ---------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def max_in_window(stamps: Sequence[float], width: float = 1.0) -> int:
    """The most sends in any half-open window [t, t+width) (the busiest one starts at a send)."""
    ordered = sorted(stamps)
    return max((bisect_left(ordered, s + width) - i for i, s in enumerate(ordered)), default=0)


def windows_over(stamps: Sequence[float], limit: float, width: float = 1.0) -> int:
    """How many sends start a [t, t+width) window holding more than ``limit`` sends."""
    ordered = sorted(stamps)
    return sum(1 for i, s in enumerate(ordered) if bisect_left(ordered, s + width) - i > limit)


@dataclass
class BurstResult:
    label: str
    rate: float
    users: int
    due_wall: int
    duplicates: int  # users with more than one reminder for their burst day
    duplicate_times: dict[int, list[float]]  # user -> seconds after due of each of their sends
    lost: int  # users with none
    finish_s: float  # last user's first reminder - due time
    max_per_s: int
    windows_over: int
    sustained: float  # sends per second from the first to the last send of the burst
    min_gap_ms: float
    others: int  # engine sends that were not the bedtime reminder (check-ins, snoozes)
    rss_max_mb: float = 0.0
    hwm_mb: float = 0.0
    bot_cpu_share: float | None = None
    standin_lag_ms: float = math.nan  # worst stall of this process's event loop meanwhile
    stored_ok: int = 0  # rows whose last_sent_date is the burst day afterwards
    all_max_per_s: int = 0  # every message of any path (replies too) in the busiest 1 s

    @property
    def target_finish_s(self) -> float:
        return self.users / self.rate + BURST_SLACK_S


def burst_result(
    label: str, rate: float, days: dict[int, str], due_wall: int, sends: Sequence[Send]
) -> BurstResult:
    mine = [s for s in sends if s.user_id in days]
    delivered = [s for s in mine if s.ok and s.day == days[s.user_id]]
    first: dict[int, Send] = {}
    per_user = Counter(s.user_id for s in delivered)
    for send in delivered:
        first.setdefault(send.user_id, send)
    stamps = [s.wall for s in sends]  # every engine send in the phase counts for the rate
    span = (max(stamps) - min(stamps)) if len(stamps) > 1 else math.nan
    gaps = [b - a for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)]
    finish = max((s.wall for s in first.values()), default=math.nan) - due_wall
    return BurstResult(
        label=label,
        rate=rate,
        users=len(days),
        due_wall=due_wall,
        duplicates=sum(1 for n in per_user.values() if n > 1),
        duplicate_times={
            uid: [s.wall - due_wall for s in delivered if s.user_id == uid]
            for uid, n in per_user.items()
            if n > 1
        },
        lost=len(days) - len(first),
        finish_s=finish if len(first) == len(days) else math.inf,
        max_per_s=max_in_window(stamps),
        windows_over=windows_over(stamps, rate),
        sustained=(len(stamps) - 1) / span if span and span > 0 else math.nan,
        min_gap_ms=min(gaps, default=math.nan) * 1000,
        others=sum(1 for s in sends if not s.bedtime),
    )


@dataclass
class StartupRun:
    users: int
    live_s: float
    first_reminder_s: float
    idle_rss_mb: float
    exit_code: int | None


@dataclass
class KillRecord:
    number: int
    mode: str  # "random" (a random instant) or "at-send" (while the stand-in answers a send)
    during_burst: bool
    in_flight: int  # reminders the stand-in accepted that the database had not recorded
    sent_so_far: int


@dataclass
class KillResult:
    burst: BurstResult = field(init=False)
    kills: list[KillRecord] = field(default_factory=list)
    restart_live_s: list[float] = field(default_factory=list)
    in_flight_users: int = 0  # distinct users in flight at one kill or another
    resent_in_flight: int = 0  # in-flight users who then got the reminder again


@dataclass
class Distance:
    """Everything measured at one round trip to the stand-in."""

    latency: Latency
    startup: list[StartupRun] = field(default_factory=list)
    bursts: list[BurstResult] = field(default_factory=list)
    taps_idle: list[Tap] = field(default_factory=list)
    taps_drain: list[Tap] = field(default_factory=list)
    all_messages_max_1s: int = 0  # burst+taps: replies and reminders together, busiest 1 s
    kill: KillResult | None = None
    left_due: int = 0  # rows still due at the end
    seconds: float = 0.0

    @property
    def ms(self) -> float:
        return self.latency.ms

    def label(self) -> str:
        jitter = f" ±{self.latency.jitter_ms:g}" if self.latency.jitter_ms else ""
        return f"{self.latency.ms:g} ms{jitter}"


# ---------------------------------------------------------------------------- the run


class Bench:
    def __init__(self, plan: Plan, workdir: Path, cpu: int | None, rng: random.Random) -> None:
        self.plan = plan
        self.workdir = workdir
        self.cpu = cpu
        self.rng = rng
        self.api = BenchAPI(reminder_title())
        self.server: StandinHttpServer | None = None
        self.population = Population.make(max(plan.sizes), rng)
        self.dbs: dict[int, Path] = {}
        self.seed_s: dict[int, float] = {}
        self.distances: list[Distance] = []
        self.log_lines: list[str] = []
        self.bots: list[BotProcess] = []

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return self.server.base_url

    @property
    def now(self) -> Distance:
        """The distance being measured."""
        return self.distances[-1]

    def at_distance(self, latency: Latency) -> None:
        self.api.latency = latency
        self.distances.append(Distance(latency))

    @property
    def main_db(self) -> Path:
        return self.dbs[max(self.plan.sizes)]

    def bot(self, size: int, rate: float) -> BotProcess:
        env = bot_env(self.base_url, self.dbs[size], rate)
        bot = BotProcess(self.api, env, self.workdir, self.cpu)
        self.bots.append(bot)
        return bot

    async def seed(self) -> None:
        for size in self.plan.sizes:
            path = self.workdir / f"users{size}.sqlite3"
            started = time.perf_counter()
            await create_schema(path)
            seed_database(path, self.population, size, random.Random(size))
            self.dbs[size] = path
            self.seed_s[size] = time.perf_counter() - started

    async def serve(self, stack: contextlib.AsyncExitStack) -> None:
        for uid in self.population.zone:
            self.api.user(uid, first_name=f"U{uid}")
        self.server = await start_http_server(self.api, HOST, 0)
        stack.push_async_callback(self.server.close)
        # The stand-in's timestamps are the measurement: no collector pauses in this process.
        gc.collect()
        gc.freeze()
        gc.disable()

    # -------------------------------------------------------------- 1 + 2: start-up, idle RSS

    async def measure_startup(self, stack: contextlib.AsyncExitStack, every_size: bool) -> None:
        """Each size ``startup_runs`` times; else (further away) the largest once."""
        plan = self.plan
        sizes = plan.sizes if every_size else plan.sizes[-1:]
        for size in sizes:
            for _ in range(plan.startup_runs if every_size else 1):
                self.now.startup.append(await self._startup_once(size, stack))

    async def _startup_once(self, size: int, stack: contextlib.AsyncExitStack) -> StartupRun:
        [canary] = self.population.take(1, within=size)
        bot = self.bot(size, self.plan.rate)
        stack.push_async_callback(bot.stop)
        set_due(self.dbs[size], self.population, [canary], int(time.time()))  # due at start+0
        sends_before = len(self.api.sends)
        live = await bot.start()
        first = await self._wait_first_send(canary, sends_before, bot, limit_s=15.0)
        await asyncio.sleep(max(0.0, bot.spawned + 4.0 - time.perf_counter()))
        idle_rss = bot.rss_mb()
        code = await bot.stop()
        return StartupRun(size, live, first - bot.spawned, idle_rss, code)

    async def _wait_first_send(
        self, user: int, since: int, bot: BotProcess, limit_s: float
    ) -> float:
        deadline = time.perf_counter() + limit_s
        while time.perf_counter() < deadline:
            self.api.sent.clear()
            for send in self.api.sends[since:]:
                if send.user_id == user and send.ok and send.bedtime:
                    return send.perf
            bot.check_alive()
            await self._next_send()
        return math.inf

    async def _next_send(self, limit_s: float = 0.5) -> None:
        """Wait for the stand-in to receive another reminder (at most ``limit_s``)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.api.sent.wait(), limit_s)

    # -------------------------------------------------------------- 3 + 4: bursts, taps

    async def run_burst(
        self, stack: contextlib.AsyncExitStack, label: str, rate: float, n: int, taps: bool
    ) -> BurstResult:
        bot = self.bot(max(self.plan.sizes), rate)
        stack.push_async_callback(bot.stop)
        await bot.start()
        tapper = await self._start_taps(taps)
        users = self.population.take(n)
        due = int(time.time()) + self.plan.burst_lead_s
        since = len(self.api.sends)
        messages_since = len(self.api.messages)
        cpu_before = proc_cpu_s(bot.pid)
        days = set_due(self.main_db, self.population, users, due)
        async with LagMonitor() as lag:
            await self._wait_served(days, since, bot, n / rate + 30.0)
        served_at = time.time()
        every_message = self.api.messages[messages_since:]  # replies and reminders
        cpu_after = proc_cpu_s(bot.pid)
        bot.sample_memory()
        await self._finish_taps(tapper, due, since)
        await bot.stop()
        result = burst_result(label, rate, days, due, self.api.sends[since:])
        result.rss_max_mb, result.hwm_mb = bot.rss_max_kb / 1024, bot.hwm_max_kb / 1024
        result.standin_lag_ms = lag.worst * 1000
        result.all_max_per_s = max_in_window(every_message)
        if cpu_before is not None and cpu_after is not None:
            result.bot_cpu_share = (cpu_after - cpu_before) / max(served_at - due, 1e-9)
        self._check_rows(result, days)
        return result

    async def _start_taps(self, taps: bool) -> tuple[Tapper, asyncio.Task[None]] | None:
        if not taps:
            return None
        users = self.population.take(self.plan.tap_users)
        tapper = Tapper(self.api, users, self.rng, self.plan.tap_pause_s)
        task = asyncio.ensure_future(tapper.run())
        await asyncio.sleep(self.plan.tap_baseline_s)  # taps with nothing due: the baseline
        return tapper, task

    async def _finish_taps(
        self, running: tuple[Tapper, asyncio.Task[None]] | None, due: int, since: int
    ) -> None:
        """Stop the taps; split them into before the burst fell due and while it drained."""
        if running is None:
            return
        tapper, task = running
        tapper.stop.set()
        await asyncio.wait_for(task, 15.0)
        self.api.reply_listener = None
        due_perf = time.perf_counter() - (time.time() - due)
        last_send = max((s.perf for s in self.api.sends[since:]), default=math.inf)
        self.now.taps_idle = [t for t in tapper.taps if t.enqueued < due_perf]
        self.now.taps_drain = [t for t in tapper.taps if due_perf <= t.enqueued <= last_send]

    async def _wait_served(
        self, days: dict[int, str], since: int, bot: BotProcess | None, limit_s: float
    ) -> None:
        """Until every user got a reminder for their day (bounded); the bot must stay up."""
        deadline = time.perf_counter() + limit_s
        waiting = set(days)
        seen = since
        while waiting and time.perf_counter() < deadline:
            self.api.sent.clear()
            for send in self.api.sends[seen:]:
                if send.ok and days.get(send.user_id) == send.day:
                    waiting.discard(send.user_id)
            seen = len(self.api.sends)
            if bot is not None:
                bot.check_alive()
            if waiting:
                await self._next_send()
        await asyncio.sleep(1.5)  # let the last ones be recorded before the bot stops

    def _check_rows(self, result: BurstResult, days: dict[int, str]) -> None:
        stored = last_sent_dates(self.main_db, days)
        result.stored_ok = sum(1 for uid, day in days.items() if stored[uid] == day)

    # -------------------------------------------------------------- 5: kill -9 restarts

    async def run_kills(self, stack: contextlib.AsyncExitStack) -> KillResult:
        plan = self.plan
        bot = self.bot(max(plan.sizes), plan.rate)
        stack.push_async_callback(bot.stop)
        await bot.start()
        users = self.population.take(plan.kill_n)
        due = int(time.time()) + plan.burst_lead_s
        since = len(self.api.sends)
        days = set_due(self.main_db, self.population, users, due)
        result = KillResult()
        async with LagMonitor() as lag:
            in_flight = await self._kill_loop(bot, since, days, result)
            await self._wait_served(days, since, bot, len(days) / plan.rate + 30.0)
        bot.sample_memory()
        await bot.stop()
        result.burst = burst_result("kill -9", plan.rate, days, due, self.api.sends[since:])
        result.burst.rss_max_mb = bot.rss_max_kb / 1024
        result.burst.hwm_mb = bot.hwm_max_kb / 1024
        result.burst.standin_lag_ms = lag.worst * 1000
        counts = Counter(
            s.user_id for s in self.api.sends[since:] if s.ok and days.get(s.user_id) == s.day
        )
        result.in_flight_users = len(in_flight)
        result.resent_in_flight = sum(1 for uid in in_flight if counts[uid] > 1)
        self._check_rows(result.burst, days)
        return result

    async def _kill_loop(
        self, bot: BotProcess, since: int, days: dict[int, str], result: KillResult
    ) -> set[int]:
        """kill -9 and restart ``plan.kills`` times; returns every user in flight at a kill."""
        in_flight: set[int] = set()
        for number in range(1, self.plan.kills + 1):
            mode = "at-send" if number % 2 == 0 else "random"
            during = await self._kill_once(bot, mode, since, days)
            sent = self._delivered(days, since)
            stored = last_sent_dates(self.main_db, sent)
            pending = {uid for uid in sent if stored[uid] != days[uid]}
            in_flight |= pending
            result.kills.append(KillRecord(number, mode, during, len(pending), len(sent)))
            result.restart_live_s.append(await bot.start())
        return in_flight

    async def _kill_once(
        self, bot: BotProcess, mode: str, since: int, days: dict[int, str]
    ) -> bool:
        """Kill -9 the bot once it is sending again; True if the burst was still running."""
        started = len(self.api.sends)
        deadline = time.perf_counter() + 10.0
        while time.perf_counter() < deadline:
            self.api.sent.clear()
            if len(self.api.sends) > started:
                break
            bot.check_alive()
            await self._next_send()
        during = len(self._delivered(days, since)) < len(days)
        await asyncio.sleep(self.rng.uniform(0.0, self.plan.kill_delay_s))
        if mode == "at-send":
            self.api.kill_at_send = bot.kill9_now
            killed = asyncio.ensure_future(bot.proc.wait()) if bot.proc else None
            if killed is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(killed, 2.0)
            self.api.kill_at_send = None
        await bot.kill9()
        # Requests already on the wire still reach the stand-in (their way in takes up to
        # half the round trip plus its jitter).
        await asyncio.sleep(0.1 + (self.api.latency.ms + self.api.latency.jitter_ms) / 2000)
        return during

    def _delivered(self, days: dict[int, str], since: int) -> set[int]:
        return {s.user_id for s in self.api.sends[since:] if s.ok and days.get(s.user_id) == s.day}


async def run_bench(plan: Plan, pin: bool, latencies: Sequence[Latency]) -> Bench:
    task = asyncio.current_task()
    if task is not None:  # SIGTERM: unwind like Ctrl-C, so the bot is stopped and files removed
        with contextlib.suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    cpus = choose_cpus() if pin else None
    saved = os.sched_getaffinity(0) if cpus else None
    try:
        if cpus:
            os.sched_setaffinity(0, {cpus[0]})
        with tempfile.TemporaryDirectory(prefix="tgbot-reminders-") as tmp:
            bench = Bench(plan, Path(tmp), cpus[1] if cpus else None, random.Random(7))
            try:
                await run_phases(bench, latencies)
            except (BenchError, TimeoutError) as exc:
                tail = _log_tail(Path(tmp) / "bot.log")
                raise BenchError(
                    f"{type(exc).__name__}: {exc}\nbot log, last lines:\n{tail}"
                ) from exc
            bench.log_lines = _log_summary(Path(tmp) / "bot.log")
    finally:
        gc.enable()
        if saved:
            os.sched_setaffinity(0, saved)
    return bench


async def run_phases(bench: Bench, latencies: Sequence[Latency]) -> None:
    plan = bench.plan
    limit = plan.hard_limit_s * len(latencies)
    async with asyncio.timeout(limit), contextlib.AsyncExitStack() as stack:
        await bench.seed()
        await bench.serve(stack)
        for latency in latencies:
            started = time.perf_counter()
            bench.at_distance(latency)
            now = bench.now
            await bench.measure_startup(stack, every_size=len(bench.distances) == 1)
            now.bursts.append(
                await bench.run_burst(stack, "burst+taps", plan.rate, plan.burst_n, taps=True)
            )
            now.bursts.append(
                await bench.run_burst(stack, "burst", plan.fast_rate, plan.fast_n, taps=False)
            )
            now.kill = await bench.run_kills(stack)
            now.left_due = count_due(bench.main_db, int(time.time()))
            now.seconds = time.perf_counter() - started


def _log_tail(path: Path, lines: int = 25) -> str:
    if not path.exists():
        return "  (no log)"
    return "\n".join("  " + line for line in path.read_text(errors="replace").splitlines()[-lines:])


def choose_cpus() -> tuple[int, int] | None:
    """(this process + stand-in, the bot) on two different CPUs, if there are two."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[1]) if len(cpus) >= 2 else None


def _log_summary(path: Path) -> list[str]:
    """What the bot processes wrote to stderr (level WARNING and above), condensed."""
    if not path.exists():
        return []
    lines = path.read_text(errors="replace").splitlines()
    kinds = Counter(_log_kind(line) for line in lines if line and not line.startswith(" "))
    return [f"{count:>5} x {kind}" for kind, count in kinds.most_common(8)]


def _log_kind(line: str) -> str:
    parts = line.split(" ", 4)  # date time LEVEL logger: message
    return " ".join(parts[2:])[:110] if len(parts) >= 4 else line[:110]


# ---------------------------------------------------------------------------- report


def verdict(ok: bool, applies: bool = True) -> str:
    if not applies:
        return "INFO"
    return "PASS" if ok else "FAIL"


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return "inf" if math.isinf(seconds) else f"{seconds * 1000:.1f}"


def machine_info(pin: bool) -> list[str]:
    model = cpu_model()
    usable = usable_cpus()
    cpus = choose_cpus() if pin else None
    placement = (
        f"bot pinned to CPU {cpus[1]}; this process (stand-in, simulated users) to CPU {cpus[0]}"
        if cpus
        else "no CPU pinning"
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [
        f"machine: {usable} usable cores ({os.cpu_count()} online), {model}, "
        f"{platform.system()} {platform.release()}; load average at the end {load}",
        f"python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, aiosqlite {aiosqlite.__version__}",
        placement,
    ]


def report(bench: Bench, command: str, pin: bool) -> list[str]:
    plan = bench.plan
    env = bot_env(bench.base_url, bench.main_db, plan.rate)
    seeded = ", ".join(f"{n:,} users in {bench.seed_s[n]:.2f} s" for n in plan.sizes)
    lines = [
        f"command: {command}",
        "bot: " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()),
        f"     {shlex.join(BOT_COMMAND)}   (cwd: the temp folder; RATE=30 in the second burst)",
        f"code under test: tgbot imported from {Path(tgbot.__file__).parent}",
        *machine_info(pin),
        "distances (Bot API round trip at the stand-in, ± uniform jitter): "
        + ", ".join(d.label() for d in bench.distances),
        f"seeded: {seeded}; zones {', '.join(z for z, _ in ZONES)};",
        "        60% at 22:00 local, the rest 21:00-23:00; 85% every day, 10% Mon-Fri, 5% Sat-Sun",
    ]
    for d in bench.distances:
        lines += [
            "",
            f"==== round trip {d.label()} ({d.seconds:.0f} s)",
            *_startup_lines(d),
            *_burst_lines(bench, d),
            *_tap_lines(bench, d),
            *_kill_lines(bench, d),
        ]
    lines += ["", "bot stderr (WARNING and above, all runs):", *(bench.log_lines or ["  (empty)"])]
    for error, count in bench.api.errors.items():
        lines.append(f"stand-in error answer x{count}: {error}")
    lines.append("")
    for d in bench.distances:
        lines += summary(bench, d)
    return lines


def _startup_lines(d: Distance) -> list[str]:
    lines = [
        "1+2. start-up from process start, and idle memory (VmRSS 4 s after start)",
        "      users  first getUpdates  first reminder (row due at start+0)  idle RSS  exit",
    ]
    for run in d.startup:
        lines.append(
            f"  {run.users:>9,} {run.live_s:>16.2f}s {run.first_reminder_s:>35.2f}s "
            f"{run.idle_rss_mb:>7.1f}MB {run.exit_code:>5}"
        )
    return lines


def _bursts(d: Distance) -> list[BurstResult]:
    return [*d.bursts, *([d.kill.burst] if d.kill else [])]


def _burst_lines(bench: Bench, d: Distance) -> list[str]:
    lines = [
        "",
        f"3. bursts on the {max(bench.plan.sizes):,}-user database: N users due in the same second",
        "   phase       rate      N   finish  (target)  max/1s  over  all/1s  sustained  min gap"
        "  dup  lost  stored  other  RSS max     HWM  bot CPU  lag",
    ]
    for b in _bursts(d):
        cpu = "-" if b.bot_cpu_share is None else f"{b.bot_cpu_share * 100:.0f}%"
        every = "-" if b.label == "kill -9" else str(b.all_max_per_s)
        lines.append(
            f"   {b.label:<10} {b.rate:>5g} {b.users:>6,} {b.finish_s:>7.1f}s"
            f" ({b.target_finish_s:>6.1f}s)"
            f" {b.max_per_s:>7} {b.windows_over:>5} {every:>7} {b.sustained:>8.2f}/s"
            f" {b.min_gap_ms:>6.1f}ms {b.duplicates:>4} {b.lost:>5} {b.stored_ok:>7,}"
            f" {b.others:>6} {b.rss_max_mb:>6.1f}MB {b.hwm_mb:>5.1f}MB {cpu:>8}"
            f" {b.standin_lag_ms:>3.0f}ms"
        )
    processes = max((bot.processes for bot in bench.bots), default=0)
    lines += [
        "   finish: last user's first reminder, seconds after due; max/1s: most engine sends the",
        "   stand-in carried out in any [t, t+1 s) window (over: windows above the rate); all/1s:",
        "   the same for every message (reminders, replies and edits of the tapping users);",
        "   sustained: (sends-1)/(last-first); stored: rows whose last_sent_date is the burst day",
        "   afterwards; other: engine sends that were not a bedtime reminder (check-ins, snoozes),",
        "   counted in the rate figures;",
        f"   RSS max: sampled every 0.2 s; HWM: VmHWM; both summed over the bot's process tree"
        f" (at most {processes} process{'es' if processes != 1 else ''} seen);",
        "   lag: worst stall of this process's event loop (stand-in + users) during the phase",
    ]
    for b in _bursts(d):
        for uid, offsets in sorted(b.duplicate_times.items()):
            at = ", ".join(f"{x:.2f}" for x in offsets)
            lines.append(f"   {b.label}: user {uid} got the reminder at {at} s after due")
    return lines


def _tap_lines(bench: Bench, d: Distance) -> list[str]:
    low, high = bench.plan.tap_pause_s
    lines = [
        "",
        "4. menu taps (/menu, then a button of it), from update queued to the bot's reply call",
        f"   {bench.plan.tap_users} users, {low:g}-{high:g} s between actions",
        "   while           taps  p50 ms  p95 ms  p99 ms  max ms  timeouts",
    ]
    for label, taps in (("nothing due", d.taps_idle), ("burst drains", d.taps_drain)):
        values = [t.latency for t in taps]
        lines.append(
            f"   {label:<13} {len(values):>5} {_ms(percentile(values, 50)):>7}"
            f" {_ms(percentile(values, 95)):>7} {_ms(percentile(values, 99)):>7}"
            f" {_ms(max(values, default=math.nan)):>7} {sum(math.isinf(v) for v in values):>9}"
        )
    return lines


def _kill_lines(bench: Bench, d: Distance) -> list[str]:
    kill = d.kill
    if kill is None:
        return []
    b = kill.burst
    lines = [
        "",
        f"5. {len(kill.kills)} kill -9 + restarts during a burst of {b.users:,} (rate {b.rate:g});"
        " random: a random instant 0-"
        f"{bench.plan.kill_delay_s:g} s after the bot resumed sending; at-send: then, while the "
        "stand-in answers the next reminder",
    ]
    for k in kill.kills:
        late = "" if k.during_burst else " (burst already done)"
        lines.append(
            f"   kill {k.number:>2} {k.mode:<7} {k.sent_so_far:>6,} users served{late};"
            f" in flight (accepted by the stand-in, not recorded in SQLite): {k.in_flight}"
        )
    relive = kill.restart_live_s
    lines.append(
        f"   restart -> first getUpdates: median {percentile(relive, 50):.2f} s, max "
        f"{max(relive, default=math.nan):.2f} s; in-flight users sent again:"
        f" {kill.resent_in_flight}"
    )
    return lines


def summary(bench: Bench, d: Distance) -> list[str]:
    plan = bench.plan
    tag = f"[{d.ms:g} ms]"
    big = max(r.users for r in d.startup)
    large = [r for r in d.startup if r.users == big]
    live = max(r.live_s for r in large)
    first = max(r.first_reminder_s for r in large)
    idle = max(r.idle_rss_mb for r in large)
    lines = [
        f"{verdict(live <= TARGET_STARTUP_S)}: {tag} 1. start-up at {big:,} users: first"
        f" getUpdates after {live:.2f} s (worst of {len(large)}; target <= {TARGET_STARTUP_S:g} s)",
        f"{verdict(first <= TARGET_STARTUP_S)}: {tag} 1. start-up at {big:,} users: first"
        f" reminder due at start+0 sent after {first:.2f} s (target <= {TARGET_STARTUP_S:g} s;"
        f" G5: {G5_FIRST_TICK_S:g} s)",
        f"{verdict(idle <= TARGET_RSS_MB)}: {tag} 2. idle RSS at {big:,} users {idle:.1f} MB"
        f" (target <= {TARGET_RSS_MB:g} MB)",
    ]
    sizes = {r.users for r in d.startup}
    if len(sizes) > 1:
        small = max(r.idle_rss_mb for r in d.startup if r.users == min(sizes))
        growth = idle - small
        lines.append(
            f"{verdict(growth <= TARGET_RSS_GROWTH_MB)}: {tag} 2. idle RSS {min(sizes):,} ->"
            f" {big:,} users {growth:+.1f} MB (G6 target <= {TARGET_RSS_GROWTH_MB:g} MB)"
        )
    hwm = max(b.hwm_mb for b in _bursts(d))
    lines.append(
        f"{verdict(hwm <= TARGET_RSS_MB)}: {tag} 2. peak RSS (VmHWM) while sending at"
        f" {max(plan.sizes):,} users {hwm:.1f} MB (target <= {TARGET_RSS_MB:g} MB)"
    )
    for b in d.bursts:
        lines += _burst_summary(b, tag)
    with_taps = d.bursts[0]
    lines.append(
        f"{verdict(with_taps.all_max_per_s <= DEFAULT_BUDGET)}: {tag} 3. replies and"
        f" {with_taps.users:,} reminders at once: most messages in any 1 s window"
        f" {with_taps.all_max_per_s} (target <= {DEFAULT_BUDGET:g}, the default budget)"
    )
    drain = [t.latency for t in d.taps_drain]
    p99 = percentile(drain, 99)
    target = TARGET_TAP_P99_S.get(d.ms)
    nearest = min(TARGET_TAP_P99_S, key=lambda ms: abs(ms - d.ms))
    shown = TARGET_TAP_P99_S[nearest] if target is None else target
    note = "" if target is not None else f" at {nearest:g} ms; none set at this distance"
    lines.append(
        f"{verdict(p99 <= shown, target is not None)}: {tag} 4. tap reply p99 while"
        f" {with_taps.users:,} reminders drain: {_ms(p99)} ms over {len(drain)} taps"
        f" (target <= {shown * 1000:g} ms{note})"
    )
    if d.kill is not None:
        lines += _kill_summary(d.kill, tag, d.latency)
    lines.append(
        f"{'ok' if d.left_due == 0 else 'NOTE'}: {tag} rows still due in the database at the"
        f" end: {d.left_due}"
    )
    return lines


def _burst_summary(b: BurstResult, tag: str) -> list[str]:
    where = f"{tag} 3. {b.users:,} due at once at {b.rate:g}/s"
    return [
        f"{verdict(b.max_per_s <= b.rate)}: {where}: most sends in any 1 s window"
        f" {b.max_per_s} (target <= {b.rate:g})",
        f"{verdict(b.sustained >= TARGET_SUSTAINED * b.rate)}: {where}: sustained"
        f" {b.sustained:.2f}/s (target >= {TARGET_SUSTAINED * b.rate:.2f}/s)",
        f"{verdict(b.finish_s <= b.target_finish_s)}: {where}: all sent {b.finish_s:.1f} s"
        f" after due (target <= N/rate + {BURST_SLACK_S:g} = {b.target_finish_s:.1f} s)",
        f"{verdict(b.lost == 0 and b.duplicates == 0)}: {where}: each sent once: {b.lost} lost,"
        f" {b.duplicates} sent twice for one local day (target 0 and 0)",
    ]


def _kill_summary(k: KillResult, tag: str, latency: Latency) -> list[str]:
    b = k.burst
    flight = k.in_flight_users
    # Sends one kill can leave unrecorded: those carried out within a round trip (plus the
    # jitter) before it, at the engine's rate, at least the one being answered.
    window_s = (latency.ms + latency.jitter_ms) / 1000
    per_kill = max(1, math.ceil(b.rate * window_s))
    return [
        f"{verdict(b.lost == 0)}: {tag} 5. {len(k.kills)} kill -9 restarts: {b.lost} of"
        f" {b.users:,} reminders lost (target 0)",
        f"{verdict(b.duplicates <= flight)}: {tag} 5. {len(k.kills)} kill -9 restarts:"
        f" duplicates {b.duplicates} vs sends in flight at the kills {flight} (target <= in"
        f" flight; at most {per_kill} per kill can be at rate {b.rate:g} and this round trip,"
        f" {per_kill * len(k.kills)} over {len(k.kills)})",
        f"{verdict(b.max_per_s <= b.rate)}: {tag} 5. across the restarts: most sends in any"
        f" 1 s window {b.max_per_s} (target <= {b.rate:g})",
    ]


# ---------------------------------------------------------------------------- entry point


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k users, 5 kills, 0 and 80 ms")
    parser.add_argument("--no-pin", action="store_true", help="let the OS place the processes")
    add_distance_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    pin = not args.no_pin
    latencies = latencies_from(args)
    pythonpath = os.environ.get("PYTHONPATH")
    prefix = f"PYTHONPATH={shlex.quote(pythonpath)} " if pythonpath else ""
    command = prefix + shlex.join([sys.executable, *sys.argv])
    started = time.perf_counter()
    try:
        bench = asyncio.run(run_bench(plan, pin, latencies))
    except (BenchError, TimeoutError) as exc:
        print(f"bench_reminders: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench_reminders: interrupted", file=sys.stderr)
        return 130
    print("\n".join(report(bench, command, pin)))
    print(f"\ntotal time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
