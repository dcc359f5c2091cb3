"""The reminder pacer: the configured rate, sustained, and never more in any 1-second window."""

from __future__ import annotations

import pytest

from tgbot.services.reminders.pacing import Pacer


class FakeTime:
    """A clock whose sleeps overshoot, like real timers do."""

    def __init__(self, overshoot: float) -> None:
        self.now = 1000.0
        self.overshoot = overshoot

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.overshoot


def max_in_any_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize(("rate", "overshoot"), [(25, 0.002), (30, 0.002), (25, 0.0)])
async def test_sustains_the_rate_and_never_exceeds_it(rate: float, overshoot: float) -> None:
    clock = FakeTime(overshoot)
    pacer = Pacer(rate, monotonic=clock.monotonic, sleep=clock.sleep)
    sends = []
    for _ in range(2000):
        await pacer.wait()
        sends.append(clock.now)
    sustained = (len(sends) - 1) / (sends[-1] - sends[0])
    # Timer overshoot does not pile up (2 ms a send would cost 5 %).
    assert sustained >= 0.95 * rate  # the promise; the window margin for arrival spread costs ~4 %
    assert max_in_any_window(sends) <= rate


async def test_a_late_wake_up_cannot_squeeze_an_extra_send_into_a_second() -> None:
    clock = FakeTime(0.0)
    pacer = Pacer(5, monotonic=clock.monotonic, sleep=clock.sleep)
    sends = []
    for index in range(50):
        await pacer.wait()
        sends.append(clock.now)
        if index % 7 == 3:
            clock.now += 0.15  # the event loop was busy elsewhere
    assert max_in_any_window(sends) <= 5


async def test_retry_after_pauses_everything_for_that_long() -> None:
    clock = FakeTime(0.0)
    pacer = Pacer(25, monotonic=clock.monotonic, sleep=clock.sleep)
    await pacer.wait()
    pacer.pause(3.0)
    before = clock.now
    await pacer.wait()
    assert clock.now - before >= 3.0
