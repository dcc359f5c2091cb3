"""Time read off the clock: "it started at 1.10 and it's 1.35", "there at 2am when I woke,
it's gone 3 now". A cramp that has lasted over ten minutes is a red flag (facts sheet, section
5); at 3 a.m. people give the two times, not the minutes between them.

A ``ClockSpan`` term (``{clock_minutes: [low, high], ...}`` in matching.yaml) puts its concept
on the last clock time of a message when the first and the last are ``low``-``high`` minutes
apart and the last one is "now" ("it's 1.35", "gone 3 now"): two times of two cramps ("at 3am
and again at 5am") are not one long cramp. Times said in words come from the language's
``said_times`` ("half past two", "halb drei", "без десяти три"), its hour and minute names and
its ``time_names`` ("полтретьего").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tgbot.services.understanding.lexicon import Token

_HOURS_MINUTES = re.compile(r"^(\d{1,2})[.:](\d{2})$")
_TWO_DIGITS = re.compile(r"^\d{2}$")
_HOUR = re.compile(r"^\d{1,2}$")
HALF_DAY = 12 * 60


@dataclass(frozen=True)
class SaidTime:
    """One way a language says a time in words: its words, with ``{h}`` an hour (a name or
    digits) and ``{m}`` minutes; the time is ``hour - hour_back`` and ``minutes`` ("m": the
    {m} said, "60-m": what is left of the hour, or a number of minutes), or a fixed ``hour``."""

    words: tuple[str, ...]
    hour_back: int
    minutes: str | int
    hour: int | None = None  # a time with no hour said ("meia noite" = 0:00)


@dataclass(frozen=True)
class ClockSpan:
    low: float  # minutes
    high: float
    hour_words: frozenset[str]  # words before a bare hour ("at 3", "gone 3")
    now_words: frozenset[str]  # words that make a time the present ("it's 1.35", "3 now")
    hour_ends: frozenset[str]  # words that may follow a bare hour ("3 now", "3 when")
    am_words: frozenset[str]
    pm_words: frozenset[str]
    concept: int
    # Between the two times, these make them two cramps ("at 3am and ANOTHER at 5am").
    again_words: frozenset[str] = frozenset()
    hour_names: Mapping[str, int] = field(default_factory=dict)  # "three", "drei", "третьего"
    minute_names: Mapping[str, int] = field(default_factory=dict)  # "ten", "quarter", "десяти"
    time_names: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # "полтретьего"
    said_times: tuple[SaidTime, ...] = ()


@dataclass(frozen=True)
class ClockTime:
    start: int  # index of its first token
    at: int  # index of its last token
    minutes: int  # since midnight or noon (``half`` None), or since midnight
    half: str | None  # "am", "pm" or None when not said


def _word(token: Token) -> str:
    return token.keys[1][1:]


def clock_times(tokens: Sequence[Token], span: ClockSpan) -> list[ClockTime]:
    """The clock times of a message, in order."""
    times: list[ClockTime] = []
    i = 0
    while i < len(tokens):
        token, raw = tokens[i], _word(tokens[i])
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        hours = minutes = -1
        last = i
        said = _said_time(tokens, i, span)
        if said is not None:
            hours, minutes, last = said
        elif raw in span.time_names:
            hours, minutes = span.time_names[raw]
        elif raw in span.hour_names:
            if i > 0 and _word(tokens[i - 1]) in span.hour_words and _ends_a_time(token, nxt, span):
                hours, minutes = span.hour_names[raw], 0
        elif token.number is not None and (found := _HOURS_MINUTES.match(raw)):
            hours, minutes = int(found[1]), int(found[2])
        elif (
            token.number is not None
            and _HOUR.match(raw)
            and nxt is not None
            and nxt.number is not None
            and _TWO_DIGITS.match(_word(nxt))
            and nxt.clause == token.clause + 1  # "3:10" is cut at its colon
        ):
            hours, minutes, last = int(raw), int(_word(nxt)), i + 1
        elif (
            token.number is not None
            and _HOUR.match(raw)
            and i + 2 < len(tokens)
            and _word(tokens[i + 1]) == "h"
            and tokens[i + 2].number is not None
            and _TWO_DIGITS.match(_word(tokens[i + 2]))
        ):
            hours, minutes, last = int(raw), int(_word(tokens[i + 2])), i + 2  # "5h50"
        elif token.number is not None and _HOUR.match(raw):
            said_half = nxt is not None and _word(nxt) in span.am_words | span.pm_words
            after_word = i > 0 and _word(tokens[i - 1]) in span.hour_words
            if said_half or (after_word and _ends_a_time(token, nxt, span)):
                hours, minutes = int(raw), 0
        if 0 <= hours <= 23 and 0 <= minutes <= 59:
            after = tokens[last + 1] if last + 1 < len(tokens) else None
            half = None
            if after is not None and _word(after) in span.am_words:
                half, last = "am", last + 1
            elif after is not None and _word(after) in span.pm_words:
                half, last = "pm", last + 1
            times.append(ClockTime(i, last, _minutes(hours, minutes, half), half))
        i = last + 1
    return times


def _said_time(tokens: Sequence[Token], start: int, span: ClockSpan) -> tuple[int, int, int] | None:
    """(hours, minutes, index of the last token) of a time said in words starting here."""
    before = tokens[start - 1] if start > 0 else None
    if (
        before is not None
        and before.clause == tokens[start].clause
        and _word(before) in span.minute_names
    ):
        return None  # inside "twenty five to three": its start is "twenty"
    for said in span.said_times:
        hour = minute = -1
        at = start
        for expected in said.words:
            if at >= len(tokens):
                break
            token, word = tokens[at], _word(tokens[at])
            if expected == "{h}":
                hour = span.hour_names.get(word, -1)
                if hour < 0 and token.number is not None and _HOUR.match(word):
                    hour = int(word)
                if not 0 <= hour <= 23:
                    break
            elif expected == "{m}":
                minute = span.minute_names.get(word, -1)
                if minute < 0 and token.number is not None and _TWO_DIGITS.match(word):
                    minute = int(word)
                units = (
                    span.minute_names.get(_word(tokens[at + 1]), 0) if at + 1 < len(tokens) else 0
                )
                if minute >= 20 and minute % 10 == 0 and 0 < units < 10:
                    minute, at = minute + units, at + 1  # "twenty five", "двадцати пяти"
                if not 1 <= minute <= 59:
                    break
            elif word != expected:
                break
            at += 1
        else:
            if said.minutes == "m":
                minutes = minute
            elif said.minutes == "60-m":
                minutes = 60 - minute
            else:
                minutes = int(said.minutes)
            if said.hour is not None:
                hour = said.hour
            return (hour - said.hour_back) % 24, minutes, at - 1
    return None


def _ends_a_time(token: Token, nxt: Token | None, span: ClockSpan) -> bool:
    """A bare number is an hour when its clause ends after it or a word that may follow a
    time does ("gone 3 now", "at 3 when"): "at 3 minutes", "at 5 km" are not times."""
    return nxt is None or nxt.clause != token.clause or _word(nxt) in span.hour_ends


def _minutes(hours: int, minutes: int, half: str | None) -> int:
    if half == "pm" and hours < 12:
        hours += 12
    elif half == "am" and hours == 12:
        hours = 0
    return hours * 60 + minutes


def elapsed_now(tokens: Sequence[Token], span: ClockSpan) -> tuple[int, int, int] | None:
    """Minutes from the first clock time to the last one when the last is "now", with the
    index of the first's first token and of the last's last; None otherwise."""
    times = clock_times(tokens, span)
    if len(times) < 2:
        return None
    first, last = times[0], times[-1]
    if not _is_now(tokens, last, span):
        return None
    if any(_word(t) in span.again_words for t in tokens[first.at + 1 : last.start]):
        return None
    day = 2 * HALF_DAY if first.half and last.half else HALF_DAY
    return (last.minutes - first.minutes) % day, first.start, last.at


def _is_now(tokens: Sequence[Token], time: ClockTime, span: ClockSpan) -> bool:
    start = time.start
    near = [_word(t) for t in tokens[max(0, start - 3) : start]]
    # After the time only in its clause: "at 5am, now I'm fine" is not "5am now".
    near += [
        _word(t) for t in tokens[time.at + 1 : time.at + 2] if t.clause == tokens[time.at].clause
    ]
    return any(word in span.now_words for word in near)
