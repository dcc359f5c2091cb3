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
