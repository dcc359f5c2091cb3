"""The bot in a group: personal screens never appear there, and it leaves, saying why."""

from __future__ import annotations

from tests.conftest import Harness
from tgbot.content import Content
from tgbot.services.navigation import OpenScreen
from tgbot_devtools.standin.records import CallbackQueryRecord

GROUP_ID = -100777
GROUP = {"id": GROUP_ID, "type": "group", "title": "Running club"}


def calls_to(bot: Harness, chat_id: int) -> list[str]:
    return [c.method for c in bot.api.calls if c.params.get("chat_id") == chat_id]


async def test_a_button_pressed_in_a_group_shows_nothing_there(
    bot: Harness, content: Content
) -> None:
    member = bot.api.user(951, first_name="Bea")
    message = {
        "message_id": 5,
        "date": 0,
        "chat": GROUP,
        "from": bot.api.bot_user,
        "text": "Welcome back",
    }
    query_id = "4000000000123"
    bot.api.callback_queries[query_id] = CallbackQueryRecord(
        query_id, member.id, GROUP_ID, 5, OpenScreen("diary").data
    )
    update = bot.api.enqueue_update(
        "callback_query",
        {
            "id": query_id,
            "from": member.to_json(),
            "message": message,
            "chat_instance": "1",
            "data": OpenScreen("diary").data,
        },
    )
    await bot.driver.settle(update["update_id"])
    answer = bot.api.callback_queries[query_id].answer
    assert answer is not None and answer.show_alert
    assert answer.text == content.catalog("en").ui["private_only_toast"]
    assert calls_to(bot, GROUP_ID) == []  # no edit, no diary, no menu in the group


async def test_added_to_a_group_it_says_why_once_and_leaves(bot: Harness, content: Content) -> None:
    adder = bot.api.user(952, first_name="Cal")
    update = bot.api.enqueue_update(
        "my_chat_member",
        {
            "chat": GROUP,
            "from": adder.to_json(),
            "date": 0,
            "old_chat_member": {"user": bot.api.bot_user, "status": "left"},
            "new_chat_member": {"user": bot.api.bot_user, "status": "member"},
        },
    )
    await bot.driver.settle(update["update_id"])
    assert calls_to(bot, GROUP_ID) == ["sendMessage", "leaveChat"]
    [goodbye] = [c for c in bot.api.calls if c.method == "sendMessage"]
    assert goodbye.params["text"] == content.catalog("en").ui["group_goodbye"]
