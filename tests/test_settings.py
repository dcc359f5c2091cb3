"""/settings as a user meets it: the hub's rows, the country list, the zone offered for the
chosen country, and the chosen country's number on every screen that names one."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import Harness
from tgbot.content import Content, load_content
from tgbot.content.emergency import name_sort_key
from tgbot.services.countries import country_zones
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.standin import BotMessage, DriverUser

ROOT = Path(__file__).resolve().parents[1]
EN = load_content().catalog("en")

# content-facts.md §5 "Emergency numbers": every country it names, and the number the
# country's line must start with (the ambulance number where the sheet gives one).
FACTS_SHEET_NUMBERS = {
    "ES": "112", "PT": "112", "DE": "112", "AT": "112",  # EU 112
    "GB": "999", "US": "911", "CA": "911", "AU": "000", "NZ": "111", "RU": "112",
    "IN": "112", "JP": "119", "MX": "911", "AR": "911", "CO": "123", "CL": "131",
    "PE": "106", "BR": "192", "KZ": "112", "BY": "103", "UA": "103", "CH": "144",
    "IR": "115", "EG": "123", "SA": "997", "AE": "998",
}  # fmt: skip


def say(key: str) -> str:
    """A ui.yaml text as the user reads it, up to its first placeholder."""
    return html_to_plain(EN.text(key).split("{")[0]).strip()


def label(key: str, **values: str) -> str:
    text = EN.text(key)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


async def open_settings(user: DriverUser) -> BotMessage:
    [hub] = await user.send("/settings")
    assert hub.text.startswith("⚙️ Settings")
    return hub


async def test_settings_is_in_the_command_menu_and_help(content: Content) -> None:
    catalog = content.catalog("en")
    assert "settings" in [c.command for c in catalog.commands]
    assert "/settings" in catalog.text("help")


async def test_hub_rows_show_the_settings_and_open_their_screens(bot: Harness) -> None:
    user = bot.driver.user(user_id=1201, language_code="en")
    hub = await open_settings(user)
    assert hub.button_labels() == [
        label("settings_country", country=EN.text("settings_country_unset")),
        label("settings_zone", zone=EN.text("settings_zone_unset")),
        label("settings_reminders", state="off"),
        label("settings_checkin", state="off"),
        label("settings_retention", days=EN.diary.text("retention_forever")),
        label("settings_language", language="English"),
        EN.text("nav_home"),
    ]
    assert "Call your local emergency number" in hub.text  # no country known yet

    [countries] = await user.press(0, hub)
    assert countries.text.startswith(say("country_prompt"))
    assert countries.has_button("🇩🇪 Germany", exact=True)
    [hub] = await user.press(EN.text("settings_open"), countries)

    [zones] = await user.press(1, hub)
    assert zones.text.startswith("🕒 Your time zone: not set")
    assert zones.has_button(EN.text("settings_other_zone"), exact=True)
    [hub] = await user.press(EN.text("settings_open"), zones)

    [reminders] = await user.press(2, hub)
    assert reminders.text.startswith("⏰ Bedtime reminder")
    [hub] = await user.send("/settings")
    [checkin] = await user.press(3, hub)  # no reminder: the check-in needs one first
    assert checkin.text.startswith("⏰ Bedtime reminder")

    [hub] = await user.send("/settings")
    [retention] = await user.press(4, hub)
    assert retention.text.startswith("🗂 Keep diary entries for")
    assert bot.api.unanswered_callback_queries() == []


async def test_hub_follows_a_reminder_and_toggles_the_check_in(bot: Harness) -> None:
    user = bot.driver.user(user_id=1202)
    await user.send("/remind 22:15 Europe/Berlin")
    hub = await open_settings(user)
    labels = hub.button_labels()
    assert label("settings_zone", zone="Berlin") in labels
    assert label("settings_reminders", state="22:15") in labels
    assert label("settings_checkin", state="on") in labels

    [ack] = await user.press(label("settings_checkin", state="on"), hub)
    assert ack.text.startswith("OK, no more morning check-ins")
    hub = await open_settings(user)
    assert label("settings_checkin", state="off") in hub.button_labels()


async def test_country_list_has_every_facts_sheet_country_sorted_by_name(bot: Harness) -> None:
    user = bot.driver.user(user_id=1203)
    hub = await open_settings(user)
    [countries] = await user.press(0, hub)
    names = [b.label for row in countries.buttons[:-1] for b in row]
    for code, number in FACTS_SHEET_NUMBERS.items():
        country = EN.emergency.countries[code]
        assert country.name in names, code
        assert country.line.startswith(number), (code, country.line)
    plain = [re.sub(r"^\W+", "", name) for name in names]
    assert plain == sorted(plain, key=str.casefold)
    assert plain.index("United Arab Emirates") < plain.index("United Kingdom")
    assert len(names) == len(EN.emergency.countries)


def test_the_name_order_ignores_flags_accents_and_case() -> None:
    names = ["🇵🇱 Polen", "🇦🇹 Österreich", "🇳🇴 Norwegen", "🇿🇦 zuid-Afrika", "🇪🇪 Estland"]
    assert sorted(names, key=name_sort_key) == [
        "🇪🇪 Estland",
        "🇳🇴 Norwegen",
        "🇦🇹 Österreich",
        "🇵🇱 Polen",
        "🇿🇦 zuid-Afrika",
    ]


async def test_choosing_a_country_offers_its_zone_in_one_tap(bot: Harness) -> None:
    user = bot.driver.user(user_id=1204)
    hub = await open_settings(user)
    [countries] = await user.press(0, hub)
    [saved] = await user.press("🇩🇪 Germany", countries)
    assert "call 112" in saved.text and EN.text("settings_zone_offer") in saved.text
    berlin = label("settings_use_zone", zone="Berlin", offset="UTC+1")
    assert saved.button_labels()[0] == berlin

    [done] = await user.press(berlin, saved)
    assert done.text.startswith("✅ Time zone set: Berlin. It's 19:00 there now.")
    assert bot.db_rows("SELECT time_zone FROM users WHERE user_id = 1204") == [("Europe/Berlin",)]
    hub = await open_settings(user)
    assert label("settings_country", country="🇩🇪 Germany") in hub.button_labels()
    assert label("settings_zone", zone="Berlin") in hub.button_labels()


async def test_a_country_with_several_zones_offers_the_main_ones(bot: Harness) -> None:
    user = bot.driver.user(user_id=1205)
    [countries] = await user.press(0, await open_settings(user))
    [saved] = await user.press("🇺🇸 United States", countries)
    offered = saved.button_labels()
    assert offered[0] == label("settings_use_zone", zone="New York", offset="UTC−5")
    for city, offset in (("Chicago", "−6"), ("Denver", "−7"), ("Los Angeles", "−8")):
        assert label("settings_use_zone", zone=city, offset=f"UTC{offset}") in offered
    assert label("settings_use_zone", zone="Honolulu", offset="UTC−10") in offered
    assert not any("Indiana" in o or "Kentucky" in o for o in offered)  # one per clock
    [zones, _location_hint] = await user.press(EN.text("settings_other_zone"), saved)
    ask_zone = html_to_plain(EN.reminders.texts["ask_zone"].split("{")[0]).strip()
    assert zones.text.startswith(ask_zone[:20])  # the reminder set-up's zone question


def test_every_country_in_the_list_has_a_zone_to_offer(content: Content, clock) -> None:
    for code in content.catalog("en").emergency.countries:
        assert country_zones(code, clock.now()), code


async def test_a_new_zone_moves_the_bedtime_reminder_with_it(bot: Harness) -> None:
    user = bot.driver.user(user_id=1206)
    await user.send("/remind 22:15 Europe/London")
    [countries] = await user.press(0, await open_settings(user))
    [saved] = await user.press("🇯🇵 Japan", countries)
    await user.press(label("settings_use_zone", zone="Tokyo", offset="UTC+9"), saved)
    assert bot.db_rows("SELECT time_zone FROM reminders WHERE user_id = 1206") == [("Asia/Tokyo",)]


async def test_the_chosen_countrys_number_is_on_every_emergency_line(bot: Harness) -> None:
    user = bot.driver.user(user_id=1207, language_code="en-GB")  # 999 until told otherwise
    [before] = await user.send("/help")
    assert "Call 999 now" in before.text

    [countries] = await user.press(0, await open_settings(user))
    await user.press("🇯🇵 Japan", countries)
    japan = "119 (fire and ambulance)"

    [help_text] = await user.send("/help")
    assert f"Call {japan} now" in help_text.text and "999" not in help_text.text
    [welcome] = await user.send("/start")
    assert f"call {japan} now" in welcome.text and "999" not in welcome.text
    [serious] = await user.press("Is it serious?", welcome)
    assert f"📞 Call {japan}" in serious.text  # the intro's call-now line
    assert serious.text.rstrip().endswith(f"Emergency? Call {japan}.")  # the footer
    [red_flag] = await user.send("crushing chest pain and i cant breathe")
    assert japan in red_flag.text and "999" not in red_flag.text
    [question] = await user.send("mum's words have gone all mushy and her right hand won't grip")
    assert f"call {japan} now" in question.text  # the confirming question's call-now line


# Several languages: tests/test_languages.py
