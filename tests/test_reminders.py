"""Bedtime reminders as a user lives them: opt in, receive, press each button, change, stop."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Harness
from tgbot.app import build_application
from tgbot.content import Content
from tgbot.handlers.context import SERVICES_KEY, BotServices
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.standin import BotDriver, BotMessage, DriverUser, StandinRequest

# START in conftest is 18:00 UTC = 19:00 in Berlin (CET) on Saturday 2026-11-21.
BERLIN_2215 = datetime(2026, 11, 21, 21, 15, tzinfo=UTC)


def rtext(content: Content, key: str) -> str:
    """A reminders.yaml text as the user reads it, up to its first placeholder."""
    raw = content.catalog("en").reminders.texts[key].split("{")[0]
    return re.sub(r"<[^>]+>", "", raw).strip()[:30]


def said(content: Content, key: str, **values: str) -> str:
    """A reminders.yaml text filled in, as the user reads it (plain text)."""
    return html_to_plain(content.catalog("en").reminders.text(key, **values)).strip()


def label(content: Content, key: str) -> str:
    return content.catalog("en").reminders.buttons[key]


async def deliver_due(bot: Harness) -> None:
    """What the once-a-second tick does, run now, then wait for the sends to finish."""
    await bot.services.engine.tick()
    await bot.services.engine.idle()


def sent_starting_with(bot: Harness, user_id: int, start: str) -> list[dict[str, object]]:
    """Messages the bot sent to the user whose text began with ``start``, as they are now."""
    sent = [
        c.result["message_id"]
        for c in bot.api.calls
        if c.method == "sendMessage"
        and c.status == 200
        and str(c.params.get("chat_id")) == str(user_id)
        and str(c.params.get("text", "")).startswith(start)
    ]
    return [m for m in bot.api.chat_messages(user_id) if m["message_id"] in sent]


def reminders_received(bot: Harness, user_id: int, content: Content) -> list[dict[str, object]]:
    """Every nightly reminder delivered to the user (even if a button edited it since)."""
    return sent_starting_with(bot, user_id, content.catalog("en").reminders.texts["reminder_title"])


async def opt_in_typed(
    user: DriverUser, content: Content, time_text: str, zone_text: str
) -> BotMessage:
    await user.send("/reminders")
    await user.press(label(content, "turn_on"))
    await user.press(label(content, "other_time"))
    [zone_question, _location_hint] = await user.send(time_text)
    assert zone_question.text.startswith(rtext(content, "ask_zone"))
    await user.press(label(content, "type_zone"), zone_question)
    replies = await user.send(zone_text)
    assert any("Berlin" in r.text for r in replies)
    [confirm] = await user.press(label(content, "every_day"))
    return confirm


async def test_opt_in_with_typed_time_and_zone_then_receive_once(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=701)
    confirm = await opt_in_typed(user, content, "10:15pm", "Berlin")
    assert "tonight at 22:15" in confirm.text and "Berlin" in confirm.text
    [(fire_at,)] = bot.db_rows("SELECT next_fire_at FROM reminders WHERE user_id = 701")
    assert fire_at == int(BERLIN_2215.timestamp())

    await deliver_due(bot)
    assert reminders_received(bot, 701, content) == []  # not yet: it is 19:00 in Berlin

    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    await deliver_due(bot)
    [reminder] = reminders_received(bot, 701, content)
    assert "Done" in str(reminder["reply_markup"])
    [(sent, next_fire)] = bot.db_rows(
        "SELECT last_sent_date, next_fire_at FROM reminders WHERE user_id = 701"
    )
    assert sent == "2026-11-21" and next_fire == int((BERLIN_2215 + timedelta(days=1)).timestamp())


async def test_reminder_buttons_done_snooze_skip_stop(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=702)
    [confirm] = await user.send("/remind 22:15 Europe/Berlin")
    assert "tonight at 22:15" in confirm.text
    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    [raw] = reminders_received(bot, 702, content)
    reminder = BotMessage.from_json(raw)
    [routine] = await user.press(label(content, "start_routine"), reminder)
    assert "Step 1 of" in routine.text and not routine.is_edit  # a new message: the
    assert reminder.has_button(label(content, "done"))  # reminder keeps its buttons

    [done] = await user.press(label(content, "done"), reminder)
    assert done.text.startswith(rtext(content, "done_ack"))
    assert bot.db_rows("SELECT last_done_date FROM reminders WHERE user_id = 702") == [
        ("2026-11-21",)
    ]

    await deliver_due(bot)  # a second nightly reminder to press the other buttons on
    bot.clock.set(BERLIN_2215 + timedelta(days=1))
    await deliver_due(bot)
    second = BotMessage.from_json(reminders_received(bot, 702, content)[-1])
    [snoozed] = await user.press(label(content, "snooze"), second)
    assert "22:30" in snoozed.text
    bot.clock.advance(timedelta(minutes=15))
    await deliver_due(bot)
    assert len(reminders_received(bot, 702, content)) == 3  # the snoozed one came back

    third = BotMessage.from_json(reminders_received(bot, 702, content)[-1])
    [skipped] = await user.press(label(content, "skip"), third)
    assert skipped.text.startswith(rtext(content, "skip_ack"))

    bot.clock.set(BERLIN_2215 + timedelta(days=2))
    await deliver_due(bot)
    fourth = BotMessage.from_json(reminders_received(bot, 702, content)[-1])
    [stopped] = await user.press(label(content, "stop"), fourth)
    assert stopped.text.startswith(rtext(content, "turned_off"))
    assert bot.db_rows("SELECT enabled FROM reminders WHERE user_id = 702") == [(0,)]
    bot.clock.advance(timedelta(days=1))
    await deliver_due(bot)
    assert len(reminders_received(bot, 702, content)) == 4
    assert bot.api.unanswered_callback_queries() == []


async def test_manage_change_time_pause_and_turn_off(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=703)
    await user.send("/remind 22:15 Europe/Berlin")
    [state] = await user.send("/reminders")
    assert "22:15" in state.text
    await user.press(label(content, "change_time"), state)
    [changed] = await user.press("23:00")
    assert "tonight at 23:00" in changed.text
    [paused] = await user.press(label(content, "pause_week"), changed)
    assert "23:00" in paused.text and "Paused" in paused.text
    [off] = await user.press(label(content, "turn_off"), paused)
    assert off.text.startswith(rtext(content, "turned_off"))
    [state] = await user.send("/reminders")
    assert state.has_button(label(content, "turn_on"))


async def test_change_days_to_weekdays_and_custom(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=704)
    await user.send("/remind 22:15 Europe/Berlin")
    [state] = await user.send("/reminders")
    await user.press(label(content, "change_days"), state)
    [custom] = await user.press(label(content, "custom_days"))
    [custom] = await user.press("Mon", custom)
    [custom] = await user.press("Wed", custom)
    [saved] = await user.press(label(content, "save_days"), custom)
    assert "Mon, Wed" in saved.text and "on Monday at 22:15" in saved.text  # today is Saturday
    [(days,)] = bot.db_rows("SELECT days FROM reminders WHERE user_id = 704")
    assert days == 0b101


@pytest.mark.parametrize(
    ("nonsense", "cause"),
    [
        ("25:99", "bad_hour"),
        ("tomorrow", "bad_time"),
        ("13pm", "bad_hour"),
        ("99", "bad_hour"),
        ("22:75", "bad_minute"),
    ],
)
async def test_absurd_times_get_their_cause_and_the_question_again(
    bot: Harness, content: Content, nonsense: str, cause: str
) -> None:
    user = bot.driver.user(user_id=705)
    await user.send("/reminders")
    await user.press(label(content, "turn_on"))
    await user.press(label(content, "other_time"))
    [hint] = await user.send(nonsense)
    assert hint.text.startswith(said(content, cause, text=nonsense))
    [zone_question, _] = await user.send("22:15")
    assert "22:15" in zone_question.text


async def test_a_red_flag_beats_an_open_set_up_question(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=706)
    await user.send("/reminders")
    await user.press(0)  # Turn on
    await user.press("Other")
    reply, closed = await user.send("crushing chest pain and I can't breathe")
    assert "112" in reply.text
    assert closed.text == content.catalog("en").text("prompt_closed").strip()
    # The time question is closed: a zone typed now is not taken as its answer.
    [after] = await user.send("Europe/Berlin")
    assert "22:15" not in after.text


async def test_remind_shortcut_alone_explains_itself(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=707)
    [reply] = await user.send("/remind")
    assert reply.text.startswith(rtext(content, "remind_usage"))


async def test_remind_shortcut_reuses_a_known_zone_and_turns_off(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=708)
    await user.send("/remind 21:30 America/New_York")
    [again] = await user.send("/remind 9:45pm")
    assert "21:45" in again.text and "New York" in again.text
    [off] = await user.send("/remind off")
    assert off.text.startswith(rtext(content, "turned_off"))


async def test_missed_within_grace_is_sent_late_once_older_is_skipped(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=709)
    await user.send("/remind 22:15 Europe/Berlin")
    bot.clock.set(BERLIN_2215 + timedelta(minutes=40))
    await deliver_due(bot)
    await deliver_due(bot)
    assert len(reminders_received(bot, 709, content)) == 1
    bot.clock.set(BERLIN_2215 + timedelta(days=1, hours=3))  # the bot was down all evening
    await deliver_due(bot)
    assert len(reminders_received(bot, 709, content)) == 1
    [(next_fire,)] = bot.db_rows("SELECT next_fire_at FROM reminders WHERE user_id = 709")
    assert next_fire == int((BERLIN_2215 + timedelta(days=2)).timestamp())


async def test_429_pauses_then_delivers_once(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=710)
    await user.send("/remind 22:15 Europe/Berlin")
    bot.clock.set(BERLIN_2215)
    bot.api.inject_fault("sendMessage", kind="retry_after", retry_after=1, chat_id=710)
    await deliver_due(bot)
    assert len(reminders_received(bot, 710, content)) == 1


async def test_403_turns_reminders_off_without_retrying(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=711)
    await user.send("/remind 22:15 Europe/Berlin")
    bot.api.block_bot(711)
    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    assert bot.db_rows("SELECT enabled FROM reminders WHERE user_id = 711") == [(0,)]
    title = content.catalog("en").reminders.texts["reminder_title"]
    attempts = [
        c
        for c in bot.api.calls
        if c.method == "sendMessage"
        and str(c.params.get("chat_id")) == "711"
        and str(c.params.get("text")).startswith(title)
    ]
    assert [c.status for c in attempts] == [403]  # no retries after a 403
    [welcome_back] = await user.unblock()
    assert welcome_back.text.startswith(rtext(content, "welcome_back_off"))
    [state] = await user.send("/reminders")
    assert state.has_button(label(content, "turn_on"))


async def test_forget_removes_reminders(bot: Harness) -> None:
    user = bot.driver.user(user_id=712)
    await user.send("/remind 22:15 Europe/Berlin")
    await user.send("/forget")
    await user.press("Yes")
    assert bot.db_rows("SELECT count(*) FROM reminders WHERE user_id = 712") == [(0,)]


async def test_opt_in_by_sharing_a_location(bot: Harness, content: Content) -> None:
    pytest.importorskip("timezonefinder")
    user = bot.driver.user(user_id=713)
    await user.send("/reminders")
    await user.press(label(content, "turn_on"))
    [zone_question, _hint] = await user.press("22:00")
    assert zone_question.text.startswith(rtext(content, "ask_zone"))
    keyboard = str(bot.api.reply_keyboard(713))
    assert "request_location" in keyboard  # the share-location button
    replies = await user.send_location(52.52, 13.40)
    assert any("Berlin" in r.text for r in replies)
    [confirm] = await user.press(label(content, "every_day"))
    assert "tonight at 22:00" in confirm.text
    assert bot.db_rows("SELECT time_zone FROM users WHERE user_id = 713") == [("Europe/Berlin",)]


async def test_opt_in_by_picking_a_region_and_city(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=714)
    await user.send("/reminders")
    await user.press(label(content, "turn_on"))
    [zone_question, _hint] = await user.press("22:30")
    [cities] = await user.press("Americas", zone_question)
    [days] = await user.press("New York", cities)
    assert days.text.startswith(rtext(content, "zone_found"))
    [confirm] = await user.press(label(content, "weekdays"), days)
    assert "Weekdays at 22:30" in confirm.text and "New York" in confirm.text
    assert "on Monday at 22:30" in confirm.text  # it is Saturday afternoon in New York


async def test_a_location_without_an_open_question_gets_the_pointer(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=715)
    [reply] = await user.send_location(48.85, 2.35)
    assert reply.text.startswith(html_to_plain(content.catalog("en").text("non_text"))[:30])


async def test_a_restarted_bot_sends_a_due_reminder_once(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=716)
    await user.send("/remind 22:15 Europe/Berlin")
    await bot.driver.stop()  # the bot goes down before 22:15 Berlin…

    bot.clock.set(BERLIN_2215 + timedelta(seconds=20))  # …and is back just after it
    restarted = build_application(
        bot.settings,
        content=content,
        request=StandinRequest(bot.api),
        updates_request=StandinRequest(bot.api),
        reminder_request=StandinRequest(bot.api),
        rate_limited=False,
        clock=bot.clock,
    )
    async with BotDriver(bot.api, restarted):
        services: BotServices = restarted.bot_data[SERVICES_KEY]
        for _ in range(3):
            await services.engine.tick()
            await services.engine.idle()
    assert len(reminders_received(bot, 716, content)) == 1


def checkins_received(bot: Harness, user_id: int, content: Content) -> list[dict[str, object]]:
    return sent_starting_with(bot, user_id, content.catalog("en").reminders.texts["checkin"])


async def test_morning_check_in_logs_last_nights_cramp(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=717)
    await user.send("/remind 22:15 Europe/Berlin")
    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    bot.clock.set(datetime(2026, 11, 22, 7, 0, tzinfo=UTC))  # 08:00 in Berlin
    await deliver_due(bot)
    await deliver_due(bot)
    [raw] = checkins_received(bot, 717, content)
    morning = BotMessage.from_json(raw)
    [sites] = await user.press(label(content, "checkin_one"), morning)
    [logged] = await user.press("Calf", sites)
    assert "last night" in logged.text
    assert bot.db_rows("SELECT site, local_date FROM diary_entries WHERE user_id = 717") == [
        ("calf", "2026-11-22")
    ]


async def test_morning_check_in_has_its_own_off_switch(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=718)
    await user.send("/remind 22:15 Europe/Berlin")
    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    bot.clock.set(datetime(2026, 11, 22, 7, 0, tzinfo=UTC))
    await deliver_due(bot)
    morning = BotMessage.from_json(checkins_received(bot, 718, content)[0])
    [none] = await user.press(label(content, "checkin_none"), morning)
    assert none.text.startswith(rtext(content, "checkin_none_ack"))
    [state] = await user.send("/reminders")
    [off] = await user.press(label(content, "checkin_turn_off"), state)
    assert off.text.startswith(rtext(content, "checkin_off_ack"))
    bot.clock.set(BERLIN_2215 + timedelta(days=1))
    await deliver_due(bot)
    bot.clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    await deliver_due(bot)
    assert len(reminders_received(bot, 718, content)) == 2  # the reminder itself goes on
    assert len(checkins_received(bot, 718, content)) == 1  # but no second check-in
