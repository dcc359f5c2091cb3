"""Runs before every handler: the sender's profile (no message content), built once."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from tgbot.handlers.context import BotContext
from tgbot.handlers.user_state import close_question, is_action
from tgbot.metrics import HANDLER_SECONDS, UPDATES

log = logging.getLogger("tgbot.updates")

Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


async def track_user(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None or user.is_bot:
        return
    context.profile = await context.services.users.arrive(user.id, user.language_code)
    if context.profile.prompt is not None and is_action(update):
        await close_question(context)  # a button or command moves on from a prompt


def logged(callback: Callback) -> Callback:
    """One log line per handled update: its type, the handler and the time it took."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: BotContext) -> None:
        started = time.perf_counter()
        outcome = "ok"
        try:
            await callback(update, context)
        except BaseException:
            outcome = "error"
            raise
        finally:
            seconds = time.perf_counter() - started
            fields = {
                "update_id": update.update_id,
                "update_type": update_kind(update),
                "handler": callback.__name__,
                "outcome": outcome,
                "duration_ms": round(seconds * 1000, 1),
            }
            UPDATES.labels(fields["update_type"], outcome).inc()
            HANDLER_SECONDS.labels(callback.__name__).observe(seconds)
            # Text logs read the line; JSON logs (TGBOT_LOG_FORMAT=json) get the fields as keys.
            log.info(" ".join(f"{k}={v}" for k, v in fields.items()), extra=fields)

    return wrapper


def update_kind(update: object) -> str:
    """The name of the update's payload field, e.g. ``message`` or ``callback_query``."""
    if not isinstance(update, Update):
        return type(update).__name__
    for kind in Update.ALL_TYPES:
        if getattr(update, kind, None) is not None:
            return kind
    return "unknown"
