"""What the handlers read about a user from the users row: their time zone, and the one
question a typed message may be answering (kept in the user's settings, so it survives a
restart): a reminder time or zone, or a diary note or time.

An open question never traps anyone: it expires after PROMPT_TTL, any button or command
closes it, and a message that is a red flag, a new question or a cramp report is answered
instead of being taken as its answer (see ``breaks_prompt``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update

from tgbot.content.contracts import NOW_CUE_CONCEPT, PROBLEM_CONCEPT
from tgbot.handlers.context import BotContext
from tgbot.services.understanding.understander import Kind, Understanding

AWAITING = "awaiting"
OPENED_AT = "opened"
PROMPT_TTL = timedelta(minutes=10)
# Matcher concepts that make a message a new question or a cramp happening now.
QUESTION_CONCEPTS = frozenset({NOW_CUE_CONCEPT, PROBLEM_CONCEPT})
# Prompts answered in free words (a diary note, a diary time like "last night 3am"): a new
# question or cramp report is answered instead, and the prompt stays open.
FREE_TEXT_PROMPTS = ("note", "when")


async def user_zone(context: BotContext, user_id: int) -> str | None:
    record = await context.services.users.get(user_id)
    return record.time_zone if record else None


async def pending_question(context: BotContext, user_id: int) -> dict[str, Any] | None:
    """The open question, e.g. ``{"what": "zone", "at": "2215"}``, or None (also once it
    has expired)."""
    record = await context.services.users.get(user_id)
    pending = record.settings.get(AWAITING) if record else None
    if not isinstance(pending, dict):
        return None
    opened = pending.get(OPENED_AT)
    now = context.services.clock.now().timestamp()
    if not isinstance(opened, int | float) or now - opened > PROMPT_TTL.total_seconds():
        return None
    return pending


async def open_prompt(update: Update, context: BotContext) -> dict[str, Any] | None:
    user = update.effective_user
    return await pending_question(context, user.id) if user is not None else None


async def ask(context: BotContext, user_id: int, **question: Any) -> None:
    """Open a question; it replaces any other one still open."""
    opened = int(context.services.clock.now().timestamp())
    await context.services.users.update_settings(
        user_id, **{AWAITING: {**question, OPENED_AT: opened}}
    )


async def close_question(context: BotContext, user_id: int) -> None:
    await context.services.users.update_settings(user_id, **{AWAITING: None})


def breaks_prompt(prompt: dict[str, Any], understood: Understanding, text: str) -> bool:
    """True when the message is not the prompt's answer: a red flag (or a question checking
    for one) always; for a free-text prompt, also a new question or a cramp happening now."""
    if understood.kind in (Kind.RED_FLAG, Kind.CONFIRM):
        return True
    if prompt.get("what") not in FREE_TEXT_PROMPTS or understood.kind is not Kind.ANSWER:
        return False
    return "?" in text or bool(QUESTION_CONCEPTS & understood.concepts)


def is_action(update: Update) -> bool:
    """A button press or a command: either closes an open question."""
    message = update.message
    command = message is not None and (message.text or "").startswith("/")
    return update.callback_query is not None or command
