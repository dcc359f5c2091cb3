"""A strict pacer for bulk sends: never more than ``rate`` sends in any one-second window.

A leaky bucket (aiolimiter, PTB's AIORateLimiter) allows a burst of ``rate`` and then a steady
``rate`` per second, so a sliding one-second window can see almost twice the rate. Spacing
every send at least ``1/rate`` apart keeps the promise exactly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._last: float | None = None
        self._paused_until = 0.0

    async def wait(self) -> None:
        """Return when the next send may go out, and count it as sent."""
        while True:
            now = self._monotonic()
            earliest = self._paused_until
            if self._last is not None:
                earliest = max(earliest, self._last + self.interval)
            if now >= earliest:
                self._last = now
                return
            await self._sleep(earliest - now)

    def pause(self, seconds: float) -> None:
        """Telegram said 429 retry_after: nothing goes out before that time has passed."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
