"""What a negation hides: from the rules ("no chest pain" is no chest pain), and, more widely,
from the sentence encoder, which does not see negation at all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tgbot.services.understanding.lexicon import Token
from tgbot.services.understanding.rules import Span

# How far a negation hides words from the encoder ("no swelling in my face or throat"): wider
# than the rules' window, not to the end of the clause ("not working, cant catch my breath").
HIDE_WINDOW = 99


@dataclass(frozen=True)
class Negation:
    words: frozenset[str]
    window: int
    not_followed_by: frozenset[str]
    extend_with: frozenset[str]  # "no swelling or redness or warmth": "or" carries it on
    undone_by: tuple[tuple[str, ...], ...]  # "never had chest pain LIKE THIS": not a negation
    denial_words: frozenset[str]  # "breathing FINE": the clause says a sign is absent
    # "CAN'T walk far without cramping": a denial just before the negation word undoes it.
    not_preceded_by: frozenset[str] = frozenset()


# How many words before a negation word ``not_preceded_by`` looks ("cant even get round the
# shops without", "never go a night without").
PRECEDED_WINDOW = 6


def negated_positions(
    tokens: Sequence[Token], neg: Negation, window: int | None = None
) -> frozenset[int]:
    """Tokens preceded, within the window and the same clause, by no/not/without…"""
    window = neg.window if window is None else window
    negated: set[int] = set()
    for i, token in enumerate(tokens):
        if not _negates(tokens, i, neg):
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


def hidden_from_encoder(tokens: Sequence[Token], neg: Negation) -> frozenset[int]:
    """What the encoder must not read: each negation to the end of its clause ("no
    swelling in my face or throat"), the negation words, and clauses that say a sign is
    normal ("urine is clear", "a normal colour"). Wider than the rules' window on purpose:
    a masked word can only lower a resemblance the rules did not confirm anyway."""
    hidden = set(negated_positions(tokens, neg, window=HIDE_WINDOW))
    # A denial word says what comes before it in its clause is normal ("my breathing is
    # fine"), not what follows ("I was fine until my face dropped").
    last_denial: dict[int, int] = {}
    for i, token in enumerate(tokens):
        if token.keys[1][1:] in neg.denial_words:
            last_denial[token.clause] = i
    for i, token in enumerate(tokens):
        # A cancelled negation word stays: hiding the "não" of "não consigo respirar" (a
        # sign the rules read as present) would tell the encoder "I can breathe".
        if _negates(tokens, i, neg) or i <= last_denial.get(token.clause, -1):
            hidden.add(i)
    return frozenset(hidden)


def _negates(tokens: Sequence[Token], at: int, neg: Negation) -> bool:
    """The token at ``at`` is a negation word that negates what follows it here."""
    if tokens[at].keys[1][1:] not in neg.words:
        return False
    following = tokens[at + 1] if at + 1 < len(tokens) else None
    if following is not None and following.keys[1][1:] in neg.not_followed_by:
        return False
    if _double_negative(tokens, at, neg):
        return False
    return not _negation_undone(tokens, at, neg)


def _double_negative(tokens: Sequence[Token], at: int, neg: Negation) -> bool:
    clause = tokens[at].clause
    before = tokens[max(0, at - PRECEDED_WINDOW) : at]
    return any(t.clause == clause and t.keys[1][1:] in neg.not_preceded_by for t in before)


def _negation_undone(tokens: Sequence[Token], at: int, neg: Negation) -> bool:
    """A phrase later in the same clause turns "never had X" into "have X now"."""
    clause = tokens[at].clause
    words = []
    for token in tokens[at + 1 :]:
        if token.clause != clause:
            break
        words.append(token.keys[1][1:])
    return any(
        tuple(words[k : k + len(phrase)]) == phrase
        for phrase in neg.undone_by
        for k in range(len(words) - len(phrase) + 1)
    )


def without_negated(
    found: Mapping[int, list[Span]], negated: frozenset[int]
) -> dict[int, list[Span]]:
    """Concept occurrences with those starting on a negated token left out."""
    if not negated:
        return {c: spans for c, spans in found.items() if spans}
    kept = ((c, [s for s in spans if s[0] not in negated]) for c, spans in found.items())
    return {c: spans for c, spans in kept if spans}
