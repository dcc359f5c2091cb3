"""Typed messages get an answer; everything else gets a friendly pointer to the menu."""

from __future__ import annotations

import html
import logging

from telegram import Update

from tgbot.content.contracts import REMINDERS_SCREEN
from tgbot.handlers.context import BotContext
from tgbot.handlers.diary.flow import answer_note, offer_to_log
from tgbot.handlers.diary.your_data import answer_medicines
from tgbot.handlers.reminders.flow import answer_pending, reminder_settings
from tgbot.handlers.replies import send
from tgbot.handlers.screens import (
    Rendered,
    View,
    confirm_question,
    main_menu,
    render_screen,
    suggestions,
)
from tgbot.handlers.user_state import FREE_TEXT_PROMPTS, breaks_prompt, close_question
from tgbot.services.understanding.languages import understand
from tgbot.services.understanding.matching import MatchKind, MatchResult
from tgbot.services.understanding.understander import Kind, Understanding
from tgbot.services.users import OpenPrompt

SHOWN_KINDS = (MatchKind.RED_FLAG, MatchKind.ANSWER)

log = logging.getLogger(__name__)


async def on_text(update: Update, context: BotContext) -> None:
    """Red flags first (never held back by an open prompt), then an open set-up question,
    then the best screen, a confirming question, or 'did you mean'."""
    message = update.effective_message
    view = context.view
    if message is None or not message.text:
        await send(update, context, main_menu(view, "text_pointer"))
        return
    text = message.text
    services = context.services
    await services.understanding.ready()
    reading = understand(services.content, view.catalog.language, text, services.settings.encoder)
    if reading is None:
        await send(update, context, main_menu(view, "text_pointer"))
        return
    understood = reading.understood
    log.info(
        "typed message: kind=%s level=%s screen=%s reason=%s read_as=%s",
        understood.kind.value,
        understood.level.label,
        understood.screen,
        understood.reason,
        reading.language if reading.read else "-",
    )
    prompt = context.user.prompt
    if prompt is not None and not breaks_prompt(prompt, understood, text):
        clear = understood.kind not in (Kind.UNSURE, Kind.OFF_TOPIC)
        if await answer_pending(update, context, text, understood_otherwise=clear):
            return
        if await answer_note(update, context, text):
            return
        if await answer_medicines(update, context, text):
            return
    if not reading.read:
        await say_not_spoken(update, context)
    if understood.screen == REMINDERS_SCREEN and understood.kind is Kind.ANSWER:
        await send(update, context, await reminder_settings(context))
    else:
        await send(update, context, reply_for(view, understood))
    if prompt is not None:
        await _say_prompt_state(update, context, prompt, understood)
    if understood.kind is Kind.ANSWER:
        await offer_to_log(update, context, text)


async def _say_prompt_state(
    update: Update, context: BotContext, prompt: OpenPrompt, understood: Understanding
) -> None:
    """The message was answered instead of taken as the prompt's answer: a red flag closes
    the prompt; a question or a cramp report leaves a note prompt open, and says so."""
    view = context.view
    still_open = context.user.prompt is not None
    what = prompt.what
    if still_open and what in FREE_TEXT_PROMPTS and understood.kind is Kind.ANSWER:
        await send(update, context, Rendered(view.say(f"prompt_left_open_{what}"), None))
        return
    if still_open:
        await close_question(context)
    await send(update, context, Rendered(view.say("prompt_closed"), None))


async def say_not_spoken(update: Update, context: BotContext) -> None:
    """One line in the user's own language when the bot does not speak it yet."""
    user = update.effective_user
    line = context.services.content.not_spoken_line(user.language_code if user else None)
    if line is not None:
        await send(update, context, Rendered(html.escape(line), None))


def reply_for(view: View, understood: Understanding) -> Rendered:
    if understood.kind is Kind.CONFIRM:
        assert understood.screen is not None and understood.question is not None
        otherwise = understood.otherwise
        no_screen = otherwise.screen_id if otherwise.kind in SHOWN_KINDS else None
        return confirm_question(
            view, understood.question, understood.level.label, understood.screen, no_screen
        )
    screen = view.catalog.screen(understood.screen) if understood.screen else None
    if understood.kind in (Kind.RED_FLAG, Kind.ANSWER) and screen is not None:
        return render_screen(view, screen)
    return answer_for(view, understood.otherwise)


def answer_for(view: View, result: MatchResult) -> Rendered:
    screen = view.catalog.screen(result.screen_id) if result.screen_id else None
    if result.kind in SHOWN_KINDS and screen is not None:
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
