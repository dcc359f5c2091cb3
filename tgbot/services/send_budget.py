"""One budget toward Telegram, shared by replies and reminders.

Telegram allows about 30 messages a second in all and about one a second in any one chat
(short bursts pass). Two limiters side by side would each allow their own 30, and a 429 seen
by one would not slow the other. Here every send takes a slot from one sliding one-second
window (as strict as ``Pacer``: never more than ``rate`` in any window), one chat gets a small
burst and then one a second, a person who is chatting goes before a bulk reminder, and a 429
on any path pauses every path for its ``retry_after``.

Among several replicas each takes a share of the rate (``set_share``, from
services/replicas.py), and a 429 seen by one is passed on to the others (``on_pause``, then
``hold`` on theirs).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tgbot.services.reminders.pacing import Pacer

PER_CHAT_BURST = 3  # sends one chat may get at once (a few quick taps) ...
PER_CHAT_RATE = 1.0  # ... refilled at one a second
CHAT_BUCKETS = 10_000  # chats remembered; an idle chat's bucket is full again anyway
# Slots a little closer than the rate's interval: still spread (never thirty at once), and a
# reply between two reminders (which keep their own full spacing) pushes the next one back less.
# Closer still (0.5) bunches replies at 30/s and leaves the end of each window idle (measured).
SLOT_SPACING = 0.85
LOOK_AGAIN_S = 0.005  # a reminder held back by a waiting reply looks again this soon after it


@dataclass
class _Bucket:
    tokens: float
    updated: float


class SendBudget:
    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window_full_at_start: bool = False,
    ) -> None:
        """``window_full_at_start``: the first sends wait one window (see ``Pacer``), so a
        restarted bot never adds its sends to a window its predecessor filled."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._full_at_start = window_full_at_start
        # Public: the reminders' slots (ReminderSlots) wait on the same injected clock.
        self.monotonic = monotonic
        self.sleep = sleep
        # Spaced slots in a strict window, as for reminders: thirty at once would leave over a
        # round trip's spread and bunch at Telegram's end.
        self._slots = Pacer(
            rate,
            monotonic=monotonic,
            sleep=sleep,
            window_full_at_start=window_full_at_start,
            spacing=SLOT_SPACING,
        )
        self._chats: dict[int, _Bucket] = {}
        self._replies_waiting = 0
        self._share = 1.0
        self._reminder_slots: list[ReminderSlots] = []
        # Told of each 429 this process sees (the replicas pass it on to the others).
        self.on_pause: Callable[[float], None] | None = None

    async def wait(self, chat_id: int | None, *, reply: bool) -> None:
        """Return when a send to ``chat_id`` may go out, and count it as sent. A reply whose
        chat may have one goes before the reminders waiting for the same slot; a reply that
        waits for its own chat's second holds no one else back."""
        competing = False
        try:
            while True:
                now = self.monotonic()
                chat_ready = self._chat_ready(chat_id, now)
                # Its chat's turn can come and go (a sibling reply took the chat's token).
                if reply and competing != (now >= chat_ready):
                    competing = not competing
                    self._replies_waiting += 1 if competing else -1
                earliest = max(self._slots.earliest(), chat_ready)
                if now >= earliest and (reply or self._replies_waiting == 0):
                    self._take(chat_id, now)
                    return
                # A reminder held back by waiting replies looks again just after they went.
                await self.sleep(max(earliest - now, 0.0) + (0.0 if reply else LOOK_AGAIN_S))
        finally:
            if competing:
                self._replies_waiting -= 1

    def take_for_reminder(self, now: float) -> float:
        """A slot for a reminder at ``now`` if one is free and no reply waits: 0 when taken,
        else how long to wait before looking again."""
        earliest = self._slots.earliest()
        if now >= earliest and self._replies_waiting == 0:
            self._take(None, now)
            return 0.0
        return max(earliest - now, 0.0) + LOOK_AGAIN_S

    async def unpaused(self) -> None:
        """Return once no 429 pause is running (calls that are not messages, e.g. answering a
        button, take no slot but still respect Telegram's "slow down")."""
        while (left := self._slots.paused_until - self.monotonic()) > 0:
            await self.sleep(left)

    def for_reminders(self, rate: float) -> ReminderSlots:
        """The reminder engine's pacer: at most ``rate`` a second of this budget's own (this
        replica's share of it, among several)."""
        own = Pacer(
            rate * self._share,
            monotonic=self.monotonic,
            sleep=self.sleep,
            window_full_at_start=self._full_at_start,
        )
        slots = ReminderSlots(self, own, rate)
        self._reminder_slots.append(slots)
        return slots

    def pause(self, seconds: float) -> None:
        """Telegram said 429 retry_after: nothing goes out, on any path, before then."""
        self._slots.pause(seconds)
        if self.on_pause is not None:
            self.on_pause(seconds)

    def follow_pause(self, seconds: float) -> None:
        """Another replica was told 429: pause as it did, without announcing it again."""
        self._slots.pause(seconds)

    def hold(self, seconds: float) -> None:
        """Send no message for ``seconds`` (this replica is joining, or may be counted dead);
        calls that are not messages, such as deleteWebhook or answering a button, go on."""
        self._slots.hold(seconds)

    @property
    def share(self) -> float:
        return self._share

    def set_share(self, share: float) -> None:
        """This process's part of the rate among the live replicas (1 / their number). The
        new rate starts from a full window (``Pacer.resized``), so a window never counts
        sends of both the old share and the new one."""
        if share == self._share:
            return
        self._share = share
        self._slots = self._slots.resized(self.rate * share)
        for slots in self._reminder_slots:
            slots.set_share(share)

    @property
    def paused(self) -> bool:
        """A 429 pause is running: nothing goes out."""
        return self.monotonic() < self._slots.paused_until

    @property
    def holding(self) -> bool:
        """No message goes out now (a pause, or a hold)."""
        return self.monotonic() < self._slots.held_until

    def _bucket(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= CHAT_BUCKETS:
                self._chats.pop(next(iter(self._chats)))  # the longest unused
            bucket = self._chats[chat_id] = _Bucket(PER_CHAT_BURST, now)
        else:
            refill = (now - bucket.updated) * PER_CHAT_RATE
            bucket.tokens = min(PER_CHAT_BURST, bucket.tokens + refill)
            bucket.updated = now
        return bucket

    def _chat_ready(self, chat_id: int | None, now: float) -> float:
        if chat_id is None:
            return -math.inf
        bucket = self._bucket(chat_id, now)
        return now if bucket.tokens >= 1 else now + (1 - bucket.tokens) / PER_CHAT_RATE

    def _take(self, chat_id: int | None, now: float) -> None:
        self._slots.take(now)
        if chat_id is not None:
            bucket = self._bucket(chat_id, now)
            bucket.tokens -= 1
            self._chats[chat_id] = self._chats.pop(chat_id)  # most recently used last


class ReminderSlots:
    """The budget as the reminder engine's pacer: reminders keep their own rate (below the
    budget's, so people chatting always find room) and take a slot only when no reply is
    waiting for one."""

    def __init__(self, budget: SendBudget, own: Pacer, full_rate: float) -> None:
        self._budget, self._own = budget, own
        self._full_rate = full_rate  # the configured rate, before sharing

    @property
    def rate(self) -> float:
        return self._own.rate

    def set_share(self, share: float) -> None:
        self._own = self._own.resized(self._full_rate * share)

    async def wait(self) -> None:
        """Both slots are taken at the same moment, the moment the send leaves: a reminder's
        own slot counted before a wait for the budget would let the next ones close up."""
        while True:
            now = self._budget.monotonic()
            own_at = self._own.earliest()
            if now < own_at:
                await self._budget.sleep(own_at - now)
                continue
            retry_in = self._budget.take_for_reminder(now)
            if retry_in == 0:
                self._own.take(now)
                return
            await self._budget.sleep(retry_in)

    def pause(self, seconds: float) -> None:
        self._budget.pause(seconds)
        self._own.pause(seconds)
