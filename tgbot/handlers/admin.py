"""Operator commands for TGBOT_ADMIN_IDS; anyone else gets the ordinary unknown-command
answer, so the commands are not even revealed. None shows another user's data."""

from __future__ import annotations

from dataclasses import asdict

from telegram import Update

from tgbot.handlers.context import BotContext
from tgbot.handlers.reminders.views import nightly
from tgbot.handlers.replies import send
from tgbot.handlers.screens import Rendered, main_menu


def _is_admin(context: BotContext) -> bool:
    return context.user.user_id in context.services.settings.admin_ids


async def stats_command(update: Update, context: BotContext) -> None:
    view = context.view
    if not _is_admin(context):
        await send(update, context, main_menu(view, "unknown_command"))
        return
    stats = await context.services.operations.stats()
    text = view.catalog.text("admin_stats").format(**asdict(stats))
    await send(update, context, Rendered(text, None))


async def broadcast_test_command(update: Update, context: BotContext) -> None:
    """Tonight's reminder, sent to the operator alone: how it looks, buttons and all."""
    view = context.view
    if not _is_admin(context):
        await send(update, context, main_menu(view, "unknown_command"))
        return
    today = context.services.clock.now().astimezone(context.user.zone).date()
    await send(update, context, nightly(view, context.user.user_id, today))
