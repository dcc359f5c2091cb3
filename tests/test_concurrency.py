"""Different people are served at once; one person's updates strictly in their order."""

from __future__ import annotations

import asyncio

from telegram import Update

from tests.conftest import Harness
from tgbot.handlers.ordering import PerUserOrder
from tgbot_devtools.standin.records import Call


def sends_to(bot: Harness, chat_id: int, method: str = "sendMessage") -> list[Call]:
    return [c for c in bot.api.calls if c.method == method and c.params.get("chat_id") == chat_id]


async def test_a_slow_reply_to_one_person_does_not_hold_up_another(bot: Harness) -> None:
    bot.api.inject_fault("sendMessage", kind="slow", delay=1.0, chat_id=1101)
    bot.api.user(1101).send_text("/start")
    last = bot.api.user(1102).send_text("/start")
    await bot.driver.settle(last["update_id"])
    [slow] = sends_to(bot, 1101)
    [quick] = sends_to(bot, 1102)
    assert quick.timestamp - slow.timestamp < 0.5  # not queued behind the other person's second
    assert len(bot.api.chat_messages(1102)) == 1


async def test_one_persons_updates_are_handled_in_the_order_sent(bot: Harness) -> None:
    bot.api.inject_fault("sendMessage", kind="slow", delay=0.6, chat_id=1103)
    user = bot.api.user(1103)
    user.send_text("/start")
    user.send_text("/help")
    last = user.send_text("/privacy")
    await bot.driver.settle(last["update_id"])
    first, second, third = sends_to(bot, 1103)
    assert second.timestamp - first.timestamp >= 0.5  # /help waited for /start's slow reply
    assert third.timestamp >= second.timestamp
    texts = [m["text"] for m in reversed(bot.api.chat_messages(1103))]  # oldest first
    assert "cramp" in texts[0].lower() and len(texts) == 3


async def test_the_button_answer_and_the_screen_change_go_out_together(bot: Harness) -> None:
    user = bot.driver.user(user_id=1104)
    [welcome] = await user.send("/start")
    bot.api.inject_fault("answerCallbackQuery", kind="slow", delay=0.6)
    await user.press("Cramp right now", welcome)
    [answer] = [c for c in bot.api.calls if c.method == "answerCallbackQuery"]
    [edit] = [c for c in bot.api.calls if c.method == "editMessageText"]
    assert (
        edit.timestamp - answer.timestamp < 0.3
    )  # the edit did not wait for the answer's round trip
    assert bot.api.unanswered_callback_queries() == []


async def test_the_working_bound_holds_and_chains_are_forgotten() -> None:
    processor = PerUserOrder(working=2)
    running = 0
    most = 0

    async def handle() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1

    updates = [
        Update.de_json(
            {
                "update_id": n,
                "message": {
                    "message_id": n,
                    "date": 0,
                    "chat": {"id": 7000 + n % 5, "type": "private"},
                    "from": {"id": 7000 + n % 5, "is_bot": False, "first_name": "A"},
                    "text": "hi",
                },
            },
            None,
        )
        for n in range(20)
    ]
    await asyncio.gather(*(processor.process_update(u, handle()) for u in updates))
    assert most == 2
    assert processor.chains == 0
