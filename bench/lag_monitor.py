"""The benches' own event-loop stalls, printed beside their figures (both benches use it)."""

from __future__ import annotations

import asyncio
import contextlib
import time


class LagMonitor:
    """How late this process's event loop wakes a 5 ms timer: the stand-in's own stalls.

    The stand-in timestamps a request when its handler runs; if this loop stalled, requests
    would queue and look bunched. A small worst lag means the timestamps are the bot's."""

    def __init__(self, period_s: float = 0.005) -> None:
        self.period_s = period_s
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LagMonitor:
        self._task = asyncio.ensure_future(self._watch())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.period_s)
            self.worst = max(self.worst, time.perf_counter() - before - self.period_s)
