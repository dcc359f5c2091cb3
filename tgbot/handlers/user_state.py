"""The open question of the sender's profile, as the handlers use it: open, close, and
whether a typed message answers it.

An open question never traps anyone: it expires (services/users.py), any button or command
closes it, and a message that is a red flag, a new question or a cramp report is answered
instead of being taken as its answer (see ``breaks_prompt``)."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update

from tgbot.content.contracts import NOW_CUE_CONCEPT, PROBLEM_CONCEPT
from tgbot.handlers.context import BotContext
from tgbot.services.understanding.understander import Kind, Understanding
from tgbot.services.users import OpenPrompt

# Matcher concepts that make a message a new question or a cramp happening now.
QUESTION_CONCEPTS = frozenset({NOW_CUE_CONCEPT, PROBLEM_CONCEPT})
# Prompts answered in free words (a diary note, a diary time like "last night 3am"): a new
# question or cramp report is answered instead, and the prompt stays open.
FREE_TEXT_PROMPTS = ("note", "when")


async def ask(context: BotContext, what: str, **fields: str | int) -> None:
    """Open a question; it replaces any other one still open."""
    user = context.user
    prompt = await context.services.users.open_prompt(user.user_id, what, **fields)
    context.profile = replace(user, prompt=prompt)


async def close_question(context: BotContext) -> None:
    await context.services.users.close_prompt(context.user.user_id)
    context.profile = replace(context.user, prompt=None)


async def remember_zone(context: BotContext, zone: str) -> None:
    await context.services.users.set_time_zone(context.user.user_id, zone)
    context.profile = replace(context.user, time_zone=zone)


def breaks_prompt(prompt: OpenPrompt, understood: Understanding, text: str) -> bool:
    """True when the message is not the prompt's answer: a red flag (or a question checking
    for one) always; for a free-text prompt, also a new question or a cramp happening now."""
    if understood.kind in (Kind.RED_FLAG, Kind.CONFIRM):
        return True
    if prompt.what not in FREE_TEXT_PROMPTS or understood.kind is not Kind.ANSWER:
        return False
    return "?" in text or bool(QUESTION_CONCEPTS & understood.concepts)


def is_action(update: Update) -> bool:
    """A button press or a command: either closes an open question."""
    message = update.message
    command = message is not None and (message.text or "").startswith("/")
    return update.callback_query is not None or command
