"""Telegram's HTML parse mode, reimplemented: text + HTML markup -> (plain text, entities).

The scanner mirrors the one in TDLib (``parse_html`` in MessageEntity.cpp), which is what the
Bot API runs: it works on UTF-8 bytes (error messages quote *byte* offsets) and measures
entities in UTF-16 code units. One deliberate difference: an unsupported *named* entity such as
``&nbsp;`` is an error here, whereas Telegram would silently show it literally — for a bot
that is always a bug, so the stand-in surfaces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["TelegramHtmlError", "html_to_plain", "parse_html", "utf16_len"]

_SPACES = frozenset(b" \t\r\n\f\v")
_SPECIAL = re.compile(rb"[<&]")  # where a run of plain text ends
_DIGITS = frozenset(b"0123456789")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_ALPHA = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_TOKEN = _ALPHA | _DIGITS | frozenset(b".-")
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_MAX_CODE_POINT = 0x10FFFF
_LINK_SCHEMES = frozenset({"http", "https", "ftp", "tonsite"})

_SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# TDLib orders entities by offset, then longer first, then by this priority.
_TYPE_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


class TelegramHtmlError(ValueError):
    """Markup Telegram would reject.

    ``detail`` is TDLib's wording (the Bot API answers "Bad Request: can't parse entities:
    <detail>"); ``str()`` is the message PTB's ``BadRequest`` would carry for it.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(f"Can't parse entities: {detail}".capitalize())
        self.detail = detail


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(s.encode("utf-16-le")) // 2


def html_to_plain(html: str) -> str:
    """The text a user would see for ``html`` (entities dropped)."""
    return parse_html(html)[0]


def parse_html(html: str) -> tuple[str, list[dict[str, Any]]]:
    """Convert Telegram-HTML into ``(plain_text, entities)`` like the Bot API does."""
    try:
        data = html.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TelegramHtmlError("Strings must be encoded in UTF-8") from exc
    return _Scanner(data).run()


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    result_pos: int


@dataclass
class _Scanner:
    data: bytes
    pos: int = 0
    utf16_offset: int = 0
    out: bytearray = field(default_factory=bytearray)
    open_tags: list[_OpenTag] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    decoded_surrogate: bool = False

    def peek(self, ahead: int = 0) -> int:
        """Byte at pos+ahead, or 0 past the end (TDLib relies on the trailing NUL)."""
        i = self.pos + ahead
        return self.data[i] if i < len(self.data) else 0

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        while self.pos < len(self.data):
            c = self.data[self.pos]
            if c == ord("&") and self._try_entity(self.out):
                continue
            if c == ord("&"):  # a literal '&'
                self._copy_byte(c)
                continue
            if c != ord("<"):
                self._copy_run()
                continue
            if self.peek(1) == ord("/"):
                self._end_tag()
            else:
                self._start_tag()
            self.pos += 1  # past '>'
        if self.open_tags:
            raise TelegramHtmlError(
                f'Can\'t find end tag corresponding to start tag "{self.open_tags[-1].name}"'
            )
        if self.decoded_surrogate:
            raise TelegramHtmlError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # only pre entities carry a language
        self.entities.sort(
            key=lambda e: (e["offset"], -e["length"], _TYPE_PRIORITY.get(e["type"], 50))
        )
        return self.out.decode("utf-8"), self.entities

    def _copy_run(self) -> None:
        """Plain text up to the next tag or entity, at once (most of a text is plain)."""
        found = _SPECIAL.search(self.data, self.pos)
        end = found.start() if found else len(self.data)
        run = self.data[self.pos : end]
        # '<' and '&' are ASCII, so the run holds whole UTF-8 sequences.
        self.utf16_offset += len(run.decode("utf-8").encode("utf-16-le")) // 2
        self.out += run
        self.pos = end

    def _copy_byte(self, c: int) -> None:
        if c & 0xC0 != 0x80:  # first byte of a code point
            self.utf16_offset += 2 if c >= 0xF0 else 1
        self.out.append(c)
        self.pos += 1

    def _try_entity(self, sink: bytearray) -> bool:
        """Decode an HTML entity at pos into ``sink``; False if it is a literal '&'."""
        code, end = self._decode_entity()
        if code is None:
            return False
        self.pos = end
        char = chr(code)
        if sink is self.out:
            self.utf16_offset += 2 if code > 0xFFFF else 1
        sink += char.encode("utf-8")
        return True

    def _decode_entity(self) -> tuple[int | None, int]:
        start = self.pos
        i = start + 1
        n = len(self.data)
        if i < n and self.data[i] == ord("#"):
            i += 1
            hexadecimal = i < n and self.data[i] == ord("x")
            i += hexadecimal
            base, digits = (16, _HEX_DIGITS) if hexadecimal else (10, _DIGITS)
            digits_start = i
            while i < n and self.data[i] in digits:
                i += 1
            if i == digits_start:
                return None, start
            code = int(self.data[digits_start:i], base)
            if code == 0 or code >= _MAX_CODE_POINT:
                return None, start
            if 0xD800 <= code <= 0xDFFF:
                self.decoded_surrogate = True
                code = 0xFFFD  # reported once the whole text is scanned, as TDLib does
        else:
            while i < n and self.data[i] in _ALPHA:
                i += 1
            name = self.data[start + 1 : i]
            if name not in _NAMED_ENTITIES:
                if name and i < n and self.data[i] == ord(";"):
                    entity = self.data[start : i + 1].decode("ascii")
                    raise TelegramHtmlError(
                        f'Unsupported HTML entity "{entity}" at byte offset {start}'
                    )
                return None, start
            code = ord(_NAMED_ENTITIES[name])
        if i < n and self.data[i] == ord(";"):
            i += 1
        return code, i

    def _read_tag_name(self) -> str:
        name_start = self.pos
        while self.peek() not in _SPACES and self.peek() not in (ord(">"), 0):
            self.pos += 1
        return self.data[name_start : self.pos].decode("utf-8", "replace")

    def _skip_spaces(self) -> None:
        while self.peek() in _SPACES:
            self.pos += 1

    def _start_tag(self) -> None:
        begin = self.pos
        self.pos += 1
        tag = self._read_tag_name()
        if self.peek() == 0:
            raise TelegramHtmlError(f"Unclosed start tag at byte offset {begin}")
        tag = tag.lower()
        if tag not in _SUPPORTED_TAGS:
            raise TelegramHtmlError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = self._read_attributes(tag, begin)
        if tag == "span" and argument != "spoiler":
            raise TelegramHtmlError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.open_tags.append(_OpenTag(tag, argument, self.utf16_offset, len(self.out)))

    def _read_attributes(self, tag: str, begin: int) -> str:
        argument = ""
        while self.peek() not in (ord(">"), 0):
            self._skip_spaces()
            if self.peek() == ord(">"):
                break
            name_start = self.pos
            while self.peek() not in _SPACES and self.peek() not in b"=>/\"'\0":
                self.pos += 1
            name = self.data[name_start : self.pos].decode("utf-8", "replace")
            if not name:
                raise TelegramHtmlError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            self._skip_spaces()
            if self.peek() != ord("="):
                if tag == "blockquote" and name == "expandable":
                    argument = "1"
                continue
            self.pos += 1
            self._skip_spaces()
            if self.peek() == 0:
                raise TelegramHtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value = self._read_attribute_value()
            if self.peek() == 0:
                raise TelegramHtmlError(f"Unclosed start tag at byte offset {begin}")
            argument = _tag_argument(tag, name, value, argument)
        return argument

    def _read_attribute_value(self) -> str:
        quote = self.peek()
        if quote not in (ord('"'), ord("'")):
            # An unquoted name token: letters, digits, '.' and '-', case-insensitive.
            token_start = self.pos
            while self.peek() in _NAME_TOKEN:
                self.pos += 1
            if self.peek() not in _SPACES and self.peek() != ord(">"):
                raise TelegramHtmlError(f"Unexpected end of name token at byte offset {self.pos}")
            return self.data[token_start : self.pos].decode("ascii").lower()
        self.pos += 1
        value = bytearray()
        while self.peek() not in (quote, 0):
            if self.peek() == ord("&") and self._try_entity(value):
                continue
            value.append(self.peek())
            self.pos += 1
        if self.peek() == quote:
            self.pos += 1
        return value.decode("utf-8", "replace")

    def _end_tag(self) -> None:
        begin = self.pos
        if not self.open_tags:
            raise TelegramHtmlError(f"Unexpected end tag at byte offset {begin}")
        self.pos += 2
        end_name = self._read_tag_name().lower()
        self._skip_spaces()
        if self.peek() != ord(">"):
            raise TelegramHtmlError(f"Unclosed end tag at byte offset {begin}")
        open_tag = self.open_tags[-1]
        if end_name and end_name != open_tag.name:
            raise TelegramHtmlError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.name}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16_offset > open_tag.utf16_offset:
            self._add_entity(open_tag, self.utf16_offset - open_tag.utf16_offset)
        self.open_tags.pop()

    def _add_entity(self, tag: _OpenTag, length: int) -> None:
        offset = tag.utf16_offset
        simple = _SIMPLE_TAGS.get(tag.name)
        if simple:
            self.entities.append({"type": simple, "offset": offset, "length": length})
        elif tag.name == "a":
            self._add_link(tag, length)
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise TelegramHtmlError("Invalid custom emoji identifier specified")
            self.entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": tag.argument,
                }
            )
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.argument else "blockquote"
            self.entities.append({"type": kind, "offset": offset, "length": length})
        elif tag.name == "pre":
            self._add_pre(offset, length)
        elif tag.name == "code":
            self._add_code(tag, length)

    def _add_link(self, tag: _OpenTag, length: int) -> None:
        url = _normalize_link(tag.argument or self.out[tag.result_pos :].decode("utf-8", "replace"))
        if url is not None:  # Telegram silently drops links it cannot validate
            entity = {"type": "text_link", "offset": tag.utf16_offset, "length": length}
            self.entities.append({**entity, "url": url})

    def _last_entity_spans(self, kind: str, offset: int, length: int) -> dict[str, Any] | None:
        if not self.entities:
            return None
        last = self.entities[-1]
        same_span = last["offset"] == offset and last["length"] == length
        return last if last["type"] == kind and same_span else None

    def _add_pre(self, offset: int, length: int) -> None:
        # <pre><code class="language-x">…</code></pre> is one "pre" entity with a language.
        inner = self._last_entity_spans("code", offset, length)
        if inner is not None and inner.get("language"):
            inner["type"] = "pre"
            return
        self.entities.append({"type": "pre", "offset": offset, "length": length})

    def _add_code(self, tag: _OpenTag, length: int) -> None:
        outer = self._last_entity_spans("pre", tag.utf16_offset, length)
        if outer is not None and tag.argument:
            outer["language"] = tag.argument
            return
        entity: dict[str, Any] = {"type": "code", "offset": tag.utf16_offset, "length": length}
        if tag.argument:  # kept until an enclosing <pre> closes, see run()
            entity["language"] = tag.argument
        self.entities.append(entity)


def _normalize_link(url: str) -> str | None:
    """The URL Telegram stores for a link, or None if it would reject it.

    Like TDLib: a missing scheme becomes http://, an empty path becomes "/".
    ``tg://user?id=`` links stay text links (no user object to build a text_mention).
    """
    if not url or any(ch.isspace() for ch in url):
        return None
    if url.lower().startswith("tg://"):
        return url
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _LINK_SCHEMES or "." not in (parts.hostname or ""):
        return None
    return url if parts.path else urlunsplit(parts._replace(path="/"))


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    """The one attribute value each tag cares about (href, language, spoiler class…)."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "1"
    return current
