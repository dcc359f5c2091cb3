"""The bot in the user's language: chosen from Telegram's language_code with a fallback
chain, switched with /language and remembered, the command menu per language, plurals, and
the reminder, chart and PDF in Russian."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import Harness, running_bot
from tests.test_your_data import BERLIN_2215, deliver_due, documents, pdf_text
from tgbot.app import STANDIN_TOKEN
from tgbot.config import Settings
from tgbot.content import Content, ContentError, load_content, messages_dir
from tgbot.services.clock import ManualClock
from tgbot.services.understanding.latin_typing import typed_in_latin
from tgbot.telegram_html import html_to_plain

NEW_LANGUAGES = ("es", "ru", "uk", "pt", "de")


def plain(catalog_text: str) -> str:
    return html_to_plain(catalog_text).strip()


@pytest.mark.parametrize("code", ["ru", "ru-RU", "uk", "es-MX", "pt-BR", "pt-PT", "de-AT"])
async def test_a_user_gets_their_telegram_language_from_start_on(
    bot: Harness, content: Content, code: str
) -> None:
    catalog = content.catalog(code)
    assert catalog.language == code.split("-")[0]
    user = bot.driver.user(user_id=1300 + len(code), language_code=code)
    [welcome] = await user.send("/start")
    assert welcome.text.startswith(plain(catalog.text("welcome"))[:40])
    [menu] = await user.press(0, welcome)  # a screen of the menu, in the same language
    first = catalog.screens["main"].rows[0][0]
    assert plain(catalog.screens[first.to].text)[:30] in menu.text


async def test_an_unknown_language_gets_english_and_one_line_in_its_own(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=1310, language_code="fr-CA")
    apology, welcome = await user.send("/start")
    assert apology.text == content.not_spoken["fr"]
    assert welcome.text.startswith(plain(content.catalog("en").text("welcome"))[:40])
    assert content.resolve_language("fr") == "en"


def test_the_fallback_chain_goes_region_then_language_then_english(content: Content) -> None:
    assert content.resolve_language("es-MX") == "es"
    assert content.resolve_language("uk_UA") == "uk"
    assert content.resolve_language("pt-BR") == "pt"
    assert content.resolve_language("fr") == "en"
    assert content.resolve_language(None) == "en"


async def test_language_switches_and_is_remembered_across_restarts(
    tmp_path: Path, content: Content, clock: ManualClock
) -> None:
    settings = Settings(token=STANDIN_TOKEN, db_path=tmp_path / "bot.sqlite3")
    russian = content.catalog("ru")
    async for bot in running_bot(settings, content, clock):
        user = bot.driver.user(user_id=1320, language_code="en")
        [choices] = await user.send("/language")
        assert russian.text("language_name") in choices.button_labels()
        [hub] = await user.press(russian.text("language_name"), choices)
        assert hub.text.startswith(plain(russian.text("settings_title"))[:10])
    async for bot in running_bot(settings, content, clock):  # a new process, same database
        user = bot.driver.user(user_id=1320, language_code="en")
        [welcome] = await user.send("/start")
        assert welcome.text.startswith(plain(russian.text("welcome"))[:40])


async def test_the_command_menu_is_published_in_every_language(
    bot: Harness, content: Content
) -> None:
    await bot.services.understanding.ready()
    published: dict[str | None, list[str]] = {}
    for _ in range(200):
        published = {
            call.params.get("language_code"): [c["description"] for c in call.params["commands"]]
            for call in bot.api.calls
            if call.method == "setMyCommands"
        }
        if len(published) == len(content.catalogs):
            break
        await asyncio.sleep(0.01)
    assert published[None] == [c.description for c in content.catalog("en").commands]
    for code in NEW_LANGUAGES:
        assert published[code] == [c.description for c in content.catalog(code).commands]
        assert "language" in [c.command for c in content.catalog(code).commands]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ru", ["1 судорога", "2 судороги", "5 судорог", "21 судорога"]),
        ("uk", ["1 судома", "2 судоми", "5 судом", "21 судома"]),
    ],
)
def test_counts_take_the_languages_plural_forms(
    content: Content, code: str, expected: list[str]
) -> None:
    diary = content.catalog(code).diary
    assert [diary.count("cramps", n) for n in (1, 2, 5, 21)] == expected


def test_a_missing_key_in_one_language_is_named(tmp_path: Path) -> None:
    root = tmp_path / "messages"
    shutil.copytree(messages_dir(), root)
    path = root / "ru" / "ui.yaml"
    ui = yaml.safe_load(path.read_text(encoding="utf-8"))
    del ui["help"]
    path.write_text(yaml.safe_dump(ui, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match=rf"^{path}: help: missing \(en has it\)"):
        load_content(root)


async def test_a_russian_reminder_chart_and_pdf(bot: Harness, content: Content) -> None:
    russian = content.catalog("ru")
    user = bot.driver.user(user_id=1330, language_code="ru")
    await user.send("/remind 22:15 Europe/Berlin")
    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    title = plain(russian.reminders.texts["reminder_title"])
    assert any(m.text.startswith(title[:20]) for m in user.messages)

    diary = russian.diary
    for night in range(4):  # enough entries for a chart
        bot.clock.set(BERLIN_2215 + timedelta(days=night, minutes=30))
        await user.send("/menu")
        [sites] = await user.press(russian.diary.buttons["log"])
        await user.press(diary.sites["calf"], sites)
    [overview, *_] = await user.send("/diary")
    photos = [c for c in bot.api.calls if c.method == "sendPhoto" and c.status == 200]
    assert photos, "the diary's chart"
    await user.press(diary.buttons["doctor"], overview)
    [pdf] = [data for name, data in documents(bot, 1330).items() if name.endswith(".pdf")]
    text = pdf_text(pdf)
    assert diary.extra["pdf_title"] in text
    assert any("а" <= ch <= "я" for ch in text.lower())  # Cyrillic, extracted as text


async def test_the_summary_can_be_printed_in_the_doctors_language(
    bot: Harness, content: Content
) -> None:
    """A Ukrainian patient in Germany: the chat stays Ukrainian, the page is in German."""
    ukrainian, spanish = content.catalog("uk"), content.catalog("de")
    user = bot.driver.user(user_id=1340, language_code="uk")
    bot.clock.set(BERLIN_2215)
    await user.send("/menu")
    [sites] = await user.press(ukrainian.diary.buttons["log"])
    await user.press(ukrainian.diary.sites["calf"], sites)
    [overview, *_] = await user.send("/diary")
    replies = await user.press(ukrainian.diary.buttons["doctor"], overview)
    [intro] = [
        m for m in replies if m.text.startswith(plain(ukrainian.diary.text("doctor_intro"))[:30])
    ]
    assert "📄 " + spanish.text("language_name") in intro.button_labels()
    first = pdf_text(next(d for n, d in documents(bot, 1340).items() if n.endswith(".pdf")))
    assert ukrainian.diary.extra["pdf_title"] in first

    await user.press("📄 " + spanish.text("language_name"), intro)
    second = pdf_text(next(d for n, d in documents(bot, 1340).items() if n.endswith(".pdf")))
    assert spanish.diary.extra["pdf_title"] in second
    assert ukrainian.diary.extra["pdf_title"] not in second
    assert user.messages[-1].text.startswith(plain(ukrainian.diary.text("medicines_offer"))[:20])


@pytest.mark.parametrize(
    ("code", "country"), [("es-MX", "MX"), ("pt-BR", "BR"), ("uk-UA", "UA"), ("de-AT", "AT")]
)
async def test_the_country_comes_from_the_language_region_until_chosen(
    bot: Harness, content: Content, code: str, country: str
) -> None:
    catalog = content.catalog(code)
    line = html_to_plain(catalog.emergency.line(country))
    assert line != html_to_plain(catalog.emergency.line(None))
    user = bot.driver.user(user_id=1350 + len(country), language_code=code)
    [welcome] = await user.send("/start")
    assert line in welcome.text


def test_the_evaluation_tells_the_language_of_a_reply(content: Content) -> None:
    """tgbot eval checks each reply is in the person's language, by its first line."""
    from tgbot_devtools.terminal import spoken_in

    russian_welcome = plain(content.catalog("ru").text("welcome"))
    assert spoken_in(content, russian_welcome, "ru") is True
    assert spoken_in(content, russian_welcome, "en") is False
    english_screen = plain(content.catalog("en").screens["calf_now"].text)
    assert spoken_in(content, english_screen, "uk") is False
    assert spoken_in(content, "🦵", "es") is None  # no language's words: it cannot tell


def test_every_language_compares_the_english_exemplars_without_a_copy(tmp_path: Path) -> None:
    """A language's semantic tier: its own examples, then English's, whose embeddings are
    the English tier's own array (six languages, one copy in memory)."""
    from tests.conftest import english_catalogue_copy
    from tgbot.services.understanding.semantic import semantic_tier

    root = english_catalogue_copy(tmp_path / "messages")
    shutil.copytree(root / "en", root / "eo")
    semantic = root / "eo" / "semantic.yaml"
    data = yaml.safe_load(semantic.read_text(encoding="utf-8"))
    for flag in data["red_flags"].values():  # a small set of its own: quick to embed
        flag["examples"] = flag["examples"][:3]
    data["answers"] = {screen: examples[:3] for screen, examples in data["answers"].items()}
    (root / "eo" / "semantic_cases.yaml").unlink()
    data["red_flags"]["em_chest"]["confirm"] = "Ĉu vi havas doloron en la brusto nun?"
    data["red_flags"]["em_chest"]["level"] = "see_doctor"  # a translator's slip
    semantic.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    content = load_content(root)
    english, esperanto = content.catalog("en").semantic, content.catalog("eo").semantic
    assert english is not None and esperanto is not None
    assert esperanto.base is english
    assert esperanto.red_flags["em_chest"].level == "emergency"  # the safer, English level
    assert esperanto.red_flags["em_chest"].confirm.startswith("Ĉu")
    english_tier, own_tier = semantic_tier(english, "use"), semantic_tier(esperanto, "use")
    assert own_tier._blocks[1] is english_tier._blocks[0]
    assert len(own_tier._screens) == len(esperanto.own_sentences()) + len(english_tier._screens)
    screen, score = own_tier.closest("my chest feels crushed and I can't breathe")
    assert screen == "em_chest" and score > 0.5


@pytest.mark.parametrize(
    ("code", "text", "screen"),
    [
        # a stroke and a pregnant woman's red calf, in Russian typed in Latin letters
        ("ru", "u papy vdrug ruka ne podnimaetsya i rech kak kasha vo rtu", "em_stroke"),
        ("ru", "beremennaya 30 nedel, ikra krasnaya i goryachaya, bolit", "ur_pregnancy"),
        ("uk", "sudoma v lytku vzhe pivgodyny ne prokhodyt", "ur_long_cramp"),
        # and by a person whose Telegram is in English
        ("en", "sudoroga v ikre uzhe polchasa ne prohodit", "ur_long_cramp"),
    ],
)
async def test_russian_and_ukrainian_typed_in_latin_letters_are_understood(
    bot: Harness, content: Content, code: str, text: str, screen: str
) -> None:
    user = bot.driver.user(user_id=1340 + len(text), language_code=code)
    [reply] = await user.send(text)
    shown = plain(content.catalog(code).screens[screen].text)
    assert reply.text.startswith(shown.split("\n")[0]), reply.text


def test_latin_letters_are_spelled_natively_longest_group_first(content: Content) -> None:
    ru = content.catalog("ru").matcher
    uk = content.catalog("uk").matcher
    assert ru is not None and ru.latin_typing is not None
    assert uk is not None and uk.latin_typing is not None
    assert (
        ru.latin_typing.to_native("Shchas sudoroga, ne prohodit!") == "щас судорога, не проходит!"
    )
    assert uk.latin_typing.to_native("vzhe pivgodyny, nichogo") == "вже півгодини, нічого"
    assert content.catalog("en").matcher.latin_typing is None  # type: ignore[union-attr]
    assert typed_in_latin("sudoroga v ikre") and not typed_in_latin("судорога v ikre")
    assert not typed_in_latin("ok 12")  # too little to read
    assert not typed_in_latin("calambre en el pie, qué hago")  # a Latin-script language


def test_a_latin_typing_table_without_a_letter_is_named(tmp_path: Path) -> None:
    messages = tmp_path / "messages"
    shutil.copytree(messages_dir(), messages)
    path = messages / "ru" / "matching.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\n  q: к\n" in text
    path.write_text(text.replace("\n  q: к\n", "\n"), encoding="utf-8")
    with pytest.raises(ContentError, match=r"latin_typing: no spelling for the letter 'q'"):
        load_content(messages)
