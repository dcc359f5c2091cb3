"""The bot as a Telegram user sees it: commands, the menu tree, buttons, bad input."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from tests.conftest import Harness
from tgbot.content import Content, load_content
from tgbot.services.navigation import MENU_BUTTONS, ChooseCountry
from tgbot.storage import UserRepository
from tgbot.telegram_html import html_to_plain

_EN = load_content().catalog("en")
BACK = _EN.text("nav_back")
HOME = _EN.text("nav_home")

MAIN_MENU_ENTRIES = (
    "Cramp right now",
    "Night leg cramps",
    "Twitching",
    "Back or neck spasm",
    "Stretches",
    "Hydration",
    "Is it serious?",
    "Reminders",
)


async def test_start_welcomes_and_shows_the_main_menu(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=501, first_name="Ann")
    [reply] = await user.send("/start")
    assert reply.text.startswith(_plain_start(content.catalog("en").text("welcome")))
    labels = " | ".join(reply.button_labels())
    for entry in MAIN_MENU_ENTRIES:
        assert entry in labels
    assert "/disclaimer" in reply.text  # the disclaimer is one tap away


async def test_start_menu_screen_back_home_edits_in_place(bot: Harness) -> None:
    user = bot.driver.user(user_id=502)
    [welcome] = await user.send("/start")

    [cramp] = await user.press("Cramp right now")
    assert cramp.is_edit and cramp.message_id == welcome.message_id
    assert user.last_callback_answer is not None

    [calf] = await user.press("Calf")
    assert calf.message_id == welcome.message_id
    assert "foot" in calf.text.lower()  # the stretch pulls the foot up
    assert calf.has_button(BACK, exact=True) and calf.has_button(HOME, exact=True)

    [back] = await user.press(BACK)
    assert back.text == cramp.text

    [home] = await user.press(HOME)
    assert home.has_button("Night leg cramps") and not home.has_button(BACK, exact=True)
    assert bot.api.unanswered_callback_queries() == []


@pytest.mark.parametrize("entry", MAIN_MENU_ENTRIES)
async def test_each_main_menu_entry_opens_a_real_screen(bot: Harness, entry: str) -> None:
    user = bot.driver.user(user_id=503)
    await user.send("/menu")
    [screen] = await user.press(entry)
    assert len(screen.text) > 200, screen.text
    assert screen.has_button(BACK, exact=True) and screen.has_button(HOME, exact=True)
    assert "/disclaimer" in screen.text


async def test_every_screen_is_reachable_and_sendable(bot: Harness, content: Content) -> None:
    """Walk the whole tree by pressing buttons; Telegram (the stand-in) accepts every screen."""
    user = bot.driver.user(user_id=504)
    [menu] = await user.send("/menu")
    seen: set[str] = set()
    pending = [b.callback_data for row in menu.buttons for b in row]
    while pending:
        data = pending.pop()
        # Reminder (rm:) and diary (dy:) buttons start flows of their own, tested in
        # tests/test_reminders.py and tests/test_diary.py.
        if data is None or data in seen or data.startswith(("rm:", "dy:")):
            continue
        seen.add(data)
        # A fresh message each time (welcome text: even s:main changes it), so no press is a
        # no-op "message is not modified" edit.
        [menu] = await user.send("/start")
        [screen] = await user.press_data(menu.message_id, data)
        assert screen.buttons, f"{data} is a dead end"
        pending.extend(b.callback_data for row in screen.buttons for b in row)
    screens = {data for data in seen if data.startswith("s:")}
    assert screens == {f"s:{sid}" for sid in content.catalog("en").screens}
    countries = content.catalog("en").emergency.countries
    chosen = {a for a in map(MENU_BUTTONS.decode, seen) if isinstance(a, ChooseCountry)}
    assert chosen == {ChooseCountry(), *(ChooseCountry(code) for code in countries)}
    assert bot.api.unanswered_callback_queries() == []


@pytest.mark.parametrize("data", ["s:no_such_screen", "garbage", "fg:maybe", "s:", "x" * 64])
async def test_forged_or_stale_button_gets_a_fresh_menu(
    bot: Harness, content: Content, data: str
) -> None:
    user = bot.driver.user(user_id=505)
    [menu] = await user.send("/menu")
    replies = await user.press_data(menu.message_id, data)
    catalog = content.catalog("en")
    assert user.last_callback_answer is not None
    assert user.last_callback_answer.get("text") == catalog.text("expired_toast")
    [fresh] = [m for m in replies if not m.is_edit]
    assert fresh.text.startswith(_plain_start(catalog.text("expired")))
    assert fresh.has_button("Cramp right now")


async def test_unknown_command_points_to_the_menu(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=506)
    [reply] = await user.send("/fly_me_to_the_moon")
    assert reply.text.startswith(_plain_start(content.catalog("en").text("unknown_command")))
    assert reply.has_button("Cramp right now")


async def test_sticker_and_photo_get_a_friendly_pointer(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=507)
    expected = _plain_start(content.catalog("en").text("non_text"))
    [reply] = await user.send_sticker()
    assert reply.text.startswith(expected) and reply.has_button("Stretches")
    [reply] = await user.send_photo()
    assert reply.text.startswith(expected)


async def test_a_4000_character_message_is_answered(bot: Harness) -> None:
    user = bot.driver.user(user_id=508)
    [reply] = await user.send(("my calf hurts and I do not know why " * 120)[:4000])
    assert reply.buttons and len(reply.text) <= 4096


@pytest.mark.parametrize("command", ["/help", "/privacy", "/disclaimer", "/menu"])
async def test_info_commands_answer_with_a_way_on(bot: Harness, command: str) -> None:
    user = bot.driver.user(user_id=510)
    [reply] = await user.send(command)
    assert len(reply.text) > 80
    assert reply.buttons


async def test_privacy_says_what_is_stored_and_how_to_delete(bot: Harness) -> None:
    user = bot.driver.user(user_id=511)
    [reply] = await user.send("/privacy")
    assert "/forget" in reply.text


async def test_forget_deletes_the_users_rows_after_confirmation(bot: Harness) -> None:
    user = bot.driver.user(user_id=512)
    other = bot.driver.user(user_id=513)
    await user.send("/start")
    await other.send("/start")
    assert bot.db_rows("SELECT user_id FROM users WHERE user_id = 512") == [(512,)]

    [confirm] = await user.send("/forget")
    assert confirm.has_button("Yes")
    assert bot.db_rows("SELECT count(*) FROM users WHERE user_id = 512") == [(1,)]

    [done] = await user.press("Yes")
    assert done.is_edit and not done.buttons
    assert bot.db_rows("SELECT count(*) FROM users WHERE user_id = 512") == [(0,)]
    assert bot.db_rows("SELECT count(*) FROM users WHERE user_id = 513") == [(1,)]


async def test_forget_can_be_cancelled(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=514)
    await user.send("/forget")
    [kept] = await user.press("Keep")
    assert kept.text.startswith(_plain_start(content.catalog("en").text("forget_cancelled")))
    assert bot.db_rows("SELECT count(*) FROM users WHERE user_id = 514") == [(1,)]


async def test_users_language_and_timestamps_are_stored_but_no_texts(bot: Harness) -> None:
    user = bot.driver.user(user_id=515, language_code="en-GB")
    await user.send("my secret calf story")
    [(language, created, seen)] = bot.db_rows(
        "SELECT language, created_at, last_seen_at FROM users WHERE user_id = 515"
    )
    assert language == "en" and isinstance(created, int) and seen == created
    dump = "\n".join(bot.db_rows("SELECT * FROM users")[0].__repr__() for _ in range(1))
    assert "secret" not in dump


async def test_commands_are_registered_at_start(bot: Harness, content: Content) -> None:
    calls = [c for c in bot.api.calls if c.method.lower() == "setmycommands"]
    assert calls, "setMyCommands was not called"
    registered = str(calls[0].params["commands"])
    for command in content.catalog("en").commands:
        assert command.command in registered


async def test_a_crashing_handler_apologises_and_the_bot_keeps_going(
    bot: Harness,
    content: Content,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tgbot.handlers import menu

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    user = bot.driver.user(user_id=516)
    await user.send("/menu")
    monkeypatch.setattr(menu, "render_screen", broken)
    with caplog.at_level(logging.ERROR):
        replies = await user.press("Stretches")
    assert any(r.text == html_to_plain(content.catalog("en").text("error")) for r in replies)
    assert "update=" in caplog.text and "RuntimeError" in caplog.text
    assert bot.api.unanswered_callback_queries() == []

    monkeypatch.undo()
    [screen] = await user.press("Stretches")
    assert screen.has_button(BACK, exact=True)


async def test_blocked_user_does_not_break_the_bot(bot: Harness) -> None:
    user = bot.driver.user(user_id=517)
    await user.send("/start")
    bot.api.block_bot(517)
    assert await user.send("/menu") == []
    bot.api.unblock_bot(517)
    [reply] = await user.send("/menu")
    assert reply.has_button("Stretches")


def _plain_start(html: str) -> str:
    """The first words of a content text, as Telegram shows them (tags removed)."""
    return html_to_plain(html)[:40]


async def test_a_reply_lost_to_a_server_error_is_sent_again(bot: Harness) -> None:
    user = bot.driver.user(user_id=941)
    bot.api.inject_fault("sendMessage", kind="server_error", times=2, chat_id=941)
    [reply] = await user.send("/start")
    assert "cramp" in reply.text.lower()


async def test_a_reply_that_keeps_failing_ends_in_an_apology(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=942)
    bot.api.inject_fault("sendMessage", kind="network", times=3, chat_id=942)
    [apology] = await user.send("/start")
    assert apology.text == html_to_plain(content.catalog("en").ui["error"])


async def test_a_read_only_database_still_welcomes_a_new_user_once(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def read_only(*args: object) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(UserRepository, "_upsert", read_only)
    user = bot.driver.user(user_id=943)
    [welcome] = await user.send("/start")  # one message: the welcome, no apology before it
    assert "cramp" in welcome.text.lower()
