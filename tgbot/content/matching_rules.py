"""matching.yaml read, validated and compiled into a :class:`Matcher`.

The file's header explains the format. A mistake stops start-up with a message naming the
file and the key (``red_flags[3].when: bad rule: unknown concept 'chst'``); every index the
engine needs is built here, once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tgbot.content.checks import FieldChecks, read_yaml
from tgbot.content.stemmers import stemmer
from tgbot.services.understanding.clock import ClockSpan, SaidTime
from tgbot.services.understanding.latin_typing import LatinTyping
from tgbot.services.understanding.lexicon import Fuzzy, Lexicon
from tgbot.services.understanding.matching import Matcher
from tgbot.services.understanding.negation import Negation, Postposed
from tgbot.services.understanding.real_words import RealWords, available
from tgbot.services.understanding.rules import (
    DENIED_OFFSET,
    DENIED_PREFIX,
    Decision,
    Gate,
    Intent,
    Node,
    Quantity,
    RedFlagRule,
    Term,
    TermIndex,
    any_of,
    parse_rule,
)
from tgbot.services.understanding.text_normalise import (
    NO_FOLDING,
    Folding,
    LanguageRules,
    phrase_words,
    tokenise,
)

LEVELS = ("emergency", "urgent")
TOP_KEYS = (
    "language fuzzy phrase_max_gap negation known_words concepts red_flags intents decision "
    "semantic_ruled_out latin_typing"
)
DECISION_KEYS = (
    "min_score sure_score margin max_suggestions default_suggestions off_topic "
    "off_topic_min_tokens thanks greeting"
)
INTENT_LEVELS = ("see_doctor",)


def load_matcher(
    path: Path, screen_ids: Collection[str], required_concepts: Collection[str] = ()
) -> Matcher:
    """Read and validate matching.yaml; build every index once. ``required_concepts``: the
    concepts the code reads from a message, which the file must define."""
    return _Builder(path, screen_ids, required_concepts).build(read_yaml(path))


class _Builder(FieldChecks):
    def __init__(
        self, path: Path, screen_ids: Collection[str], required_concepts: Collection[str]
    ) -> None:
        super().__init__(path)
        self.screen_ids = frozenset(screen_ids)
        self.required_concepts = frozenset(required_concepts)
        self.concept_ids: dict[str, int] = {}
        self.terms: dict[tuple[str, ...], set[int]] = {}
        self.quantities: list[Quantity] = []
        self.clock_spans: list[ClockSpan] = []
        self.exceptions: dict[int, int] = {}
        self.surface_phrases: list[str] = []  # vocabulary as written, for typo correction
        self.words_of: dict[str, tuple[str, ...]] = {}  # phrase -> its stems
        self.stems: dict[str, str] = {}  # word -> its stem (terms share most of their words)
        self.rules: LanguageRules | None = None
        self.real_words_settings: tuple[str, float, float] | None = None  # fuzzy.real_words

    # -- helpers ----------------------------------------------------------------------------

    @property
    def lang(self) -> LanguageRules:
        assert self.rules is not None, "the language section is read first"
        return self.rules

    def screen(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or value not in self.screen_ids:
            raise self.fail(key, f"unknown screen '{value}'")
        return value

    def rule(self, text: Any, key: str, names: Mapping[str, int] | None = None) -> Node:
        """``names``: the names the rule may use (default: the concepts)."""
        if not isinstance(text, str):
            raise self.fail(key, "expected a rule (text)")
        try:
            return parse_rule(text, self.concept_ids if names is None else names)
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
        concepts = self.section(data, "concepts", dict)
        self.concepts(concepts)
        intents = self.intents(self.section(data, "intents", dict))
        if negation.after is not None:
            negation = replace(negation, after=self.signs_kept(negation.after))
        negation = replace(negation, sign_concepts=self.sign_concepts(data["negation"]))
        red_flags = self.red_flags(self.section(data, "red_flags", list))
        decision = self.decision(self.section(data, "decision", dict))
        ruled_out = self.ruled_out(data.get("semantic_ruled_out", {}))
        known = frozenset(self.folded(data.get("known_words", []), "known_words"))
        latin_typing = self.latin_typing(data.get("latin_typing"))
        return Matcher(
            lexicon=self.lexicon(fuzzy, known),
            index=self.index(),
            quantities=self.quantities,
            clock_spans=self.clock_spans,
            exceptions=self.exceptions,
            negation=negation,
            max_gap=max_gap,
            red_flags=red_flags,
            intents=intents,
            decision=decision,
            concept_names=self.concept_ids,
            defined_concepts=frozenset(concepts),
            semantic_ruled_out=ruled_out,
            latin_typing=latin_typing,
        )

    def language(self, raw: Mapping[str, Any]) -> LanguageRules:
        self.only(
            raw,
            "suffixes min_stem keep_endings double_suffixes keep_double clause_words "
            "replacements lemmas stemmer fold",
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
            reduce=self.stemmer(raw.get("stemmer")),
            folding=self.folding(raw.get("fold")),
        )

    def stemmer(self, name: Any) -> Callable[[str], str] | None:
        if name is None:
            return None
        try:
            return stemmer(str(name))
        except ValueError as exc:
            raise self.fail("language.stemmer", str(exc)) from None

    def folded(self, value: Any, key: str) -> list[str]:
        """Words compared with a message's words as typed: folded as the message will be."""
        return [self.lang.fold(w) for w in self.words(value, key)]

    def folding(self, raw: Any) -> Folding:
        if raw is None:
            return NO_FOLDING
        if not isinstance(raw, dict):
            raise self.fail("language.fold", "expected {letters, strip_marks, keep}")
        self.only(raw, "letters strip_marks keep", "language.fold")
        letters = raw.get("letters", {})
        if not isinstance(letters, dict) or not all(
            isinstance(k, str) and len(k) == 1 and isinstance(v, str) for k, v in letters.items()
        ):
            raise self.fail("language.fold.letters", "expected a mapping of letter: text")
        keep = self.words(raw.get("keep", []), "language.fold.keep")
        if any(len(letter) != 1 for letter in keep):
            raise self.fail("language.fold.keep", "expected single letters")
        strip = raw.get("strip_marks", False)
        if not isinstance(strip, bool):
            raise self.fail("language.fold.strip_marks", "expected true or false")
        return Folding(letters, strip_marks=strip, keep=keep)

    def fuzzy(self, raw: Mapping[str, Any]) -> Fuzzy:
        self.only(
            raw,
            "min_length swap_min_length max_edits same_first_letter split_words real_words",
            "fuzzy",
        )
        self.real_words_settings = self.real_words(raw.get("real_words"))
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
        return Fuzzy(
            min_length=self.integer(raw.get("min_length", 6), "fuzzy.min_length", 1),
            swap_min_length=self.integer(raw.get("swap_min_length", 4), "fuzzy.swap_min_length", 1),
            max_edits=tuple(pairs),
            same_first_letter=bool(raw.get("same_first_letter", True)),
            split_words=frozenset(self.folded(raw.get("split_words", []), "fuzzy.split_words")),
        )

    def real_words(self, raw: Any) -> tuple[str, float, float] | None:
        """fuzzy.real_words: {list: <wordfreq language>, min_zipf, rarer_by}."""
        if raw is None:
            return None
        key = "fuzzy.real_words"
        if not isinstance(raw, dict):
            raise self.fail(key, "expected {list, min_zipf, rarer_by}")
        self.only(raw, "list min_zipf rarer_by", key)
        language = raw.get("list")
        if not isinstance(language, str) or not available(language):
            raise self.fail(f"{key}.list", f"wordfreq has no word list '{language}'")
        return (
            language,
            self.number(raw.get("min_zipf", 3.0), f"{key}.min_zipf"),
            self.number(raw.get("rarer_by", 1.5), f"{key}.rarer_by"),
        )

    def negation(self, raw: Mapping[str, Any]) -> Negation:
        self.only(
            raw,
            "words window extend_with undone_by not_followed_by not_preceded_by denial_words after "
            "sign_concepts carried_by",
            "negation",
        )
        return Negation(
            words=frozenset(self.folded(raw.get("words", []), "negation.words")),
            window=self.integer(raw.get("window", 3), "negation.window"),
            not_followed_by=frozenset(
                self.folded(raw.get("not_followed_by", []), "negation.not_followed_by")
            ),
            extend_with=frozenset(self.folded(raw.get("extend_with", []), "negation.extend_with")),
            undone_by=tuple(
                tuple(phrase_words(p, self.lang))
                for p in self.words(raw.get("undone_by", []), "negation.undone_by")
            ),
            denial_words=frozenset(
                self.folded(raw.get("denial_words", []), "negation.denial_words")
            ),
            not_preceded_by=frozenset(
                self.folded(raw.get("not_preceded_by", []), "negation.not_preceded_by")
            ),
            after=self.postposed(raw["after"]) if "after" in raw else None,
            carried_by=tuple(
                tuple(phrase_words(p, self.lang))
                for p in self.words(raw.get("carried_by", []), "negation.carried_by")
            ),
        )

    def sign_concepts(self, raw: Mapping[str, Any]) -> frozenset[int]:
        key = "negation.sign_concepts"
        names = self.words(raw.get("sign_concepts", []), key)
        unknown = [name for name in names if name not in self.concept_ids]
        if unknown:
            raise self.fail(key, f"unknown concept '{unknown[0]}'")
        return frozenset(self.concept_ids[name] for name in names)

    def postposed(self, raw: Any) -> Postposed:
        key = "negation.after"
        if not isinstance(raw, dict):
            raise self.fail(key, "expected a mapping with phrases (and window, trailing…)")
        self.only(raw, "phrases window trailing joins reach_past particles not_after", key)
        phrases = tuple(
            tuple(phrase_words(p, self.lang))
            for p in self.words(raw.get("phrases"), f"{key}.phrases")
        )
        if not all(phrases):
            raise self.fail(f"{key}.phrases", "a phrase has no words")

        def words_and_stems(name: str) -> frozenset[str]:
            words = self.folded(raw.get(name, []), f"{key}.{name}")
            return frozenset(words) | {self.lang.stem(w) for w in words}

        return Postposed(
            phrases=phrases,
            window=self.integer(raw.get("window", 3), f"{key}.window", 1),
            trailing=frozenset(self.folded(raw.get("trailing", []), f"{key}.trailing")),
            joins=frozenset(self.folded(raw.get("joins", []), f"{key}.joins")),
            reach_past=words_and_stems("reach_past"),
            particles=frozenset(self.folded(raw.get("particles", []), f"{key}.particles")),
            not_after=words_and_stems("not_after"),
        )

    def signs_kept(self, after: Postposed) -> Postposed:
        """A term that ends in a postposed negation ("сил нет", "hilft nicht") is a sign: its
        first word cancels that negation in its reach. Not the phrases a concept is read
        "except" in ("schwillt nicht"): those are denials."""
        heads: set[str] = set()
        blockers = set(self.exceptions.values())
        for words, concepts in self.terms.items():
            if concepts <= blockers:
                continue
            for phrase in after.phrases:
                tail = words[len(words) - len(phrase) :]
                if len(words) > len(phrase) and all(
                    t in ("=" + p, self.lang.stem(p)) for t, p in zip(tail, phrase, strict=True)
                ):
                    heads.add(words[0].lstrip("="))
        return replace(after, term_heads=frozenset(heads))

    def concepts(self, raw: Mapping[str, Any]) -> None:
        for name in raw:
            if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise self.fail(f"concepts.{name}", "name must be a-z, 0-9, _")
            self.concept_ids[name] = len(self.concept_ids)
        missing = sorted(self.required_concepts - raw.keys())
        if missing:
            raise self.fail(
                f"concepts.{missing[0]}",
                "missing; the code reads this concept (tgbot/content/contracts.py)",
            )
        for name, body in raw.items():
            terms, excepts = self.concept_body(body, f"concepts.{name}")
            concept = self.concept_ids[name]
            for index, term in enumerate(self.expand(name, terms, raw, (name,))):
                self.add_term(term, concept, f"concepts.{name}[{index}]")
            if excepts:
                blocker = self.pseudo_concept(f"{name}!except")
                self.exceptions[concept] = blocker
                # "@other" in an exception list stands for that concept's terms, as in terms.
                for index, phrase in enumerate(self.expand(name, excepts, raw, (name,))):
                    self.add_term(phrase, blocker, f"concepts.{name}.except[{index}]")

    def concept_body(self, body: Any, key: str) -> tuple[list[Any], list[Any]]:
        if isinstance(body, list):
            return body, []
        if isinstance(body, dict) and isinstance(body.get("terms"), list):
            self.only(body, "terms except", key)
            excepts = body.get("except", [])
            if not isinstance(excepts, list):
                raise self.fail(f"{key}.except", "expected a list of phrases")
            # A quantity may be an exception too: "маме 72 года" is an age, not a duration.
            quantities = [e for e in excepts if isinstance(e, dict)]
            phrases = [e for e in excepts if not isinstance(e, dict)]
            return body["terms"], [*self.words(phrases, f"{key}.except"), *quantities]
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
            if "clock_minutes" in term:
                self.add_clock_span(term, concept, key)
            else:
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
        # A third of the terms come again through "@concept" includes, and terms share most
        # of their words: read each phrase and each word once.
        cached = self.words_of.get(phrase)
        if cached is not None:
            return cached
        words: list[str] = []
        for piece in phrase.split():
            found = self.words_of.get(piece)
            if found is None:
                exact = piece.startswith("=")
                found = self.words_of[piece] = tuple(
                    "=" + tok.text if exact else self.stem(tok.text)
                    for tok in tokenise(piece.lstrip("="), self.lang)
                )
            words.extend(found)
        self.words_of[phrase] = tuple(words)
        return self.words_of[phrase]

    def stem(self, word: str) -> str:
        stem = self.stems.get(word)
        if stem is None:
            stem = self.stems[word] = self.lang.stem(word)
        return stem

    def add_clock_span(self, term: Mapping[str, Any], concept: int, key: str) -> None:
        fields = (
            "clock_minutes hour_words hour_ends now_words am_words pm_words again_words"
            " hour_names minute_names time_names said_times"
        )
        self.only(term, fields, key)
        bounds = term.get("clock_minutes")
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise self.fail(f"{key}.clock_minutes", "expected [low, high]")
        low = self.number(bounds[0], f"{key}.clock_minutes")
        high = self.number(bounds[1], f"{key}.clock_minutes")
        if not 0 < low <= high < 12 * 60:
            raise self.fail(f"{key}.clock_minutes", "expected 0 < low <= high < 720")

        def words(name: str) -> frozenset[str]:
            return frozenset(self.folded(term.get(name, []), f"{key}.{name}"))

        self.clock_spans.append(
            ClockSpan(
                low,
                high,
                words("hour_words"),
                words("now_words"),
                words("hour_ends"),
                words("am_words"),
                words("pm_words"),
                concept,
                words("again_words"),
                hour_names=self.clock_names(term, "hour_names", key, 0, 24),
                minute_names=self.clock_names(term, "minute_names", key, 1, 59),
                time_names=self.time_names(term, key),
                said_times=self.said_times(term, key),
            )
        )

    def clock_word(self, word: Any, key: str) -> str:
        """A word as the tokeniser will see it in a message (folded, apostrophes gone)."""
        found = phrase_words(str(word), self.lang) if isinstance(word, str) else []
        if len(found) != 1:
            raise self.fail(key, f"expected one word, got {word!r}")
        return found[0]

    def clock_names(
        self, term: Mapping[str, Any], name: str, key: str, low: int, high: int
    ) -> dict[str, int]:
        raw = term.get(name, {})
        if not isinstance(raw, dict):
            raise self.fail(f"{key}.{name}", "expected {word: number}")
        names: dict[str, int] = {}
        for word, value in raw.items():
            where = f"{key}.{name}.{word}"
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise self.fail(where, f"expected a whole number from {low} to {high}")
            names[self.clock_word(word, where)] = value
        return names

    def time_names(self, term: Mapping[str, Any], key: str) -> dict[str, tuple[int, int]]:
        raw = term.get("time_names", {})
        if not isinstance(raw, dict):
            raise self.fail(f"{key}.time_names", 'expected {word: "H:MM"}')
        names: dict[str, tuple[int, int]] = {}
        for word, value in raw.items():
            where = f"{key}.time_names.{word}"
            names[self.clock_word(word, where)] = self.clock_time(str(value), where)
        return names

    def clock_time(self, value: str, where: str) -> tuple[int, int]:
        """ "2:30" -> (2, 30); anything else, or a time past 23:59, is refused."""
        found = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if found is None or int(found[1]) > 23 or int(found[2]) > 59:
            raise self.fail(where, f"expected a time H:MM, got {value!r}")
        return int(found[1]), int(found[2])

    def said_times(self, term: Mapping[str, Any], key: str) -> tuple[SaidTime, ...]:
        """ "half past {h} = {h}:30", "{m} to {h} = {h-1}:{60-m}", "meia noite = 0:00": words,
        then the time."""
        raw = term.get("said_times", [])
        if not isinstance(raw, list):
            raise self.fail(f"{key}.said_times", "expected a list")
        said: list[SaidTime] = []
        for index, entry in enumerate(raw):
            where = f"{key}.said_times[{index}]"
            fixed = re.fullmatch(r"([^{}=]+?)\s*=\s*(\d{1,2}:\d{2})", str(entry).strip())
            if fixed is not None:  # "meia noite = 0:00"
                hour, minute = self.clock_time(fixed[2], where)
                words = tuple(self.clock_word(part, where) for part in fixed[1].split())
                said.append(SaidTime(words, 0, minute, hour=hour))
                continue
            found = re.fullmatch(
                r"(.+?)\s*=\s*\{h(-1)?\}:(\{m\}|\{60-m\}|\d{2})", str(entry).strip()
            )
            if found is None or "{h}" not in found[1].split():
                expected = "'words with {h} = {h}:MM' or 'words = H:MM'"
                raise self.fail(where, f"expected {expected}, got {entry!r}")
            pattern = tuple(
                part if part in ("{h}", "{m}") else self.clock_word(part, where)
                for part in found[1].split()
            )
            minutes = found[3].strip("{}")
            if (minutes in ("m", "60-m")) != ("{m}" in pattern):
                raise self.fail(where, "{m} must be both in the words and in the time")
            said.append(
                SaidTime(pattern, 1 if found[2] else 0, minutes if "m" in minutes else int(minutes))
            )
        return tuple(said)

    def add_quantity(self, term: Mapping[str, Any], concept: int, key: str) -> None:
        bounds = term.get("number")
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise self.fail(f"{key}.number", "expected [low, high]")
        low = self.number(bounds[0], f"{key}.number")
        high = self.number(bounds[1], f"{key}.number")
        if high < low:
            raise self.fail(f"{key}.number", "high is below low")
        units = frozenset(self.lang.stem(u) for u in self.folded(term.get("units"), f"{key}.units"))
        prefix = frozenset(
            self.lang.stem(w) for w in self.folded(term.get("prefix", []), f"{key}.prefix")
        )
        if set(term) - {"number", "units", "prefix", "prefix_at_start"}:
            raise self.fail(key, "a quantity has only number, units, prefix and prefix_at_start")
        prefix_at_start = term.get("prefix_at_start", False)
        if not isinstance(prefix_at_start, bool) or (prefix_at_start and not prefix):
            raise self.fail(f"{key}.prefix_at_start", "expected true or false, with a prefix")
        if not units and not prefix:
            raise self.fail(key, "a quantity without units needs a prefix")
        self.quantities.append(Quantity(low, high, units, prefix, concept, prefix_at_start))

    def intents(self, raw: Mapping[str, Any]) -> list[Intent]:
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
                Intent(
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

    def ruled_out(self, raw: Any) -> dict[str, Node]:
        """Screens the semantic tier may not raise to when their rule holds; these rules may
        also name ``denied_<concept>`` (the message denies it: "I'm not confused"). A key may
        name several screens that share one rule ("em_seizure em_heatstroke"); a screen named
        under several keys is ruled out when any of its rules holds."""
        if not isinstance(raw, dict):
            raise self.fail("semantic_ruled_out", "expected a mapping of screen: rule")
        names = dict(self.concept_ids)
        names.update({DENIED_PREFIX + n: DENIED_OFFSET + i for n, i in self.concept_ids.items()})
        rules: dict[str, list[Node]] = {}
        for key, text in raw.items():
            where = f"semantic_ruled_out.{key}"
            rule = self.rule(text, where, names)
            for screen in str(key).split():
                rules.setdefault(self.screen(screen, where), []).append(rule)
        return {screen: any_of(parts) for screen, parts in rules.items()}

    def latin_typing(self, raw: Any) -> LatinTyping | None:
        """Latin letter groups and how this language spells them (a Cyrillic language typed
        in Latin letters); absent for a language written in Latin letters."""
        if raw is None:
            return None
        where = "latin_typing"
        if not isinstance(raw, dict) or not raw:
            raise self.fail(where, "expected a mapping of Latin letters: native spelling")
        for group, native in raw.items():
            if not isinstance(group, str) or not re.fullmatch(r"[a-z']+", group):
                raise self.fail(f"{where}.{group}", "expected lower-case Latin letters")
            if not isinstance(native, str) or re.search(r"[a-z]", native):
                raise self.fail(f"{where}.{group}", "expected the native spelling")
        for letter in "abcdefghijklmnopqrstuvwxyz":
            if letter not in raw:
                raise self.fail(where, f"no spelling for the letter {letter!r}")
        return LatinTyping(dict(raw))

    def red_flags(self, raw: list[Any]) -> list[RedFlagRule]:
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
                RedFlagRule(
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

    def decision(self, raw: Mapping[str, Any]) -> Decision:
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
        return Decision(
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

    def gate(self, raw: Mapping[str, Any], name: str) -> Gate | None:
        body = raw.get(name)
        if body is None:
            return None
        key = f"decision.{name}"
        if not isinstance(body, dict):
            raise self.fail(key, "expected {when, max_score}")
        self.only(body, "when max_score", key)
        return Gate(
            self.rule(body.get("when"), f"{key}.when"),
            self.number(body.get("max_score"), f"{key}.max_score"),
        )

    def lexicon(self, fuzzy: Fuzzy, known: frozenset[str]) -> Lexicon:
        surface: dict[str, str] = {}
        for phrase in dict.fromkeys(self.surface_phrases):  # once each, in order
            for tok in tokenise(phrase, self.lang):
                if tok.text.isalpha() and tok.text not in surface:
                    surface[tok.text] = self.stem(tok.text)
        by_first: dict[str, list[str]] = {}
        for word in surface:
            if len(word) >= fuzzy.swap_min_length:
                by_first.setdefault(word[0], []).append(word)
        stems = frozenset(w for words in self.terms for w in words if not w.startswith("="))
        if self.real_words_settings is not None:
            language, min_zipf, rarer_by = self.real_words_settings
            common = RealWords(language, self.lang.fold, min_zipf, rarer_by)
            fuzzy = replace(fuzzy, real_words=common)
        return Lexicon(self.lang, fuzzy, surface, stems, known, by_first)

    def index(self) -> TermIndex:
        index = TermIndex({}, {})
        for words, concepts in self.terms.items():
            ids = tuple(sorted(concepts))
            if len(words) == 1:
                index.single[words[0]] = ids
            else:
                by_second = index.multi.setdefault(words[0], {})
                by_second.setdefault(words[1], []).append(Term(words, ids))
        return index
