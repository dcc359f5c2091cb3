"""The vocabulary a message's words are compared with: each word resolved to its stem, its
typo fix ("chets" -> "chest") or its glued parts ("chestpain"), cached per word."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from tgbot.services.understanding.real_words import RealWords
from tgbot.services.understanding.text_normalise import LanguageRules

CACHE_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the message: its keys (stem, "=" + the word as written) and where it is."""

    keys: tuple[str, ...]
    clause: int
    number: float | None
    sentence: int = 0


@dataclass(frozen=True)
class Fuzzy:
    min_length: int  # from this length on, any small edit is corrected
    swap_min_length: int  # shorter words: only two swapped letters ("chets" -> "chest")
    max_edits: tuple[tuple[int, int], ...]  # (from word length, edits), longest first
    same_first_letter: bool
    split_words: frozenset[str]  # a glued word splits only into two of these ("chestpain")
    real_words: RealWords = field(default_factory=RealWords)  # common words are not typos

    def edits_for(self, length: int) -> int:
        for from_length, edits in self.max_edits:
            if length >= from_length:
                return edits
        return 0


@dataclass
class Lexicon:
    """What the message's words are compared with, plus per-word caches."""

    rules: LanguageRules
    fuzzy: Fuzzy
    surface_to_stem: dict[str, str]
    stems: frozenset[str]
    known_words: frozenset[str]
    by_first_letter: dict[str, list[str]]
    cache: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    plain_cache: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def resolve(self, word: str, allow_fuzzy: bool) -> tuple[tuple[str, str], ...]:
        """Token keys (stem, "=" + surface) for one word: itself, its typo fix, or its glued
        parts. Cached per word: most messages reuse the same few hundred words."""
        cache = self.cache if allow_fuzzy else self.plain_cache
        found = cache.get(word)
        if found is None:
            if len(cache) > CACHE_LIMIT:
                cache.clear()  # bounded memory; hot words come back within seconds
            pairs = self._resolve(word) if allow_fuzzy else ((self.rules.stem(word), word),)
            found = cache[word] = tuple((stem, "=" + surface) for stem, surface in pairs)
        return found

    def _resolve(self, word: str) -> tuple[tuple[str, str], ...]:
        stem = self.rules.stem(word)
        if (
            stem in self.stems
            or word in self.surface_to_stem
            or word in self.known_words
            or not word.isalpha()
        ):
            return ((stem, word),)
        parts = self._split(word)
        if parts is not None:
            return parts
        fixed = self._closest(word)
        if fixed is not None:
            return ((self.surface_to_stem[fixed], fixed),)
        return ((stem, word),)

    def _closest(self, word: str) -> str | None:
        if len(word) < self.fuzzy.swap_min_length:
            return None
        choices = (
            self.by_first_letter.get(word[0], [])
            if self.fuzzy.same_first_letter
            else list(self.surface_to_stem)
        )
        if len(word) < self.fuzzy.min_length:
            # Short real words sit one letter away from too many others ("breed", "bleed"):
            # only a swap of two neighbours, the commonest short typo, is trusted here.
            letters = sorted(word)
            choices = [c for c in choices if len(c) == len(word) and sorted(c) == letters]
            edits = 1
        else:
            edits = self.fuzzy.edits_for(len(word))
        best = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=edits)
        if best is None or self.fuzzy.real_words.keeps(word, str(best[0])):
            return None
        return str(best[0])

    def _split(self, word: str) -> tuple[tuple[str, str], ...] | None:
        """ "chestpain" -> chest + pain. Only listed words: real compounds ("backpack",
        "footnote") would otherwise fall apart into misleading halves."""
        split_words = self.fuzzy.split_words
        for cut in range(2, len(word) - 1):
            head, tail = word[:cut], word[cut:]
            if head in split_words and tail in split_words:
                return ((self.rules.stem(head), head), (self.rules.stem(tail), tail))
        return None
