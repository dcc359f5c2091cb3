"""semantic.yaml: exemplar sentences for the semantic tier of typed-question understanding.

Each red-flag screen has a level, one confirming yes/no question and example sentences; each
answer screen has example sentences. ``semantic_cases.yaml`` beside it (optional) adds worked
cases, whole messages with the screen they need, under the same screen ids. The encoder
compares a message with them (see ``tgbot/services/understanding/semantic.py``). Validated here so a
clinician's slip stops start-up with ``file: key:``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tgbot.content.checks import ContentError, read_yaml

SEMANTIC_FILE = "semantic.yaml"
CASES_FILE = "semantic_cases.yaml"
FLAG_LEVELS = ("emergency", "urgent", "see_doctor")
MAX_CONFIRM_LENGTH = 200  # one short question, read at a glance
MAX_EXAMPLE_LENGTH = 300
MIN_EXAMPLES = 3


@dataclass(frozen=True)
class RedFlagExemplars:
    screen: str
    level: str
    confirm: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class SemanticExemplars:
    red_flags: Mapping[str, RedFlagExemplars]  # by screen id
    answers: Mapping[str, tuple[str, ...]]  # screen id -> examples
    digest: str  # hash of the content: the key of the embedding cache
    # The default language's exemplars, compared too (the encoder is multilingual): kept
    # apart so every language shares their embeddings instead of holding a copy.
    base: SemanticExemplars | None = None

    def own_sentences(self) -> list[tuple[str, str]]:
        """This language's (screen id, example) pairs, red flags first, in file order."""
        pairs = [(s, e) for s, flag in self.red_flags.items() for e in flag.examples]
        pairs += [(s, e) for s, examples in self.answers.items() for e in examples]
        return pairs

    def sentences(self) -> list[tuple[str, str]]:
        """Every pair compared: this language's, then the default language's."""
        return self.own_sentences() + (self.base.sentences() if self.base else [])


def load_semantic(path: Path, screen_ids: Collection[str]) -> SemanticExemplars | None:
    if not path.is_file():
        return None
    data = read_yaml(path)
    if not isinstance(data, dict) or set(data) - {"red_flags", "answers"}:
        raise ContentError(f"{path}: file: expected a mapping with red_flags and answers")
    screens = frozenset(screen_ids)
    red_flags = {
        screen: _red_flag(screen, body, f"{path}: red_flags.{screen}", screens)
        for screen, body in _mapping(data.get("red_flags"), f"{path}: red_flags").items()
    }
    answers: dict[str, tuple[str, ...]] = {}
    for screen, body in _mapping(data.get("answers"), f"{path}: answers").items():
        where = f"{path}: answers.{screen}"
        _check_screen(screen, screens, where)
        if screen in red_flags:
            raise ContentError(f"{where}: already a red flag; a screen is one or the other")
        answers[screen] = _examples(body, where)
    digest = hashlib.sha256(path.read_bytes())
    cases = path.with_name(CASES_FILE)
    if cases.is_file():
        red_flags, answers = _with_cases(cases, red_flags, answers)
        digest.update(cases.read_bytes())
    return SemanticExemplars(red_flags, answers, digest.hexdigest())


def _with_cases(
    path: Path,
    red_flags: dict[str, RedFlagExemplars],
    answers: dict[str, tuple[str, ...]],
) -> tuple[dict[str, RedFlagExemplars], dict[str, tuple[str, ...]]]:
    """The worked cases added to the examples of screens semantic.yaml already has."""
    data = read_yaml(path)
    if not isinstance(data, dict) or set(data) - {"red_flags", "answers"}:
        raise ContentError(f"{path}: file: expected a mapping with red_flags and answers")
    seen = {e for flag in red_flags.values() for e in flag.examples}
    seen.update(e for examples in answers.values() for e in examples)
    flags, plain = dict(red_flags), dict(answers)
    for section, known in (("red_flags", red_flags), ("answers", answers)):
        raw = data.get(section) or {}
        if not isinstance(raw, dict):
            raise ContentError(f"{path}: {section}: expected a mapping of screen ids")
        for screen, body in raw.items():
            where = f"{path}: {section}.{screen}"
            if screen not in known:
                raise ContentError(
                    f"{where}: {SEMANTIC_FILE} has no {section} entry for this screen"
                )
            examples = _examples(body, where, minimum=1)
            if seen & set(examples):
                raise ContentError(f"{where}: {sorted(seen & set(examples))[0]!r} is there twice")
            seen.update(examples)
            if section == "red_flags":
                flag = flags[screen]
                flags[screen] = RedFlagExemplars(
                    flag.screen, flag.level, flag.confirm, flag.examples + examples
                )
            else:
                plain[screen] = plain[screen] + examples
    return flags, plain


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise ContentError(f"{where}: expected a mapping of screen ids")
    return {str(k): v for k, v in raw.items()}


def _check_screen(screen: str, screens: frozenset[str], where: str) -> None:
    if screen not in screens:
        raise ContentError(f"{where}: no screen with this id")


def _red_flag(screen: str, body: Any, where: str, screens: frozenset[str]) -> RedFlagExemplars:
    _check_screen(screen, screens, where)
    if not isinstance(body, dict) or set(body) != {"level", "confirm", "examples"}:
        raise ContentError(f"{where}: expected exactly level, confirm and examples")
    level = body["level"]
    if level not in FLAG_LEVELS:
        raise ContentError(f"{where}.level: must be one of {', '.join(FLAG_LEVELS)}")
    confirm = body["confirm"]
    if not isinstance(confirm, str) or not 0 < len(confirm.strip()) <= MAX_CONFIRM_LENGTH:
        raise ContentError(f"{where}.confirm: one question of at most {MAX_CONFIRM_LENGTH} chars")
    if "<" in confirm or "{" in confirm:
        raise ContentError(f"{where}.confirm: plain text only (no HTML, no placeholders)")
    return RedFlagExemplars(screen, str(level), confirm.strip(), _examples(body["examples"], where))


def _examples(raw: Any, where: str, minimum: int = MIN_EXAMPLES) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) < minimum:
        raise ContentError(f"{where}: needs a list of at least {minimum} example sentences")
    examples = []
    for index, example in enumerate(raw):
        if not isinstance(example, str) or not 0 < len(example.strip()) <= MAX_EXAMPLE_LENGTH:
            raise ContentError(f"{where}[{index}]: a sentence of 1-{MAX_EXAMPLE_LENGTH} chars")
        examples.append(example.strip())
    if len(set(examples)) != len(examples):
        raise ContentError(f"{where}: the same example twice")
    return tuple(examples)


def with_default_language(own: SemanticExemplars, default: SemanticExemplars) -> SemanticExemplars:
    """A language's exemplars with the default language's compared beside them: the larger,
    longer-tuned English set also catches what a newer language's own examples do not
    foresee. The confirming questions stay the language's own; a red flag's level is the
    default's where they differ (the safer reading is the one tuned longest)."""
    red_flags = {
        screen: replace(flag, level=default.red_flags[screen].level)
        if screen in default.red_flags
        else flag
        for screen, flag in own.red_flags.items()
    }
    return SemanticExemplars(red_flags, own.answers, own.digest, base=default)
