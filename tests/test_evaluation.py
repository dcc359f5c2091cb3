"""Evaluation by triage level: the scoring rules, ``tgbot eval`` on a small fixture, and the
understanding service measured on our sets and the shared one.

The local harness builds the answer body the bot would show from the Understanding (screen
text, confirm question or ui text, never the footer or the buttons), without Telegram, so the
sets run in seconds. ``tgbot eval`` runs the same sets through the real bot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tgbot.cli import main
from tgbot.content import Catalog, Content
from tgbot.services.understanding.languages import understand
from tgbot.services.understanding.understander import (
    Kind,
    Understander,
    Understanding,
    understander_for,
)
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.evaluation import (
    EvalItem,
    EvalReport,
    ItemResult,
    QuestionsError,
    Reply,
    evaluate,
    format_report,
    load_questions,
)
from tgbot_devtools.terminal import spoken_in
from tgbot_devtools.worked_cases import worked_case_texts

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
OWN_QUESTIONS = REPO / "tests" / "data" / "questions.yaml"
RED_FLAGS = REPO / "tests" / "data" / "redflags.yaml"
DEV2_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev2.yaml"
DEV3_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev3.yaml"
DEV4_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev4.yaml"
DEV5_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev5.yaml"
DEV6_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev6.yaml"
DEV7_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev7.yaml"
DEV8_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev8.yaml"
DEV9_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev9.yaml"
DEV10_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev10.yaml"
DEV11_RED_FLAGS = REPO / "tests" / "data" / "redflags_dev11.yaml"
FRESH_RED_FLAGS = REPO / "tests" / "data" / "redflags_fresh.yaml"
FRESH2_RED_FLAGS = REPO / "tests" / "data" / "redflags_fresh2.yaml"
FRESH3_RED_FLAGS = REPO / "tests" / "data" / "redflags_fresh3.yaml"
FRESH4_RED_FLAGS = REPO / "tests" / "data" / "redflags_fresh4.yaml"
FRESH5_RED_FLAGS = REPO / "tests" / "data" / "redflags_fresh5.yaml"
FRESH6_RED_FLAGS = REPO / "tests" / "data" / "redflags_fresh6.yaml"
SHARED_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "questions.yaml"
START_COMMANDS = ("/start", "/menu", "/help")


def red_flag_set(name: str) -> Path:
    """tests/data/redflags_<name>.yaml (the sets named only in the ceilings below)."""
    return DATA / f"redflags_{name}.yaml"


RecordProperty = Callable[[str, object], None]

# Targets of the issue on safe understanding (benign = needs no more than self-care).
TARGET_BENIGN_EMERGENCY = 0.02
TARGET_BENIGN_URGENT = 0.05
TARGET_BENIGN_CONFIRM = 0.10
TARGET_KEYWORDS = 0.95


# ------------------------------------------------------------------------------ local harness


def answer_body(catalog: Catalog, understood: Understanding) -> str:
    """The text the bot shows for ``understood``, without footer and buttons."""
    if understood.kind is Kind.CONFIRM:
        assert understood.question is not None
        note = catalog.text(f"confirm_note_{understood.level.label}")
        return understood.question + "\n" + html_to_plain(catalog.personalise(note, None))
    screen = catalog.screen(understood.screen) if understood.screen else None
    if understood.kind in (Kind.RED_FLAG, Kind.ANSWER) and screen is not None:
        return html_to_plain(catalog.personalise(screen.text, None))
    key = {
        Kind.GREETING: "welcome",
        Kind.THANKS: "thanks",
        Kind.OFF_TOPIC: "off_topic",
    }.get(understood.kind, "did_you_mean")
    return html_to_plain(catalog.personalise(catalog.text(key), None))


async def run_local(content: Content, items: Sequence[EvalItem]) -> EvalReport:
    """Each item understood as the bot does (``understand``: the person's language first, then
    whichever of the bot's languages reads it), the reply in the person's language."""

    async def reply(item: EvalItem) -> Reply:
        language = content.resolve_language(item.lang)
        catalog = content.catalogs[language]
        if item.text.strip().split()[0] in START_COMMANDS:  # the command handlers answer
            return Reply(html_to_plain(catalog.text("welcome")), "greeting", "none", None)
        reading = understand(content, language, item.text, "use")
        assert reading is not None, "messages/en/matching.yaml did not load"
        return reply_to(content, language, reading.understood)

    return await evaluate(items, reply)


def reply_to(content: Content, language: str, understood: Understanding) -> Reply:
    body = answer_body(content.catalogs[language], understood)
    return Reply(
        body,
        understood.kind.value,
        understood.level.label,
        understood.screen,
        in_language=spoken_in(content, body, language),
    )


@pytest.fixture(scope="module")
def catalog(content: Content) -> Catalog:
    return content.catalogs["en"]


_measured: dict[tuple[Path, str | None], EvalReport] = {}


async def measure(
    content: Content, path: Path, record_property: RecordProperty, lang: str | None = "en"
) -> EvalReport:
    """Evaluate ``path``; the report goes to the captured output (shown with -rA, -s or on
    failure) and to the JUnit properties, so it is visible without -s."""
    key = (path, lang)
    report = _measured.get(key) or await run_local(content, load_questions(path, lang))
    _measured[key] = report  # the per-language screen check reads every set again
    text = format_report(report, path.name)
    print(text)
    record_property("report", text)
    return report


def assert_benign_targets(report: EvalReport) -> None:
    text = format_report(report)
    assert report.all.shown_on_benign("emergency") <= TARGET_BENIGN_EMERGENCY, text
    assert report.all.shown_on_benign("urgent") <= TARGET_BENIGN_URGENT, text
    assert report.all.shown_on_benign("confirm") <= TARGET_BENIGN_CONFIRM, text


# ------------------------------------------------------------------------------ scoring rules


def _result(
    level: str, shown: str, kind: str = "answer", text: str = "text", **item: object
) -> ItemResult:
    return ItemResult(
        EvalItem(text, "k", level=level, **item),  # type: ignore[arg-type]
        Reply("body", kind, shown, "s"),
    )


def test_under_triage_counts_only_red_flags_shown_below_their_level() -> None:
    assert _result("emergency", "urgent").under
    assert _result("urgent", "see_doctor").under
    assert not _result("urgent", "emergency").under
    assert not _result("emergency", "emergency", kind="confirm").under  # asked, number visible
    assert not _result("self_care", "none").under  # a greeting needs no level


def test_over_triage_is_an_alarm_shown_where_less_was_needed_not_a_question() -> None:
    assert _result("self_care", "emergency", kind="red_flag").over
    assert _result("see_doctor", "urgent", kind="red_flag").over
    assert not _result("self_care", "urgent", kind="confirm").over
    assert not _result("urgent", "urgent", kind="red_flag").over


def test_keywords_are_read_in_the_body_and_must_not_wins() -> None:
    hit = ItemResult(
        EvalItem("t", "k", expect_any=("hydrat",)),
        Reply("Stay HYDRATED", "answer", "self_care", "s"),
    )
    assert hit.keywords_ok
    bad = ItemResult(
        EvalItem("t", "k", expect_any=("doctor",), must_not=("no need",)),
        Reply("No need: doctor", "answer", "self_care", "s"),
    )
    assert bad.keywords_ok is False and bad.must_not_hit == "no need"


def test_screen_accuracy_only_where_screens_are_given() -> None:
    assert _result("urgent", "urgent", screens=("s",)).screen_ok
    assert _result("urgent", "urgent", screens=("other",)).screen_ok is False
    assert _result("urgent", "urgent").screen_ok is None


def test_shared_kinds_map_to_levels(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "- {text: a, kind: emergency, expect_any: [x]}\n"
        "- {text: b, kind: see_doctor, expect_any: [x]}\n"
        "- {text: c, kind: hydration, expect_any: [x], lang: es}\n"
        "- {text: d, flag: stroke, level: emergency, screens: [em_stroke], holdout: true}\n",
        encoding="utf-8",
    )
    items = load_questions(path)
    assert [i.level for i in items] == ["emergency", "see_doctor", "self_care", "emergency"]
    assert items[3].holdout and items[3].screens == ("em_stroke",) and items[3].kind == "stroke"
    assert [i.text for i in load_questions(path, "es")] == ["c"]


def test_load_questions_names_the_broken_item(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("- {text: a, kind: x, level: severe}\n", encoding="utf-8")
    with pytest.raises(QuestionsError, match=r"\[0\]\.level"):
        load_questions(path)


FIXTURE = """\
- {text: "crushing chest pain and i cant breathe", kind: emergency, level: emergency}
- {text: "how do i stretch my calf", kind: relief, level: emergency}
- {text: "how do i stretch my calf", kind: relief, level: self_care}
- {text: "crushing chest pain and i cant breathe", kind: chest, level: urgent}
"""


def test_tgbot_eval_counts_under_and_over_triage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the real bot: one red flag met, one under-triaged (a calf stretch shown where
    an emergency was required), one benign answer, one over-triage (the emergency screen
    shown where same-day care was said to be enough)."""
    path = tmp_path / "fixture.yaml"
    path.write_text(FIXTURE, encoding="utf-8")
    assert main(["eval", str(path)]) == 0
    out = capsys.readouterr().out
    assert "UNDER-TRIAGE of red flags: 1 (target 0)" in out
    assert "over-triage (urgent/emergency shown where less was needed): 1" in out
    assert "how do i stretch my calf" in out.split("UNDER-TRIAGED (1):")[1]
    assert main(["eval", "--levels", str(path)]) == 1  # --levels fails on under-triage
    capsys.readouterr()


def test_a_report_never_shows_a_held_back_text() -> None:
    held = _result("urgent", "self_care", text="my held back wording", holdout=True)
    tuned = _result("urgent", "self_care", text="my tuned wording")
    text = format_report(EvalReport([held, tuned]))
    assert "my tuned wording" in text
    assert "my held back wording" not in text and "[held back] #" in text


def test_format_report_lists_groups_and_latency() -> None:
    report = EvalReport([_result("urgent", "see_doctor"), _result("self_care", "self_care")])
    text = format_report(report)
    for part in ("-- by kind", "-- by language", "held back", "UNDER-TRIAGE", "p99"):
        assert part in text


# ------------------------------------------------------------------------------ measured


async def test_own_questions_meet_the_targets(
    content: Content, record_property: RecordProperty
) -> None:
    report = await measure(content, OWN_QUESTIONS, record_property)
    assert len(report.results) >= 80
    text = format_report(report)
    assert report.all.under == 0, text
    assert (report.all.keyword_accuracy or 0) >= TARGET_KEYWORDS, text
    assert_benign_targets(report)


async def test_shared_questions_meet_the_targets(
    content: Content, record_property: RecordProperty
) -> None:
    if not SHARED_QUESTIONS.is_file():
        pytest.skip(f"{SHARED_QUESTIONS} not present")
    report = await measure(content, SHARED_QUESTIONS, record_property)
    text = format_report(report)
    assert report.all.under == 0, text
    assert (report.all.keyword_accuracy or 0) >= TARGET_KEYWORDS, text
    assert_benign_targets(report)


# The target is 0 under-triaged red flags; the issue stays open until it is met. These
# ceilings are today's measured figures, so any change that misses more fails here. The fresh
# sets were written later by writers who saw neither the bot nor the earlier sets. fresh and
# fresh2 were wholly held back until 2026-12-01; since then three items in four of each group
# are tuned on, and fresh3 (written that day) is the set nobody has tuned on.
# (The tuned parts are worked cases in messages/en/semantic_cases.yaml, so tuned is 0.)
#
# 2026-12-01, all languages of each set: under-triaged tuned/held back, before -> after
# (before = main before fresh and fresh2 became worked cases and the vocabulary below grew:
# the double negative "can't walk … without cramping", beta blockers, heart rhythm and
# low-salt words, dirty-wound words, walking distances, frequent cramps that spoil sleep; a
# "second question" case keeps only what follows its ordinary first question).
#   redflags   0/13 -> 0/7
#   dev2       0/1  -> 0/0
#   dev3       0/3  -> 0/0
#   fresh      -/2  -> 0/1     (tuned part new)
#   fresh2     -/9  -> 0/1     (tuned part new)
#   fresh3     -/14 -> -/8     (never tuned on; its misses did not shape the vocabulary)
# "fine" and "ok" are denial words since a denial hides only what comes before it in its clause
# ("breathing's fine"), not what follows ("I was fine until…"): benign confirm questions fell
# (fresh3 13.6 -> 8.7 %, dev2 held back 15.2 -> 9.1 %) with no red flag lost.
# Every set's tuned part is held at 0 (its misses shaped the vocabulary); these are the
# held-back parts' ceilings, set to what was measured.
HELD_BACK_UNDER_CEILING = {
    # 7 until the sixth session; 8 once dev4's worked cases joined the tier: a child's leg
    # pain it had caught only by asking about a different flag (cauda equina) now gets the
    # calf answer, while fresh, fresh4 and dev4's held-back quarters each lost one miss; 7
    # again once see-a-doctor resemblances answered from 0.62 (seventh session); 6 after the
    # twentieth session's words and rule-outs from dev64-66's tuned parts.
    RED_FLAGS: 6,
    DEV2_RED_FLAGS: 0,
    DEV3_RED_FLAGS: 0,
    # Written in the sixth session from the facts sheet only; measured whole before any change:
    # dev4 10 of 370 under-triaged, dev5 (es, ru, pt, uk, de) 4 of 230 (its tuned 4 went once
    # each language's vocabulary was broadened). Then split by a hash of the text; the tuned
    # parts shaped vocabulary, the held-back quarters never did.
    DEV4_RED_FLAGS: 2,  # 3 until lockjaw in lay words (seventeenth session)
    DEV5_RED_FLAGS: 0,
    # dev6 (implied signs, very short messages, carers, people who play it down) measured whole
    # before any change: 22 of 370; the last two tuned misses needed clock arithmetic ("it
    # started at 1.10 and it's 1.35", services/understanding/clock.py).
    DEV6_RED_FLAGS: 5,  # 8 until see-a-doctor resemblances answered from 0.62; 6 until heatstroke
    # said plainly ("talking rubbish", "hot and dry", seventeenth session)
    # dev7 (es, ru, pt, uk, de in dev6's manner, clock times too), measured whole before any
    # change: 14 of 230; then each language read clock times and gained its tuned part's
    # vocabulary.
    DEV7_RED_FLAGS: 1,
    # dev8 (English) and dev9 (es, ru, pt, uk, de), written in the seventh session for the flags
    # the blind sets miss most (dystonia, long cramps, claudication, back risk, twitching with
    # weakness, frequent cramps, restless legs) and their benign look-alikes; measured whole
    # before any change: dev8 16 of 288, dev9 20 of 220 under-triaged.
    DEV8_RED_FLAGS: 2,
    DEV9_RED_FLAGS: 1,  # 3 until the eighth session's native red-flag exemplars
    # dev10 (English, 9 wordings of every flag: dictated, buried, side remarks, idioms, jokes),
    # seventh session, measured whole before any change: 4 of 333 under-triaged, all in its
    # tuned part; "back in" had read as a remote past in "my back is in spasm".
    DEV10_RED_FLAGS: 0,
    # dev11 (es, ru, pt, uk, de in dev10's manner, every flag in every language), measured
    # whole before any change: 7 of 290 under-triaged (4 tuned, 3 held back). 2 once "half the
    # face" counted as one side and a back pain weeks long at 50+ as a reason to see a doctor
    # in every language (eighth session).
    DEV11_RED_FLAGS: 1,  # 2 until the other languages' worked cases (seventeenth session)
    # dev12 (English) and dev13 (es, ru, pt, uk, de): every flag as the people who send it say
    # it (carers, parents, pregnant women, workers, athletes, people on medicines); measured
    # whole before any change: dev12 3 of 296, dev13 13 of 270 under-triaged.
    red_flag_set("dev12"): 1,
    # 3 until the eighth session's general fixes (as dev11), 2 until its last round.
    red_flag_set("dev13"): 0,  # 1 until the other languages' worked cases
    # Eighth session, regional speech: dev14 (es from four countries, pt-BR), dev15 (ru, uk
    # with surzhyk), dev16 (de from Germany, Austria and Switzerland; en from five countries);
    # measured whole before any change: 5 of 185, 9 of 180 and 5 of 177 under-triaged.
    red_flag_set("dev14"): 0,
    red_flag_set("dev15"): 0,
    red_flag_set("dev16"): 0,  # 1 until the Swiss German walking words (its own tuned part's)
    # Eighth session, second round: dev17 (es, pt), dev18 (ru, uk), dev19 (de, en), a third very
    # short, a third with emoji and chat abbreviations, a third long or from older people;
    # measured whole before any change: 2 of 172, 12 of 172 and 3 of 193 under-triaged. Then
    # 5 more native red-flag exemplars per screen in es, pt, ru, uk and de: 17 -> 12 of those 537
    # (screens 83.4 -> 83.1 %), kept on that evidence.
    red_flag_set("dev17"): 0,
    red_flag_set("dev18"): 0,  # 2 until the other languages' worked cases
    red_flag_set("dev19"): 1,
    # Eighth session, third round: the red flag one detail among many, or said in passing while
    # asking about something else; people who minimise; updates; carers of children and the
    # very old. dev20 (en), dev21 (es, ru), dev22 (pt, de), dev23 (uk, en); measured whole
    # before any change: 1 of 200, 7 of 177, 3 of 172 and 5 of 182 under-triaged.
    red_flag_set("dev20"): 0,
    red_flag_set("dev21"): 0,  # 1 until the other languages' worked cases
    red_flag_set("dev22"): 0,
    red_flag_set("dev23"): 1,
    # Eighth session, fourth round, every style mixed: dev24 (ru), dev25 (uk), dev26 (es, de),
    # dev27 (pt, en); measured whole before any change: 8 of 200, 12 of 200, 3 of 181 and
    # 4 of 185 under-triaged.
    red_flag_set("dev24"): 1,  # 2 until the other languages' worked cases
    red_flag_set("dev25"): 1,  # 3 until a common word was no longer "corrected" (tenth
    # session), 2 until the other languages' worked cases (seventeenth)
    red_flag_set("dev26"): 0,  # 1 until the other languages' worked cases
    red_flag_set("dev27"): 2,
    # Eighth session, fifth round, every style mixed and twice the share of same-day and
    # see-a-doctor flags: dev28 (uk), dev29 (ru), dev30 (es, pt), dev31 (de, en); measured whole
    # before any change: 7 of 200, 9 of 200, 1 of 232 and 10 of 241 under-triaged.
    red_flag_set("dev28"): 2,
    red_flag_set("dev29"): 0,  # 1 until the sixteenth session
    red_flag_set("dev30"): 0,
    red_flag_set("dev31"): 0,  # 3 until dev37's dialect fixes (tenth session), 2 until the
    # other languages' worked cases (seventeenth), 1 until a child crying over a leg counted
    # as its pain (twenty-first)
    # Eighth session, sixth round, the three weakest languages alone, every style mixed: dev32
    # (ru), dev33 (uk), dev34 (de); measured whole before any change: 10, 13 and 10 of 200.
    red_flag_set("dev32"): 1,  # 2 until the other languages' worked cases
    red_flag_set("dev33"): 2,  # 3 until the sixteenth session
    red_flag_set("dev34"): 2,  # 5 until the sixteenth session, 4 until the seventeenth's
    # worked cases in every language
    # Ninth session, seventh round, every style mixed with more voice dictation, people who have
    # decided it is harmless, time courses and what-next questions: dev35 (ru), dev36 (uk);
    # measured whole before any change: 4 and 6 of 200 under-triaged.
    red_flag_set("dev35"): 1,
    red_flag_set("dev36"): 2,
    # Tenth session, eighth round, every style mixed, every flag in each language: dev38 (en, es,
    # pt), dev39 (ru, uk); measured whole before any change: 1 of 186 and 4 of 184 under-triaged
    # (dev39's all in its tuned part: a uk stroke said as "рот кривий", ru heat as "+41").
    red_flag_set("dev38"): 1,
    # dev37 (de, 220 items, every flag at least four times), measured
    # whole before any change: 11 of 180 (8 tuned: dialect lockjaw, restless legs and alcohol,
    # a two-year-old's leg pain, a child's swollen knee, a foot turning in only when walking).
    red_flag_set("dev37"): 1,  # 3 until dev42's Swiss and Austrian words, 2 until the
    # worked cases were filed again with dev58-63's tuned parts (twentieth session)
    # Tenth session, ninth round, the red flag in passing beside an ordinary question,
    # understatement, idiom and numbers: dev40 (en, 210 items), dev41 (uk, de, 105 each);
    # measured whole before any change: 2 of 170 and 5 of 174 under-triaged.
    red_flag_set("dev40"): 0,
    red_flag_set("dev41"): 4,
    # Tenth session, tenth round: dev42 (de, 200 items, older people and carers, manual workers,
    # athletes, parents, pregnant women, people on many medicines; Swiss and Austrian speech),
    # dev43 (ru, es, pt, 70 each, the same writers); measured whole before any change: 7 of 165
    # (all in dev42's tuned part) and 4 of 174 (3 tuned, 1 held back).
    red_flag_set("dev42"): 0,
    red_flag_set("dev43"): 1,
    # Tenth session, eleventh round, every language (60 each, two writers): a third very short, a
    # third long and unpunctuated, a third reporting what happened hours or days ago; measured
    # whole before any change: 4 of 301 under-triaged (3 tuned, 1 held back), 88.9 % screens.
    red_flag_set("dev44"): 1,
    # Tenth session, twelfth round, every language (60 each, 18 of them benign look-alikes: the
    # sign denied, a red-flag word in another sense, a problem long resolved), written about
    # another person with their medicines and conditions; measured whole before any change: 2 of
    # 252 red flags under-triaged (both tuned), but of 108 look-alikes 7 were shown an
    # emergency screen and 33 asked a confirming question.
    red_flag_set("dev46"): 0,
    red_flag_set("dev39"): 0,
    # dev47 (en, es, pt: regional speech, mixed language, phone typing), thirteenth session,
    # measured whole before any change: 0 of 126 red flags under-triaged.
    red_flag_set("dev47"): 0,
    # dev48 (dev47's missing half: ru, uk, de, 60 each, one writer per language; Latin translit
    # too), fourteenth session, measured whole before any change: 8 of 126 red flags
    # under-triaged (6 tuned, 2 held back), screens ru 78.3, uk 75.0, de 76.7 %; 8 of its 9
    # items typed in Latin letters had been off-topic. Russian and Ukrainian in Latin letters
    # then read natively (the two held-back misses were such), and its tuned part's words.
    red_flag_set("dev48"): 0,
    # dev49 (en) and dev50 (uk, de), 120 items each weighted to the see-a-doctor and same-day
    # flags, fifteenth session, measured whole before any change: dev49 3 of 80 red flags
    # under-triaged (all tuned), screens 82.5 %; dev50 4 of 80 (2 tuned, 2 held back), screens uk
    # 78.3, de 70.0 %. Its tuned parts' fixes: an age that opens the message ("55 and ..."),
    # restless-legs and weakness words, uk "з чверть години" (a quarter of an hour).
    red_flag_set("dev49"): 0,
    red_flag_set("dev50"): 2,
    # dev51 (es, pt) and dev52 (ru, en), 120 each, written the same way in the sixteenth session;
    # measured whole before any change made from them: dev51 2 of 80 red flags under-triaged (both
    # tuned), screens es 68.3, pt 83.3 %; dev52 1 of 80 (tuned), screens en 76.7, ru 78.3 %. Their
    # tuned parts' fixes: leaning on a trolley near "eases", "2 añitos", "посидит" (sits a while).
    red_flag_set("dev51"): 0,
    red_flag_set("dev52"): 0,
    # dev54 (uk, de) and dev55 (ru, pt), 120 each, written the same way in the seventeenth
    # session and weighted to the pairs the held-back misses fall between (walking pain or a
    # calf cramp, frequent or ordinary night cramps, tetanus or a wound...); measured whole
    # before any change made from them: dev54 3 of 80 red flags under-triaged (all tuned),
    # screens uk 66.7, de 78.3 %; dev55 3 of 80 (all tuned), screens ru 76.7, pt 75.0 %. Their
    # tuned parts' fixes: Bavarian walking and resting words ("stehn bleim", "dann gehts
    # wieda"), restless feet, "забиваются" (muscles seizing up), "vou a pé", "desde o carnaval".
    red_flag_set("dev54"): 0,
    red_flag_set("dev55"): 0,
    # dev53 (en), written the same way: 2 of 80 red flags under-triaged (1 tuned, 1 held back),
    # screens 79.2 %; its tuned miss: "stretching does nothing" is a cramp not easing.
    red_flag_set("dev53"): 1,
    # dev57 (uk, es), written the same way in the eighteenth session: 1 of 80 red flags
    # under-triaged (tuned: es writer's cramp, "se me dobla la muñeca"), none held back; screens
    # uk 70.0, es 83.3 %; benign confirm questions uk 25, es 15 %.
    red_flag_set("dev57"): 0,
    # dev56 (en), written the same way in the same session: no red flag under-triaged (61 tuned,
    # 19 held back); screens 76.7 %; benign confirm questions 17.5 %.
    red_flag_set("dev56"): 0,
    # dev59 (de, pt), written the same way in the nineteenth session: 1 of 80 red flags
    # under-triaged (tuned: Swiss German walking pain eased by sitting, "abhockt"), none held
    # back; screens de 73.3, pt 86.7 %; benign confirm questions de 10, pt 15 %.
    red_flag_set("dev59"): 0,
    # dev58 (en) and dev60 (uk, ru), written the same way in the same session: dev58 1 of 80
    # under-triaged (held back), screens 82.5 %, benign confirm questions 2.5 %; dev60 1 of 80
    # (tuned: uk "спухла", one calf swollen), screens uk 73.3, ru 83.3 %, benign confirm
    # questions uk 25, ru 0 %.
    red_flag_set("dev58"): 1,
    red_flag_set("dev60"): 0,
    # dev61 (uk, de), dev62 (en, pt) and dev63 (es, ru), written the same way in the twentieth
    # session, 40 red flags and 20 look-alikes per language: 4 of 240 red flags under-triaged,
    # all tuned (pt, ru: back pain pressing in the front; de: "falsche Wörter" with a limp hand,
    # Swiss "nümm bisle"), none held back; screens uk 81.7, de 76.7, en 83.3, pt 76.7, es 81.7,
    # ru 88.3 %; benign confirm questions 0-15 %.
    red_flag_set("dev61"): 0,
    red_flag_set("dev62"): 0,
    red_flag_set("dev63"): 0,
    # dev64 (en, 80 red flags and 40 look-alikes), dev65 (uk, de) and dev66 (en, pt), written
    # the same way in the same session with most red flags on the see-a-doctor kinds and the
    # emergencies the held-back misses fall in (walking pain, frequent cramps, back-pain risks,
    # dystonia, restless legs, lockjaw, fits, poisons): 2 of 320 red flags under-triaged, both
    # tuned (uk and Austrian lockjaw after a bite or a rusty nail), none held back; screens
    # dev64 73.3, uk 60.0, de 73.3, en 78.3, pt 78.3 %; benign confirm questions 0-35 %.
    red_flag_set("dev64"): 0,
    red_flag_set("dev65"): 0,
    red_flag_set("dev66"): 0,
    # dev67 (ru, es), dev68 (uk, pt) and dev69 (de, en), written blind in the twenty-first
    # session (dev68 and dev69 weighted to the see-a-doctor kinds), measured whole before any
    # change made from them: 1 of 480 red flags under-triaged, tuned (a German toddler crying
    # over one leg), none held back; screens es 76.7, ru 86.7, uk 73.3, pt 83.3, de 75.0,
    # en 86.7 %; benign confirm questions 2-6 of 20 per language.
    red_flag_set("dev67"): 0,
    red_flag_set("dev68"): 0,
    red_flag_set("dev69"): 0,
    # Ninth session: ordinary questions as the shared set's kinds, 100 per language (55 self-care,
    # 35 red flags, 10 greetings, thanks and off-topic), qdev1 (es, pt), qdev2 (ru, uk), qdev3
    # (de, en); measured whole before any change: 0, 1 and 0 of 70 red flags under-triaged,
    # screens es 81.1, pt 86.7, ru 85.6, uk 76.7, de 78.9, en 88.9 %.
    DATA / "questions_qdev1.yaml": 0,
    DATA / "questions_qdev2.yaml": 0,
    DATA / "questions_qdev3.yaml": 0,
    # Eleventh session, the same kind of ordinary questions again, 100 per language: qdev4 (es,
    # pt), qdev5 (ru, uk), qdev6 (de, en); measured whole before any change: 0 of 60 and 2 of 60
    # red flags under-triaged (qdev5: 1 tuned, 1 held back), screens es 81.1, pt 83.2, ru 83.2,
    # uk 82.1 %; qdev6 0 of 60, screens de 83.2, en 83.2 %.
    DATA / "questions_qdev4.yaml": 0,
    DATA / "questions_qdev5.yaml": 1,
    DATA / "questions_qdev6.yaml": 0,
    FRESH_RED_FLAGS: 0,  # 1 until dev4's worked cases joined the tier
    FRESH2_RED_FLAGS: 0,  # 1 until "half hour" and "still clenched" (seventh session)
    # 8 before the fifth session's general fixes, then 6, 5 after the sixth's, 4 after the
    # seventh's (see-a-doctor resemblances answered from 0.62); one came with "soil near a
    # wound", a term written from the facts sheet for a miss its report had once shown
    # ("muddy"); 3 once an age that opens a message was read (fifteenth session).
    FRESH3_RED_FLAGS: 3,
    # Written blind; measured before and after the fourth session's changes: 15, 14; 10 once a
    # spaced dash ended a clause (its writer's "not a cramp - my chest…" hid the chest); 7
    # until a twisted posture that holds (seventh session).
    FRESH4_RED_FLAGS: 5,  # 6 until the other languages' worked cases (seventeenth session)
    # Written blind in the fifth session, after that session's general fixes: 10 of 494 red
    # flags under-triaged when it landed, all English; 9 after claudication, dystonia and
    # restless-legs vocabulary written from the facts sheet (its texts were never read; only
    # its per-flag counts were); 8 once clock times were read (sixth session), 7 once
    # see-a-doctor resemblances answered from 0.62, 6 with habitual "cramp when walking"
    # (seventh).
    FRESH5_RED_FLAGS: 6,
    # Written blind in the sixth session from the facts sheet only (600 items, 32 natively in
    # each of es, ru, pt, uk, de) and measured before any change: 10 of 489 red flags
    # under-triaged (8 English, 1 German, 1 Russian), 88.3 % screens, benign confirm 1.8 %.
    # 9 until see-a-doctor resemblances answered from 0.62, 8 until the eighth session's native
    # red-flag exemplars.
    FRESH6_RED_FLAGS: 7,
}
RED_FLAG_SETS = tuple(HELD_BACK_UNDER_CEILING)


@pytest.mark.parametrize("path", RED_FLAG_SETS, ids=lambda p: p.stem)
async def test_red_flag_sets_are_no_worse_than_measured(
    content: Content, record_property: RecordProperty, path: Path
) -> None:
    report = await measure(content, path, record_property, lang=None)
    assert len(report.results) >= 120  # every set is whole (the smallest, dev49, has 120 items)
    text = format_report(report)
    by_part = report.groups(lambda r: "held back" if r.item.holdout else "tuned")
    assert by_part["tuned"].under == 0, text
    assert by_part["held back"].under <= HELD_BACK_UNDER_CEILING[path], text


# Leave one set out: a tuned part read with the worked cases filed from that very set taken out
# of the semantic tier (the rules still know it), so the figure shows how the tier does on
# wordings it has not stored, on far more items than the held-back quarters. When the check
# landed, 9 of 2,308 English items were under-triaged and 84.5 % got their screen; after the
# agreed window, the frequency, medicine and lemma fixes and the answers' new exemplars, 3 and
# 88.3 % (lowest set 84.8 %); after "they happen every night", "OD'd" (read "odd") and "I drink
# a lot" (alcohol, unless of water), 0 and 88.4 %.
LEFT_OUT_UNDER_CEILING = {
    RED_FLAGS: 0,
    DEV2_RED_FLAGS: 0,
    DEV3_RED_FLAGS: 0,
    FRESH_RED_FLAGS: 0,
    FRESH2_RED_FLAGS: 0,
    DEV4_RED_FLAGS: 0,
    DEV6_RED_FLAGS: 0,  # its items are not filed as worked cases: this reads it as it is
}
LEFT_OUT_SCREENS_FLOOR = 0.84


def without_own_cases(content: Content, path: Path, lang: str) -> tuple[Understander, Understander]:
    """The language's understander, and the same with the worked cases filed from ``path``
    taken out of its semantic tier (the rules still know the set)."""
    full = understander_for(content.catalogs[lang], "use")
    assert full is not None and full.tier is not None
    left_out = full.tier.without(worked_case_texts(path))
    assert len(left_out.exemplars.sentences()) > 0 and left_out is not full.tier
    return full, Understander(full.matcher, left_out)


async def read_tuned_part(
    content: Content,
    record_property: RecordProperty,
    understander: Understander,
    path: Path,
    lang: str,
) -> tuple[EvalReport, str]:
    """``path``'s tuned items in ``lang`` read by ``understander``, reported as ``measure`` does."""
    items = [item for item in load_questions(path, lang) if not item.holdout]

    async def reply(item: EvalItem) -> Reply:
        return reply_to(content, lang, understander.understand(item.text))

    report = await evaluate(items, reply)
    text = format_report(report, f"{path.name} ({lang}), its worked cases left out")
    print(text)
    record_property("report", text)
    return report, text


@pytest.mark.parametrize("path", list(LEFT_OUT_UNDER_CEILING), ids=lambda p: p.stem)
async def test_tuned_sets_read_without_their_own_worked_cases(
    content: Content, record_property: RecordProperty, path: Path
) -> None:
    _, left_out = without_own_cases(content, path, "en")
    report, text = await read_tuned_part(content, record_property, left_out, path, "en")
    assert report.all.under <= LEFT_OUT_UNDER_CEILING[path], text
    assert (report.all.screen_accuracy or 0) >= LEFT_OUT_SCREENS_FLOOR, text


# The same for the other languages' worked cases (seventeenth session), on the newest blind
# sets: their tuned parts, each read in its own language with that set's cases left out. When
# the check landed: no red flag under-triaged, screens uk 79, de 70, es 82, pt 88, ru 74 %
# (with the cases stored: 93, 78, 84, 92, 78 %).
LEFT_OUT_BY_LANGUAGE = (("dev50", "uk"), ("dev50", "de"), ("dev51", "es"), ("dev51", "pt"),
                        ("dev52", "ru"))  # fmt: skip
LEFT_OUT_LANGUAGE_SCREENS_FLOOR = 0.70


@pytest.mark.parametrize(("name", "lang"), LEFT_OUT_BY_LANGUAGE)
async def test_each_languages_tuned_sets_read_without_their_own_worked_cases(
    content: Content, record_property: RecordProperty, name: str, lang: str
) -> None:
    path = red_flag_set(name)
    full, left_out = without_own_cases(content, path, lang)
    report, text = await read_tuned_part(content, record_property, left_out, path, lang)
    # The cases were really taken out: filed whole, a red flag is found at cosine 1.
    stored = [r.item.text for r in report.results if r.item.is_red_flag][:5]
    assert full.tier is not None and left_out.tier is not None
    assert all(full.tier.closest(t)[1] > 0.999 for t in stored)
    assert all(left_out.tier.closest(t)[1] < 0.999 for t in stored)
    assert report.all.under == 0, text
    assert (report.all.screen_accuracy or 0) >= LEFT_OUT_LANGUAGE_SCREENS_FLOOR, text


async def test_negated_red_flags_do_not_raise_an_alarm(
    content: Content, record_property: RecordProperty
) -> None:
    items = [
        i
        for path in (RED_FLAGS, DEV3_RED_FLAGS, FRESH_RED_FLAGS, FRESH2_RED_FLAGS, FRESH3_RED_FLAGS)
        for i in load_questions(path)
        if not i.is_red_flag
    ]
    report = await run_local(content, items)
    text = format_report(report)
    assert report.all.shown_on_benign("emergency") <= TARGET_BENIGN_EMERGENCY, text
    assert report.all.shown_on_benign("urgent") <= TARGET_BENIGN_URGENT, text


def test_no_held_back_message_is_among_the_exemplars() -> None:
    # Every double-quoted string of messages/ once (a set), not a substring search per item.
    quoted = {
        found
        for path in (REPO / "messages").rglob("*.yaml")
        for found in re.findall(r'"(?:[^"\\]|\\.)*"', path.read_text(encoding="utf-8"))
    }
    held_back = [
        item.text for path in RED_FLAG_SETS for item in load_questions(path) if item.holdout
    ]
    leaked = [text for text in held_back if json.dumps(text, ensure_ascii=False) in quoted]
    # Their count only: a held-back text is read by nobody tuning the bot.
    assert not leaked, f"{len(leaked)} held-back messages are in messages/"


def test_the_understander_uses_the_semantic_tier(catalog: Catalog) -> None:
    understander = understander_for(catalog, "use")
    assert isinstance(understander, Understander) and understander.tier is not None


# ------------------------------------------------------------------------------ per language

# Each language's own set (tests/data/questions_<lang>.yaml), written natively for it. The
# tuned part must have no under-triaged red flag; the held-back quarter (never tuned on) is held
# to today's measured figure. Every reply must be in the person's language.
LANGUAGE_SETS = {code: DATA / f"questions_{code}.yaml" for code in ("es", "ru", "pt", "uk", "de")}
# Measured when each set landed (tuned / held back under-triaged): pt 0/0, ru 0/1 (an urgent
# item), de 0/0, es 0/1 (a see-a-doctor item), uk 0/0; ru's went to 0 once "как никогда" (like
# never before) stopped reading as a denial. The target stays 0.
# es's see-a-doctor item reached its level in the seventh session (see-a-doctor resemblances
# answer from 0.62): every language's held-back quarter is now at 0.
LANGUAGE_HELD_BACK_UNDER_CEILING: dict[str, int] = {}
TARGET_LANGUAGE_SCREENS = 0.90  # issue 13: screen accuracy per language


@pytest.mark.parametrize("code", sorted(LANGUAGE_SETS))
async def test_each_languages_red_flags_reach_their_level(
    content: Content, record_property: RecordProperty, code: str
) -> None:
    path = LANGUAGE_SETS[code]
    if not path.is_file():
        pytest.skip(f"{path.name} not written yet")
    report = await measure(content, path, record_property, lang=code)
    text = format_report(report)
    by_part = report.groups(lambda r: "held back" if r.item.holdout else "tuned")
    assert by_part["tuned"].under == 0, text
    held_back = by_part.get("held back")
    if held_back is not None:
        assert held_back.under <= LANGUAGE_HELD_BACK_UNDER_CEILING.get(code, 0), text
    assert report.all.shown_on_benign("emergency") <= TARGET_BENIGN_EMERGENCY, text
    assert report.all.language_accuracy == 1.0, text


# Screen accuracy per language over every one of our sets (the shared set apart): never below
# the figure measured when it was last raised, so a change that buys one language's screens
# with another's shows. Raised in the thirteenth session (restless legs, slow twitching with
# weakness, pre-eclampsia without meningitis signs, a denied fall), and again in the fourteenth
# (back pain with its own risks, see-a-doctor reasons not asked about numbness, dev48 and
# Latin typing), and in the fifteenth (medicines, heat cramps that settled, back pain with a
# see-a-GP risk, dev49 and dev50), and in the sixteenth (typical growing pains, occasional
# cramps, leaning forward on walks, dev51 and dev52); the targets are 90-92 %. In the seventeenth
# es, pt, ru, uk and de gained worked cases from every set's tuned part, so these figures now
# include messages the tier has stored: the held-back quarters' screens (es 87.3, pt 87.7,
# ru 89.6, uk 80.0, de 85.3 %) are what generalises. Raised in the eighteenth (rule order:
# the specific emergency first; heat cramps that settled; rule-outs of questions whose signs
# are absent; sore after a cramp; dev56 and dev57): held back es 88.2, pt 88.1, ru 90.3,
# uk 81.9, de 86.4, en 88.4 %. Raised in the twentieth (dev61-63, chest pain said as back pain
# pressing in the front, rule-outs where the sign was absent, worked cases with dev58-63);
# dev64-66, harder by design, lowered the averages they joined. Set in the twenty-first with
# dev67-69 counted (rule-outs where the sign was absent, in every language; Ukrainian words).
SCREENS_FLOOR_BY_LANGUAGE = {
    "en": 0.900,  # 8,441 of 9,376 with dev69 (its English 86.7 % blind)
    "es": 0.916,  # 1,855 of 2,025 with dev67 (its Spanish 76.7 % blind)
    "pt": 0.907,  # 1,884 of 2,075 with dev68 (its Portuguese 83.3 % blind)
    "ru": 0.934,  # 2,576 of 2,758 with dev67 (its Russian 86.7 % blind)
    "uk": 0.886,  # 2,526 of 2,850 with dev68 (its Ukrainian 73.3 % blind)
    "de": 0.908,  # 2,496 of 2,747 with dev69 (its German 75.0 % blind)
}


async def test_screen_accuracy_per_language_is_no_worse_than_measured(
    content: Content, record_property: RecordProperty
) -> None:
    # Asked as each set's own test asks it, so the reports measured there are read again.
    sets = [
        *((path, None) for path in RED_FLAG_SETS),
        (OWN_QUESTIONS, "en"),
        *((path, code) for code, path in LANGUAGE_SETS.items()),
    ]
    results = [
        result
        for path, lang in sets
        for result in (await measure(content, path, record_property, lang=lang)).results
    ]
    by_language = EvalReport(results).groups(lambda r: r.item.lang)
    accuracy = {code: tally.screen_accuracy or 0.0 for code, tally in by_language.items()}
    record_property("screens by language", accuracy)
    assert set(accuracy) == set(SCREENS_FLOOR_BY_LANGUAGE)
    shown = ", ".join(f"{code} {share:.4f}" for code, share in sorted(accuracy.items()))
    for code, floor in SCREENS_FLOOR_BY_LANGUAGE.items():
        assert accuracy[code] >= floor, f"{code} below {floor}: {shown}"
