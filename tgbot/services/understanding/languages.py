"""Which language's rules read a typed message, and what it needs.

The user's own language reads it first. When its rules know not one word of it, the message
is probably in another language: the first of the bot's other languages whose rules read it
(a concept, and an answer or a red flag) understands it instead. Screens are the same in
every language, so the reply is still shown in the user's language, confirming question
included. A message no language reads goes to the user's own semantic tier, which is
multilingual (the rules' "unread" path). Before that, a message all in Latin letters is tried
as Russian or Ukrainian typed in them ("sudoroga v ikre"), spelled natively.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

from tgbot.content import Content
from tgbot.services.understanding.latin_typing import typed_in_latin
from tgbot.services.understanding.matching import MatchKind
from tgbot.services.understanding.understander import (
    Kind,
    Understander,
    Understanding,
    understander_for,
)

_UNREAD = (MatchKind.UNSURE, MatchKind.OFF_TOPIC)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    understood: Understanding
    language: str  # whose rules read the message (the user's, another we have)
    read: bool  # some language's rules knew a word of it


def understand(content: Content, language: str, text: str, encoder: str) -> Reading | None:
    """``language``: the user's (a catalogue we have). None when that catalogue has no rules."""
    own = understander_for(content.catalog(language), encoder) or understander_for(
        content.catalog(None), encoder
    )  # a language without rules of its own yet is read by the default language's
    if own is None:
        return None
    analysis = own.matcher.analyse(text)
    if analysis.concepts or analysis.result.kind not in _UNREAD:
        return Reading(own.decide(analysis), language, True)
    for code, catalog in content.catalogs.items():
        other = understander_for(catalog, encoder) if code != language else None
        read = _read_by(own, other, code, text) if other is not None else None
        if read is not None:
            return read
    typed = _typed_in_latin(content, own, language, text, encoder)
    return typed or Reading(own.decide(analysis), language, False)


def _typed_in_latin(
    content: Content, own: Understander, language: str, text: str, encoder: str
) -> Reading | None:
    """A Cyrillic language typed in Latin letters, read by the first language (the user's
    own first) whose rules read it once spelled natively."""
    if not typed_in_latin(text):
        return None
    for code in sorted(content.catalogs, key=lambda each: each != language):
        reader = understander_for(content.catalogs[code], encoder)
        if reader is None or reader.matcher.latin_typing is None:
            continue
        read = _read_by(own, reader, code, reader.matcher.latin_typing.to_native(text))
        if read is not None:
            return read
    return None


def _read_by(own: Understander, reader: Understander, code: str, text: str) -> Reading | None:
    """``text`` as ``code``'s rules read it, if they know a word of it and it needs an answer
    or a red flag; a confirming question is asked in the user's language."""
    theirs = reader.matcher.analyse(text)
    if theirs.concepts and theirs.result.kind not in _UNREAD:
        return Reading(_asked_in(own, reader.decide(theirs)), code, True)
    return None


def _asked_in(own: Understander, understood: Understanding) -> Understanding:
    """A confirming question in the user's language (the screen ids are shared)."""
    if understood.kind is not Kind.CONFIRM or own.tier is None:
        return understood
    flag = own.tier.exemplars.red_flags.get(understood.screen or "")
    return understood if flag is None else replace(understood, question=flag.confirm)


def make_ready(content: Content, encoder: str) -> None:
    """Every language's understanding built and its word list read, as the first typed
    message would otherwise do."""
    for catalog in content.catalogs.values():
        understander_for(catalog, encoder)
        if catalog.matcher is not None:
            catalog.matcher.prepare()


class WarmUp:
    """Loads the encoder and embeds every language's exemplars in a worker thread at
    start-up, so buttons are answered from the first second; a typed message waits for it
    (once, a few seconds at most) rather than being read without the semantic tier."""

    def __init__(self, content: Content, encoder: str) -> None:
        self._content = content
        self._encoder = encoder
        self._task: asyncio.Future[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(asyncio.to_thread(self._load))

    async def ready(self) -> None:
        if self._task is None:
            return
        try:
            await asyncio.shield(self._task)
        except Exception:  # logged once below; understand() then builds what is missing itself
            return

    def _load(self) -> None:
        try:
            make_ready(self._content, self._encoder)
        except Exception:
            log.exception("loading the understanding of typed messages failed")
            raise
