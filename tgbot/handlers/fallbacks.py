"""Typed messages get an answer; everything else gets a friendly pointer to the menu."""

from __future__ import annotations

import logging

from telegram import Update

from tgbot.handlers.context import BotContext
from tgbot.handlers.diary import answer_note, offer_to_log
from tgbot.handlers.reminder_views import REMINDERS_SCREEN
from tgbot.handlers.reminders import answer_pending, reminder_settings
from tgbot.handlers.replies import send
from tgbot.handlers.screens import Rendered, View, main_menu, render_screen, suggestions
from tgbot.services.matching import MatchKind, MatchResult

log = logging.getLogger(__name__)


async def on_text(update: Update, context: BotContext) -> None:
    """Red flags first (the matcher guarantees it), then an open set-up question, then the
    best screen, or 'did you mean'."""
    message = update.effective_message
    view = context.view
    if message is None or not message.text:
        await send(update, context, main_menu(view, "text_pointer"))
        return
    matcher = view.catalog.matcher
    result = matcher.match(message.text) if matcher is not None else None
    if result is not None:
        log.info(
            "typed message: kind=%s rule=%s level=%s", result.kind.name, result.rule, result.level
        )
    if result is None or result.kind is not MatchKind.RED_FLAG:
        unclear = (MatchKind.UNSURE, MatchKind.OFF_TOPIC)
        understood = result is not None and result.kind not in unclear
        if await answer_pending(update, context, message.text, understood_otherwise=understood):
            return
        if await answer_note(update, context, message.text):
            return
    if result is not None and result.screen_id == REMINDERS_SCREEN:
        user = update.effective_user
        assert user is not None
        await send(update, context, await reminder_settings(context, user.id))
        return
    reply = answer_for(view, result) if result is not None else main_menu(view, "text_pointer")
    await send(update, context, reply)
    if result is not None and result.kind is MatchKind.ANSWER:
        await offer_to_log(update, context, message.text)


def answer_for(view: View, result: MatchResult) -> Rendered:
    screen = view.catalog.screen(result.screen_id) if result.screen_id else None
    if result.kind in (MatchKind.RED_FLAG, MatchKind.ANSWER) and screen is not None:
        return render_screen(view, screen)
    if result.kind is MatchKind.GREETING:
        return main_menu(view, "welcome")
    if result.kind is MatchKind.THANKS:
        return main_menu(view, "thanks")
    if result.kind is MatchKind.OFF_TOPIC:
        return main_menu(view, "off_topic")
    if result.suggestions:
        return suggestions(view, result.suggestions)
    return main_menu(view, "text_pointer")


async def on_unknown_command(update: Update, context: BotContext) -> None:
    await send(update, context, main_menu(context.view, "unknown_command"))


async def on_other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes, locations…"""
    await send(update, context, main_menu(context.view, "non_text"))


async def on_edited_message(update: Update, context: BotContext) -> None:
    """An edited question is answered again, so the correction is not lost."""
    message = update.effective_message
    if message is not None and message.text and not message.text.startswith("/"):
        await on_text(update, context)
        return
    await send(update, context, main_menu(context.view, "edited_message"))
