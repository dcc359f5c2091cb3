"""A cramp timed by the clock ("it started at 1.10 and it's 1.35") is a long cramp: the
red flag for over ten minutes, read from two clock times (services/understanding/clock.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import english_catalogue_copy
from tgbot.content import Content, ContentError, load_content
from tgbot.services.understanding.understander import Level, Understander, understander_for


@pytest.fixture(scope="module")
def understander(content: Content) -> Understander:
    found = understander_for(content.catalog("en"), "use")
    assert found is not None
    return found


@pytest.mark.parametrize(
    "text",
    [
        "The clock said 1.10 when my calf cramped and it's 1.35 and it's still tight",
        "thigh cramp there at 2am when I woke, it's gone 3 now and still rock solid",
        "cramp started at 3:10 and now it is 3:25, still there",
        "calf cramp at 11.50pm and its now 12.15",
        "calf cramp since 5h10 and it's 5h35 now",  # the hour-h-minutes way of writing
    ],
)
def test_a_cramp_timed_by_the_clock_past_ten_minutes_is_a_long_cramp(
    understander: Understander, text: str
) -> None:
    understood = understander.understand(text)
    assert (understood.level, understood.screen) == (Level.URGENT, "ur_long_cramp"), understood


@pytest.mark.parametrize(
    "text",
    [
        "I get cramps at 3am and again at 5am most nights",  # two cramps, not one long one
        "I had a cramp at 3am and another at 5am, now I'm fine",
        "cramp at 3, then again at 4, it's ok now",
        "calf cramp at 3am, it's 3.05 now",  # five minutes
        "I take magnesium at 8 and go to bed at 10, still get cramps",  # no time is now
    ],
)
def test_clock_times_that_are_not_one_long_cramp(understander: Understander, text: str) -> None:
    assert "long_minutes" not in understander.matcher.analyse(text).concepts


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (
            "{clock_minutes: [10, 180],",
            "{clock_minutes: [180, 10],",
            r"long_minutes.*clock_minutes",
        ),
        (
            '"{m} to {h} = {h-1}:{60-m}"',
            '"{m} to {h} = {h-1}:45"',
            r"long_minutes.*said_times\[3\].*\{m\}",
        ),
    ],
)
def test_the_loader_names_a_broken_clock_term(
    tmp_path: Path, old: str, new: str, error: str
) -> None:
    messages = english_catalogue_copy(tmp_path / "messages")
    path = messages / "en" / "matching.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ContentError, match=error):
        load_content(messages)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "calf cramp woke me at two, it's half past two now and still rock hard"),
        ("en", "cramp since ten to three and now it's quarter past three, won't let go"),
        ("de", "Wadenkrampf um halb drei nachts, jetzt ist es zehn vor drei, immer noch steinhart"),
        ("es", "calambre en el gemelo desde las 6 y 40 y ahora son las 7 y sigue duro"),
        ("es", "calambre a las dos y media y ya son las tres menos cuarto, sigue duro"),
        ("pt", "câimbra na panturrilha às duas e meia e já são quase três, continua dura"),
        ("pt", "câimbra no pé desde umas onze horas e já é quase meia-noite, nada passa"),
        ("ru", "свело икру в половине третьего ночи, сейчас уже без десяти три, мышца каменная"),
        ("ru", "судорога в икре с полтретьего, сейчас уже три, не отпускает"),
        ("uk", "звело литку ще о дванадцятій, зараз пів на першу, не відпускає"),
    ],
)
def test_times_said_in_words_are_read_off_the_clock(
    content: Content, language: str, text: str
) -> None:
    understander = understander_for(content.catalog(language), "use")
    assert understander is not None
    analysis = understander.matcher.analyse(text)
    assert "long_minutes" in analysis.concepts, (language, text)
    understood = understander.decide(analysis)
    assert (understood.level, understood.screen) == (Level.URGENT, "ur_long_cramp"), understood


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "cramp at half past two, it's twenty five to three now and it's gone"),  # 5 min
        ("en", "I take magnesium at half past eight and go to bed at ten"),  # no time is now
        ("de", "Krampf um halb drei, jetzt ist es fünf nach halb drei"),  # minutes, not a time
        ("ru", "свело в полтретьего, сейчас без двадцати пяти три"),  # five minutes
    ],
)
def test_times_said_in_words_that_are_not_a_long_cramp(
    content: Content, language: str, text: str
) -> None:
    understander = understander_for(content.catalog(language), "use")
    assert understander is not None
    assert "long_minutes" not in understander.matcher.analyse(text).concepts, (language, text)
