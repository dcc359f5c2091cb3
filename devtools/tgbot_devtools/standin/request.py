"""In-process PTB transport: ``telegram.Bot`` talks to a ``FakeBotAPI`` without sockets."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import unquote

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from tgbot_devtools.standin.api import FakeBotAPI, NetworkFault
from tgbot_devtools.standin.records import Upload

# PTB builds URLs as "<base_url><token>/<method>" and "<base_file_url><token>/<file_path>".
_FILE_URL = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
_METHOD_URL = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/?]+)$")
_NOT_FOUND = b'{"ok": false, "error_code": 404, "description": "Not Found"}'


class StandinRequest(BaseRequest):
    """``telegram.request.BaseRequest`` bound to a ``FakeBotAPI``.

    Usage: ``Application.builder().token(api.token).request(StandinRequest(api))
    .get_updates_request(StandinRequest(api)).build()``.
    """

    __slots__ = ("_api", "_read_timeout")

    def __init__(self, api: FakeBotAPI, read_timeout: float | None = 5.0) -> None:
        self._api = api
        self._read_timeout = read_timeout

    @property
    def api(self) -> FakeBotAPI:
        return self._api

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to set up: there is no connection pool."""

    async def shutdown(self) -> None:
        """Nothing to release."""

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
        url = unquote(url)  # PTB percent-encodes file paths (and the token's ':')
        if (file_match := _FILE_URL.search(url)) is not None:
            return self._download(file_match["token"], file_match["path"])
        match = _METHOD_URL.search(url)
        if match is None:
            return 404, _NOT_FOUND
        params = decode_request_data(request_data)
        # For getUpdates PTB already added the long-poll timeout to read_timeout.
        timeout = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        try:
            async with asyncio.timeout(timeout):
                status, body = await self._api.handle(match["method"], params, match["token"])
        except TimeoutError as exc:
            raise TimedOut(f"Timed out after {timeout}s waiting for the stand-in") from exc
        except NetworkFault as exc:
            raise NetworkError(f"Stand-in network failure: {exc}") from exc
        return status, json.dumps(body).encode()

    def _download(self, token: str, path: str) -> tuple[int, bytes]:
        stored = self._api.file_by_path(path)
        if token != self._api.token or stored is None or stored.data is None:
            return 404, _NOT_FOUND
        return 200, stored.data


def decode_request_data(request_data: RequestData | None) -> dict[str, Any]:
    """Parameters as the server sees them, uploads turned into ``Upload`` values."""
    if request_data is None:
        return {}
    params: dict[str, Any] = dict(request_data.parameters)
    if request_data.contains_files:
        for name, (filename, content, mime_type) in request_data.multipart_data.items():
            data = content if isinstance(content, bytes) else content.read()
            params[name] = Upload(data, filename, mime_type)
    return params
