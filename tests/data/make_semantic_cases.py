"""Write messages/<lang>/semantic_cases.yaml from the tuning parts of our evaluation sets.

Held-back items never go in (a test checks it): an alarming message is filed under the screen
it needs, an ordinary one (not a negated one: the encoder reads those with the denial masked)
under its answer. English files the six sets it always has; every other language files the
tuned part of every set that has its items. There an ordinary message the encoder places within
``AMBIGUOUS`` of a red-flag exemplar is left out, as semantic.yaml asks of hand-written answers:
it would pull a red flag worded near it to an answer (measured: filed whole, 5 held-back red
flags became under-triaged; filtered, none). From the repository root:
``.venv/bin/python tests/data/make_semantic_cases.py``.
"""

from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tgbot.services.understanding.semantic import load_encoder
from tgbot_devtools.worked_cases import filed_text

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ENGLISH_SOURCES = (
    "redflags.yaml",
    "redflags_dev2.yaml",
    "redflags_dev3.yaml",
    "redflags_fresh.yaml",
    "redflags_fresh2.yaml",
    "redflags_dev4.yaml",
)
# Never a source of cases.
HELD_BACK_ONLY = (
    "redflags_fresh3.yaml",
    "redflags_fresh4.yaml",
    "redflags_fresh5.yaml",
    "redflags_fresh6.yaml",
)
OTHER_LANGUAGES = ("es", "pt", "ru", "uk", "de")
ALARMING = ("emergency", "urgent", "see_doctor")
MAX_LENGTH = 300  # the loader's limit; a longer ramble is left out rather than cut
AMBIGUOUS = 0.65  # cosine (USE) to the nearest red-flag exemplar

Cases = dict[str, dict[str, list[str]]]

HEADER = (
    "Worked cases for the semantic tier: whole messages, each under the screen it needs."
    " Written from content-facts.md for the tuning parts of {sources} (never their held-back"
    " quarters). Regenerate with tests/data/make_semantic_cases.py; hand-written exemplars and"
    " the confirming questions live in semantic.yaml."
)


def main() -> None:
    every_set = sorted(
        p.name for p in DATA.glob("*.yaml") if p.name.startswith(("redflags", "questions"))
    )
    held_back = {i["text"].strip() for name in every_set for i in _items(name) if i.get("holdout")}
    # English's sources hold a few items in other languages: filed there, as they always were.
    english = _cases(None, ENGLISH_SOURCES, held_back)
    _write("en", english, ", ".join(ENGLISH_SOURCES))
    filed = {text for section in english.values() for texts in section.values() for text in texts}
    sources = [name for name in every_set if name not in HELD_BACK_ONLY]
    for lang in OTHER_LANGUAGES:
        cases = _cases(lang, sources, held_back | filed)
        cases["answers"] = _unambiguous(lang, cases, english)
        _write(lang, cases, "every evaluation set with items in this language")


@functools.cache  # every language reads every set: each file is parsed once
def _items(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return items


@functools.cache
def _semantic(lang: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (ROOT / "messages" / lang / "semantic.yaml").read_text(encoding="utf-8")
    )
    return data


def _cases(lang: str | None, sources: Sequence[str], held_back: set[str]) -> Cases:
    """Cases of the items in ``lang`` (every item with None), none of them in ``held_back``."""
    flags, answers = _semantic("en")["red_flags"], _semantic("en")["answers"]
    own = _semantic(lang or "en")
    seen = {e for flag in own["red_flags"].values() for e in flag["examples"]}
    seen.update(e for examples in own["answers"].values() for e in examples)
    seen.update(held_back)  # a plain question may be tuned in one set and held back in another
    cases: Cases = {"red_flags": {}, "answers": {}}
    for name in sources:
        for item in _items(name):
            text = item["text"].strip()
            screen = (item.get("screens") or [""])[0]
            if (lang is not None and (item.get("lang") or "en") != lang) or item.get("holdout"):
                continue
            if len(text) > MAX_LENGTH or text in seen:
                continue
            text = filed_text(item)
            if item["level"] in ALARMING:
                section = "red_flags" if screen in flags else "answers"
            elif item.get("form") != "negated":
                section = "answers"
            else:
                continue
            if screen not in (flags if section == "red_flags" else answers):
                continue
            seen.add(text)
            cases[section].setdefault(screen, []).append(text)
    return cases


def _unambiguous(lang: str, cases: Cases, english: Cases) -> dict[str, list[str]]:
    """The answer cases no red-flag exemplar (this language's or English's) is near."""
    encoder = load_encoder("use")
    flag_sentences = [
        example
        for semantic in (_semantic(lang), _semantic("en"))
        for flag in semantic["red_flags"].values()
        for example in flag["examples"]
    ]
    flag_sentences += [
        e for c in (cases, english) for texts in c["red_flags"].values() for e in texts
    ]
    flags = encoder.encode(flag_sentences)
    kept: dict[str, list[str]] = {}
    for screen, texts in cases["answers"].items():
        nearest = np.max(encoder.encode(texts) @ flags.T, axis=1)
        clear = [text for text, score in zip(texts, nearest, strict=True) if score < AMBIGUOUS]
        if clear:
            kept[screen] = clear
    return kept


def _write(lang: str, cases: Cases, sources: str) -> None:
    flags, answers = _semantic("en")["red_flags"], _semantic("en")["answers"]
    order = {screen: n for n, screen in enumerate([*flags, *answers])}
    header = textwrap.wrap(HEADER.format(sources=sources), 94, break_on_hyphens=False)
    lines = ["# " + line for line in header]
    for section, by_screen in cases.items():
        lines.append(f"{section}:")
        for screen in sorted(by_screen, key=order.__getitem__):
            lines.append(f"  {screen}:")
            lines += [f"    - {json.dumps(text, ensure_ascii=False)}" for text in by_screen[screen]]
    target = ROOT / "messages" / lang / "semantic_cases.yaml"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = {section: sum(map(len, s.values())) for section, s in cases.items()}
    print(f"{target.relative_to(ROOT)}: {counts}")


if __name__ == "__main__":
    main()
