"""The rules of matching.yaml once compiled: a small expression language for red flags and
intents, and the data types the engine in :mod:`matching` runs on. The YAML is read and
validated into these by ``tgbot/content/matching_rules.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Span = tuple[int, int, int]  # first token, last token, clause of the first token


# --------------------------------------------------------------------------------------------
# Rule expressions: a tiny language so clinicians can write rules without Python.
#   expr := and ('|' and)* ;  and := unary ('&' unary)* ;  unary := '!' unary | atom
#   atom := concept | '(' expr ')' | near(expr, expr, N) | near_clause(expr, expr, N)
# Every node evaluates to the spans where it holds (empty = false), so near() can nest.
# --------------------------------------------------------------------------------------------

Occurrences = Mapping[int, list[Span]]
# In semantic_ruled_out rules, "denied_<concept>" holds where the message denies that concept
# ("not confused"); its id is the concept's plus this offset.
DENIED_PREFIX = "denied_"
DENIED_OFFSET = 1 << 20
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
        return any_of(parts)

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


def any_of(parts: Sequence[Node]) -> Node:
    """Holds where any part holds (its spans are all of theirs)."""
    if len(parts) == 1:
        return parts[0]

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


def parse_rule(text: str, concepts: Mapping[str, int]) -> Node:
    """A rule's text compiled to a node; ValueError says what is wrong with it."""
    return _RuleParser(text, concepts).parse()


# --------------------------------------------------------------------------------------------
# Compiled content
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]  # token keys: a stem, or "=" + exact surface form
    concepts: tuple[int, ...]


@dataclass(frozen=True)
class TermIndex:
    single: dict[str, tuple[int, ...]]  # one-word terms: word key -> concepts
    multi: dict[str, dict[str, list[Term]]]  # phrases by first, then second word key


@dataclass(frozen=True, slots=True)
class Quantity:
    low: float
    high: float
    units: frozenset[str]  # stems
    prefix: frozenset[str]  # if set, one of these stems must come just before the number
    concept: int
    # The prefix is needed even where the number opens the message ("8 year old's knee" is
    # an age, never "for 8 years").
    prefix_at_start: bool = False


@dataclass(frozen=True)
class RedFlagRule:
    rule: str
    level: str
    screen: str
    when: Node
    unless: Node | None


@dataclass(frozen=True)
class Intent:
    rule: str
    screen: str
    level: str | None
    when: Node | None
    bonus: float
    terms: tuple[tuple[int, float], ...]  # concept id, weight


@dataclass(frozen=True)
class Gate:
    when: Node
    max_score: float


@dataclass(frozen=True)
class Decision:
    min_score: float
    sure_score: float
    margin: float
    max_suggestions: int
    default_suggestions: tuple[str, ...]
    off_topic: Node | None
    off_topic_min_tokens: int
    thanks: Gate | None
    greeting: Gate | None
