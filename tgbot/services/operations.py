"""What the operator sees with /stats: counts only, never anyone's data."""

from __future__ import annotations

from dataclasses import dataclass

from tgbot.services.clock import Clock
from tgbot.services.day_counter import UtcDayCounter
from tgbot.services.reminders.engine import DeliveryStatus, EngineEvent, ReminderEngine
from tgbot.storage import ReminderRepository, UserRepository


@dataclass(frozen=True)
class BotStats:
    users: int
    reminders_on: int
    reminders_sent_today: int  # UTC day
    reminders_sent: int  # since start
    reminders_blocked: int
    reminders_failed: int
    reminders_retried: int  # since start: failed sends scheduled again
    reminders_late: int  # since start: bedtime reminders sent over a minute late
    reminders_missed: int  # since start: skipped, over the grace window
    queue_depth: int  # claimed, waiting for the sender
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
        self._users, self._reminders, self._engine = users, reminders, engine
        self._errors = UtcDayCounter(clock)

    def record_error(self) -> None:
        self._errors.add()

    async def stats(self) -> BotStats:
        engine = self._engine
        outcomes, events = engine.outcomes, engine.events
        return BotStats(
            users=await self._users.count(),
            reminders_on=await self._reminders.count_enabled(),
            reminders_sent_today=engine.sent_today.today,
            reminders_sent=outcomes[DeliveryStatus.SENT],
            reminders_blocked=outcomes[DeliveryStatus.BLOCKED],
            reminders_failed=outcomes[DeliveryStatus.FAILED],
            reminders_retried=events[EngineEvent.RETRIED],
            reminders_late=events[EngineEvent.LATE],
            reminders_missed=events[EngineEvent.MISSED],
            queue_depth=engine.queue_depth,
            in_flight=engine.in_flight,
            errors_today=self._errors.today,
        )
