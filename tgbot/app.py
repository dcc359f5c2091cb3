"""Build the python-telegram-bot Application: one factory used by run, chat, ask and tests."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, Defaults
from telegram.request import BaseRequest

from tgbot.bot_api_compat import LenientHTTPXRequest
from tgbot.config import Settings
from tgbot.content import Content, load_content
from tgbot.content.catalog import DEFAULT_LANGUAGE
from tgbot.handlers import register_handlers
from tgbot.handlers.context import SERVICES_KEY, BotApplication, BotContext, BotServices
from tgbot.storage import UserRepository, open_database

log = logging.getLogger(__name__)

# What Telegram should send us; stated explicitly because Telegram remembers the last list.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
# Used with the local stand-in, which needs some well-formed token.
STANDIN_TOKEN = "123456:LOCAL-STANDIN"

_SETTINGS_KEY = "settings"
_CONTENT_KEY = "content"


def build_application(
    settings: Settings,
    *,
    content: Content | None = None,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    rate_limited: bool = True,
) -> BotApplication:
    """Content is loaded (and validated) here, before any network or database work."""
    content = content or load_content(settings.messages_dir)
    builder = (
        Application.builder()
        .token(settings.token or STANDIN_TOKEN)
        .context_types(ContextTypes(context=BotContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request or request)
    elif settings.api_base_url:
        root = settings.api_base_url
        builder = (
            builder.base_url(f"{root}/bot")
            .base_file_url(f"{root}/file/bot")
            .request(LenientHTTPXRequest(connection_pool_size=256))
            .get_updates_request(LenientHTTPXRequest(connection_pool_size=1))
        )
    if rate_limited:
        # Telegram's ~30 messages/s overall; a 429 is retried after its retry_after.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    app: BotApplication = builder.build()  # type: ignore[assignment]
    app.bot_data[_SETTINGS_KEY] = settings
    app.bot_data[_CONTENT_KEY] = content
    register_handlers(app)
    return app


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    settings: Settings = app.bot_data[_SETTINGS_KEY]
    content: Content = app.bot_data[_CONTENT_KEY]
    database = await open_database(settings.db_path)
    app.bot_data[SERVICES_KEY] = BotServices(
        settings=settings, content=content, database=database, users=UserRepository(database)
    )
    await _set_commands(app, content)
    log.info("bot @%s ready; languages: %s", app.bot.username, ", ".join(content.languages))


async def _set_commands(app: Application[Any, Any, Any, Any, Any, Any], content: Content) -> None:
    """Publish the command menu; a server that refuses it must not stop the bot."""
    for language, catalog in content.catalogs.items():
        commands = [BotCommand(c.command, c.description) for c in catalog.commands]
        # The default language also serves every user whose language we do not have.
        code = None if language == DEFAULT_LANGUAGE else language
        try:
            await app.bot.set_my_commands(commands, language_code=code)
        except TelegramError as exc:
            log.warning("could not set the command menu (%s): %s", language, exc)


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services: BotServices | None = app.bot_data.get(SERVICES_KEY)
    if services is not None:
        await services.database.close()
