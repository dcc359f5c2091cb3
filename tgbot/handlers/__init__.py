"""Handlers: Telegram I/O only. Every handler is registered here, in one visible block."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from tgbot.handlers import admin, commands, fallbacks, members, menu, settings
from tgbot.handlers.context import BotApplication
from tgbot.handlers.diary import flow as diary
from tgbot.handlers.diary import your_data
from tgbot.handlers.errors import on_error
from tgbot.handlers.hold_timer import stop_on_press
from tgbot.handlers.reminders import flow as reminders
from tgbot.handlers.replies import on_buttons
from tgbot.handlers.tracking import logged, track_user
from tgbot.services.diary.actions import DIARY_BUTTONS
from tgbot.services.diary.data_actions import DATA_BUTTONS
from tgbot.services.navigation import MENU_BUTTONS
from tgbot.services.reminders.actions import REMINDER_BUTTONS
from tgbot.services.settings import SETTINGS_BUTTONS

# Group -1 runs before the handlers of group 0 for every update.
TRACKING_GROUP = -1
# Before that: any button press stops the chat's hold countdown (⏱ then starts a new one).
COUNTDOWN_GROUP = -2


def register_handlers(app: BotApplication) -> None:
    app.add_handler(CallbackQueryHandler(stop_on_press), group=COUNTDOWN_GROUP)
    app.add_handler(TypeHandler(Update, track_user), group=TRACKING_GROUP)

    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    for name, callback in (
        ("start", commands.start),
        ("menu", commands.menu),
        ("help", commands.help_command),
        ("disclaimer", commands.disclaimer),
        ("privacy", commands.privacy),
        ("forget", commands.forget),
        ("reminders", reminders.reminders_command),
        ("remind", reminders.remind_command),
        ("diary", diary.diary_command),
        ("export", your_data.export_command),
        ("settings", settings.settings_command),
        ("language", settings.language_command),
        # Operators only, and not in the published command menu.
        ("stats", admin.stats_command),
        ("broadcast_test", admin.broadcast_test_command),
    ):
        app.add_handler(CommandHandler(name, logged(callback), filters=private & new_message))

    reminder_buttons = logged(on_buttons(REMINDER_BUTTONS, reminders.act))
    app.add_handler(CallbackQueryHandler(reminder_buttons, pattern=REMINDER_BUTTONS.pattern))
    diary_buttons = logged(on_buttons(DIARY_BUTTONS, diary.act))
    app.add_handler(CallbackQueryHandler(diary_buttons, pattern=DIARY_BUTTONS.pattern))
    data_buttons = logged(on_buttons(DATA_BUTTONS, your_data.act))
    app.add_handler(CallbackQueryHandler(data_buttons, pattern=DATA_BUTTONS.pattern))
    settings_buttons = logged(on_buttons(SETTINGS_BUTTONS, settings.act, settings.known))
    app.add_handler(CallbackQueryHandler(settings_buttons, pattern=SETTINGS_BUTTONS.pattern))
    # The menu's buttons have no prefix: last, it takes every other press (stale ones too).
    app.add_handler(CallbackQueryHandler(logged(on_buttons(MENU_BUTTONS, menu.act, menu.known))))
    app.add_handler(ChatMemberHandler(logged(members.on_my_chat_member)))

    app.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED, logged(fallbacks.on_edited_message))
    )
    app.add_handler(MessageHandler(private & filters.COMMAND, logged(fallbacks.on_unknown_command)))
    app.add_handler(MessageHandler(private & filters.TEXT, logged(fallbacks.on_text)))
    app.add_handler(MessageHandler(private & filters.LOCATION, logged(reminders.on_location)))
    app.add_handler(MessageHandler(private & new_message, logged(fallbacks.on_other_message)))

    app.add_error_handler(on_error)
