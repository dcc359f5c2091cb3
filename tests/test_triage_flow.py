"""The "Is it serious?" check keeps its promise of about a minute: a few grouped questions,
every red flag of the facts sheet (section 5) still asked about, and any Yes ends it at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Harness
from tgbot.content import Content, messages_dir
from tgbot.content.catalog import load_catalog
from tgbot.content.checks import ContentError
from tgbot.content.triage import MAX_QUESTIONS
from tgbot.telegram_html import html_to_plain

USER_ID = 731


def triage_file() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((messages_dir() / "en" / "triage.yaml").read_text())
    return data


QUESTIONS = triage_file()["questions"]


def outcome_first_line(content: Content, level: str) -> str:
    outcome = content.catalog("en").personalise(triage_file()["outcomes"][level], None)
    return html_to_plain(outcome).splitlines()[0]


async def start_check(bot: Harness) -> Any:
    user = bot.driver.user(user_id=USER_ID)
    await user.send("/menu")
    [serious] = await user.press("Is it serious")
    assert "about a minute" in serious.text  # the promise the question count keeps
    [first] = await user.press("Start the check", serious)
    return user, first


async def test_the_longest_path_asks_few_questions_and_ends_in_self_care(
    bot: Harness, content: Content
) -> None:
    catalog = content.catalog("en")
    user, screen = await start_check(bot)
    asked = 0
    while screen.has_button(catalog.text("triage_no"), exact=True):
        asked += 1
        assert f"{asked} of {len(QUESTIONS)}" in screen.text
        [screen] = await user.press(catalog.text("triage_no"), screen)
    assert 1 <= asked <= MAX_QUESTIONS <= 6
    assert screen.text.startswith(outcome_first_line(content, "self_care"))
    assert bot.api.unanswered_callback_queries() == []


@pytest.mark.parametrize("index", range(len(QUESTIONS)))
async def test_any_yes_stops_at_once_with_its_level(
    bot: Harness, content: Content, index: int
) -> None:
    catalog = content.catalog("en")
    user, screen = await start_check(bot)
    for _ in range(index):
        [screen] = await user.press(catalog.text("triage_no"), screen)
    [outcome] = await user.press(catalog.text("triage_yes"), screen)
    level = QUESTIONS[index]["level"]
    assert outcome_first_line(content, level) in outcome.text
    # No further question: the check is over, and the signs it groups are one tap away.
    assert not outcome.has_button(catalog.text("triage_no"), exact=True)
    targets = {b.callback_data for row in outcome.buttons for b in row}
    for row in QUESTIONS[index].get("buttons", []):
        for item in row if isinstance(row, list) else [row]:
            assert f"s:{item['to']}" in targets
    if level == "emergency":
        assert "112" in outcome.text and "s:emergency_numbers" in targets
    assert bot.api.unanswered_callback_queries() == []


# Every emergency and same-day red flag of content-facts.md section 5, and where each is asked.
RED_FLAGS = {
    "chest pain or pressure": r"chest pain, pressure or tightness",
    "sudden breathlessness, coughing blood": r"trouble breathing.*coughing up blood",
    "stroke signs": r"face drooping.*weak.*trouble speaking.*numbness on one side",
    "anaphylaxis": r"food, a medicine or a sting.*swollen lips, tongue or throat",
    "fit, collapse, not responding": r"a fit.*fainting.*not responding",
    "meningitis or sepsis": r"high temperature.*stiff neck.*rash that doesn't fade",
    "meningitis in a baby": r"baby.*refusing feeds",
    "heatstroke": r"in the heat: confused, fainting",
    "overdrinking in sport": r"drinking a lot during long exercise",
    "rhabdomyolysis": r"muscle pain or weakness with dark urine",
    "poison, bite, overdose": r"poison, a bite or sting, or too much of a medicine",
    "tetanus": r"locking jaw or spreading stiffness after a wound",
    "cauda equina": r"back pain with numbness around the genitals.*bowels.*legs quickly",
    "back pain with chest pain": r"back pain with .*chest pain",
    "back pain after a fall": r"back pain after a serious accident or fall.*steroids",
    "DVT": r"one calf or thigh is swollen, warm, red",
    "Achilles or calf tear": r"\"pop\" or \"snap\".*tiptoe",
    "cramp over 10 minutes": r"over 10 minutes without easing",
    "with weakness, numbness, twitching": r"weakness, numbness, tingling or twitching",
    "pre-eclampsia": r"pregnant or gave birth in the last 4 weeks.*headache.*vision.*swelling",
    "fluid loss": r"vomiting, diarrhoea or sweating, or water tablets",
    "heat cramps over an hour": r"heat have lasted over an hour",
    "dirty wound or poison": r"dirty wound, or contact with lead or mercury",
    "quinine": r"quinine and have bruising, bleeding",
    "back pain with fever, night pain, lump": r"back pain with a fever.*night.*rest.*lump",
    "neck pain with arm symptoms": r"neck pain with new tingling, numbness or weakness",
}


def asked_text(level: str) -> str:
    texts = [q["question"] for q in QUESTIONS if q["level"] == level]
    return " ".join(html_to_plain(text).replace("\n", " ") for text in texts)


@pytest.mark.parametrize("flag", sorted(RED_FLAGS))
def test_every_red_flag_is_still_asked_about(flag: str) -> None:
    asked = asked_text("emergency") + " " + asked_text("urgent")
    assert re.search(RED_FLAGS[flag], asked), f"the check no longer asks about {flag}"


@pytest.mark.parametrize("index", range(len(QUESTIONS)))
def test_red_flag_reasons_never_diagnose(index: int) -> None:
    question = QUESTIONS[index]
    if question["level"] != "see_doctor":
        assert re.search(r"can be (a )?signs? of", question["reason"]), question["id"]


def test_a_check_with_too_many_questions_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "en"
    folder.mkdir()
    for item in (messages_dir() / "en").iterdir():
        (folder / item.name).symlink_to(item)
    data = triage_file()
    data["questions"] = [{**QUESTIONS[-1], "id": f"extra_{n}"} for n in range(MAX_QUESTIONS + 1)]
    (folder / "triage.yaml").unlink()
    (folder / "triage.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ContentError, match="about a minute"):
        load_catalog(folder)
