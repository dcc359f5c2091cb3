"""The reminder flows finished (issue 11): pause and resume, the check-in label, /remind's
causes, the next time in words, a test reminder now. Driven as a user through the stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import START, Harness
from tests.test_reminders import (
    BERLIN_2215,
    deliver_due,
    label,
    reminders_received,
    said,
)
from tgbot.content import Content
from tgbot.content.reminder_texts import TEXT_PLACEHOLDERS
from tgbot.services.reminders.schedule import SpokenWhen
from tgbot_devtools.standin import BotMessage, DriverUser

PAUSE_ENDS = START + timedelta(days=7)


def reminder_row(bot: Harness, user_id: int) -> tuple[object, ...]:
    [row] = bot.db_rows(
        "SELECT local_time, paused_until, next_fire_at, last_sent_date, checkin_enabled "
        "FROM reminders WHERE user_id = ?",
        user_id,
    )
    return row


async def paused_screen(user: DriverUser, content: Content) -> BotMessage:
    await user.send("/remind 22:15 Europe/Berlin")
    [state] = await user.send("/reminders")
    [paused] = await user.press(label(content, "pause_week"), state)
    return paused


# ------------------------------------------------------------------ pause and resume


async def test_paused_screen_offers_resume_instead_of_pause(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=801)
    paused = await paused_screen(user, content)
    assert paused.text.startswith("⏸ Paused")
    assert paused.has_button(label(content, "resume"))
    assert not paused.has_button(label(content, "pause_week"))
    [again] = await user.send("/reminders")
    assert again.has_button(label(content, "resume")) and "Paused" in again.text


async def test_changing_the_time_keeps_the_pause_and_says_so(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=802)
    paused = await paused_screen(user, content)
    [(paused_until,)] = bot.db_rows("SELECT paused_until FROM reminders WHERE user_id = 802")
    await user.press(label(content, "change_time"), paused)
    [changed] = await user.press("23:00")
    assert changed.text.startswith("✅ Saved, and still paused")
    assert "Reminders start again on Saturday 28 November at 23:00" in changed.text
    assert changed.has_button(label(content, "resume"))
    local_time, still_until, next_fire, _, _ = reminder_row(bot, 802)
    assert (local_time, still_until) == ("23:00", paused_until)
    assert isinstance(next_fire, int) and next_fire >= int(PAUSE_ENDS.timestamp())

    [days] = await user.press(label(content, "change_days"), changed)
    [saved] = await user.press(label(content, "weekdays"), days)
    assert saved.text.startswith("✅ Saved, and still paused")

    bot.clock.set(BERLIN_2215 + timedelta(hours=1))  # 23:15 tonight: nothing while paused
    await deliver_due(bot)
    assert reminders_received(bot, 802, content) == []


async def test_a_typed_remind_keeps_the_pause_too(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=803)
    await paused_screen(user, content)
    [changed] = await user.send("/remind 21:00")
    assert changed.text.startswith("✅ Saved, and still paused")


async def test_resume_brings_tonights_reminder_back(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=804)
    paused = await paused_screen(user, content)
    [resumed] = await user.press(label(content, "resume"), paused)
    assert resumed.text.startswith("▶️ Reminders are back on")
    assert "Next: tonight at 22:15" in resumed.text
    assert resumed.has_button(label(content, "pause_week"))
    assert not resumed.has_button(label(content, "resume"))
    assert reminder_row(bot, 804)[1] is None
    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    assert len(reminders_received(bot, 804, content)) == 1


async def test_a_pause_that_ran_out_no_longer_shows_as_paused(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=805)
    await paused_screen(user, content)
    bot.clock.set(PAUSE_ENDS + timedelta(hours=1))  # Saturday a week on, 20:00 in Berlin
    [state] = await user.send("/reminders")
    assert state.text.startswith("⏰ Your bedtime reminder")
    assert "Next: tonight at 22:15" in state.text
    assert state.has_button(label(content, "pause_week"))


async def test_stale_pause_and_snooze_buttons_do_not_revive_reminders(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=806)
    await user.send("/remind 22:15 Europe/Berlin")
    [state] = await user.send("/reminders")
    await user.send("/remind off")
    [answer] = await user.press(label(content, "pause_week"), state)  # the old screen's
    assert answer.has_button(label(content, "turn_on"))
    assert bot.db_rows("SELECT enabled FROM reminders WHERE user_id = 806") == [(0,)]

    await user.send("/remind 22:15 Europe/Berlin")
    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    reminder = BotMessage.from_json(reminders_received(bot, 806, content)[0])
    [state] = await user.send("/reminders")
    await user.press(label(content, "pause_week"), state)
    [snoozed] = await user.press(label(content, "snooze"), reminder)
    assert snoozed.text.startswith("⏸ Paused")  # no snooze while paused: it says why
    bot.clock.advance(timedelta(minutes=20))
    await deliver_due(bot)
    assert len(reminders_received(bot, 806, content)) == 1


# ------------------------------------------------------------------ the check-in label


async def test_confirmation_labels_the_check_in_as_it_is(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=807)
    await user.send("/remind 22:15 Europe/Berlin")
    [state] = await user.send("/reminders")
    assert state.has_button(label(content, "checkin_turn_off"))
    await user.press(label(content, "checkin_turn_off"), state)
    [state] = await user.send("/reminders")
    await user.press(label(content, "change_time"), state)
    [changed] = await user.press("23:00")
    assert changed.has_button(label(content, "checkin_turn_on"))
    assert not changed.has_button(label(content, "checkin_turn_off"))
    [days] = await user.press(label(content, "change_days"), changed)
    [saved] = await user.press(label(content, "every_day"), days)
    assert saved.has_button(label(content, "checkin_turn_on"))
    [again] = await user.send("/remind 21:30")
    assert again.has_button(label(content, "checkin_turn_on"))
    assert reminder_row(bot, 807)[4] == 0


# ------------------------------------------------------------------ /remind's causes


@pytest.mark.parametrize(
    ("args", "cause", "typed"),
    [
        ("25:99 Berlin", "bad_hour", "25:99"),
        ("13 pm Berlin", "bad_hour", "13 pm"),
        ("22:75", "bad_minute", "22:75"),
        ("soon", "bad_time", "soon"),
    ],
)
async def test_remind_names_what_is_wrong_with_the_time(
    bot: Harness, content: Content, args: str, cause: str, typed: str
) -> None:
    user = bot.driver.user(user_id=808)
    [reply] = await user.send(f"/remind {args}")
    assert reply.text.startswith(said(content, cause, text=typed))
    assert bot.db_rows("SELECT count(*) FROM reminders WHERE user_id = 808") == [(0,)]


async def test_remind_with_an_unknown_zone_says_so(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=809)
    [reply] = await user.send("/remind 22:00 Narnia")
    assert reply.text.startswith(said(content, "zone_unknown", text="Narnia"))
    assert bot.db_rows("SELECT count(*) FROM reminders WHERE user_id = 809") == [(0,)]


async def test_remind_with_a_misspelt_zone_offers_the_closest(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=810)
    [reply] = await user.send("/remind 22:00 new yrok")
    assert reply.text.startswith(said(content, "zone_suggest", text="new yrok"))
    [confirm] = await user.press("America/New_York", reply)
    assert "tonight at 22:00" in confirm.text and "New York" in confirm.text
    assert bot.db_rows("SELECT local_time, time_zone FROM reminders WHERE user_id = 810") == [
        ("22:00", "America/New_York")
    ]


@pytest.mark.parametrize(
    ("abbreviation", "candidates"),
    [
        ("CST", ["America/Chicago", "Asia/Shanghai", "America/Havana"]),
        ("IST", ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),
    ],
)
async def test_remind_refuses_to_guess_an_ambiguous_abbreviation(
    bot: Harness, content: Content, abbreviation: str, candidates: list[str]
) -> None:
    user = bot.driver.user(user_id=811)
    [reply] = await user.send(f"/remind 22:00 {abbreviation}")
    assert reply.text.startswith(said(content, "zone_ambiguous", text=abbreviation))
    assert [b.label for row in reply.buttons[:-1] for b in row] == candidates
    assert bot.db_rows("SELECT count(*) FROM reminders WHERE user_id = 811") == [(0,)]
    [confirm] = await user.press(candidates[1], reply)
    assert confirm.text.startswith("✅ Bedtime reminder set")
    assert bot.db_rows("SELECT time_zone FROM reminders WHERE user_id = 811") == [(candidates[1],)]


@pytest.mark.parametrize(
    ("abbreviation", "zone"), [("EST", "America/New_York"), ("cet", "Europe/Berlin")]
)
async def test_remind_accepts_a_clear_abbreviation_and_names_the_zone(
    bot: Harness, content: Content, abbreviation: str, zone: str
) -> None:
    user = bot.driver.user(user_id=812)
    [confirm] = await user.send(f"/remind 22:00 {abbreviation}")
    note = said(content, "zone_abbreviation", abbreviation=abbreviation.upper(), zone=zone)
    assert confirm.text.startswith(note)
    assert "✅ Bedtime reminder set" in confirm.text
    assert bot.db_rows("SELECT time_zone FROM reminders WHERE user_id = 812") == [(zone,)]


async def test_remind_without_a_known_zone_asks_for_it(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=813)
    [question, _location_hint] = await user.send("/remind 22:15")
    assert question.text.startswith("🌍 Which time zone are you in?")
    assert "22:15" in question.text


async def zone_question(user: DriverUser, content: Content) -> BotMessage:
    await user.send("/reminders")
    await user.press(label(content, "turn_on"))
    [question, _hint] = await user.press("22:00")
    return question


async def test_typed_zone_with_a_typo_offers_buttons_and_stays_open(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=814)
    await zone_question(user, content)
    [reply] = await user.send("new yrok")
    assert reply.text.startswith(said(content, "zone_suggest", text="new yrok"))
    [days] = await user.press("America/New_York", reply)
    assert "New York" in days.text and days.has_button(label(content, "every_day"))


async def test_typed_zone_ambiguous_then_typed_again(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=815)
    await zone_question(user, content)
    [reply] = await user.send("IST")
    assert reply.text.startswith(said(content, "zone_ambiguous", text="IST"))
    assert reply.has_button("Asia/Kolkata") and reply.has_button("Europe/Dublin")
    replies = await user.send("EST")  # the question is still open
    note = said(content, "zone_abbreviation", abbreviation="EST", zone="America/New_York")
    assert replies[0].text.startswith(note)
    [confirm] = await user.press(label(content, "every_day"))
    assert "New York" in confirm.text


# ------------------------------------------------------------------ the next time in words


@pytest.mark.parametrize(
    ("now", "at", "words"),
    [
        (START, "07:36", "tomorrow morning at 07:36"),  # 19:00 in Berlin
        (datetime(2026, 11, 21, 5, 0, tzinfo=UTC), "07:36", "this morning at 07:36"),
        (datetime(2026, 11, 21, 5, 0, tzinfo=UTC), "13:00", "this afternoon at 13:00"),
        (START, "13:00", "tomorrow afternoon at 13:00"),
        (START, "18:30", "tomorrow evening at 18:30"),
        (START, "19:30", "this evening at 19:30"),
        (START, "22:15", "tonight at 22:15"),
        (START, "00:30", "tonight at 00:30"),  # after midnight, still tonight's sleep
        (datetime(2026, 11, 21, 22, 0, tzinfo=UTC), "22:15", "tomorrow night at 22:15"),
    ],
)
async def test_the_next_time_is_worded_for_the_hour(
    bot: Harness, now: datetime, at: str, words: str
) -> None:
    bot.clock.set(now)
    user = bot.driver.user(user_id=816)
    [confirm] = await user.send(f"/remind {at} Europe/Berlin")
    assert f"Next: {words}." in confirm.text


def test_every_spoken_when_has_its_words() -> None:
    assert {f"when_{w.value}" for w in SpokenWhen} <= set(TEXT_PLACEHOLDERS)


# ------------------------------------------------------------------ a test reminder now


async def test_a_test_reminder_comes_at_once_and_changes_nothing(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=817)
    await user.send("/remind 22:15 Europe/Berlin")
    before = reminder_row(bot, 817)
    [state] = await user.send("/reminders")
    [test] = await user.press(label(content, "send_test"), state)
    assert not test.is_edit  # a new message: the settings stay where they were
    assert test.text.startswith(said(content, "reminder_title"))
    assert test.has_button(label(content, "done"))
    assert reminder_row(bot, 817) == before

    [wait] = await user.press(label(content, "send_test"), state)
    assert wait.text.startswith(said(content, "test_wait", seconds="60"))
    bot.clock.advance(timedelta(seconds=61))
    [again] = await user.press(label(content, "send_test"), state)
    assert again.text.startswith(said(content, "reminder_title"))
    assert len(reminders_received(bot, 817, content)) == 2

    bot.clock.set(BERLIN_2215)  # the real one still comes, once
    await deliver_due(bot)
    await deliver_due(bot)
    assert len(reminders_received(bot, 817, content)) == 3
    assert reminder_row(bot, 817)[3] == "2026-11-21"
    real = BotMessage.from_json(reminders_received(bot, 817, content)[-1])
    [skipped] = await user.press(label(content, "skip"), real)
    assert skipped.text.startswith(said(content, "skip_ack", when="tomorrow night", time="22:15"))
    assert bot.api.unanswered_callback_queries() == []
