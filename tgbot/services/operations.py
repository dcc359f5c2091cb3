"""What the operator sees with /stats: counts only, never anyone's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tgbot.services.clock import Clock
from tgbot.services.reminders.engine import DeliveryStatus, ReminderEngine
from tgbot.storage import ReminderRepository, UserRepository


@dataclass(frozen=True)
class BotStats:
    users: int
    reminders_on: int
    reminders_sent: int  # since start
    reminders_blocked: int
    reminders_failed: int
    in_flight: int  # claimed and not yet settled
    errors_today: int  # updates that raised (UTC day)


class OperationsService:
    def __init__(
        self,
        users: UserRepository,
        reminders: ReminderRepository,
        engine: ReminderEngine,
        clock: Clock,
    ) -> None:
        self._users, self._reminders, self._engine, self._clock = users, reminders, engine, clock
        self._errors_day: date | None = None
        self._errors = 0

    def record_error(self) -> None:
        today = self._clock.now().date()
        if today != self._errors_day:
            self._errors_day, self._errors = today, 0
        self._errors += 1

    async def stats(self) -> BotStats:
        outcomes = self._engine.outcomes
        errors = self._errors if self._errors_day == self._clock.now().date() else 0
        return BotStats(
            users=await self._users.count(),
            reminders_on=await self._reminders.count_enabled(),
            reminders_sent=outcomes[DeliveryStatus.SENT],
            reminders_blocked=outcomes[DeliveryStatus.BLOCKED],
            reminders_failed=outcomes[DeliveryStatus.FAILED],
            in_flight=self._engine.in_flight,
            errors_today=errors,
        )
