"""Turn a typed message into comparable tokens: lowercase, no emoji, light stemming.

Everything about the language itself (suffixes, irregular forms, clause words) comes from
``messages/<lang>/matching.yaml``; this module only applies it. The same function normalises
the vocabulary at load time and the user's message at match time, so both sides always agree
even when a stem is not a real word ("caus", "muscl").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

# Letters of any script, or a number with an optional decimal part ("39.8"). Everything else
# (punctuation, emoji, symbols) separates tokens; a few punctuation marks also end a clause.
# A dash between spaces, or any en or em dash, ends a clause ("no cramp at all - it's my
# chest"); a hyphen inside a word ("5-a-side") does not.
_TOKEN_RE = re.compile(r"[^\W\d_]+|\d+(?:[.,]\d+)?|[.,;:!?\n]|[–—]+|(?<!\S)-+(?!\S)")
_CLAUSE_PUNCTUATION = frozenset(".,;:!?\n-–—")
_SENTENCE_PUNCTUATION = frozenset(".!?\n")
# Apostrophes vanish so "can't", "cant" and "can’t" are one token; U+02BC is the apostrophe
# Ukrainian keyboards type ("мʼязи" = "м'язи").
_APOSTROPHES = str.maketrans("", "", "'’‘`´\u02bc")


class Folding(dict[int, str]):
    """A ``str.translate`` table that folds letters as the language asks: its own letter
    folds first ("ü" -> "ue"), then, with strip_marks, accents dropped from other Latin
    letters ("está" -> "esta") except the kept ones ("ñ" is not "n"). Filled a letter at a
    time, as letters are first seen."""

    def __init__(self, letters: Mapping[str, str], strip_marks: bool, keep: Iterable[str]) -> None:
        super().__init__()
        self.letters = dict(letters)
        self.strip_marks = strip_marks
        self.keep = frozenset(keep)

    @property
    def active(self) -> bool:
        return bool(self.letters) or self.strip_marks

    def __missing__(self, code: int) -> str:
        letter = chr(code)
        folded = self.letters.get(letter)
        if folded is None:
            folded = letter
            if self.strip_marks and letter not in self.keep:
                bare = "".join(
                    c for c in unicodedata.normalize("NFD", letter) if not unicodedata.combining(c)
                )
                # Latin letters only: "й" or "ї" in a message in another script stay whole.
                folded = bare if bare.isascii() else letter
        self[code] = folded
        return folded


NO_FOLDING = Folding({}, strip_marks=False, keep=())


def _fold(word: str, folding: Folding) -> str:
    return word.casefold().translate(folding) if folding.active else word


@dataclass(frozen=True, slots=True)
class LanguageRules:
    """How to reduce a word to a stem; loaded from matching.yaml ``language``."""

    suffixes: tuple[str, ...]  # tried longest first; one is stripped at most
    min_stem: int  # a suffix is only stripped if this many letters remain
    keep_endings: tuple[str, ...]  # words ending so keep their final "s" ("stress", "this")
    double_suffixes: frozenset[str]  # after these, "swimm" -> "swim"
    keep_double: frozenset[str]  # ...unless the letter is doubled in the word ("swell")
    lemmas: Mapping[str, str]  # irregular forms: "calves" -> "calf"
    clause_words: frozenset[str]  # words that end a clause like a comma ("but")
    replacements: tuple[tuple[str, str], ...]  # raw substrings replaced before tokenising
    # A maintained stemmer or lemmatiser for inflected languages (language.stemmer); when set,
    # it replaces the suffix list.
    reduce: Callable[[str], str] | None = None
    # Applied to the message and the vocabulary alike.
    folding: Folding = field(default_factory=lambda: NO_FOLDING)

    @classmethod
    def build(
        cls,
        *,
        suffixes: Iterable[str],
        min_stem: int,
        keep_endings: Iterable[str],
        double_suffixes: Iterable[str],
        keep_double: Iterable[str],
        lemmas: Mapping[str, str],
        clause_words: Iterable[str],
        replacements: Mapping[str, str],
        reduce: Callable[[str], str] | None = None,
        folding: Folding = NO_FOLDING,
    ) -> LanguageRules:
        """Words given here are folded as messages will be ("jamás" is read as "jamas").
        Without a stemmer a lemma names the dictionary form, stemmed by the suffix list like
        the vocabulary ("woke" -> "wake" -> "wak", as "wake" itself reads); with one, the
        lemma is the stem the stemmer gives the vocabulary, written out."""
        rules = cls(
            suffixes=tuple(sorted(set(suffixes), key=len, reverse=True)),
            min_stem=min_stem,
            keep_endings=tuple(keep_endings),
            double_suffixes=frozenset(double_suffixes),
            keep_double=frozenset(keep_double),
            lemmas={_fold(k, folding): _fold(v, folding) for k, v in lemmas.items()},
            clause_words=frozenset(_fold(w, folding) for w in clause_words),
            replacements=tuple(
                (_fold(k, folding), _fold(v, folding)) for k, v in replacements.items()
            ),
            reduce=reduce,
            folding=folding,
        )
        if reduce is not None:
            return rules
        return replace(rules, lemmas={k: rules._stem_regular(v) for k, v in rules.lemmas.items()})

    def fold(self, word: str) -> str:
        """A word from matching.yaml as it will be read in a message."""
        return _fold(word, self.folding)

    def stem(self, word: str) -> str:
        lemma = self.lemmas.get(word)
        return lemma if lemma is not None else self._stem_regular(word)

    def _stem_regular(self, word: str) -> str:
        """The stem by the stemmer or the suffix list, irregular forms aside."""
        if word.isdigit() or len(word) <= self.min_stem:
            return word
        if self.reduce is not None:
            return self.reduce(word)
        for suffix in self.suffixes:
            if not word.endswith(suffix) or len(word) - len(suffix) < self.min_stem:
                continue
            if suffix == "s" and word.endswith(self.keep_endings):
                continue
            stem = word[: -len(suffix)]
            if suffix in self.double_suffixes:
                stem = self._undouble(stem)
            return stem
        return word

    def _undouble(self, stem: str) -> str:
        if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in self.keep_double:
            return stem[:-1]
        return stem


@dataclass(frozen=True, slots=True)
class RawToken:
    text: str  # lowercased surface form, apostrophes removed
    clause: int  # tokens in the same clause share this number
    number: float | None  # the value when the token is a number
    sentence: int = 0  # tokens between the same . ! ? or line breaks share this number


def prepare(text: str, rules: LanguageRules) -> str:
    """Unicode-normalise, lowercase, fold letters and apply the language's raw replacements
    ("w/" -> "with")."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    if rules.folding.active:
        text = text.translate(rules.folding)
    for old, new in rules.replacements:
        if old in text:
            text = text.replace(old, new)
    return text


def tokenise(text: str, rules: LanguageRules) -> list[RawToken]:
    """Words and numbers in order, each with its clause number; punctuation is dropped."""
    tokens: list[RawToken] = []
    clause = sentence = 0
    for piece in _TOKEN_RE.findall(prepare(text, rules)):
        if piece[0] in _CLAUSE_PUNCTUATION:
            clause += 1
            sentence += piece in _SENTENCE_PUNCTUATION
            continue
        if piece in rules.clause_words:
            clause += 1
        tokens.append(RawToken(piece, clause, _number(piece), sentence))
    return tokens


def _number(piece: str) -> float | None:
    if not piece[0].isdigit():
        return None
    try:
        return float(piece.replace(",", "."))
    except ValueError:
        return None


def phrase_words(phrase: str, rules: LanguageRules) -> list[str]:
    """A vocabulary phrase as raw words (same tokeniser, clause marks ignored)."""
    return [t.text for t in tokenise(phrase, rules)]
