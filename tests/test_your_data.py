"""The person's own data, driven as a user through the stand-in: the summary for the doctor
(no PDF of zeros, reminders sent/done/skipped, side and time of night, the medicines line),
/export as documented JSON plus CSV, /forget naming what it deletes, and /privacy saying
what README.md says."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader

from tests.conftest import START, Harness
from tgbot.content import Content
from tgbot.storage import ReminderRepository, open_database
from tgbot.storage.database import load_migrations
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.standin import BotMessage, DriverUser

# START in conftest is 18:00 UTC on Saturday 2026-11-21: 19:00 in Berlin (UTC+1 in winter).
BERLIN_2215 = datetime(2026, 11, 21, 21, 15, tzinfo=UTC)
README = Path(__file__).resolve().parents[1] / "README.md"


def diary_text(content: Content, key: str) -> str:
    """A diary.yaml text as the user reads it, up to its first placeholder."""
    raw = content.catalog("en").diary.texts[key].split("{")[0]
    return re.sub(r"<[^>]+>", "", raw).strip()[:40]


def diary_button(content: Content, key: str) -> str:
    return content.catalog("en").diary.buttons[key]


def documents(bot: Harness, user_id: int) -> dict[str, bytes]:
    """Every file the bot sent the user, by file name (a later one replaces an earlier)."""
    files = {}
    for call in bot.api.calls:
        if call.method != "sendDocument" or call.status != 200:
            continue
        if str(call.params.get("chat_id")) != str(user_id):
            continue
        stored = bot.api.file_of(call.result)
        assert stored is not None and stored.data is not None and stored.file_name
        files[stored.file_name] = stored.data
    return files


def pdf_text(data: bytes) -> str:
    """The words on the PDF's page, as a reader (or a doctor's copy and paste) gets them."""
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


async def deliver_due(bot: Harness) -> None:
    await bot.services.engine.tick()
    await bot.services.engine.idle()


async def log_now(bot: Harness, user: DriverUser, at: datetime, side: str | None) -> None:
    """Log a calf cramp at ``at`` with two taps, then its side on the card."""
    bot.clock.set(at)
    await user.send("/menu")
    [sites] = await user.press("Log a cramp")
    [card] = await user.press("Calf", sites)
    if side is not None:
        await user.press(side, card)


async def doctor_summary(user: DriverUser, content: Content) -> list[BotMessage]:
    replies = await user.send("/diary")
    return await user.press(diary_button(content, "doctor"), replies[0])


async def test_an_empty_period_gets_a_message_not_a_pdf_of_zeros(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=1101)
    [only] = await doctor_summary(user, content)
    assert only.text.startswith(diary_text(content, "summary_empty"))
    assert documents(bot, 1101) == {}
    # An entry older than the 90 days still leaves the period empty.
    await log_now(bot, user, START - timedelta(days=100), None)
    bot.clock.set(START)
    [only] = await doctor_summary(user, content)
    assert only.text.startswith(diary_text(content, "summary_empty"))
    assert documents(bot, 1101) == {}


async def test_the_summary_counts_reminders_sent_done_and_skipped(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=1102)
    await user.send("/remind 22:15 Europe/Berlin")
    reminder_title = html_to_plain(content.catalog("en").reminders.texts["reminder_title"])
    buttons = content.catalog("en").reminders.buttons
    for night, answer in enumerate(("done", "skip", None)):
        bot.clock.set(BERLIN_2215 + timedelta(days=night))
        await deliver_due(bot)
        [reminder] = [m for m in user.messages if m.text.startswith(reminder_title[:20])][-1:]
        if answer is not None:
            await user.press(buttons[answer], reminder)
    assert bot.db_rows("SELECT count(*) FROM reminder_sends WHERE user_id = 1102") == [(3,)]
    await log_now(bot, user, BERLIN_2215 + timedelta(days=2, minutes=30), "Left")

    await doctor_summary(user, content)
    text = pdf_text(documents(bot, 1102)["cramp-diary-2026-11-23.pdf"])
    assert "Bedtime reminders sent: 3. Routine marked done: 1." in text
    assert "(skipped or no answer): 2." in text
    assert "No bedtime reminders" not in text


async def test_the_pdf_shows_side_and_time_of_night_in_the_users_zone(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=1103)
    await user.send("/remind 22:15 Europe/Berlin")  # the zone: Berlin, UTC+1
    await log_now(bot, user, datetime(2026, 11, 18, 22, 30, tzinfo=UTC), "Left")  # 23:30
    await log_now(bot, user, datetime(2026, 11, 19, 1, 30, tzinfo=UTC), "Left")  # 02:30
    await log_now(bot, user, datetime(2026, 11, 20, 2, 10, tzinfo=UTC), "Right")  # 03:10
    await log_now(bot, user, datetime(2026, 11, 20, 18, 0, tzinfo=UTC), None)  # 19:00

    await doctor_summary(user, content)
    text = pdf_text(documents(bot, 1103)["cramp-diary-2026-11-20.pdf"])
    assert "Side Left 2, Right 1, not given 1" in text
    assert "Evening (18–22 h) 1, Before midnight (22–24 h) 1, After midnight (0–4 h) 2" in text
    assert "Early morning" not in text  # no cramp then: not listed
    assert "(Europe/Berlin)" in text


async def test_the_medicines_line_is_asked_stored_and_printed_as_typed(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=1104)
    await log_now(bot, user, bot.clock.now() - timedelta(hours=1), "Left")
    replies = await doctor_summary(user, content)
    offer = replies[-1]
    assert offer.text.startswith(diary_text(content, "medicines_offer"))
    assert "Medicines I take" not in pdf_text(documents(bot, 1104)["cramp-diary-2026-11-21.pdf"])

    [question] = await user.press(diary_button(content, "medicines_add"), offer)
    assert question.text.startswith(diary_text(content, "ask_medicines"))
    [too_long] = await user.send("m" * 301)
    assert too_long.text.startswith(diary_text(content, "medicines_too_long"))
    [saved] = await user.send("Magnesium 300 mg <daily>, ramipril 5 mg")
    assert saved.text.startswith(diary_text(content, "medicines_saved"))
    assert "Magnesium 300 mg <daily>, ramipril 5 mg" in saved.text  # shown literally

    await user.press(diary_button(content, "doctor"), saved)
    text = pdf_text(documents(bot, 1104)["cramp-diary-2026-11-21.pdf"])
    assert "Medicines I take (my own list) Magnesium 300 mg <daily>, ramipril 5 mg" in text

    [removed] = await user.press(diary_button(content, "medicines_remove"), user.messages[-1])
    assert removed.text.startswith(diary_text(content, "medicines_removed"))
    await user.press(diary_button(content, "medicines_add"), removed)
    [menu] = await user.send("/menu")  # a command closes the question: nothing is stored
    assert not menu.text.startswith(diary_text(content, "medicines_saved"))
    profile = (await export(bot, user))["profile"]
    assert isinstance(profile, dict) and profile["medicines"] is None


async def export(bot: Harness, user: DriverUser) -> dict[str, object]:
    await user.send("/export")
    [name] = [n for n in documents(bot, user.id) if n.endswith(".json")]
    data: dict[str, object] = json.loads(documents(bot, user.id)[name])
    return data


async def test_export_is_documented_json_with_zoned_iso_times_plus_csv(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=1105)
    await user.send("/remind 22:15 Europe/Berlin")
    bot.clock.set(BERLIN_2215)
    await deliver_due(bot)
    await log_now(bot, user, datetime(2026, 11, 21, 22, 40, tzinfo=UTC), "Right")

    await user.send("/export")
    files = documents(bot, 1105)
    data = json.loads(files["my-cramp-bot-data-2026-11-21.json"])
    assert (data["format"], data["version"], data["time_zone"]) == (
        "cramp-bot-export",
        1,
        "Europe/Berlin",
    )
    about = data["about"]
    assert about["description"] and set(about["fields"]) >= {"times", "diary", "reminder"}
    assert "calf" in about["codes"]["site"]
    exported_at = datetime.fromisoformat(data["exported_at"])
    assert exported_at.utcoffset() == timedelta(hours=1)

    [entry] = data["diary"]
    assert entry["time"] == "2026-11-21T23:40:00+01:00"  # ISO 8601 with Berlin's offset
    assert datetime.fromisoformat(entry["time"]) == datetime(2026, 11, 21, 22, 40, tzinfo=UTC)
    assert (entry["date"], entry["site"], entry["side"]) == ("2026-11-21", "calf", "right")
    reminder = data["reminder"]
    assert (reminder["time"], reminder["on"], len(reminder["days"])) == ("22:15", True, 7)
    assert datetime.fromisoformat(reminder["set_up_at"]).utcoffset() == timedelta(hours=1)
    assert data["reminder_nights"] == [
        {"date": "2026-11-21", "reminder_sent": True, "routine_done": False}
    ]
    assert datetime.fromisoformat(data["profile"]["first_seen"]).tzinfo is not None
    raw = json.dumps(data)
    for internal in ("next_fire_at", "snooze_at", "checkin_at", '"user_id"', "occurred_at"):
        assert internal not in raw  # no scheduler state or epoch columns

    rows = list(csv.reader(io.StringIO(files["my-cramp-diary-2026-11-21.csv"].decode())))
    assert rows[1][:3] == ["2026-11-21T23:40+01:00", "calf", "right"]


async def test_export_forget_export_leaves_nothing(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=1106)
    await log_now(bot, user, bot.clock.now(), None)
    await user.send("/remind 22:15 Europe/Berlin")
    first = await export(bot, user)
    assert len(first["diary"]) == 1  # type: ignore[arg-type]
    assert first["reminder"]["time_zone"] == "Europe/Berlin"  # type: ignore[index]

    await user.send("/forget")
    await user.press("Yes")
    second = await export(bot, user)
    assert second["diary"] == [] and second["reminder"] is None
    assert second["reminder_nights"] == []
    assert second["profile"]["time_zone"] is None  # type: ignore[index]


async def test_forget_names_what_it_deletes_and_offers_an_export_first(
    bot: Harness, content: Content
) -> None:
    ui = content.catalog("en")
    user = bot.driver.user(user_id=1107)
    for hours in (1, 2, 3):
        await log_now(bot, user, START - timedelta(hours=hours), None)
    await user.send("/remind 22:15 Europe/Berlin")

    [confirm] = await user.send("/forget")
    assert "3 entries" in confirm.text
    for key in ("forget_item_reminder", "forget_item_settings"):
        assert html_to_plain(ui.text(key)) in confirm.text
    assert confirm.has_button(ui.text("forget_export"))

    await user.press(ui.text("forget_export"), confirm)
    assert {name.rsplit(".", 1)[1] for name in documents(bot, 1107)} == {"json", "csv"}
    assert bot.db_rows("SELECT count(*) FROM diary_entries WHERE user_id = 1107") == [(3,)]

    [done] = await user.press(ui.text("forget_yes"), confirm)  # still there after the export
    assert done.text.startswith(html_to_plain(ui.text("forget_done")).split("\n")[0])
    for table in ("users", "diary_entries", "reminders", "reminder_sends", "routine_done"):
        assert bot.db_rows(f"SELECT count(*) FROM {table} WHERE user_id = 1107") == [(0,)]

    newcomer = bot.driver.user(user_id=1108)
    [confirm] = await newcomer.send("/forget")
    assert "0 entries" in confirm.text
    assert html_to_plain(ui.text("forget_item_reminder")) not in confirm.text


def _readme_privacy() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Privacy\n", 1)[1].split("\n## ", 1)[0]
    return " ".join(section.replace("**", "").replace("> ", " ").split())


async def test_privacy_and_readme_say_the_same(bot: Harness, content: Content) -> None:
    user = bot.driver.user(user_id=1109)
    [reply] = await user.send("/privacy")
    statements = [line.strip() for line in reply.text.split("\n")[1:] if ":" in line]
    keys = [line.split(":", 1)[0] for line in statements]
    assert {"What I store", "Notes", "Who can see it", "Your data"} <= set(keys)
    readme = _readme_privacy()
    for statement in statements:
        assert " ".join(statement.split()) in readme, statement
    # The three facts the issue asks both to state.
    assert re.search(r"diary notes you type are stored", readme)
    assert "operator who runs this bot can technically read the database" in readme
    assert "Nobody else" in readme


async def test_forged_data_buttons_are_refused_and_a_red_flag_beats_the_medicines_question(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=1110)
    [menu] = await user.send("/menu")
    for forged in ("yd:med:1", "yd:exp:x", "yd:nope"):
        await user.press_data(menu.message_id, forged)
        assert user.last_callback_answer is not None
        [menu] = await user.send("/menu")
    assert documents(bot, 1110) == {}
    assert bot.api.unanswered_callback_queries() == []

    await log_now(bot, user, START, None)
    offer = (await doctor_summary(user, content))[-1]
    await user.press(diary_button(content, "medicines_add"), offer)
    replies = await user.send("crushing chest pain and I can't breathe")
    assert "112" in replies[0].text  # the emergency answer, not "saved"
    assert not any(r.text.startswith(diary_text(content, "medicines_saved")) for r in replies)
    profile = (await export(bot, user))["profile"]
    assert isinstance(profile, dict) and profile["medicines"] is None


async def test_upgrading_keeps_the_last_sent_reminder_as_a_sent_night(tmp_path: Path) -> None:
    """reminder_sends starts from what the reminders table already knew: the last send."""
    path = tmp_path / "old.sqlite3"
    migrations = load_migrations()
    [sends] = [m for m in migrations if m.name == "reminder_sends"]
    with sqlite3.connect(path) as old:
        for migration in migrations[: sends.version - 1]:
            old.executescript(migration.sql)
        old.execute(f"PRAGMA user_version = {sends.version - 1}")
        old.execute("INSERT INTO users (user_id, created_at, last_seen_at) VALUES (7, 0, 0)")
        old.execute(
            "INSERT INTO reminders (user_id, local_time, time_zone, last_sent_date, created_at, "
            "updated_at) VALUES (7, '22:15', 'Europe/Berlin', '2026-11-20', 0, 0)"
        )
    database = await open_database(path)
    try:
        assert await ReminderRepository(database).sent_dates(7) == ["2026-11-20"]
    finally:
        await database.close()


async def test_after_a_move_the_export_and_summary_keep_the_clock_of_that_night(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=1107)
    await user.send("/remind 22:15 Europe/Berlin")
    await log_now(bot, user, datetime(2026, 11, 20, 1, 30, tzinfo=UTC), "Left")  # 02:30 Berlin
    await user.send("/remind 22:15 America/New_York")  # moved: 20:30 the evening before there
    diary = (await export(bot, user))["diary"]
    assert isinstance(diary, list) and len(diary) == 1
    assert diary[0]["time"] == "2026-11-20T02:30:00+01:00"
    bot.clock.set(datetime(2026, 11, 21, 15, 0, tzinfo=UTC))
    await doctor_summary(user, content)
    [pdf] = [data for name, data in documents(bot, 1107).items() if name.endswith(".pdf")]
    assert "After midnight (0–4 h) 1" in pdf_text(pdf)
