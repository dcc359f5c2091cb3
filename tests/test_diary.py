"""The cramp diary as a user lives it: log in two taps, details, /diary, doctor summary,
/export and /forget, retention — and nobody can touch anyone else's entries."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import Harness
from tgbot.content import Content
from tgbot.storage import DiaryRecord
from tgbot_devtools.standin import BotMessage


def dtext(content: Content, key: str) -> str:
    raw = content.catalog("en").diary.texts[key].split("{")[0]
    return re.sub(r"<[^>]+>", "", raw).strip()[:25]


def button(content: Content, key: str) -> str:
    return content.catalog("en").diary.buttons[key]


async def log_calf(bot: Harness, user_id: int) -> BotMessage:
    user = bot.driver.user(user_id=user_id)
    await user.send("/menu")
    [sites] = await user.press("Log a cramp")
    [logged] = await user.press("Calf", sites)
    return logged


async def test_log_in_two_taps_then_add_details(bot: Harness, content: Content) -> None:
    logged = await log_calf(bot, 801)
    assert logged.text.startswith(dtext(content, "logged"))
    [(entry_id, site, source)] = bot.db_rows(
        "SELECT id, site, source FROM diary_entries WHERE user_id = 801"
    )
    assert (site, source) == ("calf", "menu")

    user = bot.driver.user(user_id=801)
    [card] = await user.press("7", logged)
    assert "7/10" in card.text
    [card] = await user.press("Left", card)
    [card] = await user.press("over 10 minutes", card)
    assert "10 minutes" in card.text and "112" in card.text  # the escalation advice
    assert bot.db_rows(
        f"SELECT severity, side, duration FROM diary_entries WHERE id = {entry_id}"
    ) == [(7, "left", "over_10")]


async def test_a_note_is_stored_escaped_and_length_limited(bot: Harness, content: Content) -> None:
    logged = await log_calf(bot, 802)
    user = bot.driver.user(user_id=802)
    await user.press(button(content, "note"), logged)
    [too_long] = await user.send("x" * 201)
    assert too_long.text.startswith(dtext(content, "note_too_long"))
    [card] = await user.send("after <b>football</b>, 2nd half")
    assert "after <b>football</b>, 2nd half" in card.text  # shown literally, not as HTML
    assert bot.db_rows("SELECT note FROM diary_entries WHERE user_id = 802") == [
        ("after <b>football</b>, 2nd half",)
    ]


async def test_log_last_night_and_delete_one_entry(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=803)
    await user.send("/menu")
    [sites] = await user.press("Log a cramp")
    [sites] = await user.press(button(content, "last_night"), sites)
    [logged] = await user.press("Foot", sites)
    assert "last night" in logged.text
    [(local_date,)] = bot.db_rows("SELECT local_date FROM diary_entries WHERE user_id = 803")
    assert local_date == "2026-11-21"  # 02:00 on the clock shown (no zone set yet: UTC's)
    [deleted] = await user.press(button(content, "delete"), logged)
    assert deleted.text.startswith(dtext(content, "deleted"))
    assert bot.db_rows("SELECT count(*) FROM diary_entries WHERE user_id = 803") == [(0,)]


async def test_nobody_can_touch_another_users_entry(bot: Harness, content: Content) -> None:
    await log_calf(bot, 804)
    [(victim_entry,)] = bot.db_rows("SELECT id FROM diary_entries WHERE user_id = 804")
    attacker = bot.driver.user(user_id=805)
    [menu] = await attacker.send("/menu")
    for forged in (f"dy:v:{victim_entry}:1", f"dy:x:{victim_entry}", f"dy:o:{victim_entry}"):
        replies = await attacker.press_data(menu.message_id, forged)
        assert all("Calf" not in r.text for r in replies)  # nothing of the victim's shown
        [menu] = await attacker.send("/menu")
    assert bot.db_rows(f"SELECT severity FROM diary_entries WHERE id = {victim_entry}") == [(None,)]
    for forged in ("dy:v:abc:1", "dy:s:kidney:now", "dy:v:1:11", "dy:ret:7"):
        await attacker.press_data(menu.message_id, forged)
        assert attacker.last_callback_answer is not None
        [menu] = await attacker.send("/menu")
    assert bot.api.unanswered_callback_queries() == []


async def test_empty_diary_is_encouraging_without_a_chart(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=806)
    [reply] = await user.send("/diary")
    assert reply.text.startswith(dtext(content, "empty"))
    assert not [c for c in bot.api.calls if c.method == "sendPhoto"]


async def seed(bot: Harness, user_id: int, days_ago: list[int], severity: int = 5) -> None:
    services = bot.services
    await services.users.arrive(user_id, "en")
    now = bot.clock.now()
    for n, ago in enumerate(days_ago):
        moment = now - timedelta(days=ago, hours=n % 3)
        record = DiaryRecord(
            id=0,
            user_id=user_id,
            occurred_at=int(moment.timestamp()),
            local_date=moment.date().isoformat(),
            site=("calf", "foot", "thigh_back")[n % 3],
            severity=severity,
            duration="under_1",
            source="menu",
        )
        await services.diary._diary.add(record, int(now.timestamp()))


async def test_diary_shows_the_month_in_words_and_a_chart(bot: Harness, content: Content) -> None:
    await seed(bot, 807, [1, 2, 2, 5, 8, 9, 12, 20, 25, 29])
    user = bot.driver.user(user_id=807)
    replies = await user.send("/diary")
    words = replies[0]
    assert "10 cramps" in words.text and "Calf" in words.text
    photos = [c for c in bot.api.calls if c.method == "sendPhoto" and c.status == 200]
    assert len(photos) == 1
    png = sent_bytes(bot, photos[0].result)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


async def test_summary_for_the_doctor_is_a_one_page_pdf_and_a_csv(
    bot: Harness, content: Content
) -> None:
    await seed(bot, 808, list(range(1, 60, 2)))
    user = bot.driver.user(user_id=808)
    [menu, _chart] = await user.send("/diary")
    await user.press(button(content, "doctor"), menu)
    documents = [c for c in bot.api.calls if c.method == "sendDocument" and c.status == 200]
    assert len(documents) == 2
    pdf = sent_bytes(bot, documents[0].result)
    csv_data = sent_bytes(bot, documents[1].result)
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    assert len(csv_data.decode("utf-8-sig").strip().splitlines()) == 31


async def test_retention_clean_up_deletes_exactly_the_old_rows(
    bot: Harness, content: Content
) -> None:
    await seed(bot, 810, [1, 50, 89, 91, 200])
    await seed(bot, 811, [1, 91, 400])  # keeps everything (the default)
    user = bot.driver.user(user_id=810)
    [menu] = await user.send("/diary")
    [choice] = await user.press(button(content, "retention"), menu)
    [saved] = await user.press(button(content, "keep_90"), choice)
    assert saved.text.startswith(dtext(content, "retention_saved"))
    deleted = await bot.services.diary.clean_up()
    assert deleted == 2
    assert bot.db_rows("SELECT count(*) FROM diary_entries WHERE user_id = 810") == [(3,)]
    assert bot.db_rows("SELECT count(*) FROM diary_entries WHERE user_id = 811") == [(3,)]


def sent_bytes(bot: Harness, message: dict[str, object]) -> bytes:
    """The bytes of a photo or document the bot uploaded."""
    stored = bot.api.file_of(message)
    assert stored is not None and stored.data is not None
    return stored.data


def _last_document(bot: Harness) -> dict[str, object]:
    documents = [c for c in bot.api.calls if c.method == "sendDocument" and c.status == 200]
    result: dict[str, object] = documents[-1].result
    return result


async def test_a_typed_cramp_report_is_offered_for_the_diary_prefilled(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=812)
    [answer, offer] = await user.send("had a really bad calf cramp last night, woke me up")
    assert "last night" in offer.text and "Calf" in offer.text and "7/10" in offer.text
    [logged] = await user.press(button(content, "log_it"), offer)
    assert logged.text.startswith(dtext(content, "logged"))
    assert bot.db_rows("SELECT site, severity, source FROM diary_entries WHERE user_id = 812") == [
        ("calf", 7, "text")
    ]
    assert answer.text  # the advice itself still came first


async def test_a_declined_offer_logs_nothing_and_questions_get_no_offer(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=813)
    [_, offer] = await user.send("my foot cramped earlier today")
    [declined] = await user.press(button(content, "no_thanks"), offer)
    assert declined.text.startswith(dtext(content, "offer_declined"))
    assert await user.send("how do I stretch my calf?")  # a question, not a report
    assert len(await user.send("calf cramp right now")) == 1
    assert bot.db_rows("SELECT count(*) FROM diary_entries WHERE user_id = 813") == [(0,)]


async def test_cramps_on_most_nights_suggest_a_doctor_once(bot: Harness, content: Content) -> None:
    await seed(bot, 814, list(range(0, 15)))  # a cramp every night for two weeks
    user = bot.driver.user(user_id=814)
    replies = await user.send("/diary")
    nudges = [r for r in replies if r.text.startswith(dtext(content, "nudge_intro"))]
    assert len(nudges) == 1 and "most nights" in nudges[0].text
    assert nudges[0].has_button(button(content, "see_doctor"))
    again = await user.send("/diary")
    assert not [r for r in again if r.text.startswith(dtext(content, "nudge_intro"))]


async def test_a_quiet_diary_gets_no_nudge(bot: Harness, content: Content) -> None:
    await seed(bot, 815, [3, 17])
    user = bot.driver.user(user_id=815)
    replies = await user.send("/diary")
    assert not [r for r in replies if r.text.startswith(dtext(content, "nudge_intro"))]


async def test_change_when_by_preset_and_by_typed_time(bot: Harness, content: Content) -> None:
    logged = await log_calf(bot, 816)
    user = bot.driver.user(user_id=816)
    [when] = await user.press(button(content, "change_time"), logged)
    [moved] = await user.press(button(content, "last_night"), when)
    assert "Sat 21 Nov, 02:00" in moved.text
    [when] = await user.press(button(content, "change_time"), moved)
    await user.press(button(content, "type_time"), when)
    [bad] = await user.send("2099-01-01 23:30")
    assert bad.text.startswith(dtext(content, "when_future"))
    [moved] = await user.send("2026-11-20 23:30")
    assert "Saved for Fri 20 Nov, 23:30" in moved.text
    assert bot.db_rows("SELECT local_date FROM diary_entries WHERE user_id = 816") == [
        ("2026-11-20",)
    ]
