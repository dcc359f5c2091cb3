"""The countdown of a stretch hold: what it shows when, from the clock (no Telegram here).

Telegram refuses edits faster than about once a second per chat and throttles a message edited
often, so the countdown moves in steps of at least 5 seconds (30 → 20 → 10 → release). What it
shows is worked out from the time elapsed, never from how often it ran, so a late or a
repeated run shows the right number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

SHORT_STEP_SECONDS = 5
LONG_STEP_SECONDS = 10
# Holds this long or longer count down in 10 s steps: fewer edits, each still telling.
LONG_HOLD_SECONDS = 30


def step_seconds(hold: int) -> int:
    """How often the countdown changes (every step edits the message once)."""
    if hold >= LONG_HOLD_SECONDS and hold % LONG_STEP_SECONDS == 0:
        return LONG_STEP_SECONDS
    return SHORT_STEP_SECONDS


def job_name(chat_id: int) -> str:
    """One countdown per chat: a new one (or any other button) replaces it."""
    return f"hold-countdown:{chat_id}"


@dataclass(frozen=True)
class Countdown:
    chat_id: int
    message_id: int
    screen_id: str  # the routine step being held
    hold: int  # seconds
    started: datetime
    language: str | None = None  # the user's, for the texts (a job has no update to read)
    country: str | None = None  # the user's, for the emergency line

    @property
    def step(self) -> int:
        return step_seconds(self.hold)

    def left(self, now: datetime) -> int:
        """Seconds still to hold, rounded up to a whole step; 0 means release."""
        elapsed = (now - self.started).total_seconds()
        remaining = max(0.0, self.hold - elapsed)
        return math.ceil(remaining / self.step) * self.step
