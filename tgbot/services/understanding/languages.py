"""Which language's rules read a typed message, and what it needs.

The user's own language reads it first. When its rules know not one word of it, the message
is probably in another language: the first of the bot's other languages whose rules read it
(a concept, and an answer or a red flag) understands it instead. Screens are the same in
every language, so the reply is still shown in the user's language, confirming question
included. A message no language reads goes to the user's own semantic tier, which is
multilingual (the rules' "unread" path).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tgbot.content import Content
from tgbot.services.understanding.matching import MatchKind
from tgbot.services.understanding.understander import (
    Kind,
    Understander,
    Understanding,
    understander_for,
)

_UNREAD = (MatchKind.UNSURE, MatchKind.OFF_TOPIC)


@dataclass(frozen=True)
class Reading:
    understood: Understanding
    language: str  # whose rules read the message (the user's, another we have)
    read: bool  # some language's rules knew a word of it


def understand(content: Content, language: str, text: str, encoder: str) -> Reading | None:
    """``language``: the user's (a catalogue we have). None when that catalogue has no rules."""
    own = understander_for(content.catalog(language), encoder)
    if own is None:
        return None
    analysis = own.matcher.analyse(text)
    if analysis.concepts or analysis.result.kind not in _UNREAD:
        return Reading(own.understand(text), language, True)
    for code, catalog in content.catalogs.items():
        other = understander_for(catalog, encoder) if code != language else None
        if other is None:
            continue
        theirs = other.matcher.analyse(text)
        if theirs.concepts and theirs.result.kind not in _UNREAD:
            return Reading(_asked_in(own, other.understand(text)), code, True)
    return Reading(own.understand(text), language, False)


def _asked_in(own: Understander, understood: Understanding) -> Understanding:
    """A confirming question in the user's language (the screen ids are shared)."""
    if understood.kind is not Kind.CONFIRM or own.tier is None:
        return understood
    flag = own.tier.exemplars.red_flags.get(understood.screen or "")
    return understood if flag is None else replace(understood, question=flag.confirm)
