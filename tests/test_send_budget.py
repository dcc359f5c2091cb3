"""One budget toward Telegram for replies and reminders, on a virtual clock."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from telegram.error import RetryAfter

from tgbot.handlers.send_limits import BudgetRateLimiter
from tgbot.services.send_budget import PER_CHAT_BURST, SLOT_SPACING, SendBudget


class VirtualTime:
    """Sleepers wake in time order; time jumps when every task is waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), wake))
        await wake

    async def run(self, *work: Awaitable[Any]) -> list[Any]:
        tasks = [asyncio.ensure_future(w) for w in work]
        while not all(t.done() for t in tasks):
            for _ in range(20):
                await asyncio.sleep(0)
            if self._sleepers and not all(t.done() for t in tasks):
                at, _, wake = heapq.heappop(self._sleepers)
                self.now = max(self.now, at)
                wake.set_result(None)
        return [t.result() for t in tasks]

    def budget(self, rate: float) -> SendBudget:
        return SendBudget(rate, monotonic=self.monotonic, sleep=self.sleep)


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


async def reminders_beside_replies(
    clock: VirtualTime, reminders: int, reply_delays: list[float]
) -> list[float]:
    """When each of ``reminders`` (own rate 25) left, while replies (one per chat, after their
    delay) share the budget of 30."""
    budget = clock.budget(30)
    slots = budget.for_reminders(25)
    released: list[float] = []

    async def remind() -> None:
        await slots.wait()
        released.append(clock.now)

    async def reply(chat: int, delay: float) -> None:
        await clock.sleep(delay)
        await budget.wait(chat, reply=True)

    replies = [reply(chat, delay) for chat, delay in enumerate(reply_delays)]
    await clock.run(*(remind() for _ in range(reminders)), *replies)
    return released


async def test_never_more_than_the_rate_in_any_second_across_both_paths() -> None:
    clock = VirtualTime()
    budget = clock.budget(30)
    released: list[float] = []

    async def send(chat_id: int | None, reply: bool) -> None:
        await budget.wait(chat_id, reply=reply)
        released.append(clock.now)

    replies = [send(chat, True) for chat in range(100)]
    reminders = [send(None, False) for _ in range(200)]
    await clock.run(*replies, *reminders)
    assert len(released) == 300
    assert most_in_any_second(released) <= 30
    assert released[-1] - released[0] < 300 / 30 + 1  # and the whole rate is used


async def test_a_reply_goes_before_reminders_waiting_for_the_same_slot() -> None:
    clock = VirtualTime()
    budget = clock.budget(10)
    order: list[str] = []

    async def send(name: str, reply: bool) -> None:
        await budget.wait(1 if reply else None, reply=reply)
        order.append(name)

    async def reply_later() -> None:
        await clock.sleep(0.05)  # arrives while ten reminders are queued
        await send("reply", True)

    await clock.run(*(send(f"r{n}", False) for n in range(20)), reply_later())
    assert order.index("reply") <= 11  # the next free slot, not after every reminder


async def test_one_chat_gets_a_short_burst_then_one_a_second() -> None:
    clock = VirtualTime()
    budget = clock.budget(30)
    released: list[float] = []

    async def send() -> None:
        await budget.wait(42, reply=True)
        released.append(clock.now)

    await clock.run(*(send() for _ in range(PER_CHAT_BURST + 3)))
    burst = released[:PER_CHAT_BURST]
    assert burst[-1] - burst[0] < 0.5
    gaps = [b - a for a, b in itertools.pairwise(released[PER_CHAT_BURST - 1 :])]
    # About one a second (the bucket refills a little while the burst's slots are spaced).
    assert all(gap >= 0.9 for gap in gaps)


async def test_a_429_on_one_path_pauses_the_other() -> None:
    clock = VirtualTime()
    budget = clock.budget(30)
    reminders = budget.for_reminders(25)
    reminders.pause(5.0)  # the reminder path was told to slow down
    started = clock.now
    released: list[float] = []

    async def reply() -> None:
        await budget.wait(7, reply=True)
        released.append(clock.now)

    async def button_answer() -> None:
        await budget.unpaused()
        released.append(clock.now)

    await clock.run(reply(), button_answer())
    assert min(released) - started >= 5.0


async def test_a_joining_hold_keeps_messages_back_but_not_other_calls() -> None:
    """A replica that joins holds its messages one window; deleteWebhook, getMe or a button's
    answer go at once (held, they made the first getUpdates a second late)."""
    clock = VirtualTime()
    budget = clock.budget(30)
    budget.hold(1.0)
    started = clock.now
    released: dict[str, float] = {}

    async def reply() -> None:
        await budget.wait(7, reply=True)
        released["message"] = clock.now - started

    async def other_call() -> None:
        await budget.unpaused()
        released["other"] = clock.now - started

    await clock.run(reply(), other_call())
    assert released["other"] == 0.0
    assert released["message"] >= 1.0
    assert budget.holding is False and budget.paused is False


async def test_the_reply_limiter_pauses_everything_on_a_429_and_tries_again() -> None:
    clock = VirtualTime()
    budget = clock.budget(30)
    limiter = BudgetRateLimiter(budget)
    calls: list[float] = []

    async def call() -> dict[str, Any]:
        calls.append(clock.now)
        if len(calls) == 1:
            raise RetryAfter(3)
        return {"ok": True}

    request: Callable[[], Awaitable[Any]] = lambda: limiter.process_request(  # noqa: E731
        call, (), {}, "sendMessage", {"chat_id": 5, "text": "hi"}, None
    )
    [answer] = await clock.run(request())
    assert answer == {"ok": True}
    assert calls[1] - calls[0] >= 3.0
    assert budget.paused is False


async def test_the_reply_limiter_gives_up_after_its_retries() -> None:
    clock = VirtualTime()
    limiter = BudgetRateLimiter(clock.budget(30), max_retries=1)

    async def call() -> dict[str, Any]:
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await clock.run(limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 5}, None))


async def test_reminders_keep_their_own_rate_inside_the_budget() -> None:
    clock = VirtualTime()
    slots = clock.budget(30).for_reminders(25)
    released: list[float] = []

    async def send() -> None:
        await slots.wait()
        released.append(clock.now)

    await clock.run(*(send() for _ in range(100)))
    assert most_in_any_second(released) <= 25


async def test_a_reply_waiting_for_its_own_chat_holds_no_reminder_back() -> None:
    clock = VirtualTime()
    budget = clock.budget(30)
    released: dict[str, float] = {}

    async def reply(n: int) -> None:
        await budget.wait(9, reply=True)
        released[f"reply{n}"] = clock.now

    async def reminder(n: int) -> None:
        await clock.sleep(0.01)  # after the chat's burst is spent
        await budget.wait(None, reply=False)
        released[f"reminder{n}"] = clock.now

    # One chat taps fast: its fourth and fifth replies wait a second each for that chat.
    await clock.run(
        *(reply(n) for n in range(PER_CHAT_BURST + 2)), *(reminder(n) for n in range(5))
    )
    assert max(released[f"reminder{n}"] for n in range(5)) - 1000.0 < 0.5


async def test_a_burst_of_replies_is_spaced_not_sent_all_at_once() -> None:
    clock = VirtualTime()
    budget = clock.budget(30)
    released: list[float] = []

    async def reply(chat: int) -> None:
        await budget.wait(chat, reply=True)
        released.append(clock.now)

    await clock.run(*(reply(chat) for chat in range(30)))
    gaps = [b - a for a, b in itertools.pairwise(sorted(released))]
    assert min(gaps) >= SLOT_SPACING / 30 - 1e-9  # thirty at once would bunch at Telegram's end


async def test_reminders_keep_their_own_rate_in_any_window_when_replies_hold_them_up() -> None:
    """A reminder's own slot is counted when it leaves, not before it waited for the budget:
    otherwise reminders held up by replies close up and exceed their own rate afterwards."""
    # Bursts of replies every 0.3 s take slots away from reminders now and then.
    delays = [0.3 * (chat // 4) for chat in range(80)]
    reminders = await reminders_beside_replies(VirtualTime(), 150, delays)
    assert len(reminders) == 150
    assert most_in_any_second(reminders) <= 25


async def test_a_restarted_bot_adds_nothing_to_the_window_its_predecessor_filled() -> None:
    """kill -9 mid-burst, restart at once: the new process cannot see the old one's last sends,
    so its first window counts as full (both the budget's and the reminders' own)."""
    clock = VirtualTime()
    released: list[float] = []

    async def remind(slots: Any) -> None:
        await slots.wait()
        released.append(clock.now)

    before = clock.budget(30).for_reminders(25)
    await clock.run(*(remind(before) for _ in range(60)))
    clock.now = released[-1] + 0.001  # killed just after its last send, restarted at once
    after = SendBudget(
        30, monotonic=clock.monotonic, sleep=clock.sleep, window_full_at_start=True
    ).for_reminders(25)
    await clock.run(*(remind(after) for _ in range(60)))
    assert len(released) == 120
    assert most_in_any_second(released) <= 25


async def test_a_few_replies_a_second_cost_reminders_little_of_their_rate() -> None:
    """People chatting go first, but a reply fits between two reminders: 3 replies a second
    leave reminders at 25/s above 23.5/s (slots a full interval apart and a reminder that
    looked again only a slot later kept them near 23.1/s)."""
    arrivals = random.Random(1)
    delays = [arrivals.uniform(0, 10) for _ in range(30)]
    reminders = await reminders_beside_replies(VirtualTime(), 250, delays)
    sustained = (len(reminders) - 1) / (max(reminders) - min(reminders))
    assert sustained > 23.5
    assert most_in_any_second(reminders) <= 25
