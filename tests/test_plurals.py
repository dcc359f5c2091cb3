"""CLDR plural forms through Babel: the right form for each count, and a translation that
lacks a form its language needs is refused at load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tgbot.content import ContentError, load_content, messages_dir
from tgbot.content.plurals import categories, load_plural

RUSSIAN = {
    "one": "{n} судорога",
    "few": "{n} судороги",
    "many": "{n} судорог",
    "other": "{n} судороги",
}
UKRAINIAN = {"one": "{n} судома", "few": "{n} судоми", "many": "{n} судом", "other": "{n} судоми"}


@pytest.mark.parametrize(
    ("language", "forms", "expected"),
    [
        ("ru", RUSSIAN, ["1 судорога", "2 судороги", "5 судорог", "21 судорога", "11 судорог"]),
        ("uk", UKRAINIAN, ["1 судома", "2 судоми", "5 судом", "21 судома", "11 судом"]),
        ("en", {"one": "{n} cramp", "other": "{n} cramps"}, ["1 cramp", "2 cramps", "5 cramps",
                                                            "21 cramps", "11 cramps"]),
    ],
)  # fmt: skip
def test_each_count_gets_its_languages_form(
    language: str, forms: dict[str, str], expected: list[str]
) -> None:
    text = load_plural(forms, language, "diary.yaml: count_cramps", "n")
    assert [text.format(n) for n in (1, 2, 5, 21, 11)] == expected


def test_languages_need_their_cldr_categories() -> None:
    assert categories("ru") == {"one", "few", "many", "other"}
    assert categories("de") == {"one", "other"}
    assert "many" in categories("es")  # CLDR's "1 millón de calambres"


def test_a_missing_form_is_named() -> None:
    forms = {"one": "{n} судорога", "other": "{n} судороги"}
    with pytest.raises(ContentError, match=r"count_cramps: plural forms .* differ .*few"):
        load_plural(forms, "ru", "diary.yaml: count_cramps", "n")


def test_other_must_show_the_number() -> None:
    with pytest.raises(ContentError, match=r"other: must show the number"):
        load_plural({"one": "a cramp", "other": "cramps"}, "en", "x", "n")


def test_an_unknown_placeholder_is_named() -> None:
    with pytest.raises(ContentError, match=r"unknown placeholder \{count\}"):
        load_plural({"one": "{count} cramp", "other": "{n} cramps"}, "en", "x", "n")


def test_a_translation_with_english_plurals_is_refused(tmp_path: Path) -> None:
    """A Russian folder copied from English still has English's two forms: refused, naming
    the file, the key and the forms Russian needs."""
    root = tmp_path / "messages"
    shutil.copytree(messages_dir() / "en", root / "en")
    shutil.copytree(messages_dir() / "en", root / "ru")
    with pytest.raises(ContentError, match=r"ru/ui\.yaml: forget_item_diary: plural forms"):
        load_content(root)
