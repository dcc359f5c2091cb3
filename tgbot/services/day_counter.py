"""A count that starts again at 0 each UTC day: the operator's "today" figures."""

from __future__ import annotations

from datetime import date

from tgbot.services.clock import Clock


class UtcDayCounter:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._day: date | None = None
        self._count = 0

    def add(self, amount: int = 1) -> None:
        today = self._clock.now().date()
        if today != self._day:
            self._day, self._count = today, 0
        self._count += amount

    @property
    def today(self) -> int:
        """Counted so far this UTC day (since start, if the bot started today)."""
        return self._count if self._day == self._clock.now().date() else 0
