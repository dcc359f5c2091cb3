"""language.stemmer in matching.yaml: maintained stemmers reduce inflected forms to one key."""

from __future__ import annotations

import pytest

from tgbot.content.stemmers import stemmer


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("snowball:russian", ["судорога", "судороги", "судорогой", "судорогу"]),
        ("snowball:spanish", ["calambre", "calambres"]),
        ("snowball:portuguese", ["câimbra", "câimbras"]),
        ("snowball:german", ["Krampf".lower(), "krampfe", "krampfes"]),
        ("pymorphy3:uk", ["судома", "судоми", "судомою", "судомі"]),
    ],
)
def test_inflected_forms_share_one_stem(name: str, forms: list[str]) -> None:
    reduce = stemmer(name)
    assert len({reduce(form) for form in forms}) == 1


def test_an_unknown_stemmer_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown stemmer 'snowball:klingon' .*pymorphy3:uk"):
        stemmer("snowball:klingon")


def test_every_apostrophe_a_keyboard_types_is_one_and_the_same() -> None:
    from tgbot.services.understanding.text_normalise import LanguageRules, tokenise

    rules = LanguageRules.build(
        suffixes=(), min_stem=3, keep_endings=(), double_suffixes=(), keep_double=(),
        lemmas={}, clause_words=(), replacements={},
    )  # fmt: skip
    forms = ["м'язи", "мʼязи", "м’язи"]  # ASCII, U+02BC (Ukrainian layout), U+2019
    assert len({tokenise(form, rules)[0].text for form in forms}) == 1
