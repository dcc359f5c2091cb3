"""Operator commands: only for TGBOT_ADMIN_IDS, counts only, hidden from everyone else."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

from tests.conftest import Harness
from tgbot.content import Content
from tgbot.content.catalog import ADMIN_STATS_PLACEHOLDERS
from tgbot.services.operations import BotStats

ADMIN = 961


def make_admin(bot: Harness) -> None:
    services = bot.services
    services.settings = replace(services.settings, admin_ids=frozenset({ADMIN}))


async def test_stats_count_users_and_reminders_for_an_operator(bot: Harness) -> None:
    make_admin(bot)
    await bot.driver.user(user_id=962).send("/start")
    await bot.driver.user(user_id=962).send("/remind 22:15 Europe/Berlin")
    [stats] = await bot.driver.user(user_id=ADMIN).send("/stats")
    assert "Users: 2" in stats.text and "Reminders on: 1" in stats.text
    assert "962" not in stats.text  # counts, never anyone's id or data


async def test_anyone_else_gets_the_ordinary_unknown_command_answer(
    bot: Harness, content: Content
) -> None:
    make_admin(bot)
    user = bot.driver.user(user_id=963)
    [unknown] = await user.send("/nosuchcommand")
    for command in ("/stats", "/broadcast_test"):
        [reply] = await user.send(command)
        assert reply.text == unknown.text


async def test_broadcast_test_sends_tonights_reminder_to_the_operator_only(
    bot: Harness, content: Content
) -> None:
    make_admin(bot)
    [reminder] = await bot.driver.user(user_id=ADMIN).send("/broadcast_test")
    assert reminder.buttons  # the nightly reminder with its buttons
    sent_to = {c.params.get("chat_id") for c in bot.api.calls if c.method == "sendMessage"}
    assert sent_to == {ADMIN}
    assert reminder.has_button(content.catalog("en").reminders.buttons["done"], exact=True)


def test_the_stats_text_and_the_stats_carry_the_same_counts() -> None:
    assert set(ADMIN_STATS_PLACEHOLDERS) == {f.name for f in fields(BotStats)}


async def test_stats_show_todays_sends_the_queue_and_late_reminders(bot: Harness) -> None:
    make_admin(bot)
    await bot.driver.user(user_id=964).send("/start")
    await bot.driver.user(user_id=964).send("/remind 22:15 Europe/Berlin")  # 21:15 UTC
    bot.clock.set(datetime(2026, 11, 21, 21, 16, 30, tzinfo=UTC))  # 90 s after its time
    await bot.services.engine.tick()
    await bot.services.engine.idle()
    [stats] = await bot.driver.user(user_id=ADMIN).send("/stats")
    assert "Reminders sent today (UTC): 1" in stats.text
    assert "1 sent, 0 blocked, 0 failed" in stats.text
    assert "0 retried, 1 late (over a minute), 0 missed" in stats.text
    assert "Send queue: 0 waiting; 0 claimed" in stats.text


async def test_todays_sends_and_errors_start_again_at_midnight_utc(bot: Harness) -> None:
    make_admin(bot)
    await bot.driver.user(user_id=965).send("/start")
    await bot.driver.user(user_id=965).send("/remind 22:15 Europe/Berlin")  # 21:15 UTC
    bot.clock.set(datetime(2026, 11, 21, 21, 15, tzinfo=UTC))
    await bot.services.engine.tick()
    await bot.services.engine.idle()
    bot.services.operations.record_error()
    [before] = await bot.driver.user(user_id=ADMIN).send("/stats")
    assert "Reminders sent today (UTC): 1" in before.text
    assert "Updates that failed today (UTC): 1" in before.text
    bot.clock.set(datetime(2026, 11, 22, 0, 0, tzinfo=UTC))
    [after] = await bot.driver.user(user_id=ADMIN).send("/stats")
    assert "Reminders sent today (UTC): 0" in after.text
    assert "Updates that failed today (UTC): 0" in after.text
    assert "1 sent, 0 blocked" in after.text  # since start stays
