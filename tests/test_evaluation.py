"""The evaluation scoring rules, and the matcher measured on question sets.

The local harness builds the reply the bot would send from the MatchResult (screen text plus
button labels, or the ui texts), without Telegram, so tuning is fast. ``tgbot eval`` runs the
same sets through the real bot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tgbot.content import Catalog, Content
from tgbot.services.evaluation import (
    EvalItem,
    EvalReport,
    QuestionsError,
    evaluate,
    format_report,
    load_questions,
    score_reply,
)
from tgbot.services.matching import Matcher, MatchKind, MatchResult
from tgbot.telegram_html import html_to_plain

REPO = Path(__file__).resolve().parents[1]
OWN_QUESTIONS = REPO / "tests" / "data" / "questions.yaml"
SHARED_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "questions.yaml"
FALLBACK_UI = "cramp menu help"
MAIN_SCREEN = "main"
START_COMMANDS = ("/start", "/menu", "/help")

RecordProperty = Callable[[str, object], None]

TARGET_OVERALL = 0.95
TARGET_ALARM_KINDS = ("emergency", "urgent")
TARGET_FALSE_ALARMS = 0.03


# ------------------------------------------------------------------------------ local harness


def _ui(catalog: Catalog, key: str) -> str:
    text = catalog.ui.get(key)
    return html_to_plain(catalog.personalise(text, None)) if text else FALLBACK_UI


def _labels(catalog: Catalog, screen_id: str) -> list[str]:
    screen = catalog.screens.get(screen_id)
    return [b.label for row in screen.rows for b in row] if screen else []


def _title(catalog: Catalog, screen_id: str) -> str:
    screen = catalog.screens[screen_id]
    if screen.title:
        return screen.title
    return html_to_plain(screen.text).strip().splitlines()[0][:40]


def reply_text(catalog: Catalog, result: MatchResult) -> str:
    """What the bot would show for ``result``: text and button labels, without the footer."""
    menu = _labels(catalog, MAIN_SCREEN)
    if result.kind in (MatchKind.RED_FLAG, MatchKind.ANSWER) and result.screen_id:
        screen = catalog.screens[result.screen_id]
        body = html_to_plain(catalog.personalise(screen.text, None))
        return "\n".join([body, *_labels(catalog, screen.id)])
    if result.kind is MatchKind.GREETING:
        return "\n".join([_ui(catalog, "welcome"), *menu])
    if result.kind is MatchKind.THANKS:
        return "\n".join([_ui(catalog, "thanks"), *menu])
    if result.kind is MatchKind.OFF_TOPIC:
        return "\n".join([_ui(catalog, "off_topic"), *menu])
    titles = [_title(catalog, s) for s in result.suggestions]
    return "\n".join([_ui(catalog, "did_you_mean"), *titles, _ui(catalog, "nav_home")])


def local_reply(catalog: Catalog, matcher: Matcher, text: str) -> tuple[str, bool]:
    """(reply text, was it the emergency answer) for one typed message or /command."""
    if text.strip().split()[0] in START_COMMANDS:  # the bot's command handlers answer these
        result = MatchResult(MatchKind.GREETING, None, None, (), 0.0, "command")
    else:
        result = matcher.match(text)
    emergency = result.kind is MatchKind.RED_FLAG and result.level == "emergency"
    return reply_text(catalog, result), emergency


async def run_local(catalog: Catalog, items: Sequence[EvalItem]) -> EvalReport:
    matcher = catalog.matcher
    assert matcher is not None, "messages/en/matching.yaml did not load"

    async def reply(item: EvalItem) -> tuple[str, bool]:
        return local_reply(catalog, matcher, item.text)

    return await evaluate(items, reply)


def assert_targets(report: EvalReport) -> None:
    text = format_report(report)
    assert report.overall_rate >= TARGET_OVERALL, text
    for kind in TARGET_ALARM_KINDS:
        assert report.kind_rate(kind) == 1.0, text
    assert not report.must_not_hits, text
    assert report.false_alarm_rate <= TARGET_FALSE_ALARMS, text


# ------------------------------------------------------------------------------ scoring rules


def _item(kind: str = "causes", expect: tuple[str, ...] = ("water",), must_not=()) -> EvalItem:
    return EvalItem("question", kind, "en", expect, tuple(must_not))


def test_pass_needs_one_expected_phrase_case_insensitive() -> None:
    assert score_reply(_item(expect=("hydrat", "salt")), "Stay HYDRATED", False).passed
    assert not score_reply(_item(expect=("hydrat",)), "Stretch it", False).passed


def test_must_not_phrase_fails_even_with_expected_phrase() -> None:
    result = score_reply(_item(expect=("doctor",), must_not=("no need",)), "No need: doctor", False)
    assert not result.passed
    assert result.must_not_hit == "no need"


def _report(rows: list[tuple[str, bool, bool]]) -> EvalReport:
    """rows: (kind, passed, emergency answer)."""
    results = []
    for kind, passed, emergency in rows:
        results.append(score_reply(_item(kind, ("yes",)), "yes" if passed else "no", emergency))
    return EvalReport(results)


def test_rates_per_kind_and_overall() -> None:
    report = _report([("causes", True, False), ("causes", False, False), ("urgent", True, True)])
    assert report.per_kind == {"causes": (1, 2), "urgent": (1, 1)}
    assert report.overall_rate == pytest.approx(2 / 3)
    assert [r.item.kind for r in report.failures] == ["causes"]


def test_false_alarms_count_only_non_alarm_kinds() -> None:
    report = _report(
        [
            ("emergency", True, True),
            ("urgent", True, True),
            ("see_doctor", True, True),
            ("night_cramps", True, True),
            ("causes", True, False),
            ("greeting", True, False),
            ("off_topic", True, False),
        ]
    )
    assert report.false_alarm_rate == pytest.approx(1 / 4)


def test_empty_report_is_not_a_division_by_zero() -> None:
    report = EvalReport([])
    assert report.overall_rate == 0.0
    assert report.false_alarm_rate == 0.0
    assert report.kind_rate("emergency") == 0.0


def test_format_report_lists_rates_and_failures() -> None:
    report = _report([("causes", False, True), ("urgent", True, True)])
    text = format_report(report)
    assert "causes" in text and "overall" in text and "50.0%" in text
    assert "false-alarm rate" in text and "100.0%" in text
    assert "Failures (1)" in text and "expected any of: yes" in text


def test_load_questions_filters_language_and_keeps_numbers_as_text(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "- {text: hi, kind: greeting, expect_any: [menu]}\n"
        "- {text: hola, kind: greeting, lang: es, expect_any: [menú]}\n"
        "- {text: help, kind: emergency, expect_any: [911, call], must_not: [fine]}\n",
        encoding="utf-8",
    )
    assert [i.text for i in load_questions(path, "en")] == ["hi", "help"]
    assert [i.text for i in load_questions(path, "es")] == ["hola"]
    assert len(load_questions(path)) == 3
    assert load_questions(path, "en")[1].expect_any == ("911", "call")
    assert load_questions(path, "en")[1].must_not == ("fine",)


def test_load_questions_names_the_broken_item(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("- {text: hi, kind: greeting}\n", encoding="utf-8")
    with pytest.raises(QuestionsError, match=r"q\.yaml: \[0\]\.expect_any"):
        load_questions(path)


# ------------------------------------------------------------------------------ question sets


@pytest.fixture(scope="module")
def catalog(content: Content) -> Catalog:
    return content.catalogs["en"]


async def measure(catalog: Catalog, path: Path, record_property: RecordProperty) -> EvalReport:
    """Evaluate the English items of ``path``; the report goes to the captured output (shown
    with -rA, -s or on failure) and to the JUnit properties, so it is visible without -s."""
    report = await run_local(catalog, load_questions(path, "en"))
    text = format_report(report)
    print(f"{path}\n{text}")
    record_property("overall_rate", f"{report.overall_rate:.3f}")
    record_property("report", text)
    return report


async def test_own_questions_meet_the_targets(
    catalog: Catalog, record_property: RecordProperty
) -> None:
    report = await measure(catalog, OWN_QUESTIONS, record_property)
    assert len(report.results) >= 80
    assert_targets(report)


async def test_shared_questions_meet_the_targets(
    catalog: Catalog, record_property: RecordProperty
) -> None:
    if not SHARED_QUESTIONS.is_file():
        pytest.skip(f"{SHARED_QUESTIONS} not present")
    assert_targets(await measure(catalog, SHARED_QUESTIONS, record_property))
