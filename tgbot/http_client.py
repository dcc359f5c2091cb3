"""PTB's HTTP hook (``BaseRequest``) on aiohttp instead of httpx.

At Telegram's real distance many calls are in flight at once (64 users' updates, the
reminder senders). httpcore 1.0's connection pool walks every connection for every waiting
request, so its cost grows with the calls in flight: at 80 ms round trip the bot topped out at
34 updates/s on httpx and 249/s on aiohttp (bench/README.md, ``bench_updates.py``).

Calls without files are sent as a JSON body, which the Bot API reads exactly as the form
(a string value stays the string: a reply_markup's JSON text included). aiohttp encoded a
dict as a form byte by byte in Python, ~0.17 ms for a 1.5 KB reply; json.dumps takes ~0.01.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from tgbot.bot_api_compat import normalise_payload

DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_WRITE_TIMEOUT = 5.0


class AiohttpRequest(BaseRequest):
    """``connections``: at most this many open at once (callers beyond it wait for one).
    ``lenient``: bring a third-party server's replies to Telegram's shape (bot_api_compat)."""

    def __init__(self, connections: int = 256, *, lenient: bool = False) -> None:
        self._connections = connections
        self._lenient = lenient
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return DEFAULT_READ_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=0)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        # aiohttp has no write timeout of its own: a stalled upload ends at the read's.
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=_seconds(connect_timeout, DEFAULT_CONNECT_TIMEOUT),
            sock_read=_seconds(read_timeout, DEFAULT_READ_TIMEOUT),
        )
        try:
            body, headers = _body(request_data)
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as answer:
                payload = await answer.read()
                status = answer.status
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
        if self._lenient:
            payload = normalise_payload(url.rsplit("/", 1)[-1], payload)
        return status, payload


def _seconds(value: ODVInput[float], default: float) -> float | None:
    """PTB's DEFAULT_NONE means "this request's default"; None means no limit."""
    if isinstance(value, DefaultValue):
        return default
    return value


_JSON_BODY = {"Content-Type": "application/json"}


def _body(
    request_data: RequestData | None,
) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.json_payload, _JSON_BODY
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form, None
