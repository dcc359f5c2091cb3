"""Every language folder holds what the default language holds: the same files, the same keys
and, in each text, the same placeholders. A translation that drops a key, adds one the code
never reads or loses a ``{placeholder}`` is refused at load, naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tgbot.content.checks import PLACEHOLDER_RE, ContentError, read_yaml
from tgbot.content.plurals import is_plural

# Each language writes its own words in these (vocabulary, synonyms, worked cases), so they
# differ in keys and length; what the code needs from them is checked when they load.
OWN_WORDS_FILES = frozenset({"matching.yaml", "semantic_cases.yaml"})
# A language may come without its own understanding at first: the default language's rules
# and exemplars then read its users' messages (the encoder is multilingual).
OPTIONAL_FILES = frozenset({"semantic.yaml"})

# key path ("main.buttons[0].label") -> the placeholders of the text there
Keys = dict[str, frozenset[str]]


def check_translations(default: Path, others: Sequence[Path]) -> None:
    """Each folder in ``others`` against the ``default`` language's folder."""
    if not others:
        return
    expected = {name: _keys(read_yaml(default / name)) for name in _translated_files(default)}
    for folder in others:
        _check_like(folder, default, expected)


def _check_like(folder: Path, default: Path, expected: Mapping[str, Keys]) -> None:
    files = _translated_files(folder)
    for name in expected:
        if name not in files and name not in OPTIONAL_FILES:
            raise ContentError(f"{folder / name}: file is missing ({default.name} has it)")
    for name in files:
        if name not in expected:
            raise ContentError(f"{folder / name}: file: not in {default.name}")
    for name, default_keys in expected.items():
        where = folder / name
        if name not in files:  # an optional file this language does without
            continue
        found = _keys(read_yaml(where))
        for key in default_keys:
            if key not in found:
                raise ContentError(f"{where}: {key}: missing ({default.name} has it)")
        for key, placeholders in found.items():
            if key not in default_keys:
                raise ContentError(f"{where}: {key}: not in {default.name}")
            if placeholders != default_keys[key]:
                raise ContentError(
                    f"{where}: {key}: placeholders {_listed(placeholders)} differ from "
                    f"{default.name}'s {_listed(default_keys[key])}"
                )


def _translated_files(folder: Path) -> list[str]:
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*.yaml")
        if path.name not in OWN_WORDS_FILES
    )


def _keys(data: Any, prefix: str = "") -> Keys:
    """Mappings and lists of mappings are walked; a text, or a list of texts (examples, tips,
    day names, whose number may differ), is one key."""
    if is_plural(data):  # its CLDR categories differ by language (checked when it loads)
        return {prefix: frozenset(PLACEHOLDER_RE.findall(" ".join(map(str, data.values()))))}
    if isinstance(data, dict):
        keys: Keys = {}
        for key, value in data.items():
            keys.update(_keys(value, f"{prefix}.{key}" if prefix else str(key)))
        return keys
    if isinstance(data, list) and any(isinstance(item, dict | list) for item in data):
        keys = {}
        for index, item in enumerate(data):
            keys.update(_keys(item, f"{prefix}[{index}]"))
        return keys
    texts = data if isinstance(data, list) else [data]
    found = (
        name for text in texts if isinstance(text, str) for name in PLACEHOLDER_RE.findall(text)
    )
    return {prefix: frozenset(found)}


def _listed(placeholders: frozenset[str]) -> str:
    return ", ".join("{" + p + "}" for p in sorted(placeholders)) or "none"
