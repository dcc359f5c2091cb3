"""The Bot API stand-in: real PTB code must see what it would see from api.telegram.org."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tgbot.app import STANDIN_TOKEN
from tgbot_devtools.standin import BotDriver, FakeBotAPI, Latency, StandinRequest
from tgbot_devtools.standin.http_server import (
    SECRET_HEADER,
    StandinHttpServer,
    start_http_server,
)

AnyApp = Application[Any, Any, Any, Any, Any, Any]
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes 👍", callback_data="yes"),
            InlineKeyboardButton("No", callback_data="no"),
        ],
        [InlineKeyboardButton("Docs", url="https://example.org/docs")],
    ]
)


# --------------------------------------------------------------------------- a tiny bot


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.effective_user is not None
    name = update.effective_user.first_name
    await update.message.reply_html(f"<b>Welcome</b>, {name} 🦵", reply_markup=KEYBOARD)


async def on_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose <i>{query.data}</i>", parse_mode="HTML")


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliberately never answers, so the stand-in must report the query as unanswered."""


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    prefix = "edited: " if update.edited_message else "echo: "
    await update.effective_message.reply_text(prefix + update.effective_message.text)


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    kind = "sticker" if update.message.sticker else "photo"
    await update.message.reply_text(f"nice {kind}")


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.my_chat_member is not None
    context.bot_data.setdefault("membership", []).append(
        update.my_chat_member.new_chat_member.status
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data.setdefault("errors", []).append(context.error)


def add_handlers(app: AnyApp) -> AnyApp:
    app.add_error_handler(on_error)
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_choice, pattern="^(yes|no)$"))
    app.add_handler(CallbackQueryHandler(on_unknown_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(filters.Sticker.ALL | filters.PHOTO, on_media))
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    return app


def in_process_app(api: FakeBotAPI) -> AnyApp:
    builder = Application.builder().token(api.token)
    return add_handlers(
        builder.request(StandinRequest(api)).get_updates_request(StandinRequest(api)).build()
    )


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI()


@pytest.fixture
async def driver(api: FakeBotAPI) -> AsyncIterator[BotDriver]:
    async with BotDriver(api, in_process_app(api)) as running:
        yield running


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    api.user(42, first_name="Ann")
    async with Bot(
        api.token, request=StandinRequest(api), get_updates_request=StandinRequest(api)
    ) as client:
        yield client


@pytest.fixture
async def server(api: FakeBotAPI) -> AsyncIterator[StandinHttpServer]:
    running = await start_http_server(api)
    yield running
    await running.close()


# RetryAfter.retry_after warns about its future timedelta type: PTB's concern, not ours.
ignore_retry_after_deprecation = pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")


# --------------------------------------------------------------------------- driver, in-process


async def test_start_then_press_edits_in_place(driver: BotDriver, api: FakeBotAPI) -> None:
    user = driver.user(user_id=7, first_name="Ann")
    [welcome] = await user.send("/start")
    assert welcome.text == "Welcome, Ann 🦵"
    assert welcome.entities == [{"type": "bold", "offset": 0, "length": 7}]
    assert welcome.button_labels() == ["Yes 👍", "No", "Docs"]
    assert welcome.has_button("Yes") and not welcome.has_button("Yes", exact=True)
    assert welcome.buttons[1][0].url == "https://example.org/docs"
    assert not welcome.is_edit

    [chosen] = await user.press("Yes")
    assert chosen.is_edit and chosen.message_id == welcome.message_id
    assert chosen.text == "You chose yes" and chosen.buttons == []
    assert user.last_callback_answer is not None
    assert user.last_callback_answer.text == "Noted"
    assert user.last_callback_answer.get("show_alert") is False
    assert api.unanswered_callback_queries() == []
    assert [m.text for m in user.messages] == ["You chose yes"]
    assert api.chat_messages(7)[0]["edit_date"] >= api.chat_messages(7)[0]["date"]


async def test_command_with_bot_username_and_plain_text(driver: BotDriver) -> None:
    user = driver.user(user_id=8)
    [welcome] = await user.send("/start@cramp_help_bot")
    assert welcome.has_button("Yes")
    [echo] = await user.send("my calf hurts")
    assert echo.text == "echo: my calf hurts"


async def test_sticker_photo_and_edit_are_delivered(driver: BotDriver) -> None:
    user = driver.user(user_id=9)
    assert [m.text for m in await user.send_sticker()] == ["nice sticker"]
    assert [m.text for m in await user.send_photo()] == ["nice photo"]
    await user.send("helo")
    assert user.last_sent_message_id is not None
    [reply] = await user.edit(user.last_sent_message_id, "hello")
    assert reply.text == "edited: hello"


async def test_forged_press_is_delivered_and_unanswered_is_tracked(
    driver: BotDriver, api: FakeBotAPI
) -> None:
    user = driver.user(user_id=10)
    [welcome] = await user.send("/start")
    assert await user.press_data(welcome.message_id, "forged:data") == []
    assert user.last_callback_answer is None
    [pending] = api.unanswered_callback_queries()
    assert (pending.data, pending.message_id) == ("forged:data", welcome.message_id)


async def test_press_missing_button_lists_the_labels(driver: BotDriver) -> None:
    user = driver.user(user_id=11)
    await user.send("/start")
    with pytest.raises(AssertionError, match=r"Yes 👍.*No.*Docs"):
        await user.press("Maybe")
    with pytest.raises(AssertionError, match=r"no callback_data"):
        await user.press("Docs")
    [by_index] = await user.press(1)
    assert by_index.text == "You chose no"


async def test_block_bot_emits_my_chat_member_and_forbids_sending(
    driver: BotDriver, api: FakeBotAPI
) -> None:
    user = driver.user(user_id=12)
    await user.send("/start")
    await user.block()
    with pytest.raises(Forbidden, match=r"bot was blocked by the user"):
        await driver.application.bot.send_message(12, "still there?")
    await user.unblock()
    assert driver.application.bot_data["membership"] == ["kicked", "member"]
    [welcome] = await user.send("/start")
    assert welcome.has_button("No")


async def test_replies_to_blocked_user_fail_quietly(driver: BotDriver, api: FakeBotAPI) -> None:
    user = driver.user(user_id=13)
    api.block_bot(13)
    assert await user.send("/start") == []
    [error] = driver.application.bot_data["errors"]
    assert isinstance(error, Forbidden)


async def test_driver_runs_lifecycle_hooks_and_stops_fast(api: FakeBotAPI) -> None:
    seen: list[str] = []

    async def hook(name: str, app: AnyApp) -> None:
        seen.append(name)

    app = in_process_app(api)
    app.post_init = lambda a: hook("init", a)
    app.post_stop = lambda a: hook("stop", a)
    app.post_shutdown = lambda a: hook("shutdown", a)
    async with BotDriver(api, app, poll_timeout=10) as running:
        await running.user(user_id=14).send("/start")
        await asyncio.sleep(0.05)  # let a long poll start
        started = time.perf_counter()
    assert time.perf_counter() - started < 0.5
    assert seen == ["init", "stop", "shutdown"]
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert api.confirmed_update_id == api.delivered_update_id == 1


async def test_many_users_concurrently(driver: BotDriver, api: FakeBotAPI) -> None:
    async def chat(user_id: int) -> None:
        user = driver.user(user_id=user_id)
        for _ in range(5):
            [reply] = await user.send("/start")
            assert reply.text.startswith("Welcome")

    await asyncio.gather(*(chat(1000 + i) for i in range(40)))
    assert len(api.chat_messages(1000)) == 5


async def test_returned_messages_parse_in_ptb(driver: BotDriver, api: FakeBotAPI) -> None:
    user = driver.user(user_id=15, username="ann")
    await user.send("/start")
    await user.press("No")
    bot = driver.application.bot
    photo = await bot.send_photo(15, b"\x89PNG fake", caption="<b>pic</b>", parse_mode="HTML")
    document = await bot.send_document(15, b"report", filename="r.txt", reply_to_message_id=1)
    for raw in api.history(15):
        message = Message.de_json(raw, bot)
        assert message is not None and message.chat.id == 15
    assert photo.caption == "pic" and photo.photo[-1].file_id
    assert document.document is not None and document.document.file_name == "r.txt"
    assert document.reply_to_message is not None
    stored = api.file_of(api.chat_messages(15)[-1])
    assert stored is not None and stored.data == b"report"


async def test_user_updates_parse_in_ptb(api: FakeBotAPI) -> None:
    user = api.user(16, first_name="Ann", username="ann")
    sent = user.send_text("/start now")
    updates = [
        sent,
        user.send_sticker(),
        user.send_photo(caption="look"),
        user.send_location(52.5, 13.4),
        user.send_contact(),
        user.edit_text(sent["message"]["message_id"], "/start later"),
        user.press(sent["message"]["message_id"], "x"),
        user.block_bot(),
    ]
    parsed = [Update.de_json(u, None) for u in updates]
    assert [u.update_id for u in parsed if u] == list(range(1, 9))
    first = parsed[0]
    assert first is not None and first.message is not None
    assert first.message.parse_entities() == {first.message.entities[0]: "/start"}
    assert user.send_text("(/help@cramp_help_bot) a/b /x/")["message"]["entities"] == [
        {"type": "bot_command", "offset": 1, "length": 20}
    ]
    assert parsed[-1] is not None and parsed[-1].my_chat_member is not None


# --------------------------------------------------------------------------- Telegram's errors


async def test_text_limits(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(42, "  \n ")
    await bot.send_message(42, "x" * 4096)
    await bot.send_message(42, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(42, "😀" * 2048)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(42, "😀" * 2049)
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_photo(42, b"img", caption="c" * 1025)


async def test_text_is_trimmed_like_telegram(bot: Bot) -> None:
    message = await bot.send_message(42, "\n  <b>hi</b> there \n", parse_mode="HTML")
    assert message.text == "hi there"
    assert message.entities[0].offset == 0 and message.entities[0].length == 2


async def test_malformed_html(bot: Bot) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(42, "a <div>b</div>", parse_mode="HTML")
    assert caught.value.message == (
        'Can\'t parse entities: unsupported start tag "div" at byte offset 2'
    )


async def test_keyboard_limits(bot: Bot) -> None:
    def markup(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([list(buttons)])

    await bot.send_message(
        42, "ok", reply_markup=markup(InlineKeyboardButton("a", callback_data="é" * 32))
    )
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(
            42, "x", reply_markup=markup(InlineKeyboardButton("a", callback_data="é" * 33))
        )
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(
            42, "x", reply_markup=markup(InlineKeyboardButton("a", callback_data=""))
        )
    too_many = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)]
    )
    with pytest.raises(BadRequest, match=r"^Reply markup is too long$"):
        await bot.send_message(42, "x", reply_markup=too_many)
    with pytest.raises(BadRequest, match=r"^Text buttons are unallowed in the inline keyboard$"):
        await bot.send_message(42, "x", reply_markup=markup(InlineKeyboardButton("only text")))


async def test_reply_keyboard_is_remembered_not_attached(bot: Bot, api: FakeBotAPI) -> None:
    message = await bot.send_message(42, "pick", reply_markup=ReplyKeyboardMarkup([["A", "B"]]))
    assert message.reply_markup is None
    assert api.reply_keyboard(42) is not None


async def test_edit_errors(bot: Bot) -> None:
    sent = await bot.send_message(42, "<b>hi</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"^Message is not modified: specified new message"):
        await bot.edit_message_text(
            "<b>hi</b>", 42, sent.message_id, parse_mode="HTML", reply_markup=KEYBOARD
        )
    # Same text but no keyboard is a change: the keyboard disappears, as in Telegram.
    edited = await bot.edit_message_text("<b>hi</b>", 42, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, Message) and edited.reply_markup is None
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(42, sent.message_id)
    with_markup = await bot.edit_message_reply_markup(42, sent.message_id, reply_markup=KEYBOARD)
    assert isinstance(with_markup, Message) and with_markup.text == "hi"
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", 42, 999)
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(42, 999)
    assert await bot.delete_message(42, sent.message_id)
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(4242, "x")


async def test_callback_answers(bot: Bot, api: FakeBotAPI) -> None:
    sent = await bot.send_message(42, "menu", reply_markup=KEYBOARD)
    update = api.user(42).press_button(sent.message_id, "No")
    query_id = update["callback_query"]["id"]
    assert update["callback_query"]["data"] == "no"
    with pytest.raises(BadRequest, match=r"^Message_too_long$"):
        await bot.answer_callback_query(query_id, "x" * 201)
    assert len(api.unanswered_callback_queries()) == 1
    assert await bot.answer_callback_query(query_id, "ok", show_alert=True)
    assert api.callback_answers[query_id].show_alert is True
    with pytest.raises(BadRequest, match=r"^Query is too old and response timeout expired"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await bot.answer_callback_query("123")


@ignore_retry_after_deprecation
async def test_injected_faults(bot: Bot, api: FakeBotAPI) -> None:
    api.inject_fault("sendMessage", kind="retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(42, "x")
    assert caught.value.retry_after == 7
    await bot.send_message(42, "fine again")

    api.inject_fault("sendmessage", kind="forbidden", times=2)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(42, "x")
    api.inject_fault(kind="server_error")
    with pytest.raises(NetworkError, match=r"Internal Server Error"):
        await bot.get_me()
    api.inject_fault("sendMessage", kind="network")
    with pytest.raises(NetworkError):
        await bot.send_message(42, "x")
    api.inject_fault("sendMessage", kind="forbidden", chat_id=43)
    await bot.send_message(42, "other chats are unaffected")
    assert api.calls[-1].status == 200


@pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'")
async def test_timeouts_tokens_and_unknown_methods(bot: Bot, api: FakeBotAPI) -> None:
    with pytest.raises(TimedOut):
        await bot.do_api_request("getUpdates", api_kwargs={"timeout": 2}, read_timeout=0.05)
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    with pytest.raises(InvalidToken):
        await Bot("999:WRONG", request=StandinRequest(api)).get_me()


async def test_commands_are_validated_and_scoped(bot: Bot, api: FakeBotAPI) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("menu", "Menü")], language_code="de")
    await bot.set_my_commands([BotCommand("x", "chat")], scope=BotCommandScopeChat(42))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["menu"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(42))] == ["x"]
    with pytest.raises(BadRequest, match=r"^Bot_command_invalid$"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("ok", "")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    await bot.set_my_description("long text")
    await bot.set_my_short_description("short")
    assert (await bot.get_my_description()).description == "long text"


async def test_chat_info_actions_and_files(bot: Bot, api: FakeBotAPI) -> None:
    chat = await bot.get_chat(42)
    assert chat.first_name == "Ann" and chat.type == "private"
    assert await bot.send_chat_action(42, "typing")
    assert api.last_chat_action(42) == "typing"
    sent = await bot.send_document(42, b"abc", filename="a.txt")
    assert sent.document is not None
    again = await bot.send_document(42, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    file = await bot.get_file(sent.document.file_id)
    assert await file.download_as_bytearray() == bytearray(b"abc")
    with pytest.raises(BadRequest, match=r"^Wrong file identifier/http url specified$"):
        await bot.send_photo(42, "not-a-file-id")


# --------------------------------------------------------------------------- getUpdates itself


async def call(api: FakeBotAPI, method: str, **params: Any) -> Any:
    status, body = await api.handle(method, params)
    assert status == 200, body
    return body["result"]


async def test_get_updates_offsets_limits_and_filters(api: FakeBotAPI) -> None:
    user = api.user(1)
    for i in range(5):
        user.send_text(f"m{i}")
    user.press(1, "x")
    assert [u["update_id"] for u in await call(api, "getUpdates", limit="2")] == [1, 2]
    assert [u["update_id"] for u in await call(api, "getUpdates", offset=3, limit=2)] == [3, 4]
    assert api.confirmed_update_id == 2
    only_queries = await call(api, "getupdates", offset=3, allowed_updates='["callback_query"]')
    assert [u["update_id"] for u in only_queries] == [6]
    assert api.is_settled(5)  # filtered out: never delivered, nothing to wait for
    await call(api, "getUpdates", allowed_updates=[])
    user.send_text("after")
    assert [u["update_id"] for u in await call(api, "getUpdates", offset=-1)] == [7]
    assert api.confirmed_update_id == 6


async def test_long_poll_wakes_on_update_and_close(api: FakeBotAPI) -> None:
    user = api.user(1)
    poll = asyncio.create_task(call(api, "getUpdates", timeout=5))
    await asyncio.sleep(0.01)
    user.send_text("hi")
    assert [u["update_id"] for u in await asyncio.wait_for(poll, 1)] == [1]

    poll = asyncio.create_task(call(api, "getUpdates", offset=2, timeout=5))
    await asyncio.sleep(0.01)
    api.close()
    assert await asyncio.wait_for(poll, 1) == []
    api.reopen()


async def test_newer_poll_terminates_older_one(api: FakeBotAPI) -> None:
    older = asyncio.create_task(api.handle("getUpdates", {"timeout": 5}))
    await asyncio.sleep(0.01)
    assert await call(api, "getUpdates") == []
    status, body = await asyncio.wait_for(older, 1)
    assert status == 409 and body["description"].startswith("Conflict: terminated by other")


async def test_webhook_blocks_polling(api: FakeBotAPI) -> None:
    await call(api, "setWebhook", url="https://example.org/hook")
    status, body = await api.handle("getUpdates", {})
    assert status == 409 and "webhook is active" in body["description"]
    assert (await call(api, "getWebhookInfo"))["url"] == "https://example.org/hook"
    await call(api, "deleteWebhook")
    assert await call(api, "getUpdates") == []


async def test_set_webhook_keeps_its_settings_and_hides_the_secret(api: FakeBotAPI) -> None:
    await call(
        api,
        "setWebhook",
        url="https://example.org/hook",
        secret_token="s3cret_-",
        max_connections=7,
        allowed_updates=json.dumps(["message", "callback_query"]),
    )
    info = await call(api, "getWebhookInfo")
    assert info["max_connections"] == 7
    assert info["allowed_updates"] == ["callback_query", "message"]
    assert "s3cret_-" not in json.dumps(info) and api.updates.webhook_secret == "s3cret_-"
    await call(api, "deleteWebhook")
    assert api.updates.webhook_secret is None
    assert "max_connections" not in await call(api, "getWebhookInfo")


async def test_webhook_delivery_posts_with_the_secret_and_retries_until_2xx() -> None:
    from aiohttp import web

    received: list[tuple[int, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((update["update_id"], request.headers.get(SECRET_HEADER)))
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server = await start_http_server(FakeBotAPI(), deliver_webhooks=True)
    api = server.api
    try:
        first = api.user(1).send_text("before the webhook")  # waits in the queue
        await call(api, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="abc")
        second = api.user(1).send_text("after")
        await api.wait_confirmed(second["update_id"], timeout=5)
        await api.wait_confirmed(first["update_id"], timeout=5)
        ids = [update_id for update_id, _ in received]
        assert ids.count(first["update_id"]) == 2  # refused with 500, then sent again
        assert {secret for _, secret in received} == {"abc"}
        assert (await call(api, "getWebhookInfo"))["pending_update_count"] == 0
    finally:
        await server.close()
        await runner.cleanup()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"secret_token": "no spaces"}, "secret token contains unallowed characters"),
        ({"secret_token": "x" * 257}, "secret token contains unallowed characters"),
        ({"max_connections": 101}, "max_connections"),
    ],
)
async def test_set_webhook_refuses_what_telegram_refuses(
    api: FakeBotAPI, params: dict[str, Any], error: str
) -> None:
    status, body = await api.handle("setWebhook", {"url": "https://example.org/hook", **params})
    assert status == 400 and error in body["description"]
    assert (await call(api, "getWebhookInfo"))["url"] == ""


async def test_wait_confirmed_times_out_with_a_hint(api: FakeBotAPI) -> None:
    update = api.user(1).send_text("hi")
    with pytest.raises(TimeoutError, match=r"is the application polling"):
        await api.wait_confirmed(update["update_id"], timeout=0.01)


async def test_string_encoded_params_are_accepted(api: FakeBotAPI) -> None:
    api.user(5)
    markup = json.dumps({"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]})
    message = await call(api, "SENDMESSAGE", chat_id="5", text="hi", reply_markup=markup)
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert message["from"]["is_bot"] is True and message["chat"]["type"] == "private"


async def test_changes_since_marker(bot: Bot, api: FakeBotAPI) -> None:
    first = await bot.send_message(42, "one")
    second = await bot.send_message(42, "two")
    marker = api.marker()
    await bot.edit_message_text("one!", 42, first.message_id)
    third = await bot.send_message(42, "three")
    await bot.delete_message(42, second.message_id)
    changes = api.changes_since(42, marker)
    assert [(c.message_id, c.is_edit, c.message is None) for c in changes] == [
        (first.message_id, True, False),
        (third.message_id, False, False),
        (second.message_id, True, True),
    ]
    assert [m["text"] for m in api.bot_messages_since(42, marker)] == ["one!", "three"]


# --------------------------------------------------------------------------- over real HTTP


def http_app(server: StandinHttpServer) -> AnyApp:
    builder = Application.builder().token(server.api.token)
    builder = builder.base_url(server.bot_base_url).base_file_url(server.file_base_url)
    return add_handlers(builder.build())


@ignore_retry_after_deprecation
async def test_http_driver_round_trip(server: StandinHttpServer) -> None:
    api = server.api
    async with BotDriver(api, http_app(server)) as running:
        user = running.user(user_id=21, first_name="Bo")
        [welcome] = await user.send("/start")
        assert welcome.text == "Welcome, Bo 🦵" and welcome.has_button("Docs")
        [chosen] = await user.press("No")
        assert chosen.is_edit and chosen.text == "You chose no"
        assert user.last_callback_answer is not None

        bot = running.application.bot
        photo = await bot.send_photo(21, b"\x89PNG bytes", caption="<i>p</i>", parse_mode="HTML")
        file = await bot.get_file(photo.photo[-1].file_id)
        assert await file.download_as_bytearray() == bytearray(b"\x89PNG bytes")

        api.inject_fault("sendMessage", kind="network")
        with pytest.raises(NetworkError):
            await bot.send_message(21, "x")
        api.inject_fault("sendMessage", kind="retry_after", retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(21, "x")
        with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
            await bot.edit_message_text("x", 21, 999)
        started = time.perf_counter()
    assert time.perf_counter() - started < 0.5


async def test_http_accepts_json_form_and_query(server: StandinHttpServer) -> None:
    server.api.user(5)
    base = f"{server.bot_base_url}{server.api.token}"
    async with httpx.AsyncClient() as client:
        by_json = await client.post(f"{base}/sendMessage", json={"chat_id": 5, "text": "a"})
        by_form = await client.post(f"{base}/sendMessage", data={"chat_id": "5", "text": "b"})
        by_query = await client.get(f"{base}/sendMessage", params={"chat_id": 5, "text": "c"})
        wrong = await client.get(f"{server.bot_base_url}1:X/getMe")
        missing = await client.get(f"{base}/fooBar")
    texts = [r.json()["result"]["text"] for r in (by_json, by_form, by_query)]
    assert texts == ["a", "b", "c"]
    assert wrong.status_code == 401 and wrong.json()["description"] == "Unauthorized"
    assert missing.status_code == 404


async def test_http_control_routes_act_as_a_user(server: StandinHttpServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        sent = await client.post("/_standin/users/6/send", json={"text": "/start"})
        assert sent.json()["update"]["message"]["entities"][0]["type"] == "bot_command"
        bot_message = await call(
            server.api, "sendMessage", chat_id=6, text="menu", reply_markup=KEYBOARD.to_dict()
        )
        press = {"message_id": bot_message["message_id"], "button": "Yes"}
        pressed = await client.post("/_standin/users/6/press", json=press)
        assert pressed.json()["update"]["callback_query"]["data"] == "yes"
        messages = await client.get("/_standin/chats/6/messages")
        assert [m["text"] for m in messages.json()["messages"]] == ["menu"]


async def test_serve_forever_announces_and_stops_on_cancel() -> None:
    from tgbot_devtools.standin.http_server import serve_forever

    lines: list[str] = []
    ready = asyncio.Event()

    def announce(line: str) -> None:
        lines.append(line)
        ready.set()

    task = asyncio.create_task(serve_forever(port=0, announce=announce))
    await asyncio.wait_for(ready.wait(), 2)
    assert lines[0].startswith("Bot API stand-in listening on http://127.0.0.1:")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_latency_delays_every_call_by_its_round_trip() -> None:
    api = FakeBotAPI(latency=Latency(ms=60, jitter_ms=20))
    api.user(44)
    durations = []
    for _ in range(5):
        started = time.monotonic()
        status, _ = await api.handle("sendMessage", {"chat_id": 44, "text": "hi"})
        durations.append(time.monotonic() - started)
        assert status == 200
    assert min(durations) >= 0.040  # 60 ms - 20 ms of jitter
    assert len({round(d, 3) for d in durations}) > 1  # jittered, not constant
    api.latency = Latency()
    started = time.monotonic()
    await api.handle("getMe", {})
    assert time.monotonic() - started < 0.040


def test_latency_refuses_nonsense() -> None:
    for ms, jitter in ((-1, 0), (10, 20), (10, -1)):
        with pytest.raises(ValueError):
            Latency(ms, jitter)


def test_standin_command_refuses_a_jitter_above_its_latency() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tgbot", "standin", "--latency-ms", "5", "--jitter-ms", "10"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert "jitter" in run.stderr and "Traceback" not in run.stderr


async def test_standin_command_serves_with_its_latency() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tgbot", "standin", "--port", str(port), "--latency-ms", "150",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            announced = await process.stdout.readline()
        assert b"listening" in announced
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            started = time.monotonic()
            answer = await client.get(f"/bot{STANDIN_TOKEN}/getMe")
            elapsed = time.monotonic() - started
        assert answer.json()["ok"] is True
        assert elapsed >= 0.140
    finally:
        process.terminate()
        await process.wait()
