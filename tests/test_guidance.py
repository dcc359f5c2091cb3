"""Guided routines, the "Is it serious?" check, emergency numbers by country, typed questions."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import Harness
from tgbot.content import Content, messages_dir
from tgbot.content.contracts import STILL_HURTING_SCREEN
from tgbot.content.triage import LEVELS
from tgbot.telegram_html import html_to_plain


def routine_names(content: Content) -> list[str]:
    return sorted(
        sid.removeprefix("r_").removesuffix("_1")
        for sid in content.catalog("en").screens
        if sid.startswith("r_") and sid.endswith("_1")
    )


def plain(content: Content, key: str) -> str:
    return html_to_plain(content.catalog("en").text(key))


def test_every_site_has_a_routine(content: Content) -> None:
    assert {"calf", "hamstring", "quad", "foot", "hand", "neck", "back", "bedtime"} <= set(
        routine_names(content)
    )


async def test_each_routine_walks_step_by_step_to_done(bot: Harness, content: Content) -> None:
    catalog = content.catalog("en")
    user = bot.driver.user(user_id=601)
    [menu] = await user.send("/menu")
    next_label, done_label = catalog.text("routine_next"), catalog.text("routine_done")
    for name in routine_names(content):
        [screen] = await user.press_data(menu.message_id, f"s:r_{name}_1")
        steps = 1
        while screen.has_button(next_label, exact=True):
            assert "Step" in screen.text and screen.has_button(
                catalog.text("routine_still_hurting")
            )
            [screen] = await user.press(next_label)
            steps += 1
        assert f"{steps} of {steps}" in screen.text
        [done] = await user.press(done_label)
        assert done.message_id == menu.message_id and done.buttons
    assert bot.api.unanswered_callback_queries() == []


async def test_still_hurting_escalates_with_the_emergency_number(bot: Harness) -> None:
    user = bot.driver.user(user_id=602)
    [menu] = await user.send("/menu")
    await user.press_data(menu.message_id, "s:r_calf_1")
    [help_screen] = await user.press("Still hurting")
    assert "10 minutes" in help_screen.text
    assert "112" in help_screen.text  # the fallback line names 112
    assert "{emergency}" not in help_screen.text


@pytest.mark.parametrize(
    ("routine", "heading"), [("neck", "Neck still hurting"), ("back", "Back still hurting")]
)
async def test_back_and_neck_routines_escalate_to_their_own_screen(
    bot: Harness, routine: str, heading: str
) -> None:
    user = bot.driver.user(user_id=612)
    [menu] = await user.send("/menu")
    await user.press_data(menu.message_id, f"s:r_{routine}_1")
    [help_screen] = await user.press("Still hurting")
    assert heading in help_screen.text
    assert "112" in help_screen.text and "{emergency}" not in help_screen.text


def triage_file() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((messages_dir() / "en" / "triage.yaml").read_text())
    return data


def triage_presses(content: Content, level: str) -> list[str]:
    """Button labels to press: No until the first question of ``level``, then Yes."""
    catalog = content.catalog("en")
    questions = triage_file()["questions"]
    yes_at = next((i for i, q in enumerate(questions) if q["level"] == level), len(questions))
    presses = [catalog.text("triage_no")] * yes_at
    if yes_at < len(questions):
        presses.append(catalog.text("triage_yes"))
    return presses


@pytest.mark.parametrize("level", [*LEVELS, "self_care"])
async def test_triage_reaches_each_level(bot: Harness, content: Content, level: str) -> None:
    outcome = triage_file()["outcomes"][level]
    first_line = html_to_plain(content.catalog("en").personalise(outcome, None)).splitlines()[0]
    user = bot.driver.user(user_id=603)
    await user.send("/menu")
    [serious] = await user.press("Is it serious")
    [screen] = await user.press("Start the check", serious)
    for label in triage_presses(content, level):
        [screen] = await user.press(label, screen)
    assert first_line in screen.text
    if level == "emergency":
        assert "112" in screen.text
    if level == "self_care":
        assert screen.text.startswith(first_line)
    assert bot.api.unanswered_callback_queries() == []


async def test_red_flag_questions_come_first() -> None:
    levels = [LEVELS.index(q["level"]) for q in triage_file()["questions"]]
    assert levels == sorted(levels) and levels[0] == 0


async def test_choosing_a_country_personalises_the_emergency_number(bot: Harness) -> None:
    user = bot.driver.user(user_id=604)
    [menu] = await user.send("/menu")
    [numbers] = await user.press_data(menu.message_id, "s:emergency_numbers")
    assert "112" in numbers.text
    [picker] = await user.press("My country")
    [saved] = await user.press("United Kingdom", picker)
    assert "999" in saved.text
    assert bot.db_rows(
        "SELECT json_extract(settings, '$.country') FROM users WHERE user_id = 604"
    ) == [("GB",)]
    [still] = await user.press_data(menu.message_id, f"s:{STILL_HURTING_SCREEN}")
    assert "999" in still.text


async def test_region_from_telegram_language_picks_the_number(bot: Harness) -> None:
    user = bot.driver.user(user_id=605, language_code="en-US")
    [menu] = await user.send("/menu")
    [still] = await user.press_data(menu.message_id, f"s:{STILL_HURTING_SCREEN}")
    assert "911" in still.text


async def test_a_forged_country_code_is_an_expired_menu(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=606)
    [menu] = await user.send("/menu")
    replies = await user.press_data(menu.message_id, "c:ZZ")
    assert replies[-1].text.startswith(plain(content, "expired")[:30])


async def test_typed_cramp_question_gets_the_site_screen(bot: Harness) -> None:
    user = bot.driver.user(user_id=607)
    [reply] = await user.send("charley horse in my calf right now, it's agony")
    assert "foot" in reply.text.lower() and reply.has_button("step by step")


async def test_typed_red_flag_wins_and_shows_the_number(bot: Harness) -> None:
    user = bot.driver.user(user_id=608, language_code="en-GB")
    [reply] = await user.send("cramp in my calf and now I suddenly can't breathe, chest hurts")
    assert "999" in reply.text


async def test_greeting_gets_the_welcome(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=609)
    [reply] = await user.send("hello!")
    assert reply.text.startswith(plain(content, "welcome")[:30])
    assert reply.has_button("Cramp right now")


async def test_ambiguous_text_offers_did_you_mean(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=610)
    [reply] = await user.send("leg")
    assert reply.text.startswith(plain(content, "did_you_mean")[:30])
    assert len(reply.buttons) >= 3  # two or three suggestions and the menu
    [screen] = await user.press(0, reply)
    assert screen.is_edit and len(screen.text) > 100


async def test_edited_question_is_answered_again(bot: Harness) -> None:
    user = bot.driver.user(user_id=611)
    await user.send("hello")
    assert user.last_sent_message_id is not None
    [reply] = await user.edit(user.last_sent_message_id, "my foot is cramping, toes curled")
    assert "toe" in reply.text.lower()
