"""Build the python-telegram-bot Application: one factory used by run, chat, ask and tests."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, Defaults, ExtBot
from telegram.request import BaseRequest

from tgbot.config import Settings
from tgbot.content import Content, load_content
from tgbot.content.catalog import DEFAULT_LANGUAGE
from tgbot.handlers import register_handlers
from tgbot.handlers.context import SERVICES_KEY, BotApplication, BotContext, BotServices
from tgbot.handlers.ordering import PerUserOrder
from tgbot.handlers.reminders.delivery import TelegramReminderSender
from tgbot.handlers.send_limits import BudgetRateLimiter
from tgbot.health import (
    HEARTBEAT_INTERVAL_S,
    READY_TTL_S,
    DatabaseReadiness,
    write_heartbeat,
)
from tgbot.http_client import AiohttpRequest
from tgbot.metrics import attach_engine
from tgbot.services.backups import NightlyBackup
from tgbot.services.clock import Clock, SystemClock
from tgbot.services.diary.render import shutdown_workers
from tgbot.services.diary.service import DiaryService
from tgbot.services.operations import OperationsService
from tgbot.services.reminders.engine import MAX_SENDERS, ReminderEngine
from tgbot.services.reminders.service import ReminderService
from tgbot.services.replicas import ReplicaBudget
from tgbot.services.send_budget import SendBudget
from tgbot.services.understanding.languages import WarmUp
from tgbot.services.users import UserService
from tgbot.storage import DiaryRepository, ReminderRepository, Store, UserRepository, open_store
from tgbot.storage.replicas import ReplicaRepository, shared_store

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
# How often the reminder engine looks for due reminders.
TICK_SECONDS = 1.0
DIARY_CLEAN_UP_SECONDS = 24 * 3600
BACKUP_JOB = "nightly-backup"

_SETUP_KEY = "setup"
_COMMANDS_TASK_KEY = "set-commands"  # a reference, so the task is not collected mid-way
_DATABASE_KEY = "database"  # only app.py opens and closes it
_READINESS_KEY = "readiness"
_REPLICAS_KEY = "replicas"  # this replica's share of the budget, on a shared database


@dataclass
class _Setup:
    """What post_init needs to finish building the bot (it runs inside the event loop)."""

    settings: Settings
    content: Content
    clock: Clock
    reminder_bot: ExtBot[None]
    heartbeat: Path | None = None  # tgbot run's liveness file (tgbot health, /healthz)
    budget: SendBudget | None = None  # None: unpaced (the in-process test harness)


def build_application(
    settings: Settings,
    *,
    content: Content | None = None,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    reminder_request: BaseRequest | None = None,
    rate_limited: bool = True,
    clock: Clock | None = None,
    heartbeat: Path | None = None,
) -> BotApplication:
    """Content is loaded (and validated) here, before any network or database work."""
    content = content or load_content(settings.messages_dir)
    defaults = Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    builder = (
        Application.builder()
        .token(settings.token or STANDIN_TOKEN)
        .context_types(ContextTypes(context=BotContext))
        .defaults(defaults)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(PerUserOrder())
    )
    lenient = bool(settings.api_base_url)  # a stand-in or emulator, not Telegram itself
    updates_request = updates_request or request or AiohttpRequest(1, lenient=lenient)
    request = request or AiohttpRequest(256, lenient=lenient)
    builder = builder.request(request).get_updates_request(updates_request)
    if settings.api_base_url:
        root = settings.api_base_url
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    # One budget toward Telegram (~30 messages/s) for replies and reminders together.
    budget = SendBudget(settings.reply_rate, window_full_at_start=True) if rate_limited else None
    if budget is not None:
        builder = builder.rate_limiter(BudgetRateLimiter(budget))  # type: ignore[arg-type]
    app: BotApplication = builder.build()  # type: ignore[assignment]
    reminder_bot = _reminder_bot(settings, defaults, reminder_request)
    app.bot_data[_SETUP_KEY] = _Setup(
        settings, content, clock or SystemClock(), reminder_bot, heartbeat, budget
    )
    register_handlers(app)
    return app


def _reminder_bot(
    settings: Settings, defaults: Defaults, request: BaseRequest | None
) -> ExtBot[None]:
    """A second Bot without PTB's rate limiter hook: reminders are paced by their engine (on
    the shared budget), one connection per sender in flight."""
    token = settings.token or STANDIN_TOKEN
    lenient = bool(settings.api_base_url)
    request = request or AiohttpRequest(MAX_SENDERS, lenient=lenient)
    if settings.api_base_url:
        root = settings.api_base_url
        return ExtBot(
            token,
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=request,
            defaults=defaults,
        )
    return ExtBot(token, request=request, defaults=defaults)


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    setup: _Setup = app.bot_data[_SETUP_KEY]
    database = await open_store(setup.settings.store)
    app.bot_data[_DATABASE_KEY] = database
    app.bot_data[_READINESS_KEY] = DatabaseReadiness(database)
    user_rows = UserRepository(database)
    users = UserService(user_rows, setup.content, setup.clock)
    repository = ReminderRepository(database)
    await setup.reminder_bot.initialize()
    engine = ReminderEngine(
        repository,
        TelegramReminderSender(setup.reminder_bot, setup.content, users),
        setup.clock,
        rate=setup.settings.reminder_rate,
        pacer=setup.budget.for_reminders(setup.settings.reminder_rate) if setup.budget else None,
    )
    shared = shared_store(database)
    if shared is not None and setup.budget is not None:
        # Other replicas may use this database: take a share of the budget, before any send.
        replicas = ReplicaBudget(setup.budget, ReplicaRepository(shared), setup.clock, engine.owner)
        await replicas.join()
        app.bot_data[_REPLICAS_KEY] = replicas
    warm_up = WarmUp(setup.content, setup.settings.encoder)
    app.bot_data[SERVICES_KEY] = BotServices(
        settings=setup.settings,
        content=setup.content,
        users=users,
        reminders=ReminderService(repository, setup.clock),
        engine=engine,
        diary=DiaryService(DiaryRepository(database), repository, user_rows, setup.clock),
        operations=OperationsService(user_rows, repository, engine, setup.clock),
        clock=setup.clock,
        understanding=warm_up,
    )
    engine.start()
    attach_engine(engine)  # /metrics reads its counters
    if app.job_queue is None:
        _load_in_background(app.bot_data[SERVICES_KEY])
    else:
        # The encoder, the exemplars and the date reader load beside the running bot, not on
        # someone's first message, and not in threads that slow the first getUpdates (~1 s
        # at start-up): the job queue starts once polling or the webhook has.
        app.job_queue.run_once(
            _warm_up, when=0, name="warm-up", job_kwargs={"misfire_grace_time": None}
        )
        app.job_queue.run_repeating(
            _tick,
            interval=TICK_SECONDS,
            first=0,  # reminders already due at start-up go out at once
            name="reminder-tick",
            # A late tick is still useful; never pile up overlapping ticks.
            job_kwargs={"misfire_grace_time": 60, "coalesce": True, "max_instances": 1},
        )
        if setup.heartbeat is not None:
            # The first beat now: a repeating job's first run, due before the scheduler
            # starts, is moved one interval on (APScheduler), 30 s of looking "unhealthy".
            beat = setup.heartbeat
            write_heartbeat(beat)
            app.job_queue.run_repeating(
                lambda _: _beat(beat), interval=HEARTBEAT_INTERVAL_S, name="heartbeat"
            )
        if setup.settings.metrics_listen:
            # /readyz on the metrics port is served by a thread: it reads the last answer.
            # The first answer now: the job's first run, due before the scheduler starts, is
            # moved one interval on (as the heartbeat's), and a serving bot is ready.
            await readiness_of(app).ready()
            app.job_queue.run_repeating(_check_readiness, interval=READY_TTL_S, first=0)
        app.job_queue.run_repeating(
            _clean_up_diaries, interval=DIARY_CLEAN_UP_SECONDS, first=60, name="diary-retention"
        )
        settings = setup.settings
        if settings.backup_dir is not None and settings.database_url is not None:
            # SQLite's online copy; a PostgreSQL server is backed up by its own tools.
            log.warning("TGBOT_BACKUP_DIR is for SQLite: no nightly backup of PostgreSQL")
        elif settings.backup_dir is not None:
            backup = NightlyBackup(
                settings.db_path, settings.backup_dir, settings.backup_keep, setup.clock
            )
            app.job_queue.run_daily(
                lambda _: backup.run(), time=settings.backup_time, name=BACKUP_JOB
            )
    # Published beside the running bot: one call per language, each a round trip.
    app.bot_data[_COMMANDS_TASK_KEY] = asyncio.create_task(
        _set_commands(app, setup.content), name="set-commands"
    )
    log.info("bot @%s ready; languages: %s", app.bot.username, ", ".join(setup.content.languages))


def store_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Store:
    """The open store, once post_init has run (webhook mode's gate and readiness use it)."""
    store: Store = app.bot_data[_DATABASE_KEY]
    return store


async def stop_and_shut_down(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop and shut down as run_polling does, post_stop and post_shutdown included, for the
    modes that drive the application themselves (webhooks, the stand-in's driver)."""
    if app.running:
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


def readiness_of(app: Application[Any, Any, Any, Any, Any, Any]) -> DatabaseReadiness:
    """Whether the database answers, once post_init has run (/readyz on either port)."""
    readiness: DatabaseReadiness = app.bot_data[_READINESS_KEY]
    return readiness


def database_ready(app: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    """/readyz from another thread: running, and the database answered a moment ago."""
    readiness: DatabaseReadiness | None = app.bot_data.get(_READINESS_KEY)
    return app.running and readiness is not None and readiness.answer_now()


async def _check_readiness(context: BotContext) -> None:
    await readiness_of(context.application).ready()


async def _beat(path: Path) -> None:
    write_heartbeat(path)


def _load_in_background(services: BotServices) -> None:
    services.understanding.start()
    services.diary.start_loading()


async def _warm_up(context: BotContext) -> None:
    _load_in_background(context.services)


async def _tick(context: BotContext) -> None:
    await context.services.engine.tick()


async def _clean_up_diaries(context: BotContext) -> None:
    deleted = await context.services.diary.clean_up()
    if deleted:
        log.info("diary retention: %d old entries deleted", deleted)


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
    setup: _Setup = app.bot_data[_SETUP_KEY]
    if services is not None:
        await services.engine.stop()
        shutdown_workers()
    replicas: ReplicaBudget | None = app.bot_data.get(_REPLICAS_KEY)
    if replicas is not None:
        await replicas.leave()  # nothing is sent any more: the others may take our share
    database: Store | None = app.bot_data.get(_DATABASE_KEY)
    if database is not None:
        await database.close()
    await setup.reminder_bot.shutdown()


def stop_signal() -> Callable[[], Awaitable[object]]:
    """A wait that returns on SIGINT or SIGTERM (for the modes run_polling does not run)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop.wait


async def run_without_polling(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The bot without getUpdates, until SIGINT or SIGTERM: the reminder engine and its share
    of the budget. Telegram allows one poller per token, so the other replicas of a polling
    deployment run this (``tgbot run --no-polling``)."""
    stopped = stop_signal()
    await app.initialize()
    try:
        await _post_init(app)
        await app.start()
        await stopped()
    finally:
        await stop_and_shut_down(app)
