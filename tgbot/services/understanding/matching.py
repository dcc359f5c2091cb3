"""Typed questions → the best screen, with red flags checked first and never hidden.

This module is a generic engine. Every word, synonym, rule and threshold about language or
medicine lives in ``messages/<lang>/matching.yaml`` (its header explains the format):

* **concepts** are named lists of terms (words or short phrases, typo-tolerant);
* **red_flags** are boolean rules over concepts (``a & (b | c)``, ``near(a, b, 3)``); the
  first emergency rule that holds wins, then the first urgent one;
* **intents** score screens from weighted concepts/phrases; the best one answers, close
  calls become "Did you mean…?".

A message is processed once: tokenise, resolve each word (exact, then glued-word split, then
rapidfuzz edit distance against the vocabulary, all cached per word), find concept occurrences,
drop negated ones ("no chest pain"), then evaluate rules and scores. No I/O, no Telegram.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from tgbot.services.understanding.text_normalise import (
    LanguageRules,
    RawToken,
    phrase_words,
    tokenise,
)

LEVELS = ("emergency", "urgent")
TOP_KEYS = "language fuzzy phrase_max_gap negation known_words concepts red_flags intents decision"
DECISION_KEYS = (
    "min_score sure_score margin max_suggestions default_suggestions off_topic "
    "off_topic_min_tokens thanks greeting"
)
INTENT_LEVELS = ("see_doctor",)
# Work caps for very long messages: exact lookups cover every token, typo correction and
# glued-word splitting only the first ones (the cost is in rapidfuzz, cached per word anyway).
MAX_CHARS = 8192
FUZZY_TOKEN_CAP = 300
CACHE_LIMIT = 50_000
RED_FLAG_SCORE = 1.0
# Pieces of a message given to the sentence encoder: a sentence longer than SEGMENT_WINDOW
# words is read in half-overlapping windows; at most MAX_SEGMENTS pieces (bounded latency).
SEGMENT_WINDOW = 16
SEGMENT_WORDS_CAP = 120
MAX_SEGMENTS = 12
# How far a negation hides words from the encoder ("no swelling in my face or throat"): wider
# than the rules' window, not to the end of the clause ("not working, cant catch my breath").
HIDE_WINDOW = 99
# libyaml's loader when installed: the vocabulary file is large and parses ~6x faster.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Span = tuple[int, int, int]  # first token, last token, clause of the first token


class MatchKind(enum.Enum):
    RED_FLAG = "red_flag"
    ANSWER = "answer"
    GREETING = "greeting"
    THANKS = "thanks"
    OFF_TOPIC = "off_topic"
    UNSURE = "unsure"


@dataclass(frozen=True)
class MatchResult:
    kind: MatchKind
    screen_id: str | None  # RED_FLAG / ANSWER: the screen to show
    level: str | None  # "emergency" | "urgent" | "see_doctor" | None
    suggestions: tuple[str, ...] = ()  # UNSURE: 2-3 screen ids, best first
    score: float = 0.0
    rule: str | None = None  # which rule/intent fired (for logs and tests; never user text)


@dataclass(frozen=True)
class Analysis:
    """A message as the rules read it, and what the semantic tier should look at."""

    result: MatchResult
    answer: MatchResult  # what the message gets when no red flag is considered
    negated: frozenset[str]  # concepts the message mentions only under a negation
    concepts: frozenset[str]  # concepts it mentions, negated ones left out
    segments: tuple[str, ...]  # the whole message, then its sentences, negated phrases removed
    unmasked: tuple[str, ...]  # the same pieces with nothing removed (a message in another
    # language: its "no" is not this language's negation)


class MatchingContentError(ValueError):
    """matching.yaml is broken; the message starts with ``<file>: <key>: ``."""


# --------------------------------------------------------------------------------------------
# Rule expressions: a tiny language so clinicians can write rules without Python.
#   expr := and ('|' and)* ;  and := unary ('&' unary)* ;  unary := '!' unary | atom
#   atom := concept | '(' expr ')' | near(expr, expr, N) | near_clause(expr, expr, N)
# Every node evaluates to the spans where it holds (empty = false), so near() can nest.
# --------------------------------------------------------------------------------------------

Occurrences = Mapping[int, list[Span]]
Node = Callable[[Occurrences], list[Span]]
_TRUE: list[Span] = [(-(10**6), -(10**6), -1)]  # "holds, but nowhere in particular" (from !x)
_RULE_TOKEN_RE = re.compile(r"\s*(?:(near_clause|near)\s*\(|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(.))")


class _RuleParser:
    def __init__(self, text: str, concepts: Mapping[str, int]) -> None:
        self.items = self._lex(text)
        self.pos = 0
        self.concepts = concepts

    @staticmethod
    def _lex(text: str) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        for m in _RULE_TOKEN_RE.finditer(text.strip()):
            func, name, number, other = m.groups()
            if func:
                items.append(("func", func))
            elif name:
                items.append(("name", name))
            elif number:
                items.append(("int", number))
            elif other and not other.isspace():
                items.append(("op", other))
        return items

    def parse(self) -> Node:
        if not self.items:
            raise ValueError("empty rule")
        node = self._or()
        if self.pos != len(self.items):
            raise ValueError(f"unexpected '{self.items[self.pos][1]}'")
        return node

    def _peek(self) -> tuple[str, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def _take(self, kind: str, value: str | None = None) -> str:
        item = self._peek()
        if item is None or item[0] != kind or (value is not None and item[1] != value):
            found = "end of rule" if item is None else f"'{item[1]}'"
            raise ValueError(f"expected {value or kind}, found {found}")
        self.pos += 1
        return item[1]

    def _or(self) -> Node:
        parts = [self._and()]
        while self._peek() == ("op", "|"):
            self.pos += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _any_of(parts)

    def _and(self) -> Node:
        parts = [self._unary()]
        while self._peek() == ("op", "&"):
            self.pos += 1
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def _unary(self) -> Node:
        if self._peek() == ("op", "!"):
            self.pos += 1
            return _negate(self._unary())
        return self._atom()

    def _atom(self) -> Node:
        item = self._peek()
        if item is None:
            raise ValueError("rule ends too early")
        kind, value = item
        if kind == "func":
            self.pos += 1
            left = self._or()
            self._take("op", ",")
            right = self._or()
            self._take("op", ",")
            distance = int(self._take("int"))
            self._take("op", ")")
            return _near(left, right, distance, same_clause=value == "near_clause")
        if kind == "name":
            self.pos += 1
            if value not in self.concepts:
                raise ValueError(f"unknown concept '{value}'")
            concept_id = self.concepts[value]
            return lambda occ: occ.get(concept_id, [])
        if item == ("op", "("):
            self.pos += 1
            node = self._or()
            self._take("op", ")")
            return node
        raise ValueError(f"unexpected '{value}'")


def _any_of(parts: Sequence[Node]) -> Node:
    def node(occ: Occurrences) -> list[Span]:
        spans: list[Span] = []
        for part in parts:
            spans.extend(part(occ))
        return spans

    return node


def _all_of(parts: Sequence[Node]) -> Node:
    def node(occ: Occurrences) -> list[Span]:
        spans: list[Span] = []
        for part in parts:
            found = part(occ)
            if not found:
                return []
            spans.extend(found)
        return spans

    return node


def _negate(part: Node) -> Node:
    return lambda occ: [] if part(occ) else _TRUE


def _near(left: Node, right: Node, distance: int, *, same_clause: bool) -> Node:
    """Both sides hold with at most ``distance`` tokens between them (either order)."""

    def node(occ: Occurrences) -> list[Span]:
        a_spans = left(occ)
        if not a_spans:
            return []
        found: list[Span] = []
        for b in right(occ):
            for a in a_spans:
                if a[2] < 0 or b[2] < 0 or (same_clause and a[2] != b[2]):
                    continue
                gap = max(b[0] - a[1], a[0] - b[1]) - 1
                if gap <= distance:
                    found.append((min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2])))
        return found

    return node


# --------------------------------------------------------------------------------------------
# Compiled content
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Term:
    words: tuple[str, ...]  # token keys: a stem, or "=" + exact surface form
    concepts: tuple[int, ...]


@dataclass(frozen=True)
class _TermIndex:
    single: dict[str, tuple[int, ...]]  # one-word terms: word key -> concepts
    multi: dict[str, dict[str, list[_Term]]]  # phrases by first, then second word key


@dataclass(frozen=True, slots=True)
class _Quantity:
    low: float
    high: float
    units: frozenset[str]  # stems
    prefix: frozenset[str]  # if set, one of these stems must come just before the number
    concept: int


@dataclass(frozen=True, slots=True)
class _Token:
    keys: tuple[str, ...]
    clause: int
    number: float | None
    sentence: int = 0


@dataclass(frozen=True)
class _RedFlag:
    rule: str
    level: str
    screen: str
    when: Node
    unless: Node | None


@dataclass(frozen=True)
class _Intent:
    rule: str
    screen: str
    level: str | None
    when: Node | None
    bonus: float
    terms: tuple[tuple[int, float], ...]  # concept id, weight


@dataclass(frozen=True)
class _Gate:
    when: Node
    max_score: float


@dataclass(frozen=True)
class _Decision:
    min_score: float
    sure_score: float
    margin: float
    max_suggestions: int
    default_suggestions: tuple[str, ...]
    off_topic: Node | None
    off_topic_min_tokens: int
    thanks: _Gate | None
    greeting: _Gate | None


@dataclass(frozen=True)
class _Fuzzy:
    min_length: int  # from this length on, any small edit is corrected
    swap_min_length: int  # shorter words: only two swapped letters ("chets" -> "chest")
    max_edits: tuple[tuple[int, int], ...]  # (from word length, edits), longest first
    same_first_letter: bool
    split_words: frozenset[str]  # a glued word splits only into two of these ("chestpain")

    def edits_for(self, length: int) -> int:
        for from_length, edits in self.max_edits:
            if length >= from_length:
                return edits
        return 0


@dataclass(frozen=True)
class _Negation:
    words: frozenset[str]
    window: int
    not_followed_by: frozenset[str]
    extend_with: frozenset[str]  # "no swelling or redness or warmth": "or" carries it on
    undone_by: tuple[tuple[str, ...], ...]  # "never had chest pain LIKE THIS": not a negation
    denial_words: frozenset[str]  # "breathing FINE": the clause says a sign is absent


@dataclass
class _Lexicon:
    """What the message's words are compared with, plus per-word caches."""

    rules: LanguageRules
    fuzzy: _Fuzzy
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
        return None if best is None else str(best[0])

    def _split(self, word: str) -> tuple[tuple[str, str], ...] | None:
        """ "chestpain" -> chest + pain. Only listed words: real compounds ("backpack",
        "footnote") would otherwise fall apart into misleading halves."""
        split_words = self.fuzzy.split_words
        for cut in range(2, len(word) - 1):
            head, tail = word[:cut], word[cut:]
            if head in split_words and tail in split_words:
                return ((self.rules.stem(head), head), (self.rules.stem(tail), tail))
        return None


class Matcher:
    """Built once from matching.yaml by :func:`load_matcher`; ``match`` is pure and fast."""

    def __init__(
        self,
        *,
        lexicon: _Lexicon,
        index: _TermIndex,
        quantities: Sequence[_Quantity],
        exceptions: Mapping[int, int],
        negation: _Negation,
        max_gap: int,
        red_flags: Sequence[_RedFlag],
        intents: Sequence[_Intent],
        decision: _Decision,
        concept_names: Mapping[str, int],
    ) -> None:
        self._lexicon = lexicon
        self._concept_names = {i: name for name, i in concept_names.items()}
        self._single = index.single
        self._multi = index.multi
        self._quantities = tuple(quantities)
        self._exceptions = dict(exceptions)  # concept id -> id of its "except" pseudo-concept
        self._negation = negation
        self._max_gap = max_gap
        self._red_flags = tuple(red_flags)
        self._intents = tuple(intents)
        self._decision = decision

    # -- public ---------------------------------------------------------------------------

    def match(self, text: str) -> MatchResult:
        tokens = self._tokens(text[:MAX_CHARS])
        occ = self._occurrences(tokens)
        return self._result(occ, len(tokens))

    def analyse(self, text: str) -> Analysis:
        """``match`` plus what it ignored as negated, and the message cut into pieces for the
        sentence encoder with the negated phrases masked out ("no chest pain, just a cramp"
        becomes "just a cramp"): embeddings do not see negation, the rules do."""
        tokens = self._tokens(text[:MAX_CHARS])
        negated_at = self._negated_positions(tokens)
        found = self._found(tokens)
        occ = _without_negated(found, negated_at)
        negated = frozenset(self._concept_names[c] for c in found if c not in occ)
        known = frozenset(
            i
            for i, t in enumerate(tokens)
            if any(k in self._single or k in self._multi for k in t.keys)
        )
        segments = _segments(tokens, self._hidden_from_encoder(tokens), known)
        unmasked = _segments(tokens, frozenset(), known)
        answer = self._decide(occ, len(tokens))
        flag = self._red_flag(occ)
        concepts = frozenset(self._concept_names[c] for c in occ)
        return Analysis(flag or answer, answer, negated, concepts, segments, unmasked)

    def _result(self, occ: Occurrences, n_tokens: int) -> MatchResult:
        flag = self._red_flag(occ)
        if flag is not None:
            return flag
        return self._decide(occ, n_tokens)

    def concepts(self, text: str) -> frozenset[str]:
        """The concepts a message mentions (negated ones left out), e.g. for pre-filling a
        diary entry from "had a bad calf cramp last night"."""
        tokens = self._tokens(text[:MAX_CHARS])
        return frozenset(self._concept_names[c] for c in self._occurrences(tokens))

    def explain(self, text: str) -> dict[str, Any]:
        """Why a message matched as it did: tokens, concepts found, intent scores (for tuning)."""
        tokens = self._tokens(text[:MAX_CHARS])
        occ = self._occurrences(tokens)
        return {
            "tokens": [t.keys[0] for t in tokens],
            "concepts": sorted(self._concept_names[c] for c in occ),
            "scores": [(round(s, 2), i.rule) for s, _, i in self._scores(occ)],
            "result": self.match(text),
        }

    # -- steps ----------------------------------------------------------------------------

    def _tokens(self, text: str) -> list[_Token]:
        raw = tokenise(text, self._lexicon.rules)
        tokens: list[_Token] = []
        for index, tok in enumerate(raw):
            tokens.extend(self._resolve(tok, allow_fuzzy=index < FUZZY_TOKEN_CAP))
        return tokens

    def _resolve(self, tok: RawToken, *, allow_fuzzy: bool) -> Iterable[_Token]:
        for keys in self._lexicon.resolve(tok.text, allow_fuzzy):
            yield _Token(keys, tok.clause, tok.number, tok.sentence)

    def _occurrences(self, tokens: Sequence[_Token]) -> dict[int, list[Span]]:
        return _without_negated(self._found(tokens), self._negated_positions(tokens))

    def _found(self, tokens: Sequence[_Token]) -> dict[int, list[Span]]:
        """Every concept occurrence, negated or not."""
        found: dict[int, list[Span]] = {}
        reach = 2 + self._max_gap
        for start, token in enumerate(tokens):
            span = (start, start, token.clause)
            for key in token.keys:
                for concept in self._single.get(key, ()):
                    found.setdefault(concept, []).append(span)
                by_second = self._multi.get(key)
                if by_second:
                    self._match_phrases(tokens, start, by_second, reach, found)
            if token.number is not None:
                self._match_quantities(tokens, start, found)
        self._apply_exceptions(found)
        return found

    def _match_phrases(
        self,
        tokens: Sequence[_Token],
        start: int,
        by_second: Mapping[str, Sequence[_Term]],
        reach: int,
        found: dict[int, list[Span]],
    ) -> None:
        """Phrases starting at ``start``; only those whose 2nd word is near are tried."""
        near_keys = {k for t in tokens[start + 1 : start + reach] for k in t.keys}
        for second in near_keys & by_second.keys():
            for term in by_second[second]:
                end = self._match_term(tokens, start, term.words)
                if end >= 0:
                    for concept in term.concepts:
                        found.setdefault(concept, []).append((start, end, tokens[start].clause))

    def _match_term(self, tokens: Sequence[_Token], start: int, words: tuple[str, ...]) -> int:
        """Index of the term's last token, or -1; up to ``max_gap`` filler words between."""
        pos = start
        for word in words[1:]:
            limit = min(len(tokens), pos + 2 + self._max_gap)
            for nxt in range(pos + 1, limit):
                if word in tokens[nxt].keys:
                    pos = nxt
                    break
            else:
                return -1
        return pos

    def _match_quantities(
        self, tokens: Sequence[_Token], start: int, found: dict[int, list[Span]]
    ) -> None:
        value = tokens[start].number
        assert value is not None
        before = {k for t in tokens[max(0, start - 2) : start] for k in t.keys}
        for quantity in self._quantities:
            if not quantity.low <= value <= quantity.high:
                continue
            if quantity.prefix and not quantity.prefix & before:
                continue
            for nxt in range(start + 1, min(len(tokens), start + 3)):
                if tokens[nxt].keys[0] in quantity.units:
                    found.setdefault(quantity.concept, []).append(
                        (start, nxt, tokens[start].clause)
                    )
                    break

    def _apply_exceptions(self, found: dict[int, list[Span]]) -> None:
        """Drop a concept's occurrences that start inside one of its 'except' phrases."""
        for concept, except_id in self._exceptions.items():
            spans, blockers = found.get(concept), found.get(except_id)
            if spans and blockers:
                found[concept] = [
                    s for s in spans if not any(b[0] <= s[0] <= b[1] for b in blockers)
                ]

    def _negated_positions(
        self, tokens: Sequence[_Token], window: int | None = None
    ) -> frozenset[int]:
        """Tokens preceded, within the window and the same clause, by no/not/without…"""
        neg = self._negation
        window = neg.window if window is None else window
        negated: set[int] = set()
        for i, token in enumerate(tokens):
            if token.keys[1][1:] not in neg.words:
                continue
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if following is not None and following.keys[1][1:] in neg.not_followed_by:
                continue
            if self._negation_undone(tokens, i):
                continue
            limit = i + 1 + window
            j = i + 1
            # "no chest pain or breathlessness": an "or" at the window's edge carries it on.
            while j < len(tokens) and tokens[j].clause == token.clause:
                extends = tokens[j].keys[1][1:] in neg.extend_with
                if j >= limit and not extends:
                    break
                negated.add(j)
                if extends:
                    limit = max(limit, j + 1) + 2
                j += 1
        return frozenset(negated)

    def _hidden_from_encoder(self, tokens: Sequence[_Token]) -> frozenset[int]:
        """What the encoder must not read: each negation to the end of its clause ("no
        swelling in my face or throat"), the negation words, and clauses that say a sign is
        normal ("urine is clear", "a normal colour"). Wider than the rules' window on purpose:
        a masked word can only lower a resemblance the rules did not confirm anyway."""
        neg = self._negation
        hidden = set(self._negated_positions(tokens, window=HIDE_WINDOW))
        denied_clauses = {t.clause for t in tokens if t.keys[1][1:] in neg.denial_words}
        for i, token in enumerate(tokens):
            if token.keys[1][1:] in neg.words or token.clause in denied_clauses:
                hidden.add(i)
        return frozenset(hidden)

    def _negation_undone(self, tokens: Sequence[_Token], at: int) -> bool:
        """A phrase later in the same clause turns "never had X" into "have X now"."""
        clause = tokens[at].clause
        words = []
        for token in tokens[at + 1 :]:
            if token.clause != clause:
                break
            words.append(token.keys[1][1:])
        return any(
            tuple(words[k : k + len(phrase)]) == phrase
            for phrase in self._negation.undone_by
            for k in range(len(words) - len(phrase) + 1)
        )

    def _red_flag(self, occ: Occurrences) -> MatchResult | None:
        for flag in self._red_flags:  # sorted: every emergency rule before any urgent one
            if flag.when(occ) and not (flag.unless and flag.unless(occ)):
                return MatchResult(
                    MatchKind.RED_FLAG, flag.screen, flag.level, (), RED_FLAG_SCORE, flag.rule
                )
        return None

    def _scores(self, occ: Occurrences) -> list[tuple[float, int, _Intent]]:
        scored: list[tuple[float, int, _Intent]] = []
        for order, intent in enumerate(self._intents):
            if intent.when is not None and not intent.when(occ):
                continue
            score = intent.bonus + sum(w for concept, w in intent.terms if concept in occ)
            if score > 0:
                scored.append((score, order, intent))
        scored.sort(key=lambda item: (-item[0], item[1]))  # ties: the earlier intent in YAML
        return scored

    def _decide(self, occ: Occurrences, n_tokens: int) -> MatchResult:
        d = self._decision
        scored = self._scores(occ)
        best = scored[0][0] if scored else 0.0
        if d.off_topic is not None and d.off_topic(occ):
            return MatchResult(MatchKind.OFF_TOPIC, None, None, (), best, "off_topic")
        for kind, gate in ((MatchKind.THANKS, d.thanks), (MatchKind.GREETING, d.greeting)):
            if gate is not None and best < gate.max_score and gate.when(occ):
                return MatchResult(kind, None, None, (), best, kind.value)
        if scored and best >= d.min_score:
            top = scored[0][2]
            runner_up = next((s for s, _, i in scored[1:] if i.screen != top.screen), 0.0)
            if best >= d.sure_score or best - runner_up >= d.margin:
                return MatchResult(MatchKind.ANSWER, top.screen, top.level, (), best, top.rule)
        if not scored and n_tokens >= d.off_topic_min_tokens:
            return MatchResult(MatchKind.OFF_TOPIC, None, None, (), 0.0, "off_topic")
        return MatchResult(MatchKind.UNSURE, None, None, self._suggest(scored), best, "unsure")

    def _suggest(self, scored: Sequence[tuple[float, int, _Intent]]) -> tuple[str, ...]:
        d = self._decision
        picked: list[str] = []
        for screen in [i.screen for _, _, i in scored] + list(d.default_suggestions):
            if screen not in picked:
                picked.append(screen)
            if len(picked) == d.max_suggestions:
                break
        return tuple(picked)


def _without_negated(
    found: Mapping[int, list[Span]], negated: frozenset[int]
) -> dict[int, list[Span]]:
    if not negated:
        return {c: spans for c, spans in found.items() if spans}
    kept = ((c, [s for s in spans if s[0] not in negated]) for c, spans in found.items())
    return {c: spans for c, spans in kept if spans}


def _segments(
    tokens: Sequence[_Token], masked: frozenset[int], known: frozenset[int] = frozenset()
) -> tuple[str, ...]:
    """The whole message, then each sentence (long ones in overlapping windows), as text
    for the encoder: a red flag buried in a ramble or a second question stands alone in one
    of them. Masked tokens are left out. When there are more pieces than MAX_SEGMENTS, those
    with the most ``known`` (vocabulary) words are kept, so the end of a long message counts."""
    sentences: dict[int, list[int]] = {}
    for i, token in enumerate(tokens):
        if i not in masked:
            sentences.setdefault(token.sentence, []).append(i)

    def text(positions: Sequence[int]) -> str:
        return " ".join(tokens[i].keys[1][1:] for i in positions)

    everything = [i for sentence in sentences.values() for i in sentence]
    if not everything:
        return ()
    pieces: list[Sequence[int]] = []
    if len(sentences) > 1 or len(everything) > SEGMENT_WINDOW:
        step = SEGMENT_WINDOW // 2
        for sentence in sentences.values():
            if len(sentence) <= SEGMENT_WINDOW:
                pieces.append(sentence)
                continue
            for start in range(0, len(sentence) - step, step):
                pieces.append(sentence[start : start + SEGMENT_WINDOW])
    if len(pieces) >= MAX_SEGMENTS:
        ranked = sorted(range(len(pieces)), key=lambda n: -sum(i in known for i in pieces[n]))
        pieces = [pieces[n] for n in sorted(ranked[: MAX_SEGMENTS - 1])]
    texts = [text(everything[:SEGMENT_WORDS_CAP]), *(text(p) for p in pieces)]
    return tuple(t for n, t in enumerate(texts) if t and t not in texts[:n])


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------


def load_matcher(path: Path, screen_ids: Collection[str]) -> Matcher:
    """Read and validate matching.yaml; build every index once."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except FileNotFoundError:
        raise MatchingContentError(f"{path}: file: is missing") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MatchingContentError(f"{path}: file: not valid YAML: {exc}") from None
    return _Builder(path, screen_ids).build(data)


class _Builder:
    def __init__(self, path: Path, screen_ids: Collection[str]) -> None:
        self.path = path
        self.screen_ids = frozenset(screen_ids)
        self.concept_ids: dict[str, int] = {}
        self.terms: dict[tuple[str, ...], set[int]] = {}
        self.quantities: list[_Quantity] = []
        self.exceptions: dict[int, int] = {}
        self.surface_phrases: list[str] = []  # vocabulary as written, for typo correction
        self.rules: LanguageRules | None = None

    # -- helpers ----------------------------------------------------------------------------

    @property
    def lang(self) -> LanguageRules:
        assert self.rules is not None, "the language section is read first"
        return self.rules

    def fail(self, key: str, problem: str) -> MatchingContentError:
        return MatchingContentError(f"{self.path}: {key}: {problem}")

    def section(self, data: Mapping[str, Any], key: str, kind: type, required: bool = True) -> Any:
        value = data.get(key)
        if value is None and not required:
            return kind()
        if not isinstance(value, kind):
            raise self.fail(key, f"expected a {kind.__name__}")
        return value

    def only(self, raw: Mapping[str, Any], allowed: str, key: str) -> None:
        """A misspelt key ("bonuss") would be silently ignored; refuse it instead."""
        unknown = sorted(str(k) for k in raw if str(k) not in allowed.split())
        if unknown:
            where = f"{key}.{unknown[0]}" if key else unknown[0]
            raise self.fail(where, f"unknown key (expected one of: {', '.join(allowed.split())})")

    def number(self, value: Any, key: str, low: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
            raise self.fail(key, f"expected a number ≥ {low}")
        if not math.isfinite(value):
            raise self.fail(key, "expected a finite number")
        return float(value)

    def integer(self, value: Any, key: str, low: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(key, f"expected a whole number ≥ {low}")
        return value

    def words(self, value: Any, key: str) -> list[str]:
        if not isinstance(value, list):
            raise self.fail(key, "expected a list of words")
        for index, word in enumerate(value):
            if not isinstance(word, str) or not word:
                # YAML reads bare no/yes/on/off as true/false: they need quotes.
                raise self.fail(f"{key}[{index}]", f"expected a word, got {word!r} (quote it)")
        return [str(w) for w in value]

    def screen(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or value not in self.screen_ids:
            raise self.fail(key, f"unknown screen '{value}'")
        return value

    def rule(self, text: Any, key: str) -> Node:
        if not isinstance(text, str):
            raise self.fail(key, "expected a rule (text)")
        try:
            return _RuleParser(text, self.concept_ids).parse()
        except ValueError as exc:
            raise self.fail(key, f"bad rule: {exc}") from None

    # -- sections ---------------------------------------------------------------------------

    def build(self, data: Any) -> Matcher:
        if not isinstance(data, dict):
            raise self.fail("file", "expected a mapping at the top level")
        self.only(data, TOP_KEYS, "")
        self.rules = self.language(self.section(data, "language", dict))
        fuzzy = self.fuzzy(self.section(data, "fuzzy", dict))
        negation = self.negation(self.section(data, "negation", dict))
        max_gap = self.integer(data.get("phrase_max_gap", 0), "phrase_max_gap")
        self.concepts(self.section(data, "concepts", dict))
        intents = self.intents(self.section(data, "intents", dict))
        red_flags = self.red_flags(self.section(data, "red_flags", list))
        decision = self.decision(self.section(data, "decision", dict))
        known = frozenset(self.words(data.get("known_words", []), "known_words"))
        return Matcher(
            lexicon=self.lexicon(fuzzy, known),
            index=self.index(),
            quantities=self.quantities,
            exceptions=self.exceptions,
            negation=negation,
            max_gap=max_gap,
            red_flags=red_flags,
            intents=intents,
            decision=decision,
            concept_names=self.concept_ids,
        )

    def language(self, raw: Mapping[str, Any]) -> LanguageRules:
        self.only(
            raw,
            "suffixes min_stem keep_endings double_suffixes keep_double clause_words "
            "replacements lemmas",
            "language",
        )
        lemmas = raw.get("lemmas", {})
        replacements = raw.get("replacements", {})
        for key, mapping in (("lemmas", lemmas), ("replacements", replacements)):
            if not isinstance(mapping, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
            ):
                raise self.fail(f"language.{key}", "expected a mapping of text: text")
        return LanguageRules.build(
            suffixes=self.words(raw.get("suffixes", []), "language.suffixes"),
            min_stem=self.integer(raw.get("min_stem", 3), "language.min_stem", 1),
            keep_endings=self.words(raw.get("keep_endings", []), "language.keep_endings"),
            double_suffixes=self.words(raw.get("double_suffixes", []), "language.double_suffixes"),
            keep_double=self.words(raw.get("keep_double", []), "language.keep_double"),
            lemmas=lemmas,
            clause_words=self.words(raw.get("clause_words", []), "language.clause_words"),
            replacements=replacements,
        )

    def fuzzy(self, raw: Mapping[str, Any]) -> _Fuzzy:
        self.only(
            raw, "min_length swap_min_length max_edits same_first_letter split_words", "fuzzy"
        )
        edits = raw.get("max_edits", {})
        if not isinstance(edits, dict) or not edits:
            raise self.fail("fuzzy.max_edits", "expected a mapping word length: edits")
        pairs = sorted(
            (
                (self.integer(k, "fuzzy.max_edits", 1), self.integer(v, f"fuzzy.max_edits.{k}"))
                for k, v in edits.items()
            ),
            reverse=True,
        )
        return _Fuzzy(
            min_length=self.integer(raw.get("min_length", 6), "fuzzy.min_length", 1),
            swap_min_length=self.integer(raw.get("swap_min_length", 4), "fuzzy.swap_min_length", 1),
            max_edits=tuple(pairs),
            same_first_letter=bool(raw.get("same_first_letter", True)),
            split_words=frozenset(self.words(raw.get("split_words", []), "fuzzy.split_words")),
        )

    def negation(self, raw: Mapping[str, Any]) -> _Negation:
        self.only(
            raw, "words window extend_with undone_by not_followed_by denial_words", "negation"
        )
        return _Negation(
            words=frozenset(self.words(raw.get("words", []), "negation.words")),
            window=self.integer(raw.get("window", 3), "negation.window"),
            not_followed_by=frozenset(
                self.words(raw.get("not_followed_by", []), "negation.not_followed_by")
            ),
            extend_with=frozenset(self.words(raw.get("extend_with", []), "negation.extend_with")),
            undone_by=tuple(
                tuple(phrase_words(p, self.lang))
                for p in self.words(raw.get("undone_by", []), "negation.undone_by")
            ),
            denial_words=frozenset(
                self.words(raw.get("denial_words", []), "negation.denial_words")
            ),
        )

    def concepts(self, raw: Mapping[str, Any]) -> None:
        for name in raw:
            if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise self.fail(f"concepts.{name}", "name must be a-z, 0-9, _")
            self.concept_ids[name] = len(self.concept_ids)
        for name, body in raw.items():
            terms, excepts = self.concept_body(body, f"concepts.{name}")
            concept = self.concept_ids[name]
            for index, term in enumerate(self.expand(name, terms, raw, (name,))):
                self.add_term(term, concept, f"concepts.{name}[{index}]")
            if excepts:
                blocker = self.pseudo_concept(f"{name}!except")
                self.exceptions[concept] = blocker
                for index, phrase in enumerate(excepts):
                    self.add_term(phrase, blocker, f"concepts.{name}.except[{index}]")

    def concept_body(self, body: Any, key: str) -> tuple[list[Any], list[str]]:
        if isinstance(body, list):
            return body, []
        if isinstance(body, dict) and isinstance(body.get("terms"), list):
            self.only(body, "terms except", key)
            return body["terms"], self.words(body.get("except", []), f"{key}.except")
        raise self.fail(key, "expected a list of terms, or {terms: [...], except: [...]}")

    def expand(
        self, name: str, terms: list[Any], raw: Mapping[str, Any], seen: tuple[str, ...]
    ) -> Iterable[Any]:
        """Terms with ``@other`` replaced by the other concept's terms (no cycles)."""
        for term in terms:
            if isinstance(term, str) and term.startswith("@"):
                other = term[1:]
                if other not in raw:
                    raise self.fail(f"concepts.{name}", f"unknown concept '{term}'")
                if other in seen:
                    raise self.fail(f"concepts.{name}", f"concepts include each other ({term})")
                yield from self.expand(
                    name, self.concept_body(raw[other], other)[0], raw, (*seen, other)
                )
            else:
                yield term

    def pseudo_concept(self, name: str) -> int:
        if name not in self.concept_ids:
            self.concept_ids[name] = len(self.concept_ids)
        return self.concept_ids[name]

    def add_term(self, term: Any, concept: int, key: str) -> None:
        if isinstance(term, dict):
            self.add_quantity(term, concept, key)
            return
        if not isinstance(term, str) or not term.strip():
            raise self.fail(key, "expected a word or phrase")
        words = self.term_words(term)
        if not words:
            raise self.fail(key, f"'{term}' has no letters or digits")
        self.terms.setdefault(words, set()).add(concept)
        self.surface_phrases.append(term.replace("=", " "))

    def term_words(self, phrase: str) -> tuple[str, ...]:
        words: list[str] = []
        for piece in phrase.split():
            exact = piece.startswith("=")
            for tok in tokenise(piece.lstrip("="), self.lang):
                words.append("=" + tok.text if exact else self.lang.stem(tok.text))
        return tuple(words)

    def add_quantity(self, term: Mapping[str, Any], concept: int, key: str) -> None:
        bounds = term.get("number")
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise self.fail(f"{key}.number", "expected [low, high]")
        low = self.number(bounds[0], f"{key}.number")
        high = self.number(bounds[1], f"{key}.number")
        if high < low:
            raise self.fail(f"{key}.number", "high is below low")
        units = frozenset(self.lang.stem(u) for u in self.words(term.get("units"), f"{key}.units"))
        prefix = frozenset(
            self.lang.stem(w) for w in self.words(term.get("prefix", []), f"{key}.prefix")
        )
        if set(term) - {"number", "units", "prefix"}:
            raise self.fail(key, "a quantity has only number, units and prefix")
        self.quantities.append(_Quantity(low, high, units, prefix, concept))

    def intents(self, raw: Mapping[str, Any]) -> list[_Intent]:
        intents = []
        for name, body in raw.items():
            key = f"intents.{name}"
            if not isinstance(body, dict):
                raise self.fail(key, "expected a mapping with screen and terms")
            self.only(body, "screen level when bonus terms", key)
            level = body.get("level")
            if level is not None and level not in INTENT_LEVELS:
                raise self.fail(f"{key}.level", f"must be one of {', '.join(INTENT_LEVELS)}")
            when = self.rule(body["when"], f"{key}.when") if "when" in body else None
            terms = self.intent_terms(body.get("terms", {}), f"{key}.terms")
            if when is None and not terms:
                raise self.fail(key, "needs terms or a 'when' rule")
            intents.append(
                _Intent(
                    rule=str(name),
                    screen=self.screen(body.get("screen"), f"{key}.screen"),
                    level=level,
                    when=when,
                    bonus=self.number(body.get("bonus", 0), f"{key}.bonus"),
                    terms=terms,
                )
            )
        return intents

    def intent_terms(self, raw: Any, key: str) -> tuple[tuple[int, float], ...]:
        """``{"@concept": weight, "a phrase": weight}``; a phrase becomes its own concept."""
        if not isinstance(raw, dict):
            raise self.fail(key, "expected a mapping of term: weight")
        terms = []
        for term, weight in raw.items():
            where = f"{key}.{term}"
            if not isinstance(term, str) or not term.strip():
                raise self.fail(where, "expected a word, phrase or @concept")
            if term.startswith("@"):
                if term[1:] not in self.concept_ids:
                    raise self.fail(where, f"unknown concept '{term}'")
                concept = self.concept_ids[term[1:]]
            else:
                concept = self.pseudo_concept(f"phrase:{term}")
                self.add_term(term, concept, where)
            terms.append((concept, self.number(weight, where, low=-100.0)))
        return tuple(terms)

    def red_flags(self, raw: list[Any]) -> list[_RedFlag]:
        flags = []
        seen: set[str] = set()
        for index, body in enumerate(raw):
            key = f"red_flags[{index}]"
            if not isinstance(body, dict):
                raise self.fail(key, "expected {id, level, screen, when}")
            self.only(body, "id level screen when unless", key)
            rule = body.get("id")
            if not isinstance(rule, str) or not rule or rule in seen:
                raise self.fail(f"{key}.id", "needs a unique id")
            seen.add(rule)
            level = body.get("level")
            if level not in LEVELS:
                raise self.fail(f"{key}.level", f"must be one of {', '.join(LEVELS)}")
            unless = self.rule(body["unless"], f"{key}.unless") if "unless" in body else None
            flags.append(
                _RedFlag(
                    rule=rule,
                    level=level,
                    screen=self.screen(body.get("screen"), f"{key}.screen"),
                    when=self.rule(body.get("when"), f"{key}.when"),
                    unless=unless,
                )
            )
        # Emergency before urgent whatever the file order, so no urgent rule can hide one.
        flags.sort(key=lambda f: LEVELS.index(f.level))
        return flags

    def decision(self, raw: Mapping[str, Any]) -> _Decision:
        self.only(raw, DECISION_KEYS, "decision")
        defaults = [
            self.screen(s, f"decision.default_suggestions[{i}]")
            for i, s in enumerate(raw.get("default_suggestions", []))
        ]
        max_suggestions = self.integer(raw.get("max_suggestions", 3), "decision.max_suggestions", 2)
        if len(set(defaults)) < 2:
            raise self.fail("decision.default_suggestions", "needs at least 2 different screens")
        min_score = self.number(raw.get("min_score"), "decision.min_score")
        sure_score = self.number(raw.get("sure_score"), "decision.sure_score")
        if sure_score < min_score:
            raise self.fail("decision.sure_score", "must be ≥ min_score")
        return _Decision(
            min_score=min_score,
            sure_score=sure_score,
            margin=self.number(raw.get("margin"), "decision.margin"),
            max_suggestions=max_suggestions,
            default_suggestions=tuple(defaults),
            off_topic=self.rule(raw["off_topic"], "decision.off_topic")
            if "off_topic" in raw
            else None,
            off_topic_min_tokens=self.integer(
                raw.get("off_topic_min_tokens", 3), "decision.off_topic_min_tokens", 1
            ),
            thanks=self.gate(raw, "thanks"),
            greeting=self.gate(raw, "greeting"),
        )

    def gate(self, raw: Mapping[str, Any], name: str) -> _Gate | None:
        body = raw.get(name)
        if body is None:
            return None
        key = f"decision.{name}"
        if not isinstance(body, dict):
            raise self.fail(key, "expected {when, max_score}")
        self.only(body, "when max_score", key)
        return _Gate(
            self.rule(body.get("when"), f"{key}.when"),
            self.number(body.get("max_score"), f"{key}.max_score"),
        )

    def lexicon(self, fuzzy: _Fuzzy, known: frozenset[str]) -> _Lexicon:
        surface: dict[str, str] = {}
        for phrase in self.surface_phrases:
            for tok in tokenise(phrase, self.lang):
                if tok.text.isalpha():
                    surface.setdefault(tok.text, self.lang.stem(tok.text))
        by_first: dict[str, list[str]] = {}
        for word in surface:
            if len(word) >= fuzzy.swap_min_length:
                by_first.setdefault(word[0], []).append(word)
        stems = frozenset(w for words in self.terms for w in words if not w.startswith("="))
        return _Lexicon(self.lang, fuzzy, surface, stems, known, by_first)

    def index(self) -> _TermIndex:
        index = _TermIndex({}, {})
        for words, concepts in self.terms.items():
            ids = tuple(sorted(concepts))
            if len(words) == 1:
                index.single[words[0]] = ids
            else:
                by_second = index.multi.setdefault(words[0], {})
                by_second.setdefault(words[1], []).append(_Term(words, ids))
        return index
