"""Webhook mode (``tgbot run --webhook``): Telegram POSTs each update to this replica; several
replicas behind a load balancer share one PostgreSQL database.

An aiohttp server rather than PTB's ``run_webhook`` (tornado): PTB's answers 200 as soon as
the update is queued, so a replica that dies afterwards loses it, and it has no place for a
lock across replicas. Here each request is handled inside the request: the secret header is
checked first (401, nothing read further), then the update waits for its chat's turn in the
database (storage/updates.py), is handled by the same handlers as polling
(``Application.process_update``), and only then is it recorded and answered 200. A failure
answers 5xx, so Telegram sends it again; an update already handled answers 200 at once.
/healthz, /readyz and /metrics are served on the same port (metrics.py's answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update

from tgbot.app import ALLOWED_UPDATES, readiness_of, stop_and_shut_down, stop_signal, store_of
from tgbot.config import Settings
from tgbot.health import DatabaseReadiness
from tgbot.metrics import WEBHOOK_REQUESTS, exposition, probe
from tgbot.storage import StorageUnavailable
from tgbot.storage.updates import Arrival, ReadAhead, UpdateGate, open_update_gate
from tgbot.storage.users import read_ahead_sql, users_read_ahead

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Updates this replica handles at once, each holding a database connection meanwhile (the
# gate's pool); more wait their turn. Telegram's max_connections bounds all replicas together.
MAX_TURNS = 20
SWEEP_INTERVAL_S = 3600.0  # processed updates older than a day are deleted this often
_MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few KB; Telegram never sends files inline

AnyApplication = Any  # PTB's Application, six type parameters deep


def chat_key(update: Update) -> int:
    """Whose turn an update waits for: its chat, else its user, else its own id."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return update.update_id


def arrival_of(update: Update, payload: str) -> Arrival:
    """The update for the gate. Its sender's users row is read in the turn's message (one
    round trip less per update; the track_user handler reads it first thing)."""
    sender = update.effective_user
    read_ahead = read_ahead_sql(sender.id) if sender is not None and not sender.is_bot else None
    return Arrival(update.update_id, chat_key(update), payload, read_ahead)


class WebhookServer:
    """The aiohttp application: the webhook path, then the operations endpoints."""

    def __init__(
        self,
        app: AnyApplication,
        gate: UpdateGate,
        *,
        secret: str,
        path: str,
        readiness: DatabaseReadiness,
        healthy: Callable[[], bool],
    ) -> None:
        self._app = app
        self._gate = gate
        self._secret = secret.encode()
        self._path = path
        self._readiness = readiness
        self._healthy = healthy

    def web_app(self) -> web.Application:
        web_app = web.Application(client_max_size=_MAX_UPDATE_BYTES)
        web_app.router.add_post(self._path, self._on_update)
        web_app.router.add_get("/healthz", self._on_probe)
        web_app.router.add_get("/readyz", self._on_probe)
        web_app.router.add_get("/metrics", self._on_metrics)
        return web_app

    async def _on_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._secret):
            WEBHOOK_REQUESTS.labels("unauthorized").inc()
            return web.Response(status=401, text="unauthorized\n")
        try:
            payload = await request.text()
            update = self._parse(payload)
        except Exception:  # not JSON, or not an update: nothing Telegram would send
            WEBHOOK_REQUESTS.labels("bad_request").inc()
            return web.Response(status=400, text="not an update\n")
        outcome = await self.handle(arrival_of(update, payload), update)
        WEBHOOK_REQUESTS.labels(outcome).inc()
        if outcome in ("handled", "duplicate"):
            return web.Response(text="ok\n")
        status = 503 if outcome == "unavailable" else 500
        return web.Response(status=status, text=f"{outcome}\n")  # Telegram retries

    def _parse(self, payload: str) -> Update:
        update = Update.de_json(json.loads(payload), self._app.bot)
        if not isinstance(update, Update):
            raise TypeError("not an update")
        return update

    async def handle(self, arrival: Arrival, update: Update) -> str:
        """Handle the update once across replicas; the outcome names what happened."""

        async def process(update_id: int, payload: str, ahead: ReadAhead) -> None:
            # The same handlers as polling. Another replica's update may come this way too:
            # storage/updates.py hands a chat's arrived updates to whoever holds its turn.
            own = update_id == update.update_id
            sender = update.effective_user
            with users_read_ahead(sender.id if sender else 0, ahead):
                await self._app.process_update(update if own else self._parse(payload))

        try:
            return await self._gate.deliver(arrival, process)
        except StorageUnavailable as exc:
            log.warning("update %d not handled, database unavailable: %s", arrival.update_id, exc)
            return "unavailable"
        except Exception:
            log.exception("update %d failed; Telegram will send it again", arrival.update_id)
            return "failed"

    async def _on_probe(self, request: web.Request) -> web.Response:
        ready = self._app.running and await self._readiness.ready()
        ok = probe(request.path, lambda: ready, self._healthy)
        return web.Response(status=200 if ok else 503, text="ok\n" if ok else "not yet\n")

    async def _on_metrics(self, request: web.Request) -> web.Response:
        body, content_type = exposition()
        return web.Response(body=body, headers={"Content-Type": content_type})


def webhook_fingerprint(settings: Settings) -> str:
    """What setWebhook was given, hashed: the secret is compared, never stored."""
    parts = [
        settings.webhook_url or "",
        settings.webhook_secret or "",
        ",".join(sorted(ALLOWED_UPDATES)),
        str(settings.webhook_max_connections),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


async def ensure_webhook(bot: Bot, gate: UpdateGate, settings: Settings) -> bool:
    """Point Telegram at TGBOT_WEBHOOK_URL once: one replica at a time, and only when
    Telegram's webhook (getWebhookInfo) or the recorded settings differ. True if it set it."""
    url = settings.webhook_url or ""
    changed = False

    async def ensure(known: bool) -> None:
        nonlocal changed
        info = await bot.get_webhook_info()
        if (
            known
            and info.url == url
            and info.max_connections == settings.webhook_max_connections
            and sorted(info.allowed_updates or ()) == sorted(ALLOWED_UPDATES)
        ):
            return
        await bot.set_webhook(
            url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=settings.webhook_max_connections,
        )
        changed = True

    await gate.set_webhook_once(webhook_fingerprint(settings), ensure)
    if changed:
        log.info("webhook set: Telegram now calls %s", urlsplit(url).hostname)
    return changed


async def _sweep(gate: UpdateGate) -> None:
    while True:
        try:
            deleted = await gate.forget_expired()
            if deleted:
                log.info("deleted %d processed updates older than a day", deleted)
        except StorageUnavailable as exc:
            log.warning("could not delete old processed updates: %s", exc)
        await asyncio.sleep(SWEEP_INTERVAL_S)


async def serve_webhook(
    app: AnyApplication,
    settings: Settings,
    healthy: Callable[[], bool],
    stopped: Callable[[], Awaitable[object]],
) -> None:
    """Run the bot in webhook mode until ``stopped()`` returns, then shut down like
    run_polling does (post_shutdown closes the database)."""
    await app.initialize()
    runner: web.AppRunner | None = None
    gate: UpdateGate | None = None
    sweeper: asyncio.Task[None] | None = None
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        store = store_of(app)
        turns = min(settings.webhook_max_connections, MAX_TURNS)
        gate = await open_update_gate(store, settings.database_url, settings.replica_id, turns)
        await ensure_webhook(app.bot, gate, settings)
        server = WebhookServer(
            app,
            gate,
            secret=settings.webhook_secret or "",
            path=urlsplit(settings.webhook_url or "").path or "/",
            readiness=readiness_of(app),
            healthy=healthy,
        )
        # aiohttp waits up to shutdown_timeout for the updates in flight when stopping.
        runner = web.AppRunner(server.web_app(), access_log=None, shutdown_timeout=10.0)
        await runner.setup()
        host, _, port = settings.webhook_listen.rpartition(":")
        await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
        sweeper = asyncio.create_task(_sweep(gate), name="processed-updates-sweep")
        log.info("replica %s serving webhooks on %s", settings.replica_id, settings.webhook_listen)
        await stopped()
    finally:
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        if runner is not None:
            await runner.cleanup()
        if gate is not None:
            await gate.close()
        await stop_and_shut_down(app)


def run_webhook(app: AnyApplication, settings: Settings, healthy: Callable[[], bool]) -> None:
    """``tgbot run --webhook``: serve until SIGINT or SIGTERM."""

    async def main() -> None:
        await serve_webhook(app, settings, healthy, stop_signal())

    asyncio.run(main())
