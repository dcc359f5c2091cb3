"""Rendering in a separate process: the CPU-bound renders never hold the bot's event loop."""

from __future__ import annotations

import asyncio
import gc
import importlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVarTuple

_Ts = TypeVarTuple("_Ts")
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _worker_count() -> int:
    # On the 2-core target one worker leaves a core to the bot; renders are rare and short.
    return 2 if (os.cpu_count() or 1) >= 4 else 1


def _start_method() -> str:
    # The bot has threads (aiosqlite, the executor's manager), so fork could copy a held
    # lock into the child. forkserver forks from a clean single-threaded server process.
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _worker_init() -> None:
    # Ctrl+C reaches the whole process group: the bot shuts the pool down, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(10)  # on a busy 2-core host the bot's event loop wins over a chart
    # Pay the matplotlib import (about 0.5 s) here, not inside the first render.
    for module in (
        "matplotlib.backends.backend_agg",
        "matplotlib.backends.backend_pdf",
        "PIL.Image",
    ):
        importlib.import_module(module)
    # Move everything imported so far out of the collector's view: a full collection then
    # walks only what renders create (about 6 ms instead of 55 ms).
    gc.collect()
    gc.freeze()


def _collected(func: Callable[[*_Ts], bytes], *args: *_Ts) -> bytes:
    """Worker side of render_in_worker. A render leaves ~8k objects in reference cycles
    (figure <-> axes <-> artists) that outlive the young generations; left to the automatic
    collector they pile up and are freed every ~9 renders in one 150 ms pause. Pausing the
    collector during the render and collecting once after it keeps every render even."""
    gc.disable()
    try:
        return func(*args)
    finally:
        gc.enable()
        gc.collect()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=_worker_count(),
                mp_context=multiprocessing.get_context(_start_method()),
                initializer=_worker_init,
            )
        return _pool


def _discard(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


async def render_in_worker(func: Callable[[*_Ts], bytes], *args: *_Ts) -> bytes:
    """Run ``func(*args)`` in the render process and return its bytes.

    The pool (one worker on a 2-core host, two from 4 cores) starts on first use; the first
    call also pays the worker's start and matplotlib import (about 1 s; see
    :func:`warm_up_workers`). For keyword arguments pass a ``functools.partial``. If a worker
    dies, the pool is dropped, the call raises ``BrokenProcessPool`` and the next call starts
    a fresh pool.
    """
    pool = _executor()
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, _collected, func, *args)
    except BrokenProcessPool:
        _discard(pool)
        raise


def _ready() -> bytes:
    return b""


async def warm_up_workers() -> None:
    """Start the render process now (e.g. at bot start-up) instead of on the first export."""
    await render_in_worker(_ready)


def shutdown_workers(*, wait: bool = True) -> None:
    """Stop the render processes (at bot shutdown). Queued renders are cancelled; with
    ``wait`` this blocks until a running one finishes (well under a second)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)
