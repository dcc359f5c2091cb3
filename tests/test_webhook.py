"""Webhook mode as Telegram and a load balancer drive it: real replicas (``serve_webhook``,
the code behind ``tgbot run --webhook``) on the loopback, the Bot API stand-in over HTTP,
and several replicas on one PostgreSQL schema."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import POSTGRES_URL
from tests.test_cli import run_tgbot
from tgbot.app import STANDIN_TOKEN, build_application
from tgbot.config import ConfigError, Settings, load_settings
from tgbot.content import Content
from tgbot.handlers.context import BotApplication
from tgbot.storage import open_store
from tgbot.storage.database import StorageUnavailable
from tgbot.storage.updates import (
    _ARRIVE,
    REORDER_WAIT_S,
    RETENTION_S,
    Arrival,
    ChatLanes,
    ReadAhead,
    open_update_gate,
)
from tgbot.storage.users import UserRepository, read_ahead_sql, users_read_ahead
from tgbot.webhook import SECRET_HEADER, serve_webhook
from tgbot_devtools.standin import FakeBotAPI
from tgbot_devtools.standin.http_server import StandinHttpServer, start_http_server
from tgbot_devtools.standin.records import JSON

SECRET = "test-secret_0123456789"
START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Replica:
    name: str
    app: BotApplication
    base: str  # http://127.0.0.1:PORT

    @property
    def hook(self) -> str:
        return f"{self.base}/telegram"


@pytest.fixture
async def standin() -> AsyncIterator[StandinHttpServer]:
    server = await start_http_server(FakeBotAPI(STANDIN_TOKEN))
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@contextlib.asynccontextmanager
async def replica(
    name: str,
    standin: StandinHttpServer,
    store: str | Path,
    content: Content,
    public_url: str | None = None,
) -> AsyncIterator[Replica]:
    """One replica serving webhooks until the block ends (then stopped as on SIGTERM).
    ``public_url``: the load balancer's, shared by replicas (default: this one's own)."""
    port = free_port()
    settings = Settings(
        token=STANDIN_TOKEN,
        api_base_url=standin.base_url,
        db_path=store if isinstance(store, Path) else Settings.db_path,
        database_url=store if isinstance(store, str) else None,
        encoder="off",
        webhook_url=public_url or f"http://127.0.0.1:{port}/telegram",
        webhook_listen=f"127.0.0.1:{port}",
        webhook_secret=SECRET,
        replica_id=name,
    )
    app = build_application(settings, content=content, rate_limited=False)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_webhook(app, settings, lambda: True, stop.wait))
    running = Replica(name, app, f"http://127.0.0.1:{port}")
    try:
        await _until_ready(running, serving)
        yield running
    finally:
        stop.set()
        await serving


async def _until_ready(running: Replica, serving: asyncio.Task[None]) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(START_TIMEOUT_S):
        while True:
            if serving.done():
                serving.result()  # its exception, if it failed to start
                raise AssertionError(f"replica {running.name} stopped before it was ready")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{running.base}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.02)


async def post(
    http: aiohttp.ClientSession, to: Replica, update: JSON, secret: str | None = SECRET
) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with http.post(to.hook, json=update, headers=headers) as response:
        return response.status


def texts(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [str(m.get("text", "")) for m in api.chat_messages(chat_id)]


def processed(url: str, update_id: int) -> list[str]:
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT replica FROM processed_updates WHERE update_id = %s", (update_id,)
        ).fetchall()
    return [str(row[0]) for row in rows]


# ---------------------------------------------------------------------------- one replica


async def test_a_request_without_the_right_secret_gets_401_and_is_not_handled(
    standin: StandinHttpServer, http: aiohttp.ClientSession, tmp_path: Path, content: Content
) -> None:
    api = standin.api
    async with replica("solo", standin, tmp_path / "bot.sqlite3", content) as solo:
        user = api.user(501)
        assert await post(http, solo, user.send_text("/help"), secret=None) == 401
        assert await post(http, solo, user.send_text("/help"), secret="wrong") == 401
        assert await post(http, solo, user.send_text("/help"), secret=SECRET[:-1]) == 401
        assert await post(http, solo, user.send_text("/help"), secret="ünïcode") == 401
        assert texts(api, 501) == []
        assert await post(http, solo, user.send_text("/help"), secret=SECRET) == 200
        replies = texts(api, 501)
        assert len(replies) == 1 and replies[0]  # the user got /help's answer
        async with http.post(solo.hook, data=b"{not json", headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 400


async def test_an_update_delivered_twice_is_handled_once_on_sqlite(
    standin: StandinHttpServer, http: aiohttp.ClientSession, tmp_path: Path, content: Content
) -> None:
    api = standin.api
    async with replica("solo", standin, tmp_path / "bot.sqlite3", content) as solo:
        update = api.user(502).send_text("/help")
        api.inject_fault("sendMessage", kind="slow", delay=0.3, chat_id=502)
        statuses = await asyncio.gather(*(post(http, solo, update) for _ in range(3)))
        assert statuses == [200, 200, 200]
        assert len(texts(api, 502)) == 1


async def test_webhook_port_serves_health_readiness_and_metrics_with_the_replica(
    standin: StandinHttpServer, http: aiohttp.ClientSession, tmp_path: Path, content: Content
) -> None:
    from tgbot.metrics import set_replica

    set_replica("replica-7")  # what tgbot run does with TGBOT_REPLICA_ID
    async with replica("solo", standin, tmp_path / "bot.sqlite3", content) as solo:
        await post(http, solo, standin.api.user(503).send_text("/help"), secret="wrong")
        for path in ("/healthz", "/readyz"):
            async with http.get(solo.base + path) as response:
                assert response.status == 200
        async with http.get(f"{solo.base}/metrics") as response:
            body = await response.text()
        assert 'tgbot_replica_info{replica="replica-7"} 1.0' in body
        assert 'tgbot_webhook_requests_total{outcome="unauthorized"}' in body
        info = standin.api.updates
        assert info.webhook_url == f"{solo.hook}" and info.webhook_secret == SECRET


async def test_the_standin_delivers_to_the_webhook_and_retries_a_refused_update(
    tmp_path: Path, content: Content
) -> None:
    """Telegram's side too: the stand-in POSTs the user's updates to the URL setWebhook gave
    it, with the secret; refused (401) ones are sent again until they are accepted."""
    server = await start_http_server(FakeBotAPI(STANDIN_TOKEN), deliver_webhooks=True)
    api = server.api
    try:
        async with replica("solo", server, tmp_path / "bot.sqlite3", content):
            user = api.user(504)
            update = user.send_text("/help")
            await api.wait_confirmed(update["update_id"], timeout=10)
            assert len(texts(api, 504)) == 1
            api.updates.webhook_secret = "not-the-secret"  # as if the secret were rotated
            refused = user.send_text("/privacy")
            await asyncio.sleep(0.8)
            assert not api.is_settled(refused["update_id"]) and len(texts(api, 504)) == 1
            api.updates.webhook_secret = SECRET
            await api.wait_confirmed(refused["update_id"], timeout=10)
            assert len(texts(api, 504)) == 2
    finally:
        await server.close()


# ---------------------------------------------------------------------------- replicas


async def test_the_same_update_posted_to_two_replicas_is_handled_once(
    standin: StandinHttpServer, http: aiohttp.ClientSession, postgres_url: str, content: Content
) -> None:
    api = standin.api
    async with (
        replica("a", standin, postgres_url, content) as a,
        replica("b", standin, postgres_url, content) as b,
    ):
        update = api.user(601).send_text("/help")
        # Slow enough that both deliveries are in flight at once.
        api.inject_fault("sendMessage", kind="slow", delay=0.3, chat_id=601)
        statuses = await asyncio.gather(post(http, a, update), post(http, b, update))
        assert list(statuses) == [200, 200]
        assert len(texts(api, 601)) == 1
        assert len(processed(postgres_url, update["update_id"])) == 1
        assert await post(http, b, update) == 200  # Telegram's retry, later
        assert len(texts(api, 601)) == 1


async def test_a_chats_updates_posted_to_different_replicas_are_handled_in_order(
    standin: StandinHttpServer, http: aiohttp.ClientSession, postgres_url: str, content: Content
) -> None:
    api = standin.api
    commands = ["/help", "/privacy", "/disclaimer", "/menu"]
    async with (
        replica("a", standin, postgres_url, content) as a,
        replica("b", standin, postgres_url, content) as b,
    ):
        reference = api.user(700)
        for command in commands:  # one at a time: the replies in order, for comparison
            assert await post(http, a, reference.send_text(command)) == 200
        expected = texts(api, 700)

        # The first reply is slow: without a turn per chat the later ones would overtake it.
        api.inject_fault("sendMessage", kind="slow", delay=0.8, chat_id=701)
        user = api.user(701)
        posts = []
        for i, command in enumerate(commands):
            update = user.send_text(command)
            posts.append(asyncio.create_task(post(http, (a, b)[i % 2], update)))
            await asyncio.sleep(0.15)
        assert await asyncio.gather(*posts) == [200] * len(commands)
        assert texts(api, 701) == expected


async def test_a_chats_updates_arriving_together_are_handled_in_update_order(
    standin: StandinHttpServer, http: aiohttp.ClientSession, postgres_url: str, content: Content
) -> None:
    """The later update reaches its replica first and asks for the chat's turn first; the
    turn still handles the earlier one first (the inbox, in update_id order)."""
    api = standin.api
    async with (
        replica("a", standin, postgres_url, content) as a,
        replica("b", standin, postgres_url, content) as b,
    ):
        reference = api.user(800)
        for command in ("/help", "/privacy"):
            assert await post(http, a, reference.send_text(command)) == 200
        expected = texts(api, 800)
        user = api.user(801)
        first, second = user.send_text("/help"), user.send_text("/privacy")
        assert second["update_id"] > first["update_id"]
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as held:
            # The chat's turn is busy (as if a third replica held it) while both arrive.
            key = "hashtextextended(coalesce(current_schema(), '') || ':chat:801', 0)"
            await held.execute(f"SELECT pg_advisory_lock({key})")
            later = asyncio.create_task(post(http, b, second))
            await until_arrived(held, second["update_id"])
            await asyncio.sleep(0.1)  # b is now waiting for the turn
            earlier = asyncio.create_task(post(http, a, first))
            await until_arrived(held, first["update_id"])
            await held.execute(f"SELECT pg_advisory_unlock({key})")
            assert [await later, await earlier] == [200, 200]
        assert texts(api, 801) == expected


async def until_arrived(connection: psycopg.AsyncConnection[Any], update_id: int) -> None:
    async with asyncio.timeout(5):
        while True:
            cursor = await connection.execute(
                "SELECT 1 FROM update_inbox WHERE update_id = %s", (update_id,)
            )
            if await cursor.fetchone() is not None:
                return
            await asyncio.sleep(0.01)


async def test_an_update_whose_replica_dies_mid_way_is_handled_on_the_retry(
    standin: StandinHttpServer, http: aiohttp.ClientSession, postgres_url: str, content: Content
) -> None:
    """Replica a loses its database connection (as when it is killed) while handling: it has
    marked nothing and its lock is gone, so Telegram's retry to replica b is handled."""
    api = standin.api
    async with (
        replica("a", standin, postgres_url, content) as a,
        replica("b", standin, postgres_url, content) as b,
    ):
        update = api.user(901).send_text("/help")
        api.inject_fault("sendMessage", kind="slow", delay=1.0, chat_id=901)
        first = asyncio.create_task(post(http, a, update))
        await asyncio.sleep(0.4)  # a holds the chat's lock, its reply on the way
        assert terminate_lock_holders(postgres_url) == 1
        assert await first != 200  # not acknowledged: Telegram will send it again
        assert processed(postgres_url, update["update_id"]) == []
        assert await post(http, b, update) == 200
        assert processed(postgres_url, update["update_id"]) == ["b"]
        assert await post(http, a, update) == 200  # a later retry: already handled
        assert processed(postgres_url, update["update_id"]) == ["b"]


def terminate_lock_holders(url: str) -> int:
    """End the sessions of this test's schema that hold an advisory lock."""
    schema = url.rsplit("application_name=", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(a.pid) FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = %s",
            (schema,),
        ).fetchall()
    return len(rows)


async def test_set_webhook_is_called_once_when_replicas_start_together(
    standin: StandinHttpServer, postgres_url: str, content: Content
) -> None:
    api = standin.api
    public = "https://bot.example.org/telegram"  # the load balancer in front of them all

    def set_calls() -> int:
        return sum(1 for c in api.calls if c.method.lower() == "setwebhook")

    async with contextlib.AsyncExitStack() as stack:
        await asyncio.gather(
            *(
                stack.enter_async_context(replica(name, standin, postgres_url, content, public))
                for name in ("a", "b", "c")
            )
        )
        assert set_calls() == 1
        call = next(c for c in api.calls if c.method.lower() == "setwebhook")
        assert call.params["url"] == public and call.params["secret_token"] == SECRET
        assert str(call.params["max_connections"]) == "40"
        info = api.updates
        assert info.webhook_secret == SECRET and info.webhook_max_connections == 40
        # A replica restarted later finds it set too.
        async with replica("d", standin, postgres_url, content, public):
            assert set_calls() == 1
    # Telegram lost it (deleteWebhook by hand): the next start sets it again.
    await api.handle("deleteWebhook", {})
    async with replica("e", standin, postgres_url, content, public):
        assert set_calls() == 2


class TcpProxy:
    """The database's address, as the replica sees it: ``down()`` closes every connection
    and refuses new ones, as a database server that went away."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()
            self._writers.discard(writer)


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit(":", 1)[0] if ":" in parts.netloc else parts.netloc
    return urlunsplit(parts._replace(netloc=f"{netloc}:{port}"))


async def test_readyz_fails_while_the_database_is_down(
    standin: StandinHttpServer, http: aiohttp.ClientSession, postgres_url: str, content: Content
) -> None:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.up()
    try:
        async with replica("a", standin, through(postgres_url, proxy.port), content) as a:

            async def readyz() -> int:
                async with http.get(f"{a.base}/readyz") as response:
                    return response.status

            async def readyz_becomes(status: int, within_s: float) -> list[int]:
                seen = [await readyz()]
                for _ in range(int(within_s / 0.2)):
                    if seen[-1] == status:
                        break
                    await asyncio.sleep(0.2)
                    seen.append(await readyz())
                return seen

            assert await readyz() == 200
            await proxy.down()
            assert (await readyz_becomes(503, within_s=5))[-1] == 503
            async with http.get(f"{a.base}/healthz") as response:
                assert response.status == 200  # alive: a restart would not help
            await proxy.up()
            assert (await readyz_becomes(200, within_s=10))[-1] == 200
    finally:
        await proxy.down()


async def test_readyz_of_a_polling_bot_fails_while_the_database_is_down(
    postgres_url: str, tmp_path: Path
) -> None:
    """``tgbot run`` (polling) with TGBOT_METRICS_LISTEN: its /readyz asks the database too."""
    from tests.test_run_over_http import TOKEN, start_bot

    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.up()
    listen = f"127.0.0.1:{free_port()}"
    standin = await start_http_server(FakeBotAPI(TOKEN))
    process = await start_bot(
        standin,
        tmp_path,
        tmp_path / "unused.sqlite3",
        "WARNING",
        output=asyncio.subprocess.DEVNULL,
        TGBOT_DATABASE_URL=through(postgres_url, proxy.port),
        TGBOT_METRICS_LISTEN=listen,
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def readyz_becomes(status: int, within_s: float) -> int:
                seen = 0
                async with asyncio.timeout(within_s):
                    while seen != status:
                        await asyncio.sleep(0.2)
                        with contextlib.suppress(aiohttp.ClientError):
                            async with http.get(f"http://{listen}/readyz") as response:
                                seen = response.status
                return seen

            assert await readyz_becomes(200, within_s=20) == 200
            await proxy.down()
            assert await readyz_becomes(503, within_s=8) == 503
            await proxy.up()
            assert await readyz_becomes(200, within_s=15) == 200
    finally:
        await proxy.down()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            await process.wait()
        await standin.close()


async def test_the_gate_forgets_processed_updates_after_a_day(store_location: str | Path) -> None:
    """The repository on both stores: once per update_id, until the row expires."""
    store = await open_store(store_location)
    url = store_location if isinstance(store_location, str) else None
    gate = await open_update_gate(store, url, "r1", turns=2)
    handled: list[int] = []

    async def handle(update_id: int, payload: str, ahead: ReadAhead = None) -> None:
        handled.append(update_id)

    try:
        arrival = Arrival(update_id=41, chat_key=7, payload='{"update_id": 41}')
        assert await gate.deliver(arrival, handle) == "handled"
        assert await gate.deliver(arrival, handle) == "duplicate"
        assert await gate.forget_expired(now=time.time()) == 0
        assert await gate.forget_expired(now=time.time() + RETENTION_S + 60) == 1
        assert await gate.deliver(arrival, handle) == "handled"  # a day on: new again
        assert handled == [41, 41]

        async def failing(update_id: int, payload: str, ahead: ReadAhead = None) -> None:
            raise RuntimeError("the handler broke")

        broken = Arrival(update_id=42, chat_key=7, payload='{"update_id": 42}')
        with pytest.raises(RuntimeError):
            await gate.deliver(broken, failing)
        assert await gate.deliver(broken, handle) == "handled"  # not marked: retried
        assert handled == [41, 41, 42]
    finally:
        await gate.close()
        await store.close()


async def test_the_sweep_reports_a_database_that_is_down_rather_than_ending_the_server(
    postgres_url: str,
) -> None:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.up()
    url = through(postgres_url, proxy.port)
    store = await open_store(url)
    gate = await open_update_gate(store, url, "r1", turns=1)
    try:
        assert await gate.forget_expired() == 0
        await proxy.down()
        with pytest.raises(StorageUnavailable):  # _sweep logs it and tries again later
            await gate.forget_expired()
    finally:
        await proxy.down()
        await gate.close()
        await store.close()


async def test_a_turn_handles_the_chats_waiting_updates_in_order_then_its_own(
    postgres_url: str,
) -> None:
    """Updates whose replica died after they arrived wait in the inbox: the chat's next turn
    handles them first, oldest first, each marked done before the next is taken."""
    store = await open_store(postgres_url)
    gate = await open_update_gate(store, postgres_url, "r2", turns=2)
    handled: list[tuple[int, list[str]]] = []

    read: list[ReadAhead] = []

    async def handle(update_id: int, payload: str, ahead: ReadAhead = None) -> None:
        done = [processed(postgres_url, n) for n in (50, 51)]
        handled.append((update_id, [r[0] if r else "" for r in done]))
        read.append(ahead)

    try:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            for update_id in (51, 50):  # arrival order differs from update order
                connection.execute(
                    "INSERT INTO update_inbox (update_id, chat_key, payload, arrived_at) "
                    "VALUES (%s, 9, %s, %s)",
                    (update_id, f'{{"update_id": {update_id}}}', int(time.time())),
                )
        # Read ahead in each turn, after the lock: each sees the updates before it done.
        done_before = "SELECT count(*) AS done FROM processed_updates WHERE update_id IN (50, 51)"
        own = Arrival(update_id=52, chat_key=9, payload='{"update_id": 52}', read_ahead=done_before)
        assert await gate.deliver(own, handle) == "handled"
        assert handled == [(50, ["", ""]), (51, ["r2", ""]), (52, ["r2", "r2"])]
        assert read == [[{"done": 0}], [{"done": 1}], [{"done": 2}]]
        late = Arrival(update_id=50, chat_key=9, payload='{"update_id": 50}')
        assert await gate.deliver(late, handle) == "duplicate"  # Telegram's retry of 50
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            assert connection.execute("SELECT count(*) FROM update_inbox").fetchone() == (0,)
    finally:
        await gate.close()
        await store.close()


async def test_a_chats_later_update_waits_for_an_earlier_one_still_on_its_way(
    postgres_url: str,
) -> None:
    """Two of one chat's updates reach two replicas; the earlier one's replica is slow to
    record it (a busy event loop). The later one waits for it, whatever the delay (well
    past a fixed window), and the two are handled in update_id order."""
    store = await open_store(postgres_url)
    gates = [await open_update_gate(store, postgres_url, f"r{n}", turns=2) for n in (1, 2)]
    handled: list[int] = []

    async def handle(update_id: int, payload: str, ahead: ReadAhead = None) -> None:
        handled.append(update_id)

    def arrival(update_id: int) -> Arrival:
        return Arrival(update_id, chat_key=5, payload=f'{{"update_id": {update_id}}}')

    async def late(update_id: int, delay: float) -> str:
        await asyncio.sleep(delay)
        return await gates[0].deliver(arrival(update_id), handle)

    try:
        assert await gates[0].deliver(arrival(70), handle) == "handled"  # the bot's first
        second = asyncio.create_task(late(71, delay=0.15))
        assert await gates[1].deliver(arrival(72), handle) == "handled"
        assert await second in ("handled", "duplicate")  # 72's turn may have handled 71
        assert handled == [70, 71, 72]
    finally:
        for gate in gates:
            await gate.close()
        await store.close()


async def test_an_update_that_never_arrives_is_waited_for_once(postgres_url: str) -> None:
    """A gap in update_id (lost on the way; Telegram sends it again later) holds the next
    update back at most REORDER_WAIT_S, and the ones after it not at all."""
    store = await open_store(postgres_url)
    gate = await open_update_gate(store, postgres_url, "r1", turns=2)
    handled: list[int] = []

    async def handle(update_id: int, payload: str, ahead: ReadAhead = None) -> None:
        handled.append(update_id)

    def arrival(update_id: int, chat: int) -> Arrival:
        return Arrival(update_id, chat_key=chat, payload=f'{{"update_id": {update_id}}}')

    try:
        assert await gate.deliver(arrival(80, 1), handle) == "handled"
        started = time.monotonic()
        assert await gate.deliver(arrival(82, 2), handle) == "handled"  # 81 never comes
        waited = time.monotonic() - started
        assert REORDER_WAIT_S * 0.8 <= waited < REORDER_WAIT_S + 1.0
        started = time.monotonic()
        assert await gate.deliver(arrival(83, 2), handle) == "handled"
        assert time.monotonic() - started < REORDER_WAIT_S * 0.5
        assert await gate.deliver(arrival(81, 1), handle) == "handled"  # the retry, late
        assert handled == [80, 82, 83, 81]
    finally:
        await gate.close()
        await store.close()


async def test_an_arrival_relaxes_the_flush_of_its_own_commit_only(postgres_url: str) -> None:
    """The inbox row is committed without waiting for the WAL flush; the session keeps
    synchronous commits, so the turn's commit (the update marked done) is flushed."""
    store = await open_store(postgres_url)  # the schema, migrated
    try:
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
            async with conn.transaction():  # to see the setting before the commit
                await conn.execute(_ARRIVE, (61, 9, '{"update_id": 61}', int(time.time()), 61))
                cursor = await conn.execute("SHOW synchronous_commit")
                assert await cursor.fetchone() == ("off",)
            await conn.execute(_ARRIVE, (62, 9, '{"update_id": 62}', int(time.time()), 62))
            cursor = await conn.execute("SHOW synchronous_commit")
            assert await cursor.fetchone() == ("on",)
            cursor = await conn.execute("SELECT update_id FROM update_inbox ORDER BY update_id")
            assert await cursor.fetchall() == [(61,), (62,)]
    finally:
        await store.close()


async def test_a_users_change_through_one_replica_is_seen_by_another_at_once(
    postgres_url: str,
) -> None:
    """Each replica's UserRepository on one schema: rows are read, not served from memory."""
    stores = [await open_store(postgres_url) for _ in range(2)]
    here, there = (UserRepository(store) for store in stores)
    try:
        assert (await here.touch(5, "en", now=1_000)).language == "en"
        assert (await here.get(5)) is not None
        await there.set_language(5, "de")
        await there.update_settings(5, prompt={"what": "zone", "opened": 1_000})
        seen = await here.touch(5, "en", now=1_010)  # within the last-seen resolution
        assert seen.language == "de" and seen.settings.prompt is not None
        assert seen.last_seen_at == 1_000  # a read: last seen is written once a minute
        assert (await here.get(5)) == seen
        assert (await here.touch(5, "en", now=1_100)).last_seen_at == 1_100
    finally:
        for store in stores:
            await store.close()


# ---------------------------------------------------------------------------- settings


def test_run_webhook_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": STANDIN_TOKEN,
        "TGBOT_WEBHOOK_URL": "https://bot.example.org/telegram",
    }
    result = run_tgbot(["run", "--webhook"], tmp_path, **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TGBOT_WEBHOOK_SECRET is not set" in lines[0], result.stderr
    bad = run_tgbot(["run", "--webhook"], tmp_path, TGBOT_WEBHOOK_SECRET="has space!", **env)
    assert bad.returncode == 2 and "TGBOT_WEBHOOK_SECRET must be 1-256" in bad.stderr
    assert "has space" not in bad.stderr  # a secret is never echoed


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TGBOT_WEBHOOK_SECRET": "x" * 257}, "TGBOT_WEBHOOK_SECRET must be 1-256"),
        ({"TGBOT_WEBHOOK_MAX_CONNECTIONS": "0"}, "from 1 to 100"),
        ({"TGBOT_WEBHOOK_MAX_CONNECTIONS": "101"}, "from 1 to 100"),
        ({"TGBOT_WEBHOOK_LISTEN": "0.0.0.0"}, "TGBOT_WEBHOOK_LISTEN must be host:port"),
        ({"TGBOT_WEBHOOK_URL": "bot.example.org"}, "TGBOT_WEBHOOK_URL must be"),
        ({"TGBOT_REPLICA_ID": "a b"}, "TGBOT_REPLICA_ID must be"),
    ],
)
def test_webhook_settings_are_checked(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env, dotenv_path=None)


def test_webhook_settings_defaults() -> None:
    settings = load_settings({"TGBOT_WEBHOOK_SECRET": "abc_-9"}, dotenv_path=None)
    assert settings.webhook_listen == "0.0.0.0:8443" and settings.webhook_max_connections == 40
    assert settings.replica_id  # hostname-pid
    assert "abc_-9" not in repr(settings)


async def test_chat_lanes_keep_arrival_order_even_when_a_waiter_gives_up() -> None:
    lanes = ChatLanes()
    order: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def hold(name: str, gate: asyncio.Event | None = None) -> None:
        async with lanes.turn(1):
            order.append(name)
            if gate is not None:
                first_in.set()
                await gate.wait()

    first = asyncio.create_task(hold("first", release))
    await first_in.wait()
    quitter = asyncio.create_task(hold("quitter"))
    third = asyncio.create_task(hold("third"))
    await asyncio.sleep(0)
    quitter.cancel()
    await asyncio.sleep(0.01)
    assert order == ["first"]  # the third still waits for the first, not for the quitter
    release.set()
    await asyncio.gather(first, third, return_exceptions=True)
    assert order == ["first", "third"] and len(lanes) == 0


async def test_the_senders_row_read_ahead_is_the_row_touch_would_read(postgres_url: str) -> None:
    """The gate's connections read jsonb as objects, the store's as text: read_ahead_sql gives
    the store's shape, and touch() takes it instead of a query of its own."""
    store = await open_store(postgres_url)
    users = UserRepository(store)
    try:
        await users.touch(5, "en", 1000)
        await users.update_settings(5, country="DE", medicines="ibuprofen")
        await users.set_time_zone(5, "Europe/Berlin")
        stored = await users.get(5)
        with psycopg.connect(postgres_url, autocommit=True, row_factory=dict_row) as connection:
            rows = connection.execute(read_ahead_sql(5)).fetchall()
            connection.execute("UPDATE users SET language = 'fr' WHERE user_id = 5")
        # Changed since it was read ahead: touch() returns what was read (under the chat's
        # lock, in webhook mode), not the newer row, so it made no query.
        with users_read_ahead(5, rows):
            assert await users.touch(5, "en", 1010) == stored
            assert (await users.touch(5, "en", 1010)).language == "fr"  # once only
        with users_read_ahead(6, []):  # read ahead: no such user, so it is created
            assert (await users.touch(6, "de", 1010)).language == "de"
        with users_read_ahead(7, rows):  # another user's read-ahead is not taken
            assert await users.touch(5, "en", 1010) != stored
    finally:
        await store.close()
