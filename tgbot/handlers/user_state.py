"""What the handlers read about a user from the users row: their time zone, and the one
question a typed message may be answering (kept in the user's settings, so it survives a
restart): a reminder time or zone, or a diary note or time."""

from __future__ import annotations

from typing import Any

from tgbot.handlers.context import BotContext

AWAITING = "awaiting"


async def user_zone(context: BotContext, user_id: int) -> str | None:
    record = await context.services.users.get(user_id)
    return record.time_zone if record else None


async def pending_question(context: BotContext, user_id: int) -> dict[str, Any] | None:
    """The open question, e.g. ``{"what": "zone", "at": "2215"}``, or None."""
    record = await context.services.users.get(user_id)
    pending = record.settings.get(AWAITING) if record else None
    return pending if isinstance(pending, dict) else None


async def ask(context: BotContext, user_id: int, **question: Any) -> None:
    """Open a question; it replaces any other one still open."""
    await context.services.users.update_settings(user_id, **{AWAITING: question})


async def close_question(context: BotContext, user_id: int) -> None:
    await context.services.users.update_settings(user_id, **{AWAITING: None})
