"""The bot's Bot API client (PTB's BaseRequest on aiohttp) against the HTTP stand-in: plain
calls, an uploaded file, a third-party server's loose replies, and failures as PTB's errors."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram._utils.types import ODVInput
from telegram.constants import ParseMode
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Defaults, ExtBot
from telegram.request import BaseRequest, RequestData

from tgbot.handlers.replies import send_unread
from tgbot.http_client import AiohttpRequest
from tgbot_devtools.standin import FakeBotAPI
from tgbot_devtools.standin.http_server import StandinHttpServer, start_http_server

TOKEN = "123456:TEST"


@pytest.fixture
async def standin() -> AsyncIterator[tuple[FakeBotAPI, StandinHttpServer]]:
    api = FakeBotAPI(token=TOKEN)
    http = await start_http_server(api, "127.0.0.1", 0)
    try:
        yield api, http
    finally:
        api.close()
        await http.close()


def bot_for(http: StandinHttpServer, request: AiohttpRequest) -> Bot:
    return Bot(
        TOKEN,
        base_url=f"{http.base_url}/bot",
        base_file_url=f"{http.base_url}/file/bot",
        request=request,
        get_updates_request=AiohttpRequest(1, lenient=True),
    )


async def test_messages_and_files_go_through(
    standin: tuple[FakeBotAPI, StandinHttpServer],
) -> None:
    api, http = standin
    user = api.user(user_id=42, first_name="Ann")
    user.send_text("/start")
    async with bot_for(http, AiohttpRequest(8, lenient=True)) as bot:
        me = await bot.get_me()
        assert me.is_bot
        await bot.send_message(42, "<b>Calf cramp</b>: straighten the leg", parse_mode="HTML")
        await bot.send_document(42, b"%PDF-1.4 fake", filename="summary.pdf", caption="For you")
    texts = [m.get("text") or m.get("caption") for m in user.messages]
    assert texts == ["Calf cramp: straighten the leg", "For you"]
    assert user.messages[1]["document"]["file_name"] == "summary.pdf"


async def test_a_keyboard_and_non_ascii_text_arrive_as_sent(
    standin: tuple[FakeBotAPI, StandinHttpServer],
) -> None:
    """The JSON body carries objects as JSON text, as the form did: the server reads both."""
    api, http = standin
    user = api.user(user_id=42, first_name="Ann")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Дневник 📓", callback_data="d:1")]])
    async with bot_for(http, AiohttpRequest(8, lenient=True)) as bot:
        sent = await bot.send_message(42, "Судорога & «икра» 100%", reply_markup=keyboard)
    assert user.messages[-1]["text"] == "Судорога & «икра» 100%"
    rows = user.messages[-1]["reply_markup"]["inline_keyboard"]
    assert rows == [[{"text": "Дневник 📓", "callback_data": "d:1"}]]
    assert sent.reply_markup == keyboard


async def test_telegram_errors_keep_their_meaning(
    standin: tuple[FakeBotAPI, StandinHttpServer],
) -> None:
    api, http = standin
    api.user(user_id=42, first_name="Ann")
    async with bot_for(http, AiohttpRequest(8, lenient=True)) as bot:
        api.inject_fault("sendMessage", kind="retry_after", retry_after=3)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(42, "hi")
        wait = retry.value.retry_after
        assert (wait if isinstance(wait, int) else wait.total_seconds()) == 3
        api.inject_fault("sendMessage", kind="forbidden", chat_id=42)
        with pytest.raises(Forbidden):
            await bot.send_message(42, "hi")
        api.inject_fault("sendMessage", kind="slow", delay=2.0)
        with pytest.raises(TimedOut):
            await bot.send_message(42, "hi", read_timeout=0.3)
        api.inject_fault("sendMessage", kind="network")
        with pytest.raises(NetworkError):
            await bot.send_message(42, "hi")
        assert (await bot.send_message(42, "still here")).text == "still here"


async def test_a_closed_port_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_connections_are_capped_and_calls_wait_for_one(
    standin: tuple[FakeBotAPI, StandinHttpServer],
) -> None:
    """Twenty calls through two connections all complete (they queue, none fails)."""
    api, http = standin
    api.user(user_id=42, first_name="Ann")
    async with bot_for(http, AiohttpRequest(2, lenient=True)) as bot:
        sent = await asyncio.gather(*(bot.send_message(42, f"n{i}") for i in range(20)))
    assert sorted(str(m.text) for m in sent) == sorted(f"n{i}" for i in range(20))


class _Recording(AiohttpRequest):
    """Records each call's endpoint and JSON parameters; answers as Telegram would."""

    def __init__(self) -> None:
        super().__init__(1)
        self.calls: list[tuple[str, dict[str, object]]] = []

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
        assert request_data is not None
        self.calls.append((url.rsplit("/", 1)[-1], dict(request_data.json_parameters)))
        message = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "x"}
        return 200, json.dumps({"ok": True, "result": message}).encode()


async def test_a_reply_sent_unread_is_the_request_send_message_makes() -> None:
    defaults = Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Menu", callback_data="m:menu")]])
    request = _Recording()
    bot = ExtBot(TOKEN, request=request, defaults=defaults)
    for reply_markup in (markup, None, markup):  # the keyboard's JSON text reused
        await bot.send_message(42, "<b>Hi</b> there", reply_markup=reply_markup)
        await send_unread(bot, 42, "<b>Hi</b> there", reply_markup)
    assert len(request.calls) == 6
    assert request.calls[0] == request.calls[1] == request.calls[4] == request.calls[5]
    assert request.calls[2] == request.calls[3]
    endpoint, parameters = request.calls[0]
    assert endpoint == "sendMessage"
    assert parameters["parse_mode"] == "HTML"
    assert json.loads(str(parameters["link_preview_options"])) == {"is_disabled": True}
    assert "reply_markup" in parameters and "reply_markup" not in request.calls[2][1]
