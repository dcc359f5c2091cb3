"""One diary entry as a user lives it: the time typed the way people say it, a time that
stays put when the zone becomes known, the site a routine already knows, and a labelled
severity scale with the chosen value ticked."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from telegram import InlineKeyboardMarkup

from tests.conftest import Harness
from tgbot.content import Content, ContentError
from tgbot.content.catalog import messages_dir
from tgbot.content.diary_texts import load_diary_texts
from tgbot.handlers.screens import View, render_screen
from tgbot.services.diary.actions import DIARY_BUTTONS, LogCramp
from tgbot_devtools.standin import BotMessage, DriverUser


def dtext(content: Content, key: str) -> str:
    """The start of a diary text, as plain text (before any placeholder)."""
    raw = content.catalog("en").diary.texts[key].split("{")[0]
    return re.sub(r"<[^>]+>", "", raw).strip()[:25]


def dbutton(content: Content, key: str) -> str:
    return content.catalog("en").diary.buttons[key]


def ticked(content: Content, label: str) -> str:
    return content.catalog("en").diary.text("chosen", label=label)


async def logged_card(bot: Harness, user_id: int, site: str = "Calf") -> BotMessage:
    user = bot.driver.user(user_id=user_id)
    await user.send("/menu")
    [sites] = await user.press("Log a cramp")
    [card] = await user.press(site, sites)
    return card


async def type_time(user: DriverUser, content: Content, card: BotMessage, typed: str) -> BotMessage:
    """Change time → Type date and time → the typed text; the one reply."""
    [when] = await user.press(dbutton(content, "change_time"), card)
    [question] = await user.press(dbutton(content, "type_time"), when)
    assert question.text.startswith(dtext(content, "ask_when_typed"))
    [reply] = await user.send(typed)
    return reply


def stored_time(bot: Harness, user_id: int) -> tuple[object, ...]:
    [row] = bot.db_rows(
        "SELECT local_time, local_date, occurred_at, time_zone FROM diary_entries "
        "WHERE user_id = ?",
        user_id,
    )
    return row


def utc(year: int, month: int, day: int, hour: int) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp())


# ------------------------------------------------------------------ typed times

# The clock stands at Saturday 2026-11-21 18:00 UTC (conftest.START); no zone yet: UTC.
TYPED = [
    ("yesterday 3am", "Fri 20 Nov, 03:00", "2026-11-20T03:00"),
    ("3 days ago at 3am", "Wed 18 Nov, 03:00", "2026-11-18T03:00"),
    ("an hour ago", "Sat 21 Nov, 17:00", "2026-11-21T17:00"),
    # dotted dates are day first; 28 Nov this year is still ahead, so last year's is meant
    ("28.11. 03:00", "Fri, 28 Nov 2025, 03:00", "2025-11-28T03:00"),
    ("03.11. 23:30", "Tue 3 Nov, 23:30", "2026-11-03T23:30"),
    ("last night", "Sat 21 Nov, 02:00", "2026-11-21T02:00"),
    ("last night 11pm", "Fri 20 Nov, 23:00", "2026-11-20T23:00"),
    ("2026-11-20 23:30", "Fri 20 Nov, 23:30", "2026-11-20T23:30"),
]


@pytest.mark.parametrize(("typed", "confirmed", "local_time"), TYPED)
async def test_a_typed_time_is_understood_and_confirmed(
    bot: Harness, content: Content, typed: str, confirmed: str, local_time: str
) -> None:
    card = await logged_card(bot, 901)
    user = bot.driver.user(user_id=901)
    saved = await type_time(user, content, card, typed)
    assert f"Saved for {confirmed}." in saved.text
    assert f"Calf, {confirmed}" in saved.text  # the card shows it too
    stored, local_date, _, _ = stored_time(bot, 901)
    assert (stored, local_date) == (local_time, local_time[:10])


async def test_relative_times_follow_the_clock_and_the_zone(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=902)
    await user.send("/remind 22:15 Europe/Berlin")
    card = await logged_card(bot, 902)
    bot.clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))  # Wednesday, 10:30 in Berlin
    saved = await type_time(user, content, card, "yesterday 3am")
    assert "Saved for Tue 24 Nov, 03:00." in saved.text
    # 03:00 in Berlin (UTC+1 in November) is 02:00 UTC
    assert stored_time(bot, 902) == (
        "2026-11-24T03:00",
        "2026-11-24",
        utc(2026, 11, 24, 2),
        "Europe/Berlin",
    )


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("tomorrow 3am", "when_future"),
        ("in 2 hours", "when_future"),
        ("1850-01-01 10:00", "when_too_old"),
        ("01.01.2020 03:00", "when_too_old"),
        ("banana split", "bad_when"),
    ],
)
async def test_future_absurd_and_unreadable_times_are_refused_with_the_reason(
    bot: Harness, content: Content, typed: str, reason: str
) -> None:
    card = await logged_card(bot, 903)
    user = bot.driver.user(user_id=903)
    before = stored_time(bot, 903)
    refused = await type_time(user, content, card, typed)
    assert refused.text.startswith(dtext(content, reason))
    assert stored_time(bot, 903) == before
    # the question stays open: the next try is read
    [saved] = await user.send("yesterday 3am")
    assert "Saved for Fri 20 Nov, 03:00." in saved.text


# ------------------------------------------------------------------ time zones


async def test_a_zone_less_entry_keeps_its_time_when_a_zone_is_set_later(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=904)
    await user.send("/menu")
    [sites] = await user.press("Log a cramp")
    [sites] = await user.press(dbutton(content, "last_night"), sites)
    [card] = await user.press("Foot", sites)
    assert "Sat 21 Nov, 02:00" in card.text
    assert dtext(content, "no_zone") in card.text  # says whose clock that is ...
    [rated] = await user.press("7", card)
    assert dtext(content, "no_zone") not in rated.text  # ... where the time was set, once
    assert stored_time(bot, 904) == ("2026-11-21T02:00", "2026-11-21", utc(2026, 11, 21, 2), None)

    await user.send("/remind 22:15 Europe/Berlin")
    [menu] = await user.send("/diary")
    [listing] = await user.press(dbutton(content, "recent"), menu)
    assert listing.has_button("Sat 21 Nov, 02:00 · Foot")
    [card] = await user.press("Sat 21 Nov, 02:00", listing)
    assert "Sat 21 Nov, 02:00" in card.text and dtext(content, "no_zone") not in card.text
    # re-anchored: 02:00 in Berlin is 01:00 UTC; same wall clock, same day
    assert stored_time(bot, 904) == (
        "2026-11-21T02:00",
        "2026-11-21",
        utc(2026, 11, 21, 1),
        "Europe/Berlin",
    )

    await user.send("/remind 22:15 America/New_York")  # moving on: the entry stays put
    [menu] = await user.send("/diary")
    [listing] = await user.press(dbutton(content, "recent"), menu)
    assert listing.has_button("Sat 21 Nov, 02:00 · Foot")


async def test_an_entry_logged_with_a_zone_keeps_its_time_when_the_zone_changes(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=905)
    await user.send("/remind 22:15 Europe/Berlin")
    card = await logged_card(bot, 905)
    assert "Sat 21 Nov, 19:00" in card.text  # 18:00 UTC is 19:00 in Berlin
    await user.send("/remind 22:15 Asia/Tokyo")
    [menu] = await user.send("/diary")
    [listing] = await user.press(dbutton(content, "recent"), menu)
    assert listing.has_button("Sat 21 Nov, 19:00 · Calf")
    assert stored_time(bot, 905)[2:] == (utc(2026, 11, 21, 18), "Europe/Berlin")


# ------------------------------------------------------------------ after a routine


async def test_log_this_cramp_after_the_calf_routine_logs_the_calf(
    bot: Harness, content: Content
) -> None:
    ui = content.catalog("en").ui
    user = bot.driver.user(user_id=906)
    await user.send("/start")
    await user.press("Cramp right now")
    await user.press("Calf")
    [step] = await user.press("Guide me step by step")
    while step.has_button(ui["routine_next"], exact=True):
        [step] = await user.press(ui["routine_next"], step)
    [done] = await user.press(ui["routine_done"], step)
    [logged] = await user.press("Log this cramp", done)  # no "where was it?" again
    assert logged.text.startswith(dtext(content, "logged"))
    assert "Calf" in logged.text
    assert bot.db_rows("SELECT site FROM diary_entries WHERE user_id = 906") == [("calf",)]
    assert bot.api.unanswered_callback_queries() == []


def test_every_routine_done_screen_logs_its_own_site(content: Content) -> None:
    catalog = content.catalog("en")
    expected = catalog.diary.routine_sites
    assert expected
    for routine, site in expected.items():
        screen = catalog.screens[f"r_{routine}_done"]
        keyboard = render_screen(View(catalog), screen).markup
        assert isinstance(keyboard, InlineKeyboardMarkup)
        data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
        actions = [DIARY_BUTTONS.decode(str(d)) for d in data if str(d).startswith("dy:")]
        assert actions == [LogCramp(site, "now")], routine
        assert all(len(str(d).encode()) <= 64 for d in data)


def test_a_routine_site_naming_no_routine_stops_the_load(tmp_path: Path, content: Content) -> None:
    source = messages_dir() / "en" / "diary.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["entry"]["routine_sites"]["shin"] = "calf"
    broken = tmp_path / "diary.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    screens = content.catalog("en").screens.keys()
    with pytest.raises(ContentError, match=r"routine_sites\.shin"):
        load_diary_texts(broken, None, screens)


# ------------------------------------------------------------------ severity scale


async def test_severity_ends_are_labelled_and_the_chosen_value_ticked(
    bot: Harness, content: Content
) -> None:
    t = content.catalog("en").diary
    low, high = t.text("severity_low_end", n=1), t.text("severity_high_end", n=10)
    card = await logged_card(bot, 907)
    assert card.has_button(low, exact=True) and card.has_button(high, exact=True)
    assert not any(label.startswith(ticked(content, "")) for label in card.button_labels())

    user = bot.driver.user(user_id=907)
    [card] = await user.press("7", card)
    assert "7/10" in card.text
    assert card.has_button(ticked(content, "7"), exact=True)
    assert card.has_button(low, exact=True) and card.has_button(high, exact=True)
    assert [label for label in card.button_labels() if label.startswith("✅")] == [
        ticked(content, "7")
    ]

    [card] = await user.press(high, card)
    assert "10/10" in card.text
    assert card.has_button(ticked(content, high), exact=True)
    assert card.has_button("7", exact=True)  # no longer ticked
    [card] = await user.press(dbutton(content, "side_left"), card)
    assert card.has_button(ticked(content, dbutton(content, "side_left")), exact=True)
    assert bot.db_rows("SELECT severity, side FROM diary_entries WHERE user_id = 907") == [
        (10, "left")
    ]
