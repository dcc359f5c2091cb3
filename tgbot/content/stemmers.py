"""The stemmers a language's matching.yaml may name (``language.stemmer``), all maintained
libraries: Snowball for most languages, pymorphy3's dictionary lemmas where Snowball has no
stemmer (Ukrainian). Each is built once per process and shared by every catalogue using it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

import snowballstemmer

SNOWBALL = "snowball:"
PYMORPHY = "pymorphy3:"
PYMORPHY_LANGUAGES = ("ru", "uk")


def stemmer_names() -> list[str]:
    return [SNOWBALL + name for name in snowballstemmer.algorithms()] + [
        PYMORPHY + code for code in PYMORPHY_LANGUAGES
    ]


@cache
def stemmer(name: str) -> Callable[[str], str]:
    """``snowball:russian`` or ``pymorphy3:uk``; ValueError names the choices otherwise."""
    if name.startswith(SNOWBALL) and name[len(SNOWBALL) :] in snowballstemmer.algorithms():
        return snowballstemmer.stemmer(name[len(SNOWBALL) :]).stemWord  # type: ignore[no-any-return]
    if name.startswith(PYMORPHY) and name[len(PYMORPHY) :] in PYMORPHY_LANGUAGES:
        return _pymorphy_lemma(name[len(PYMORPHY) :])
    raise ValueError(f"unknown stemmer {name!r} (one of: {', '.join(stemmer_names())})")


def _pymorphy_lemma(code: str) -> Callable[[str], str]:
    import pymorphy3  # its dictionaries cost ~20 MB: loaded only for a language that names it

    analyzer = pymorphy3.MorphAnalyzer(lang=code)

    @lru_cache(maxsize=100_000)  # the vocabulary and people's messages reuse few words
    def lemma(word: str) -> str:
        return str(analyzer.parse(word)[0].normal_form)

    return lemma
