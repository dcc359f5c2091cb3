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
class Postposed:
    """A negation that follows what it denies ("температуры нет", "Fieber habe ich nicht"). It
    counts only where it ends its clause: "грудь не отпускает" or "der Krampf geht nicht weg"
    deny nothing before them."""

    phrases: tuple[tuple[str, ...], ...]  # "нет", "не было", "nicht"
    window: int  # how many words back it reaches
    # Words that may stand between the negation and the clause's end ("нет вообще").
    trailing: frozenset[str]
    # Words after which the rest of the clause is another statement ("нет И голова болит").
    joins: frozenset[str]
    # When set, it reaches past the word just before it only across one of these: "Fieber
    # HABE ich nicht" denies the fever, "der Krampf löst sich nicht" does not deny the cramp.
    reach_past: frozenset[str]
    # Little words passed over when finding "the word just before" ("Fieber AUCH nicht").
    particles: frozenset[str]
    # Within its reach, these (surface forms or stems) cancel it: "сил нет" (exhausted) and
    # "atmen kann ich nicht" are signs, not denials. Before a negation word they also stop
    # it from reaching forward ("Kraft habe ich keine im Arm").
    not_after: frozenset[str]
    # The first words of vocabulary terms that end in one of the phrases ("hilft nicht"):
    # they cancel it within its reach, but only there.
    term_heads: frozenset[str] = frozenset()


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
    after: Postposed | None = None
    # Concepts whose terms may open with a negation word and state a sign ("NOT sweating",
    # "DOESN'T fade"): there the word denies nothing after the term ("not sweating and
    # talking nonsense" is confused too).
    sign_concepts: frozenset[int] = frozenset()
    # "no other symptoms LIKE chest pain": within the window, these phrases carry it on past
    # the examples that follow (not "like" alone: "not been like 15 min" denies nothing).
    carried_by: tuple[tuple[str, ...], ...] = ()


# How many words before a negation word ``not_preceded_by`` looks ("cant even get round the
# shops without", "never go a night without").
PRECEDED_WINDOW = 8


def negated_positions(
    tokens: Sequence[Token],
    neg: Negation,
    window: int | None = None,
    signs: frozenset[int] = frozenset(),
) -> frozenset[int]:
    """Tokens preceded, within the window and the same clause, by no/not/without…, and
    tokens a postposed negation denies. A negation word at one of ``signs`` (it opens a sign
    term, see ``Negation.sign_concepts``) denies nothing."""
    window = neg.window if window is None else window
    negated: set[int] = set() if neg.after is None else _denied_before(tokens, neg, neg.after)
    for i, token in enumerate(tokens):
        if i in signs or not _negates(tokens, i, neg):
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
            elif _ends_phrase(tokens, j, neg.carried_by, token.clause):
                limit = j + 1 + window
            j += 1
    return frozenset(negated)


def _ends_phrase(
    tokens: Sequence[Token], at: int, phrases: Sequence[tuple[str, ...]], clause: int
) -> bool:
    for phrase in phrases:
        start = at + 1 - len(phrase)
        if start >= 0 and all(
            tokens[start + k].clause == clause and tokens[start + k].keys[1][1:] == word
            for k, word in enumerate(phrase)
        ):
            return True
    return False


def hidden_from_encoder(
    tokens: Sequence[Token],
    neg: Negation,
    signs: frozenset[int] = frozenset(),
    normal: frozenset[int] | None = None,
) -> frozenset[int]:
    """What the encoder must not read: each negation to the end of its clause ("no
    swelling in my face or throat"), the negation words, and clauses that say a sign is
    normal ("urine is clear", "a normal colour"). Wider than the rules' window on purpose:
    a masked word can only lower a resemblance the rules did not confirm anyway. ``normal``:
    ``said_normal``'s answer, when the caller has it already."""
    if normal is None:
        normal = said_normal(tokens, neg)
    hidden = set(negated_positions(tokens, neg, HIDE_WINDOW, signs)) | normal
    for i in range(len(tokens)):
        # A cancelled negation word stays: hiding the "não" of "não consigo respirar" (a
        # sign the rules read as present) would tell the encoder "I can breathe".
        if i not in signs and _negates(tokens, i, neg):
            hidden.add(i)
    return frozenset(hidden)


def sign_openers(
    tokens: Sequence[Token], neg: Negation, found: Mapping[int, list[Span]]
) -> frozenset[int]:
    """Negation words that open a term of one of ``neg.sign_concepts`` ("NOT sweating")."""
    return frozenset(
        span[0]
        for concept in neg.sign_concepts
        for span in found.get(concept, ())
        if tokens[span[0]].keys[1][1:] in neg.words
    )


def said_normal(tokens: Sequence[Token], neg: Negation) -> frozenset[int]:
    """Words a denial word says are normal: what comes before it in its clause ("my
    breathing is FINE"), not what follows ("I was fine until my face dropped")."""
    last_denial: dict[int, int] = {}
    for i, token in enumerate(tokens):
        if token.keys[1][1:] in neg.denial_words:
            last_denial[token.clause] = i
    return frozenset(i for i, token in enumerate(tokens) if i <= last_denial.get(token.clause, -1))


def _denied_before(tokens: Sequence[Token], neg: Negation, after: Postposed) -> set[int]:
    """Tokens a postposed negation reaches back to, in its clause."""
    words = [t.keys[1][1:] for t in tokens]
    firsts = {phrase[0] for phrase in after.phrases}
    denied: set[int] = set()
    for at, word in enumerate(words):
        if word not in firsts:
            continue
        for phrase in after.phrases:
            size = len(phrase)
            if tuple(words[at : at + size]) != phrase or not _ends_clause(tokens, at, size, after):
                continue
            reached = _reach_back(tokens, at, neg, after)
            if reached and not _cancelled(tokens, reached, neg, after):
                denied.update(reached)
    return denied


def _ends_clause(tokens: Sequence[Token], at: int, size: int, after: Postposed) -> bool:
    """The phrase at ``at`` is in one clause, and only trailing words follow it there, up to
    the clause's end or a joining word."""
    clause = tokens[at].clause
    if tokens[at + size - 1].clause != clause:
        return False
    for token in tokens[at + size :]:
        word = token.keys[1][1:]
        if token.clause != clause or word in after.joins:
            return True
        if word not in after.trailing:
            return False
    return True


def _reach_back(tokens: Sequence[Token], at: int, neg: Negation, after: Postposed) -> list[int]:
    """Positions before ``at`` in its clause, nearest first, within the window ("or"
    carries it on: "отека или покраснения нет"), and past the word just before it (particles
    aside) only across a reach_past word when the language lists some."""
    clause = tokens[at].clause
    limit = at - after.window
    bridged = not after.reach_past
    passed_a_word = False
    reached: list[int] = []
    j = at - 1
    while j >= 0 and tokens[j].clause == clause:
        word = tokens[j].keys[1][1:]
        extends = word in neg.extend_with
        if j < limit and not extends:
            break
        bridged = bridged or any(k in after.reach_past for k in _stem_and_word(tokens[j]))
        if passed_a_word and not bridged:
            break
        passed_a_word = passed_a_word or word not in after.particles
        reached.append(j)
        if extends:
            limit = min(limit, j - 2)
        j -= 1
    return reached


def _cancelled(
    tokens: Sequence[Token], reached: Sequence[int], neg: Negation, after: Postposed
) -> bool:
    """A sign, not a denial ("сил нет": exhausted), a question ("тромб или нет?"), or never
    like this before ("такой боли раньше не было": the undone_by phrases)."""
    if tokens[reached[0]].keys[1][1:] in neg.extend_with:
        return True
    for j in reached:
        for key in _stem_and_word(tokens[j]):
            if key in after.not_after or key in after.term_heads:
                return True
    return _holds_a_phrase([tokens[j].keys[1][1:] for j in sorted(reached)], neg.undone_by)


def _stem_and_word(token: Token) -> tuple[str, str]:
    return token.keys[0], token.keys[1][1:]


def _negates(tokens: Sequence[Token], at: int, neg: Negation) -> bool:
    """The token at ``at`` is a negation word that negates what follows it here."""
    if tokens[at].keys[1][1:] not in neg.words:
        return False
    following = tokens[at + 1] if at + 1 < len(tokens) else None
    if following is not None and following.keys[1][1:] in neg.not_followed_by:
        return False
    if _double_negative(tokens, at, neg):
        return False
    if neg.after is not None and _ends_a_sign(tokens, at, neg.after):
        return False
    return not _negation_undone(tokens, at, neg)


def _double_negative(tokens: Sequence[Token], at: int, neg: Negation) -> bool:
    clause = tokens[at].clause
    before = tokens[max(0, at - PRECEDED_WINDOW) : at]
    return any(t.clause == clause and t.keys[1][1:] in neg.not_preceded_by for t in before)


def _ends_a_sign(tokens: Sequence[Token], at: int, after: Postposed) -> bool:
    """The negation word closes a sign ("Kraft habe ich keine im Arm", "сил нет грудь
    давит"): it denies nothing after it either."""
    clause = tokens[at].clause
    for j in range(at - 1, max(-1, at - 1 - after.window), -1):
        if tokens[j].clause != clause:
            return False
        if any(key in after.not_after for key in _stem_and_word(tokens[j])):
            return True
    return False


def _negation_undone(tokens: Sequence[Token], at: int, neg: Negation) -> bool:
    """A phrase later in the same clause turns "never had X" into "have X now". A phrase
    that opens with a negation word ("never before") is sought only after that word."""
    clause = tokens[at].clause
    word = tokens[at].keys[1][1:]
    words = []
    for token in tokens[at + 1 :]:
        if token.clause != clause:
            break
        words.append(token.keys[1][1:])
    phrases = [
        phrase[1:] if phrase[0] in neg.words else phrase
        for phrase in neg.undone_by
        if phrase[0] not in neg.words or (phrase[0] == word and len(phrase) > 1)
    ]
    return _holds_a_phrase(words, phrases)


def _holds_a_phrase(words: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    """One of ``phrases`` stands in ``words``, word for word."""
    return any(
        tuple(words[k : k + len(phrase)]) == phrase
        for phrase in phrases
        if phrase[0] in words
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
