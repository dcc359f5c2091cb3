"""Every Bot API call of the replies path goes through the one ``SendBudget``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from tgbot.services.send_budget import SendBudget

JSONDict = dict[str, Any]
MAX_RETRIES = 3


class BudgetRateLimiter(BaseRateLimiter[int]):
    """PTB's hook around each request: a message to a chat waits for a slot of the shared
    budget; a 429 pauses every path (reminders too), then the call is tried again."""

    def __init__(self, budget: SendBudget, max_retries: int = MAX_RETRIES) -> None:
        self.budget = budget
        self._max_retries = max_retries

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = _chat_id(data.get("chat_id"))
        retries = rate_limit_args or self._max_retries
        for attempt in range(retries + 1):
            if chat_id is not None:
                await self.budget.wait(chat_id, reply=True)
            else:
                await self.budget.unpaused()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.budget.pause(retry_after_seconds(exc.retry_after))
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")


def retry_after_seconds(value: int | float | timedelta) -> float:
    """RetryAfter.retry_after is seconds, or a timedelta when PTB is asked for those."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_id(value: object) -> int | None:
    """Messages to a chat count (a channel's @name counts as one chat); other calls don't."""
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        return hash(value)
