"""No dead ends: every screen of the catalogue, opened as a user would, offers a next step beyond
Back and Home, and advice to keep a log comes with a button that opens the diary's log."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Harness
from tgbot.content import Content, load_content
from tgbot.content.contracts import DIARY_SCREEN, LOG_SCREEN, MAIN_SCREEN
from tgbot.content.routines import done_id
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.standin.driver import BotMessage, DriverUser

EN = load_content().catalog("en")
NAVIGATION = {EN.text("nav_back"), EN.text("nav_home")}
EXPIRED = html_to_plain(EN.text("expired"))[:30]
# "Keep a short log", "jot down when…", "note when the cramps…": advice a diary button serves.
LOG_ADVICE_RE = re.compile(r"keep a short log|jot down|note when the cramps", re.IGNORECASE)
LOG_TARGETS = {LOG_SCREEN, DIARY_SCREEN}
PREVENTION_ROUTINES = {"bedtime"}  # no cramp to log at the end of these


def current(user: DriverUser, message_id: int) -> BotMessage:
    [message] = [m for m in user.messages if m.message_id == message_id]
    return message


def next_steps(message: BotMessage) -> list[str]:
    """The data of every button that is not Back or Home."""
    return [
        b.callback_data or b.url or ""
        for row in message.buttons
        for b in row
        if b.label not in NAVIGATION
    ]


async def test_every_screen_offers_a_next_step_that_opens(bot: Harness) -> None:
    user = bot.driver.user(user_id=901)
    [menu] = await user.send("/menu")
    dead_ends, broken = [], []
    for screen_id in sorted(EN.screens):
        replies = await user.press_data(menu.message_id, f"s:{screen_id}")
        # No reply: the message already showed this screen (the last step led here).
        shown = replies[-1] if replies else current(user, menu.message_id)
        onward = next_steps(shown)
        if not onward:
            dead_ends.append(screen_id)
            continue
        if screen_id != MAIN_SCREEN and not shown.has_button(EN.text("nav_home"), exact=True):
            broken.append(f"{screen_id}: no Home")
        # The first next step really leads somewhere: a screen with buttons of its own.
        followed = await user.press_data(shown.message_id, onward[0])
        reached = followed[-1] if followed else current(user, shown.message_id)
        if not reached.buttons or reached.text.startswith(EXPIRED):
            broken.append(f"{screen_id} → {onward[0]}: nothing shown")
    assert dead_ends == [], f"screens with only Back/Home: {dead_ends}"
    assert broken == []
    assert bot.api.unanswered_callback_queries() == []


LOG_ADVICE_SCREENS = sorted(
    sid for sid, screen in EN.screens.items() if LOG_ADVICE_RE.search(html_to_plain(screen.text))
)


def test_log_advice_is_found_where_it_is_given() -> None:
    assert {"night_routine", "doc_frequent", "serious_doctor", "triage_see_gp_yes"} <= set(
        LOG_ADVICE_SCREENS
    )


@pytest.mark.parametrize("screen_id", LOG_ADVICE_SCREENS)
def test_advice_to_keep_a_log_has_a_diary_button(screen_id: str) -> None:
    targets = {b.to for row in EN.screens[screen_id].rows for b in row}
    assert targets & LOG_TARGETS, f"{screen_id} advises a log but offers no diary button"


async def test_keep_a_short_log_opens_the_diary_entry_flow(bot: Harness, content: Content) -> None:
    """From the triage's see-a-doctor outcome, the button starts logging a cramp."""
    user = bot.driver.user(user_id=902)
    [menu] = await user.send("/menu")
    [log_direct] = await user.press_data(menu.message_id, f"s:{LOG_SCREEN}")
    [outcome] = await user.press_data(menu.message_id, "s:triage_see_gp_yes")
    [log] = await user.press("Keep a short log", outcome)
    assert log.text == log_direct.text and log.buttons == log_direct.buttons
    assert log.text != html_to_plain(EN.screens[LOG_SCREEN].text)  # the live flow, not a page


ROUTINES = sorted(sid.removeprefix("r_").removesuffix("_done") for sid in EN.screens if
                  sid.startswith("r_") and sid.endswith("_done"))  # fmt: skip


@pytest.mark.parametrize("routine", ROUTINES)
def test_routines_end_with_log_still_hurting_and_home(routine: str) -> None:
    done = EN.screens[done_id(routine)]
    labels = [b.label for row in done.rows for b in row]
    targets = {b.to for row in done.rows for b in row}
    assert EN.text("routine_still_hurting") in labels
    if routine not in PREVENTION_ROUTINES:
        assert LOG_SCREEN in targets, f"{routine}: no 'Log this cramp' at the end"
