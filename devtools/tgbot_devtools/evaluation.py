"""Score the bot's replies against evaluation sets, by triage level first; no Telegram here.

An item says what a person typed and the least the answer must do (``level``: emergency,
urgent, see_doctor or self_care), optionally which screens are acceptable (``screens``) and
keywords the answer body must hold (``expect_any``) or must not (``must_not``). Sets without
``level`` (the shared set) map their ``kind`` to one. The caller supplies ``reply(item)``:
``tgbot eval`` sends each item through the real bot, the tests use the understanding service.

What is counted, per kind, per language and for the held-back part separately:
* under-triage: shown below the required level, on an item that needs a doctor or more
  (the worst defect; must be 0);
* over-triage: an urgent or emergency screen shown where less was needed;
* confirm rate: a confirming question on an item that needed no more than self-care;
* screen accuracy (items with ``screens``) and keyword accuracy (items with ``expect_any``),
  read in the answer body only, never the footer or the buttons.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tgbot.content.checks import YAML_LOADER  # libyaml when installed: the sets read ~10x faster

LEVELS = ("none", "self_care", "see_doctor", "urgent", "emergency")
RED_FLAG_LEVELS = frozenset({"see_doctor", "urgent", "emergency"})
ALARM_LEVELS = frozenset({"urgent", "emergency"})
KIND_LEVELS = {"emergency": "emergency", "urgent": "urgent", "see_doctor": "see_doctor"}
DEFAULT_LANGUAGE = "en"
REPLY_PREVIEW = 160


class QuestionsError(ValueError):
    """The questions file is broken; the message names the file and the item."""


def rank(level: str) -> int:
    return LEVELS.index(level)


@dataclass(frozen=True)
class EvalItem:
    text: str
    kind: str
    lang: str = DEFAULT_LANGUAGE
    level: str = "self_care"  # the least acceptable level of the answer
    expect_any: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    screens: tuple[str, ...] = ()
    holdout: bool = False  # never tuned on: shows what generalises

    @property
    def is_red_flag(self) -> bool:
        return self.level in RED_FLAG_LEVELS


@dataclass(frozen=True)
class Reply:
    body: str  # what the person reads above the footer (buttons and footer left out)
    kind: str  # red_flag | confirm | answer | unsure | greeting | thanks | off_topic
    level: str  # of what is shown; a confirming question carries the level it checks for
    screen: str | None
    seconds: float = 0.0
    # The reply came from the catalogue of the language the person speaks (None: its first
    # line is in several catalogues, e.g. a number or an emoji, so it cannot tell).
    in_language: bool | None = None


@dataclass(frozen=True)
class ItemResult:
    item: EvalItem
    reply: Reply

    @property
    def under(self) -> bool:
        return self.item.is_red_flag and rank(self.reply.level) < rank(self.item.level)

    @property
    def over(self) -> bool:
        shown = self.reply.level
        return (
            self.reply.kind != "confirm"
            and shown in ALARM_LEVELS
            and rank(shown) > rank(self.item.level)
        )

    @property
    def confirm(self) -> bool:
        return self.reply.kind == "confirm"

    @property
    def screen_ok(self) -> bool | None:
        return self.reply.screen in self.item.screens if self.item.screens else None

    @property
    def must_not_hit(self) -> str | None:
        body = self.reply.body.casefold()
        return next((p for p in self.item.must_not if p.casefold() in body), None)

    @property
    def keywords_ok(self) -> bool | None:
        if not self.item.expect_any:
            return None
        body = self.reply.body.casefold()
        return self.must_not_hit is None and any(p.casefold() in body for p in self.item.expect_any)

    @property
    def passed(self) -> bool:
        return (
            not self.under
            and self.screen_ok is not False
            and self.keywords_ok is not False
            and self.reply.in_language is not False
        )


@dataclass(frozen=True)
class Tally:
    """The counts of one group of results (a kind, a language, the held-back part…)."""

    results: tuple[ItemResult, ...]

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def red_flags(self) -> int:
        return sum(r.item.is_red_flag for r in self.results)

    @property
    def benign(self) -> int:
        return self.total - self.red_flags

    @property
    def under(self) -> int:
        return sum(r.under for r in self.results)

    @property
    def over(self) -> int:
        return sum(r.over for r in self.results)

    def shown_on_benign(self, what: str) -> float:
        """Share of benign items shown ``what``: emergency, urgent or confirm."""
        benign = [r for r in self.results if not r.item.is_red_flag]
        hits = sum(r.confirm if what == "confirm" else _shown(r, what) for r in benign)
        return _rate(hits, len(benign))

    @property
    def screen_accuracy(self) -> float | None:
        return _share(r.screen_ok for r in self.results)

    @property
    def keyword_accuracy(self) -> float | None:
        return _share(r.keywords_ok for r in self.results)

    @property
    def language_accuracy(self) -> float | None:
        """Replies in the person's language, of those whose language could be told."""
        return _share(r.reply.in_language for r in self.results)

    @property
    def pass_rate(self) -> float:
        return _rate(sum(r.passed for r in self.results), self.total)


def _shown(result: ItemResult, level: str) -> bool:
    return result.reply.kind != "confirm" and result.reply.level == level


def _share(values: Iterable[bool | None]) -> float | None:
    scored = [v for v in values if v is not None]
    return _rate(sum(scored), len(scored)) if scored else None


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0  # nothing measured is not a success


@dataclass
class EvalReport:
    results: list[ItemResult]

    @property
    def all(self) -> Tally:
        return Tally(tuple(self.results))

    def groups(self, key: Callable[[ItemResult], str]) -> dict[str, Tally]:
        grouped: dict[str, list[ItemResult]] = {}
        for result in self.results:
            grouped.setdefault(key(result), []).append(result)
        return {name: Tally(tuple(rs)) for name, rs in grouped.items()}

    @property
    def under_triaged(self) -> list[ItemResult]:
        return [r for r in self.results if r.under]

    @property
    def failures(self) -> list[ItemResult]:
        return [r for r in self.results if not r.passed]

    def latency_ms(self, quantile: float) -> float:
        seconds = sorted(r.reply.seconds for r in self.results)
        if not seconds:
            return 0.0
        if len(seconds) == 1:
            return seconds[0] * 1000
        cuts = statistics.quantiles(seconds, n=100, method="inclusive")
        return cuts[min(98, max(0, round(quantile * 100) - 1))] * 1000


# ------------------------------------------------------------------------------ loading


def load_questions(path: Path, lang: str | None = None) -> list[EvalItem]:
    """Items of the file; with ``lang``, only that language ("en" = items without ``lang``)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise QuestionsError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, list):
        raise QuestionsError(f"{path}: expected a list of questions")
    items = [_item(raw, f"{path}: [{index}]") for index, raw in enumerate(data)]
    return [i for i in items if lang is None or i.lang == lang]


def _item(raw: Any, where: str) -> EvalItem:
    if not isinstance(raw, dict):
        raise QuestionsError(f"{where}: expected a mapping")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise QuestionsError(f"{where}.text: expected a non-empty text")
    kind = str(raw.get("kind") or raw.get("flag") or "")
    if not kind:
        raise QuestionsError(f"{where}.kind: expected a kind (or a flag)")
    level = raw.get("level") or KIND_LEVELS.get(kind, "self_care")
    if level not in LEVELS[1:]:
        raise QuestionsError(f"{where}.level: one of {', '.join(LEVELS[1:])}")
    expect_any = _phrases(raw.get("expect_any"), f"{where}.expect_any")
    screens = _phrases(raw.get("screens"), f"{where}.screens")
    if "level" not in raw and not expect_any:
        raise QuestionsError(f"{where}.expect_any: needs at least one phrase (or a level)")
    return EvalItem(
        text=text,
        kind=kind,
        lang=str(raw.get("lang") or DEFAULT_LANGUAGE),
        level=str(level),
        expect_any=expect_any,
        must_not=_phrases(raw.get("must_not"), f"{where}.must_not"),
        screens=screens,
        holdout=bool(raw.get("holdout", False)),
    )


def _phrases(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise QuestionsError(f"{where}: expected a list of phrases")
    # YAML turns 911 or 48 into numbers; they are phrases here.
    return tuple(str(p) for p in raw)


async def evaluate(
    items: Sequence[EvalItem], reply: Callable[[EvalItem], Awaitable[Reply]]
) -> EvalReport:
    """Ask for every item's reply in order and score it."""
    return EvalReport([ItemResult(item, await reply(item)) for item in items])


# ------------------------------------------------------------------------------ report


def format_report(report: EvalReport, title: str = "") -> str:
    lines = [f"Evaluated {len(report.results)} messages{f' from {title}' if title else ''}"]
    header = (
        f"{'group':<22} {'n':>5} {'flags':>5} {'under':>5} {'over':>5} "
        f"{'emerg%':>6} {'urg%':>6} {'conf%':>6} {'screen':>7} {'keyw':>7} {'lang':>7} "
        f"{'pass':>7}"
    )
    sections = [
        ("by kind", report.groups(lambda r: r.item.kind)),
        ("by language", report.groups(lambda r: r.item.lang)),
        ("tuned / held back", report.groups(lambda r: "held back" if r.item.holdout else "tuned")),
        ("overall", {"all": report.all}),
    ]
    for name, groups in sections:
        lines += ["", f"-- {name}", header]
        lines += [_row(group, tally) for group, tally in groups.items()]
    all_ = report.all
    lines += [
        "",
        f"UNDER-TRIAGE of red flags: {all_.under} (target 0)",
        f"over-triage (urgent/emergency shown where less was needed): {all_.over}",
        f"on benign items: emergency shown {all_.shown_on_benign('emergency'):.1%} (target ≤ 2%), "
        f"urgent shown {all_.shown_on_benign('urgent'):.1%} (≤ 5%), "
        f"confirm asked {all_.shown_on_benign('confirm'):.1%} (≤ 10%)",
        f"replies in the person's language: {_percent(all_.language_accuracy)} (target 100%)",
        f"latency per message: p50 {report.latency_ms(0.5):.1f} ms, "
        f"p99 {report.latency_ms(0.99):.1f} ms",
    ]
    for title_, results in (
        ("UNDER-TRIAGED", report.under_triaged),
        ("Other failures", [r for r in report.failures if not r.under]),
    ):
        if results:
            lines += ["", f"{title_} ({len(results)}):"]
        lines += [_failure(r) for r in results]
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _row(group: str, t: Tally) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    return (
        f"{group[:22]:<22} {t.total:>5} {t.red_flags:>5} {t.under:>5} {t.over:>5} "
        f"{t.shown_on_benign('emergency'):>6.1%} {t.shown_on_benign('urgent'):>6.1%} "
        f"{t.shown_on_benign('confirm'):>6.1%} {pct(t.screen_accuracy):>7} "
        f"{pct(t.keyword_accuracy):>7} {pct(t.language_accuracy):>7} {t.pass_rate:>7.1%}"
    )


def _failure(r: ItemResult) -> str:
    item, reply = r.item, r.reply
    wanted = f"needs {item.level}" + (f" {'/'.join(item.screens)}" if item.screens else "")
    got = f"got {reply.kind} {reply.level} {reply.screen or '-'}"
    preview = " ".join(reply.body.split())[:REPLY_PREVIEW]
    shown = r.keywords_ok is False or reply.in_language is False
    extra = f"\n    reply: {preview}" if shown and not item.holdout else ""
    if reply.in_language is False:
        got += ", not in the person's language"
    # A held-back item is read by nobody tuning the bot: its text stays out of every report.
    text = f"[held back] #{_text_id(item.text)}" if item.holdout else repr(item.text)
    return f"- [{item.kind}/{item.lang}] {text}\n    {wanted}; {got}{extra}"


def _text_id(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
