"""Shared checks for content files: YAML reading, labels, HTML, placeholders, lengths, and
typed fields inside one file (FieldChecks)."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import math
import os
import re
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tgbot.caching import cache_dir
from tgbot.telegram_html import TelegramHtmlError, parse_html, utf16_len

MAX_TEXT_LENGTH = 4096  # Telegram's limit, counted after entity parsing
MAX_LABEL_LENGTH = 40
ID_RE = re.compile(r"^[a-z0-9_]{1,40}$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
EMERGENCY_PLACEHOLDER = "emergency"
# The longest emergency line a placeholder may become; set when emergency.yaml is read.
SAMPLE_FILL_LENGTH = 160


class ContentError(ValueError):
    """A content file is broken; the message starts with ``file: key:``."""


# libyaml's loader when installed: the content is thousands of lines and parses ~6x faster.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(_FAST_LOADER):  # type: ignore[valid-type,misc]
    """The fast loader that refuses a key given twice in one mapping: YAML keeps the last
    silently, so an editor's second ``except:`` or screen would hide the first one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key_node.value!r} given twice", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


YAML_LOADER: type[yaml.SafeLoader] = UniqueKeyLoader


# While a whole catalogue loads, each file is parsed once: the translation check and the
# loaders read the same files. What a load parsed is kept on disk by each file's bytes, so the
# next start reads it back (~10 ms) instead of parsing again (~0.2 s); every check still runs.
_parsed: dict[Path, Any] | None = None
_parsed_now: dict[str, bytes] = {}  # this load's files: digest -> marshalled data
_parsed_before: dict[str, bytes] = {}  # the last load's, from the cache file
PARSED_CACHE = f"content-yaml-{yaml.__version__}-unique-keys.marshal"  # keys checked


@contextmanager
def parse_each_file_once() -> Iterator[None]:
    global _parsed, _parsed_now, _parsed_before
    _parsed, _parsed_now, _parsed_before = {}, {}, _read_parsed_cache()
    try:
        yield
    finally:
        if _parsed_now.keys() != _parsed_before.keys():
            _write_parsed_cache(_parsed_now)
        _parsed, _parsed_now, _parsed_before = None, {}, {}


def read_yaml(path: Path) -> Any:
    if _parsed is not None and path in _parsed:
        return _parsed[path]
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    digest = hashlib.sha256(raw).hexdigest()
    kept = _parsed_before.get(digest)
    if kept is not None:
        data = marshal.loads(kept)  # a fresh copy: loaders may change what they read
    else:
        try:
            data = yaml.load(raw.decode("utf-8"), Loader=YAML_LOADER)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ContentError(f"{path}: not valid YAML: {exc}") from None
    if _parsed is not None:  # a whole load: what it read is kept for the next one
        _parsed[path] = data
        if kept is None:
            with contextlib.suppress(ValueError):  # a YAML date, say, is not kept
                kept = marshal.dumps(data)
        if kept is not None:
            _parsed_now[digest] = kept
    return data


def _read_parsed_cache() -> dict[str, bytes]:
    try:
        kept = marshal.loads((cache_dir() / PARSED_CACHE).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}  # none yet, or broken: parse
    return kept if isinstance(kept, dict) else {}


def _write_parsed_cache(parsed: dict[str, bytes]) -> None:
    path = cache_dir() / PARSED_CACHE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(parsed))
        partial.replace(path)
    except OSError:
        pass  # a read-only home is fine: the next start parses again


def read_entries(path: Path, what: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """A file mapping ids to bodies: yields (id, body, where) with both shapes checked."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping of {what} ids")
    for key, body in data.items():
        where = f"{path}: {key}"
        check_id(key, where)
        if not isinstance(body, dict):
            raise ContentError(f"{where}: expected a mapping (text, buttons…), not {body!r:.40}")
        yield str(key), body, where


def check_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ContentError(f"{where}: id must be 1-40 of a-z, 0-9, _")
    return value


def check_label(label: Any, where: str) -> str:
    text = str(label).strip() if label is not None else ""
    if not text or len(text) > MAX_LABEL_LENGTH:
        raise ContentError(f"{where}: must be 1-{MAX_LABEL_LENGTH} characters")
    return text


def check_text(
    value: Any, where: str, placeholders: Collection[str] = (EMERGENCY_PLACEHOLDER,)
) -> str:
    """A non-empty Telegram-HTML text that fits once its placeholders are filled in."""
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}: must be a non-empty text")
    text = value.strip()
    for name in PLACEHOLDER_RE.findall(text):
        if name not in placeholders:
            allowed = ", ".join("{" + p + "}" for p in placeholders) or "none"
            raise ContentError(f"{where}: unknown placeholder {{{name}}} (allowed: {allowed})")
    check_html(fill_sample(text), where)
    return text


def fill_sample(text: str) -> str:
    """Fill placeholders with worst-case-length stand-ins, for length checks."""
    return PLACEHOLDER_RE.sub(lambda _: "x" * SAMPLE_FILL_LENGTH, text)


def check_texts(
    raw: Any, placeholders_by_key: Mapping[str, Collection[str]], where: str
) -> dict[str, str]:
    """A mapping holding every required key, each text with only its allowed placeholders."""
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: expected a mapping of key: text")
    texts = {}
    for key, allowed in placeholders_by_key.items():
        if key not in raw:
            raise ContentError(f"{where}.{key}: required text is missing")
        texts[key] = check_text(raw[key], f"{where}.{key}", placeholders=allowed)
    return texts


def check_labels(raw: Any, keys: Collection[str], where: str) -> dict[str, str]:
    """A mapping holding every required button label."""
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: expected a mapping of key: label")
    for key in keys:
        if key not in raw:
            raise ContentError(f"{where}.{key}: required label is missing")
    return {key: check_label(raw[key], f"{where}.{key}") for key in keys}


def check_html(text: str, where: str) -> str:
    try:
        plain, _ = parse_html(text)
    except TelegramHtmlError as exc:
        raise ContentError(f"{where}: invalid Telegram HTML: {exc}") from None
    if utf16_len(plain) > MAX_TEXT_LENGTH:
        raise ContentError(f"{where}: text is longer than Telegram's {MAX_TEXT_LENGTH} characters")
    return plain


class FieldChecks:
    """Typed values inside one file, each failure naming the file and the key (for files
    with many nested sections, such as matching.yaml)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ContentError:
        return ContentError(f"{self.path}: {key}: {problem}")

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
