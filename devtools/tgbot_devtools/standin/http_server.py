"""Loopback HTTP server speaking the Bot API wire protocol on top of a ``FakeBotAPI``.

A PTB app reaches it with the default ``HTTPXRequest`` via
``.base_url(f"{server.base_url}/bot").base_file_url(f"{server.base_url}/file/bot")``.
A few ``/_standin/...`` control routes let another process act as a user and inject faults:

- ``POST /_standin/users/{id}/send`` ``{"text": ...}``; ``POST /_standin/users/{id}/press``
  ``{"message_id": N, "data"|"button": ...}``; ``GET /_standin/chats/{id}/messages``;
- ``POST /_standin/faults`` ``{"kind": "retry_after"|"forbidden"|"network"|"server_error"|
  "slow"|"lost", "method": "sendMessage" (default: any but getUpdates), "times": 1,
  "chat_id": N, "retry_after": 1, "delay": 1.0, "status": 500}``; ``GET`` lists the armed
  faults, ``DELETE`` clears them.

With ``deliver_webhooks=True``, once the bot calls setWebhook the server POSTs each pending
update to that URL as Telegram does (the ``X-Telegram-Bot-Api-Secret-Token`` header, up to
``max_connections`` at once, oldest first); a 2xx answer settles it, anything else (or no
answer) sends it again after ``WEBHOOK_RETRY_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import BodyPartReader, web

from tgbot_devtools.standin.api import FakeBotAPI, NetworkFault
from tgbot_devtools.standin.records import JSON, Upload
from tgbot_devtools.standin.users import FakeUser

_API_KEY = web.AppKey("standin_api", FakeBotAPI)
_MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the Bot API's limit for uploads
WEBHOOK_RETRY_S = 0.5  # Telegram waits longer; a test should not
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class StandinHttpServer:
    """A running server; ``base_url`` is ``http://HOST:PORT``."""

    def __init__(self, api: FakeBotAPI, runner: web.AppRunner, host: str, port: int) -> None:
        self.api = api
        self.host = host
        self.port = port
        self._runner = runner
        self._sender: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url``."""
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url``."""
        return f"{self.base_url}/file/bot"

    async def close(self) -> None:
        self.api.close()  # wake long polls so the graceful shutdown does not wait for them
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        await self._runner.cleanup()

    def deliver_webhooks(self) -> None:
        """POST pending updates to the bot's webhook once it sets one (see the module doc)."""
        if self._sender is None:
            self._sender = asyncio.create_task(_send_webhooks(self.api), name="standin-webhooks")


async def _send_webhooks(api: FakeBotAPI) -> None:
    queue = api.updates
    in_flight: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        while True:
            while len(in_flight) >= queue.webhook_max_connections:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            update = await queue.next_for_webhook()
            task = asyncio.create_task(_post_update(session, api, update))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)


async def _post_update(session: aiohttp.ClientSession, api: FakeBotAPI, update: JSON) -> None:
    queue = api.updates
    headers = {SECRET_HEADER: queue.webhook_secret} if queue.webhook_secret else {}
    ok = False
    try:
        async with session.post(queue.webhook_url, json=update, headers=headers) as response:
            ok = 200 <= response.status < 300
    except (aiohttp.ClientError, TimeoutError):
        pass
    if not ok:
        await asyncio.sleep(WEBHOOK_RETRY_S)
    queue.webhook_answered(update["update_id"], ok)


async def start_http_server(
    api: FakeBotAPI, host: str = "127.0.0.1", port: int = 0, *, deliver_webhooks: bool = False
) -> StandinHttpServer:
    """Serve ``api`` on ``host:port`` (0 = a free port) until ``close()``."""
    app = web.Application(client_max_size=_MAX_UPLOAD_BYTES)
    app[_API_KEY] = api
    app.router.add_route("*", "/bot{token}/{method}", _handle_method)
    app.router.add_get("/file/bot{token}/{path:.+}", _handle_file)
    app.router.add_post("/_standin/users/{user_id}/send", _control_send)
    app.router.add_post("/_standin/users/{user_id}/press", _control_press)
    app.router.add_get("/_standin/chats/{chat_id}/messages", _control_messages)
    app.router.add_post("/_standin/faults", _control_add_fault)
    app.router.add_get("/_standin/faults", _control_list_faults)
    app.router.add_delete("/_standin/faults", _control_clear_faults)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    server = StandinHttpServer(api, runner, host, int(bound_port))
    if deliver_webhooks:
        server.deliver_webhooks()
    return server


async def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8081,
    token: str = "123456:TEST",
    bot_username: str = "cramp_help_bot",
    *,
    api: FakeBotAPI | None = None,
    announce: Callable[[str], Any] = print,
    deliver_webhooks: bool = False,
) -> None:
    """Run a stand-in server until cancelled (the ``tgbot standin`` command)."""
    server = await start_http_server(
        api or FakeBotAPI(token, bot_username), host, port, deliver_webhooks=deliver_webhooks
    )
    announce(f"Bot API stand-in listening on {server.base_url} (base_url {server.bot_base_url})")
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()


async def _handle_method(request: web.Request) -> web.Response:
    api = request.app[_API_KEY]
    params = await _read_params(request)
    try:
        status, body = await api.handle(
            request.match_info["method"], params, request.match_info["token"]
        )
    except NetworkFault:
        # Drop the connection without an answer: the client sees a network error.
        request.protocol.force_close()
        raise web.HTTPServiceUnavailable() from None
    return web.json_response(body, status=status)


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Merge query string and body (urlencoded, JSON or multipart) like Telegram does."""
    params: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type == "multipart/form-data":
        params.update(await _read_multipart(request))
    elif request.content_type == "application/x-www-form-urlencoded":
        params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return params


async def _read_multipart(request: web.Request) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            fields[part.name] = await part.text()
        else:
            mime_type = part.headers.get("Content-Type", "application/octet-stream")
            fields[part.name] = Upload(bytes(await part.read()), part.filename, mime_type)
    return fields


async def _handle_file(request: web.Request) -> web.Response:
    api = request.app[_API_KEY]
    stored = api.file_by_path(request.match_info["path"])
    if request.match_info["token"] != api.token or stored is None or stored.data is None:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


async def _control_body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text="expected a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


def _control_user(request: web.Request, body: JSON) -> FakeUser:
    api = request.app[_API_KEY]
    return api.user(
        int(request.match_info["user_id"]),
        first_name=str(body.get("first_name", "Test")),
        language_code=body.get("language_code", "en"),
        username=body.get("username"),
    )


async def _control_send(request: web.Request) -> web.Response:
    """``{"text": ...}`` -> the user sends a text message; answers the queued update."""
    body = await _control_body(request)
    update = _control_user(request, body).send_text(str(body.get("text", "")))
    return web.json_response({"update": update})


async def _control_press(request: web.Request) -> web.Response:
    """``{"message_id": N, "data": ...}`` or ``{"message_id": N, "button": label}``."""
    body = await _control_body(request)
    user = _control_user(request, body)
    message_id = int(body["message_id"])
    try:
        if "button" in body:
            update = user.press_button(message_id, body["button"])
        else:
            update = user.press(message_id, str(body["data"]))
    except (AssertionError, LookupError, KeyError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"update": update})


async def _control_messages(request: web.Request) -> web.Response:
    api = request.app[_API_KEY]
    try:
        messages = api.chat_messages(int(request.match_info["chat_id"]))
    except LookupError as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    return web.json_response({"messages": messages})


_FAULT_FIELDS = {
    "method": str, "kind": str, "times": int, "chat_id": int,
    "retry_after": int, "delay": float, "status": int,
}  # fmt: skip


async def _control_add_fault(request: web.Request) -> web.Response:
    """Arm a fault (see the module docstring); answers the faults now armed."""
    api = request.app[_API_KEY]
    body = await _control_body(request)
    unknown = set(body) - set(_FAULT_FIELDS)
    if unknown or "kind" not in body:
        raise web.HTTPBadRequest(text=f"expected 'kind' and only {sorted(_FAULT_FIELDS)}")
    try:
        fields = {name: _FAULT_FIELDS[name](value) for name, value in body.items()}
        api.inject_fault(**fields)
    except (TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"faults": api.pending_faults()})


async def _control_list_faults(request: web.Request) -> web.Response:
    return web.json_response({"faults": request.app[_API_KEY].pending_faults()})


async def _control_clear_faults(request: web.Request) -> web.Response:
    request.app[_API_KEY].clear_faults()
    return web.json_response({"faults": []})
