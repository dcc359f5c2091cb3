"""Sending and editing messages, with Telegram's everyday edit errors handled in one place."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message, Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ReplyMarkup
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError

from tgbot.handlers.context import BotContext
from tgbot.handlers.screens import Rendered, main_menu
from tgbot.services.buttons import Action, ButtonCodec
from tgbot.telegram_html import html_to_plain

log = logging.getLogger(__name__)


# A 5xx or a dropped connection is usually gone within a second: try again, then give up
# (the error handler apologises). Not for 400/403/429: those are answers, not hiccups.
TRANSIENT_RETRY_DELAYS = (0.3, 1.0)
T = TypeVar("T")


async def retrying(call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, again after a short wait when the Bot API fails transiently."""
    for delay in (*TRANSIENT_RETRY_DELAYS, None):
        try:
            return await call()
        except NetworkError as exc:
            if isinstance(exc, BadRequest) or delay is None:
                raise
            log.warning("transient Bot API error (%s); trying again in %.1fs", exc.message, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def send(update: Update, context: BotContext, rendered: Rendered) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await retrying(lambda: send_unread(context.bot, chat.id, rendered.text, rendered.markup))


async def send_unread(bot: Bot, chat_id: int, text: str, markup: ReplyMarkup | None) -> None:
    """``bot.send_message(chat_id, text, reply_markup=markup)`` without reading the answer:
    PTB builds a Message from Telegram's answer (~0.2 ms of CPU, a tenth of a webhook
    replica's per update) that a reply never uses. The same request, through the same rate
    limiter and errors (tests/test_http_client.py compares the two); the bot's Defaults
    (parse mode, link previews) are filled in as for send_message."""
    data: dict[str, object] = {
        "chat_id": chat_id,
        "text": text,
        "reply_markup": None if markup is None else _markup_json(markup),
        "disable_notification": DEFAULT_NONE,
        "link_preview_options": DEFAULT_NONE,
        "parse_mode": DEFAULT_NONE,
        "protect_content": DEFAULT_NONE,
    }
    await bot._post("sendMessage", data)


# Keyboards are built once per screen and reused (screens.py's render cache), and PTB would
# turn each into JSON again for every send (~0.1 ms): the JSON text of each recent one, by
# identity (the entry holds the keyboard, so its id is not reused while it is here).
_MARKUP_JSON: dict[int, tuple[ReplyMarkup, str]] = {}
_MARKUP_JSON_SIZE = 8192


def _markup_json(markup: ReplyMarkup) -> str:
    """The keyboard as PTB sends it (a JSON text, which the request passes on as it is)."""
    known = _MARKUP_JSON.get(id(markup))
    if known is not None:
        return known[1]
    if len(_MARKUP_JSON) >= _MARKUP_JSON_SIZE:
        _MARKUP_JSON.clear()
    text = json.dumps(markup.to_dict())
    _MARKUP_JSON[id(markup)] = (markup, text)
    return text


async def show_in_place(update: Update, context: BotContext, rendered: Rendered) -> None:
    """Edit the message whose button was pressed; send a new one if it cannot be edited."""
    query = update.callback_query
    message = query.message if query else None
    editable = rendered.markup is None or isinstance(rendered.markup, InlineKeyboardMarkup)
    if not isinstance(message, Message) or not editable:
        # Too old, an inline message, or a reply keyboard (edits only take inline ones).
        await send(update, context, rendered)
        return
    markup = rendered.markup
    assert markup is None or isinstance(markup, InlineKeyboardMarkup)
    shown = (html_to_plain(rendered.text), markup)
    key = (message.chat_id, message.message_id)
    if _LAST_SHOWN.get(key, (message.text, message.reply_markup)) == shown:
        return  # the same button pressed twice: it already shows this (Telegram would refuse)
    try:
        await retrying(lambda: message.edit_text(rendered.text, reply_markup=markup))
        _remember_shown(key, shown)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return  # a difference in formatting only: already showing this screen
        log.info("could not edit message %s (%s); sending a new one", message.id, exc.message)
        await send(update, context, rendered)


async def edit_shown(
    context: BotContext, chat_id: int, message_id: int, rendered: Rendered
) -> bool:
    """Edit a message outside a button press (a timer); False once it can no longer be edited
    (deleted, too old, or the chat blocked the bot), so the caller stops."""
    markup = rendered.markup
    assert markup is None or isinstance(markup, InlineKeyboardMarkup)
    shown = (html_to_plain(rendered.text), markup)
    key = (chat_id, message_id)
    if _LAST_SHOWN.get(key) == shown:
        return True
    try:
        await retrying(
            lambda: context.bot.edit_message_text(
                rendered.text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.info("message %s can no longer be edited (%s)", message_id, exc.message)
            return False
    except Forbidden:
        return False
    _remember_shown(key, shown)
    return True


# What each recently edited message shows now: a button's update carries the message as it was
# when pressed, which a quick second tap on the same keyboard has already changed.
_LAST_SHOWN: OrderedDict[tuple[int, int], tuple[str, InlineKeyboardMarkup | None]] = OrderedDict()
_LAST_SHOWN_SIZE = 10_000


def _remember_shown(key: tuple[int, int], shown: tuple[str, InlineKeyboardMarkup | None]) -> None:
    _LAST_SHOWN[key] = shown
    _LAST_SHOWN.move_to_end(key)
    if len(_LAST_SHOWN) > _LAST_SHOWN_SIZE:
        _LAST_SHOWN.popitem(last=False)


async def expired(update: Update, context: BotContext, *, answered: bool = False) -> None:
    """Stale, unknown or forged data: say so kindly and hand over a fresh menu. A query is
    answered once only (``answered``: it already was)."""
    query = update.callback_query
    view = context.view
    if query is not None and not answered:
        await query.answer(view.say("expired_toast"))
    await send(update, context, main_menu(view, "expired"))


ButtonHandler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def on_buttons(
    codec: ButtonCodec[Action],
    act: Callable[[Update, BotContext, Action], Awaitable[None]],
    known: Callable[[BotContext, Action], bool] = lambda context, action: True,
) -> ButtonHandler:
    """The one shape of a button handler: decode, then answer the query (so the spinner stops
    at once) while acting. Data that does not decode, or names what the user's catalogue does not
    have (``known``), gets the expired menu."""

    async def on_button(update: Update, context: BotContext) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if query is not None and chat is not None and chat.type != ChatType.PRIVATE:
            # A button under a message in a group: never show anyone's diary or settings there.
            await query.answer(context.view.say("private_only_toast"), show_alert=True)
            return
        action = codec.decode(query.data if query else None)
        if query is None or action is None or not known(context, action):
            await expired(update, context)
            return
        # Both at once: the spinner stops and the screen changes within one round trip.
        answering = asyncio.ensure_future(query.answer())
        try:
            await act(update, context, action)
        finally:
            await answering

    on_button.__name__ = f"on_button[{codec.prefix}]"  # the update log names the family
    return on_button
