"""The central error handler: log with context, tell the user kindly, keep running."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from tgbot.handlers.context import SERVICES_KEY, BotContext, BotServices
from tgbot.handlers.replies import retrying
from tgbot.handlers.tracking import update_kind
from tgbot.metrics import BOT_API_ERRORS

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if isinstance(error, TelegramError):
        BOT_API_ERRORS.labels(_code(error)).inc()
    if isinstance(error, Forbidden):
        log.info("user unreachable (%s); nothing to do", error.message)
        return
    if update is None and isinstance(error, NetworkError):
        # Polling hiccups (server restarting, connection dropped): PTB retries by itself.
        log.warning("network problem while polling, retrying: %s", error)
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # A reply lost to a Bot API hiccup, already retried (handlers/replies.py): no
        # traceback, and the person is told, so no question goes unanswered.
        log.warning("a reply failed after retries (%s)", error.message)
        if isinstance(update, Update):
            await _apologise(update, context)
        return
    if isinstance(context.bot_data.get(SERVICES_KEY), BotServices):
        context.services.operations.record_error()
    log.error(
        "error while handling update=%s type=%s user=%s",
        update.update_id if isinstance(update, Update) else None,
        update_kind(update),
        update.effective_user.id if isinstance(update, Update) and update.effective_user else None,
        exc_info=error,
    )
    if isinstance(update, Update):
        await _apologise(update, context)


async def _apologise(update: Update, context: BotContext) -> None:
    """Best effort: the button spinner stops and the user learns it was not their fault."""
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
    except TelegramError:
        pass  # already answered, or too old
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await retrying(lambda: context.bot.send_message(chat.id, context.view.say("error")))
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)


def _code(error: TelegramError) -> str:
    """The metric label of a Bot API failure: its HTTP code, or what kind of failure."""
    for kind, code in ((RetryAfter, "429"), (Forbidden, "403"), (BadRequest, "400")):
        if isinstance(error, kind):
            return code
    return "timeout" if isinstance(error, TimedOut) else "network"
