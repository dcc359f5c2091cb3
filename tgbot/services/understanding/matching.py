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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tgbot.services.understanding.clock import ClockSpan, elapsed_now
from tgbot.services.understanding.latin_typing import LatinTyping
from tgbot.services.understanding.lexicon import Lexicon, Token
from tgbot.services.understanding.negation import (
    Negation,
    hidden_from_encoder,
    negated_positions,
    said_normal,
    sign_openers,
    without_negated,
)
from tgbot.services.understanding.rules import (
    DENIED_OFFSET,
    Decision,
    Intent,
    Node,
    Occurrences,
    Quantity,
    RedFlagRule,
    Span,
    Term,
    TermIndex,
)
from tgbot.services.understanding.text_normalise import RawToken, tokenise

# Work caps for very long messages: exact lookups cover every token, typo correction and
# glued-word splitting only the first ones (the cost is in rapidfuzz, cached per word anyway).
MAX_CHARS = 8192
FUZZY_TOKEN_CAP = 300
RED_FLAG_SCORE = 1.0
# Pieces of a message given to the sentence encoder: a sentence longer than SEGMENT_WINDOW
# words is read in half-overlapping windows; at most MAX_SEGMENTS pieces (bounded latency).
SEGMENT_WINDOW = 16
SEGMENT_WORDS_CAP = 120
MAX_SEGMENTS = 12


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
    # Red-flag screens the message itself rules out ("it went after a minute" is not a cramp
    # that will not stop): the semantic tier may not raise to them (semantic_ruled_out).
    ruled_out: frozenset[str] = frozenset()


class Matcher:
    """Built once from matching.yaml by ``tgbot.content.matching_rules.load_matcher``;
    ``match`` is pure and fast."""

    def __init__(
        self,
        *,
        lexicon: Lexicon,
        index: TermIndex,
        quantities: Sequence[Quantity],
        clock_spans: Sequence[ClockSpan] = (),
        exceptions: Mapping[int, int],
        negation: Negation,
        max_gap: int,
        red_flags: Sequence[RedFlagRule],
        intents: Sequence[Intent],
        decision: Decision,
        concept_names: Mapping[str, int],
        defined_concepts: Collection[str],
        semantic_ruled_out: Mapping[str, Node] | None = None,
        latin_typing: LatinTyping | None = None,
    ) -> None:
        self._lexicon = lexicon
        self._concept_names = {i: name for name, i in concept_names.items()}
        # The concepts matching.yaml names (concept_names also holds the loader's own ids).
        self.defined_concepts = frozenset(defined_concepts)
        self._single = index.single
        self._multi = index.multi
        self._quantities = tuple(quantities)
        self._clock_spans = tuple(clock_spans)
        self._exceptions = dict(exceptions)  # concept id -> id of its "except" pseudo-concept
        self._negation = negation
        self._max_gap = max_gap
        self._red_flags = tuple(red_flags)
        self._intents = tuple(intents)
        self._decision = decision
        self._ruled_out = dict(semantic_ruled_out or {})
        # How this language is spelled in Latin letters (None: it is written in them)
        self.latin_typing = latin_typing

    # -- public ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Reads now what the first typo would otherwise read (the language's word list)."""
        self._lexicon.fuzzy.real_words.load()

    def match(self, text: str) -> MatchResult:
        tokens = self._tokens(text[:MAX_CHARS])
        occ = self._occurrences(tokens)
        return self._result(occ, len(tokens))

    def analyse(self, text: str) -> Analysis:
        """``match`` plus what it ignored as negated, and the message cut into pieces for the
        sentence encoder with the negated phrases masked out ("no chest pain, just a cramp"
        becomes "just a cramp"): embeddings do not see negation, the rules do."""
        tokens = self._tokens(text[:MAX_CHARS])
        found = self._found(tokens)
        signs, negated_at = self._negated(tokens, found)
        occ = without_negated(found, negated_at)
        negated = frozenset(self._concept_names[c] for c in found if c not in occ)
        known = frozenset(
            i
            for i, t in enumerate(tokens)
            if any(k in self._single or k in self._multi for k in t.keys)
        )
        normal = said_normal(tokens, self._negation)
        hidden = hidden_from_encoder(tokens, self._negation, signs, normal)
        segments = _segments(tokens, hidden, known)
        unmasked = _segments(tokens, frozenset(), known)
        answer = self._decide(occ, len(tokens))
        flag = self._red_flag(occ)
        concepts = frozenset(self._concept_names[c] for c in occ)
        ruled_out = self._ruled_out_by(found, occ, negated_at | normal)
        return Analysis(flag or answer, answer, negated, concepts, segments, unmasked, ruled_out)

    def _ruled_out_by(
        self, found: Occurrences, occ: Occurrences, denied_at: frozenset[int]
    ) -> frozenset[str]:
        """The screens whose semantic_ruled_out rule holds, read with what the message
        denies ("not confused", "my wee is a normal colour") as ``denied_<concept>``."""
        if not self._ruled_out:
            return frozenset()
        read = dict(occ)
        for concept, spans in found.items():
            denied = [span for span in spans if span[0] in denied_at]
            if denied:
                read[DENIED_OFFSET + concept] = denied
        return frozenset(screen for screen, rule in self._ruled_out.items() if rule(read))

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

    def _tokens(self, text: str) -> list[Token]:
        raw = tokenise(text, self._lexicon.rules)
        tokens: list[Token] = []
        for index, tok in enumerate(raw):
            tokens.extend(self._resolve(tok, allow_fuzzy=index < FUZZY_TOKEN_CAP))
        return tokens

    def _resolve(self, tok: RawToken, *, allow_fuzzy: bool) -> Iterable[Token]:
        for keys in self._lexicon.resolve(tok.text, allow_fuzzy):
            yield Token(keys, tok.clause, tok.number, tok.sentence)

    def _occurrences(self, tokens: Sequence[Token]) -> dict[int, list[Span]]:
        found = self._found(tokens)
        return without_negated(found, self._negated(tokens, found)[1])

    def _negated(
        self, tokens: Sequence[Token], found: Occurrences
    ) -> tuple[frozenset[int], frozenset[int]]:
        """The negation words that open a sign term, and the positions the others deny."""
        signs = sign_openers(tokens, self._negation, found)
        return signs, negated_positions(tokens, self._negation, signs=signs)

    def _found(self, tokens: Sequence[Token]) -> dict[int, list[Span]]:
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
        for clock in self._clock_spans:
            elapsed = elapsed_now(tokens, clock)
            if elapsed is not None and clock.low <= elapsed[0] <= clock.high:
                _, first, last = elapsed
                found.setdefault(clock.concept, []).append((first, last, tokens[first].clause))
        self._apply_exceptions(found)
        return found

    def _match_phrases(
        self,
        tokens: Sequence[Token],
        start: int,
        by_second: Mapping[str, Sequence[Term]],
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

    def _match_term(self, tokens: Sequence[Token], start: int, words: tuple[str, ...]) -> int:
        """Index of the term's last token, or -1; up to ``max_gap`` filler words between, never
        a negation word ("light DOESN'T bother me", "серце НЕ болить" are no sign). A term that
        opens with a negation word stays in its clause, as a negation does ("not sick, not
        confused, peeing" holds no "not peeing"; "black, tarry poo" is black poo)."""
        pos = start
        one_clause = words[0].lstrip("=") in self._negation.words
        for word in words[1:]:
            limit = min(len(tokens), pos + 2 + self._max_gap)
            for nxt in range(pos + 1, limit):
                if one_clause and tokens[nxt].clause != tokens[start].clause:
                    return -1
                if tokens[nxt].sentence != tokens[start].sentence:
                    return -1  # "…heiß. Wasser geben?" is no "heißes Wasser"
                if word in tokens[nxt].keys:
                    pos = nxt
                    break
                if tokens[nxt].keys[1][1:] in self._negation.words:
                    return -1
            else:
                return -1
        return pos

    def _match_quantities(
        self, tokens: Sequence[Token], start: int, found: dict[int, list[Span]]
    ) -> None:
        value = tokens[start].number
        assert value is not None
        before = {k for t in tokens[max(0, start - 2) : start] for k in t.keys}
        for quantity in self._quantities:
            if not quantity.low <= value <= quantity.high:
                continue
            # A number opening the message, with its unit after it, needs no word before it
            # ("55 and my back...", "30 weeks, ..."): people start with their age or week.
            opens = start == 0 and bool(quantity.units) and not quantity.prefix_at_start
            if quantity.prefix and not opens and not quantity.prefix & before:
                continue
            if not quantity.units:  # "outside it's +37": the prefix alone says what it counts
                found.setdefault(quantity.concept, []).append((start, start, tokens[start].clause))
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

    def _red_flag(self, occ: Occurrences) -> MatchResult | None:
        for flag in self._red_flags:  # sorted: every emergency rule before any urgent one
            if flag.when(occ) and not (flag.unless and flag.unless(occ)):
                return MatchResult(
                    MatchKind.RED_FLAG, flag.screen, flag.level, (), RED_FLAG_SCORE, flag.rule
                )
        return None

    def _scores(self, occ: Occurrences) -> list[tuple[float, int, Intent]]:
        scored: list[tuple[float, int, Intent]] = []
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
            # A see-a-doctor answer whose condition holds beats a better-scored self-care one.
            for score, _, intent in scored:
                if intent.level is not None and intent.when is not None and score >= d.min_score:
                    return MatchResult(
                        MatchKind.ANSWER, intent.screen, intent.level, (), score, intent.rule
                    )
            runner_up = next((s for s, _, i in scored[1:] if i.screen != top.screen), 0.0)
            if best >= d.sure_score or best - runner_up >= d.margin:
                return MatchResult(MatchKind.ANSWER, top.screen, top.level, (), best, top.rule)
        if not scored and n_tokens >= d.off_topic_min_tokens:
            return MatchResult(MatchKind.OFF_TOPIC, None, None, (), 0.0, "off_topic")
        return MatchResult(MatchKind.UNSURE, None, None, self._suggest(scored), best, "unsure")

    def _suggest(self, scored: Sequence[tuple[float, int, Intent]]) -> tuple[str, ...]:
        d = self._decision
        picked: list[str] = []
        for screen in [i.screen for _, _, i in scored] + list(d.default_suggestions):
            if screen not in picked:
                picked.append(screen)
            if len(picked) == d.max_suggestions:
                break
        return tuple(picked)


def _segments(
    tokens: Sequence[Token], masked: frozenset[int], known: frozenset[int] = frozenset()
) -> tuple[str, ...]:
    """The whole message, then each sentence (long ones in overlapping windows), as text
    for the encoder: a red flag buried in a ramble or a second question stands alone in one
    of them. Masked tokens are left out. When there are more pieces than MAX_SEGMENTS, those
    with the most ``known`` (vocabulary) words are kept, so the end of a long message counts."""

    def word(i: int) -> str:
        return tokens[i].keys[1][1:]

    sentences: dict[int, list[int]] = {}
    for i, token in enumerate(tokens):
        # A word said over and over (a stuck key, "cramp cramp cramp…") is read twice at
        # most: the encoder places a long run of one word far from anything people write.
        if i not in masked and not (i >= 2 and word(i) == word(i - 1) == word(i - 2)):
            sentences.setdefault(token.sentence, []).append(i)

    def text(positions: Sequence[int]) -> str:
        return " ".join(word(i) for i in positions)

    # A sentence said again adds nothing (a pasted or stuck message): read once.
    distinct: dict[str, list[int]] = {}
    for sentence in sentences.values():
        distinct.setdefault(text(sentence), sentence)
    sentences = dict(enumerate(distinct.values()))
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
