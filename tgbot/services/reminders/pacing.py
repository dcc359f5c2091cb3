"""A strict pacer for bulk sends: never more than ``rate`` sends in any one-second window.

A leaky bucket (aiolimiter, PTB's AIORateLimiter) allows a burst of ``rate`` and then a steady
``rate`` per second, so a sliding one-second window can see almost twice the rate. Here sends
are spaced ``1/rate`` apart on a fixed schedule (timer overshoot does not accumulate, so the
sustained rate is the configured one), and a log of the last ``rate`` release times enforces
the one-second window exactly even when a late wake-up bunches two sends together.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

# The window a little over a second: a send leaves a few milliseconds after its release
# (event-loop scheduling) and the network spreads arrivals (±20 ms at 200 ms round trip
# measured in bench/), so the receiving end still never sees more than ``rate`` in any second.
# It costs about 4 % of the sustained rate, inside the 95 % the bot promises.
WINDOW_SECONDS = 1.04


class OneSecondWindow:
    """The release times of the last ``rate`` sends: with ``rate`` of them in the last second,
    the next waits until the oldest is a second old."""

    def __init__(self, rate: float) -> None:
        self._recent: deque[float] = deque(maxlen=max(1, math.floor(rate)))

    def opens(self) -> float:
        if len(self._recent) < (self._recent.maxlen or 1):
            return -math.inf
        return self._recent[0] + WINDOW_SECONDS

    def record(self, now: float) -> None:
        self._recent.append(now)

    def fill(self, now: float) -> None:
        """Count the window as full at ``now``: nothing leaves before it has passed."""
        for _ in range(self._recent.maxlen or 1):
            self._recent.append(now)


class SendPacer(Protocol):
    """What the reminder engine needs of a pacer: a slot per send, and a pause on a 429."""

    async def wait(self) -> None: ...

    def pause(self, seconds: float) -> None: ...

    @property
    def rate(self) -> float:
        """Sends a second it allows now (a replica's share, among several)."""
        ...


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window_full_at_start: bool = False,
        spacing: float = 1.0,
    ) -> None:
        """``spacing``: the gap between two slots as a share of ``1/rate`` (the window still
        allows at most ``rate`` in any second)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._spacing = spacing
        self.interval = spacing / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_slot = -math.inf
        self._window = OneSecondWindow(rate)
        if window_full_at_start:
            # A process that starts cannot see what its predecessor (killed, perhaps) sent in
            # its last second: count that second as full.
            self._window.fill(monotonic())
        self._paused_until = -math.inf
        self._held_until = -math.inf

    async def wait(self) -> None:
        """Return when the next send may go out, and count it as sent."""
        while True:
            now = self._monotonic()
            earliest = self.earliest()
            if now >= earliest:
                self.take(now)
                return
            await self._sleep(earliest - now)

    def earliest(self) -> float:
        """When the next send may go out (monotonic seconds)."""
        return max(self._paused_until, self._held_until, self._next_slot, self._window.opens())

    def take(self, now: float) -> None:
        """Count a send going out ``now`` (at or after ``earliest()``)."""
        # On schedule, the next slot follows this one's; after idling, start from now.
        on_time = now - self._next_slot < self.interval
        self._next_slot = (self._next_slot if on_time else now) + self.interval
        self._window.record(now)

    def pause(self, seconds: float) -> None:
        """Telegram said 429 retry_after: nothing goes out before that time has passed."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def hold(self, seconds: float) -> None:
        """No send goes out before ``seconds`` have passed (unlike a pause, only sends)."""
        self._held_until = max(self._held_until, self._monotonic() + seconds)

    def resized(self, rate: float) -> Pacer:
        """The same pacer at another rate (a replica's share changed). It starts from a full
        window, so no one-second window holds sends of both rates; a pause or a hold carries
        over."""
        pacer = Pacer(
            rate,
            monotonic=self._monotonic,
            sleep=self._sleep,
            window_full_at_start=True,
            spacing=self._spacing,
        )
        pacer._paused_until = self._paused_until
        pacer._held_until = self._held_until
        return pacer

    @property
    def paused_until(self) -> float:
        return self._paused_until

    @property
    def held_until(self) -> float:
        return max(self._paused_until, self._held_until)
