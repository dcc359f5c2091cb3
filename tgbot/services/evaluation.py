"""Score the bot's replies against an evaluation set (``questions.yaml``); no Telegram here.

The caller supplies ``reply(item) -> (text, was_emergency_answer)``: ``tgbot eval`` sends each
item through the real bot; the tests build the reply from the matched screen. The pass rule is
the evaluation set's own: the reply contains at least one ``expect_any`` phrase and none of
``must_not`` (case-insensitive substrings).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Kinds where an emergency answer is the right one, or at least not a false alarm.
ALARM_KINDS = frozenset({"emergency", "urgent", "see_doctor"})
DEFAULT_LANGUAGE = "en"
REPLY_PREVIEW = 200


class QuestionsError(ValueError):
    """The questions file is broken; the message names the file and the item."""


@dataclass(frozen=True)
class EvalItem:
    text: str
    kind: str
    lang: str
    expect_any: tuple[str, ...]
    must_not: tuple[str, ...] = ()


@dataclass
class ItemResult:
    item: EvalItem
    reply: str
    passed: bool
    must_not_hit: str | None
    emergency_answer: bool


@dataclass
class EvalReport:
    results: list[ItemResult]

    @property
    def overall_rate(self) -> float:
        return _rate(sum(r.passed for r in self.results), len(self.results))

    @property
    def per_kind(self) -> dict[str, tuple[int, int]]:
        """kind -> (passed, total), kinds in first-seen order."""
        counts: dict[str, tuple[int, int]] = {}
        for r in self.results:
            passed, total = counts.get(r.item.kind, (0, 0))
            counts[r.item.kind] = (passed + r.passed, total + 1)
        return counts

    @property
    def must_not_hits(self) -> list[ItemResult]:
        return [r for r in self.results if r.must_not_hit is not None]

    @property
    def false_alarm_rate(self) -> float:
        """Share of non-alarm items (not emergency/urgent/see_doctor) given the emergency answer."""
        calm = [r for r in self.results if r.item.kind not in ALARM_KINDS]
        return _rate(sum(r.emergency_answer for r in calm), len(calm))

    @property
    def failures(self) -> list[ItemResult]:
        return [r for r in self.results if not r.passed]

    def kind_rate(self, kind: str) -> float:
        passed, total = self.per_kind.get(kind, (0, 0))
        return _rate(passed, total)


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0  # nothing measured is not a success


def load_questions(path: Path, lang: str | None = None) -> list[EvalItem]:
    """Items of the file; with ``lang``, only that language ("en" = items without ``lang``)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise QuestionsError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, list):
        raise QuestionsError(f"{path}: expected a list of questions")
    items = [_item(raw, f"{path}: [{index}]") for index, raw in enumerate(data)]
    return [i for i in items if lang is None or i.lang == lang]


def _item(raw: Any, where: str) -> EvalItem:
    if not isinstance(raw, dict):
        raise QuestionsError(f"{where}: expected a mapping")
    text, kind = raw.get("text"), raw.get("kind")
    if not isinstance(text, str) or not text.strip():
        raise QuestionsError(f"{where}.text: expected a non-empty text")
    if not isinstance(kind, str) or not kind:
        raise QuestionsError(f"{where}.kind: expected a kind")
    expect_any = _phrases(raw.get("expect_any"), f"{where}.expect_any")
    if not expect_any:
        raise QuestionsError(f"{where}.expect_any: needs at least one phrase")
    lang = raw.get("lang") or DEFAULT_LANGUAGE
    must_not = _phrases(raw.get("must_not"), f"{where}.must_not")
    return EvalItem(text, kind, str(lang), expect_any, must_not)


def _phrases(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise QuestionsError(f"{where}: expected a list of phrases")
    # YAML turns 911 or 48 into numbers; they are phrases here.
    return tuple(str(p) for p in raw)


def score_reply(item: EvalItem, reply: str, emergency_answer: bool) -> ItemResult:
    text = reply.casefold()
    must_not_hit = next((p for p in item.must_not if p.casefold() in text), None)
    expected = any(p.casefold() in text for p in item.expect_any)
    return ItemResult(
        item, reply, expected and must_not_hit is None, must_not_hit, emergency_answer
    )


async def evaluate(
    items: Sequence[EvalItem], reply: Callable[[EvalItem], Awaitable[tuple[str, bool]]]
) -> EvalReport:
    """Ask for every item's reply in order and score it."""
    results = []
    for item in items:
        text, emergency_answer = await reply(item)
        results.append(score_reply(item, text, emergency_answer))
    return EvalReport(results)


def format_report(report: EvalReport) -> str:
    lines = [f"Evaluated {len(report.results)} questions", ""]
    lines.append(f"{'kind':<18} {'passed':>7} {'total':>6} {'rate':>7}")
    for kind, (passed, total) in report.per_kind.items():
        lines.append(f"{kind:<18} {passed:>7} {total:>6} {_rate(passed, total):>7.1%}")
    passed = sum(r.passed for r in report.results)
    lines.append(
        f"{'overall':<18} {passed:>7} {len(report.results):>6} {report.overall_rate:>7.1%}"
    )
    lines += [
        "",
        f"must_not hits: {len(report.must_not_hits)}",
        f"false-alarm rate (emergency answer on a non-alarm question): "
        f"{report.false_alarm_rate:.1%}",
    ]
    for r in report.must_not_hits:
        lines.append(f"  must_not '{r.must_not_hit}' in reply to: {r.item.text!r}")
    if report.failures:
        lines += ["", f"Failures ({len(report.failures)}):"]
    for r in report.failures:
        preview = " ".join(r.reply.split())[:REPLY_PREVIEW]
        lines += [
            f"- [{r.item.kind}] {r.item.text!r}",
            f"    expected any of: {', '.join(r.item.expect_any)}"
            + (f"; must not: {', '.join(r.item.must_not)}" if r.item.must_not else ""),
            f"    reply: {preview}",
        ]
    return "\n".join(lines)
