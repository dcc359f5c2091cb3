"""How common each word of a language is, from wordfreq's small word lists (Zipf scale: 6 is
once per thousand words, 3 once per million). The typo fixer leaves a common word alone when
the word it would become is not much commoner: "Station" is not a typo of "Statin", nor
"толком" of "током", however close the letters."""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

WORDLIST = "small"  # every word from Zipf 3 up: 29,000 (en) to 61,000 (ru) words

Table = tuple[NDArray[np.uint64], NDArray[np.float32]]  # sorted word hashes, their Zipf


class RealWords:
    """One language's word frequencies, read on first use (or by ``load`` in the start-up
    warm-up) and kept as sorted 64-bit hashes: ~9 bytes a word, not ~100 as strings in a
    dict. Without a language, no word is known, so every typo fix stands."""

    def __init__(
        self,
        language: str | None = None,
        fold: Callable[[str], str] = str,
        min_zipf: float = 3.0,
        rarer_by: float = 1.5,  # a fix must be this much commoner than a common word
    ) -> None:
        self.language = language
        self.min_zipf = min_zipf
        self.rarer_by = rarer_by
        self._fold = fold
        self._table: Table | None = None
        self._lock = threading.Lock()

    def keeps(self, typed: str, fix: str) -> bool:
        """Whether ``typed`` is a real word in its own right, not a typo of ``fix``."""
        typed_zipf = self.frequency(typed)
        return typed_zipf >= self.min_zipf and typed_zipf > self.frequency(fix) - self.rarer_by

    def frequency(self, word: str) -> float:
        keys, zipf = self.load()
        key = np.uint64(_key(word))
        at = int(np.searchsorted(keys, key))
        return float(zipf[at]) if at < len(keys) and keys[at] == key else 0.0

    def load(self) -> Table:
        with self._lock:
            if self._table is None:
                self._table = _read(self.language, self._fold, self.min_zipf)
            return self._table


def available(language: str) -> bool:
    """Whether wordfreq has ``language``'s list, seen from its data files as its own
    ``available_languages`` does, without importing it at content load."""
    spec = importlib.util.find_spec("wordfreq")
    folders = spec.submodule_search_locations if spec is not None else None
    return any(
        (Path(f) / "data" / f"{WORDLIST}_{language}.msgpack.gz").is_file() for f in folders or ()
    )


def _read(language: str | None, fold: Callable[[str], str], min_zipf: float) -> Table:
    """The words from ``min_zipf`` up, as messages are read (``fold``). A rarer word never
    matters: a common typed word is kept against it whatever its frequency."""
    by_key: dict[int, float] = {}
    if language is not None:
        import wordfreq  # imported here: ~80 ms, paid in the warm-up, not at content load

        for centibels, words in enumerate(wordfreq.get_frequency_list(language, WORDLIST)):
            frequency = 9 - centibels / 100
            if frequency < min_zipf:
                break
            for word in words:
                by_key.setdefault(_key(fold(word)), frequency)  # commonest spelling folded so
        # wordfreq keeps every list it read; this process needs only the table built here.
        wordfreq.get_frequency_list.cache_clear()
    keys = np.fromiter(by_key, np.uint64, len(by_key))
    zipf = np.fromiter(by_key.values(), np.float32, len(by_key))
    order = np.argsort(keys)
    return keys[order], zipf[order]


def _key(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
