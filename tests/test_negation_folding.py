"""Two per-language options of the rule engine, set in messages/<lang>/matching.yaml:

* ``negation.after``: a negation AFTER what it denies ("температуры нет", "Fieber habe ich
  nicht"), only where it closes its clause, and never where it makes a sign ("сил нет");
* ``language.fold``: letters folded alike in the vocabulary and the message ("está" =
  "esta", "müde" = "muede").

A small hand-made YAML pins down the mechanics; the real catalogues show that a red flag
plainly stated still reaches its screen.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tgbot.content import Content, ContentError
from tgbot.content.matching_rules import load_matcher
from tgbot.services.understanding.matching import Matcher, MatchKind
from tgbot.services.understanding.text_normalise import Folding

SCREENS = {"s_em", "s_ur", "s_fever", "s_calf"}

POSTPOSED_YAML = """
language: {suffixes: [], min_stem: 3, clause_words: [но]}
fuzzy: {max_edits: {8: 1}}
phrase_max_gap: 1
negation:
  words: [нет, не]
  window: 3
  extend_with: [или]
  undone_by: [раньше]
  not_followed_by: [могу]
  after:
    phrases: [нет, "не было"]
    window: 3
    trailing: [вообще]
    joins: [и]
    not_after: [пульса]
concepts:
  fever: [температуры, температура]
  swelling: [отека, отек]
  red: [покраснения]
  weak: ["сил нет"]
  pulse: [пульса]
  chest: [грудь]
  press: [давит]
  calf: [икру]
  pain: [боли]
red_flags:
  - {id: chest, level: emergency, screen: s_em, when: "chest & press"}
  - {id: no_pulse, level: emergency, screen: s_em, when: pulse}
  - {id: weak, level: urgent, screen: s_ur, when: weak}
  - {id: calf, level: urgent, screen: s_ur, when: "swelling | red"}
intents:
  fever: {screen: s_fever, terms: {"@fever": 2}}
  calf: {screen: s_calf, terms: {"@calf": 2}}
decision: {min_score: 1.5, sure_score: 3, margin: 0.5, default_suggestions: [s_fever, s_calf]}
"""

VERB_SECOND_YAML = """
language: {suffixes: [], min_stem: 3, clause_words: [aber]}
fuzzy: {max_edits: {8: 1}}
phrase_max_gap: 1
negation:
  words: [nicht, keine]
  window: 4
  extend_with: [oder]
  after:
    phrases: [nicht, keine]
    window: 4
    trailing: [mehr]
    reach_past: [habe]
    particles: [auch]
concepts:
  fever: [fieber]
  limp: [hinkt]
  cramp: [krampf]
  breath: ["luft kriege"]
  weak: ["kraft habe keine"]
red_flags:
  - {id: breath, level: emergency, screen: s_em, when: breath}
  - {id: weak, level: urgent, screen: s_ur, when: weak}
  - {id: limp, level: urgent, screen: s_ur, when: limp}
intents:
  fever: {screen: s_fever, terms: {"@fever": 2}}
  cramp: {screen: s_calf, terms: {"@cramp": 2}}
decision: {min_score: 1.5, sure_score: 3, margin: 0.5, default_suggestions: [s_fever, s_calf]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "matching.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def postposed(tmp_path: Path) -> Matcher:
    return load_matcher(write(tmp_path, POSTPOSED_YAML), SCREENS)


@pytest.fixture
def verb_second(tmp_path: Path) -> Matcher:
    return load_matcher(write(tmp_path, VERB_SECOND_YAML), SCREENS)


def concepts(matcher: Matcher, text: str) -> frozenset[str]:
    return matcher.concepts(text)


# ------------------------------------------------------------------- postposed negation


@pytest.mark.parametrize(
    "text",
    [
        "температуры нет",
        "температуры у меня нет",  # within the window
        "температуры нет вообще",  # a trailing word
        "температуры не было",  # a phrase of two words
        "температуры нет и икру свело",  # a joining word closes what it denies
    ],
)
def test_a_negation_after_the_term_denies_it(postposed: Matcher, text: str) -> None:
    assert "fever" not in concepts(postposed, text)


@pytest.mark.parametrize(
    "text",
    [
        "температура есть",
        "температура, нет",  # another clause: an answer, not a denial of it
        "температуры нет сил терпеть",  # the negation does not close its clause
        "температура у меня давно держится нет",  # out of the window (3 words)
        "это температура или нет",  # "X or not?" asks, it does not deny
        "такой температуры раньше не было",  # never like this before: undone_by
    ],
)
def test_a_negation_after_the_term_that_does_not_deny_it(postposed: Matcher, text: str) -> None:
    assert "fever" in concepts(postposed, text)


def test_or_carries_a_postposed_negation_back(postposed: Matcher) -> None:
    assert postposed.match("отека или покраснения нет").kind is not MatchKind.RED_FLAG
    assert postposed.match("отека нет").kind is not MatchKind.RED_FLAG
    assert postposed.match("отек").rule == "calf"


def test_a_sign_made_of_a_negation_is_never_denied(postposed: Matcher) -> None:
    # not_after as written, and a concept's own term ending in the negation ("сил нет")
    assert postposed.match("пульса нет").rule == "no_pulse"
    assert postposed.match("сил нет").rule == "weak"
    assert postposed.match("сил совсем нет").rule == "weak"


@pytest.mark.parametrize(
    "text", ["нет сил, грудь давит", "сил нет, грудь давит", "температуры нет, грудь давит"]
)
def test_a_red_flag_plainly_stated_beside_a_negation_still_alarms(
    postposed: Matcher, text: str
) -> None:
    assert postposed.match(text).rule == "chest"


def test_a_language_without_postposed_negation_reads_only_forward(tmp_path: Path) -> None:
    plain = re.sub(r"  after:\n(    .*\n)+", "", POSTPOSED_YAML)
    assert "after" not in plain
    matcher = load_matcher(write(tmp_path, plain), SCREENS)
    assert "fever" in concepts(matcher, "температуры нет")
    assert "fever" not in concepts(matcher, "нет температуры")


def test_reach_past_verbs_carry_it_past_the_word_before(verb_second: Matcher) -> None:
    assert "fever" not in concepts(verb_second, "fieber habe ich nicht")
    assert "fever" not in concepts(verb_second, "fieber habe ich nicht mehr")
    assert "limp" not in concepts(verb_second, "er hinkt nicht")  # the word just before
    # no reach_past verb between: the cramp is there, only "sich" is denied
    assert "cramp" in concepts(verb_second, "der krampf löst sich nicht")
    assert "fever" in concepts(verb_second, "fieber steigt immer noch nicht")
    # a particle is not the word before: "auch" is passed over, and nothing else is
    assert "fever" not in concepts(verb_second, "krampf ja, fieber auch nicht")
    assert "cramp" in concepts(verb_second, "der krampf löst sich auch nicht")


def test_a_sign_ending_in_the_negation_stays_in_verb_second_order(verb_second: Matcher) -> None:
    assert verb_second.match("kraft habe ich keine").rule == "weak"
    assert verb_second.match("luft kriege ich nicht").rule == "breath"


def test_a_bad_postposed_section_names_its_key(tmp_path: Path) -> None:
    text = POSTPOSED_YAML.replace("    joins: [и]\n", "    joins: [и]\n    bogus: 1\n")
    with pytest.raises(ContentError, match=r"negation\.after\.bogus: unknown key"):
        load_matcher(write(tmp_path, text), SCREENS)
    text = POSTPOSED_YAML.replace('phrases: [нет, "не было"]', "phrases: nope")
    with pytest.raises(ContentError, match=r"negation\.after\.phrases"):
        load_matcher(write(tmp_path, text), SCREENS)


# ------------------------------------------------------------------- the real catalogues


@pytest.mark.parametrize(
    ("language", "text", "denied"),
    [
        ("ru", "рвоты нет", "vomit"),
        ("ru", "отёка или покраснения у меня нет", "swelling"),
        ("uk", "блювоти немає", "vomit"),
        ("uk", "набряку не було", "swelling"),
        ("de", "Fieber habe ich nicht", "fever"),
        ("de", "er hinkt nicht", "limp"),
        ("de", "Krampf in der Wade, Fieber auch nicht", "fever"),
    ],
)
def test_each_language_reads_its_postposed_negation(
    content: Content, language: str, text: str, denied: str
) -> None:
    matcher = content.catalogs[language].matcher
    assert matcher is not None
    analysis = matcher.analyse(text)
    assert denied in analysis.negated and denied not in analysis.concepts


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "шею продуло температуры нет руки не немеют"),
        ("uk", "шию продуло температури нема руки не німіють шо робити"),
    ],
)
def test_no_fever_said_without_a_comma_still_denies_it(
    content: Content, language: str, text: str
) -> None:
    """Dictated, "no temperature" runs into what follows: the fever is still denied (it had
    read a stiff neck as meningitis)."""
    matcher = content.catalogs[language].matcher
    assert matcher is not None
    analysis = matcher.analyse(text)
    assert "fever" not in analysis.concepts
    assert analysis.result.level is None, analysis.result


@pytest.mark.parametrize(
    ("language", "text", "sign"),
    [
        ("ru", "как никогда сильно болит голова", "headache"),
        ("uk", "як ніколи сильно болить голова", "headache"),
        ("de", "wie noch nie tut mir der Kopf weh", "head_word"),
    ],
)
def test_like_never_before_is_not_a_denial(
    content: Content, language: str, text: str, sign: str
) -> None:
    # An intensifier ("like never before"), not a negation: read as one, it hid the sign.
    matcher = content.catalogs[language].matcher
    assert matcher is not None
    assert sign in matcher.analyse(text).concepts


@pytest.mark.parametrize(
    ("language", "text", "screen"),
    [
        ("ru", "нет сил, грудь давит", "em_chest"),
        ("ru", "нет сил грудь давит", "em_chest"),
        ("ru", "сил нет, грудь давит", "em_chest"),
        ("ru", "дышать нечем, воздуха нет совсем", "em_breathing"),
        ("uk", "дихати нічим, повітря немає", "em_breathing"),
        ("ru", "температуры нет, но шея не гнётся и свет режет глаза", "em_meningitis"),
        ("uk", "немає сил, груди тисне", "em_chest"),
        ("uk", "температури немає, але шия не згинається і світло ріже очі", "em_meningitis"),
        ("de", "Fieber habe ich nicht, aber ich kriege keine Luft", "em_breathing"),
        ("de", "Luft kriege ich keine mehr", "em_breathing"),
    ],
)
def test_a_red_flag_plainly_stated_is_still_caught(
    content: Content, language: str, text: str, screen: str
) -> None:
    matcher = content.catalogs[language].matcher
    assert matcher is not None
    result = matcher.match(text)
    assert result.kind is MatchKind.RED_FLAG and result.screen_id == screen, result


# ------------------------------------------------------------------------------ folding

FOLDING_YAML = """
language:
  suffixes: [s]
  min_stem: 3
  lemmas: {está: estar}
  fold: {strip_marks: true, keep: [ñ], letters: {ü: ue}}
fuzzy: {max_edits: {8: 1}}
negation: {words: [jamás, "no"], window: 3}
concepts:
  here: [estar]
  year: [año]
  tired: [müde]
  fever: [fiebre]
red_flags:
  - {id: fever, level: urgent, screen: s_ur, when: fever}
intents:
  here: {screen: s_calf, terms: {"@here": 2, "@year": 2, "@tired": 2}}
decision: {min_score: 1.5, sure_score: 3, margin: 0.5, default_suggestions: [s_fever, s_calf]}
"""


@pytest.fixture
def folding(tmp_path: Path) -> Matcher:
    return load_matcher(write(tmp_path, FOLDING_YAML), SCREENS)


def test_folding_reads_typed_and_untyped_accents_alike(folding: Matcher) -> None:
    assert concepts(folding, "está") == concepts(folding, "esta") == {"here"}  # lemma key folded
    assert concepts(folding, "MÜDE") == concepts(folding, "muede") == {"tired"}  # letters
    assert "fever" in concepts(folding, "fiébre")


def test_folding_keeps_the_letters_it_is_told_to(folding: Matcher) -> None:
    assert concepts(folding, "año") == {"year"}
    assert concepts(folding, "ano") == frozenset()  # "ñ" is its own letter


def test_folded_negation_words_match_either_spelling(folding: Matcher) -> None:
    assert folding.match("jamás fiebre").kind is not MatchKind.RED_FLAG
    assert folding.match("jamas fiebre").kind is not MatchKind.RED_FLAG
    assert folding.match("fiebre").rule == "fever"


def test_without_folding_accents_stay(tmp_path: Path) -> None:
    text = FOLDING_YAML.replace("  fold: {strip_marks: true, keep: [ñ], letters: {ü: ue}}\n", "")
    matcher = load_matcher(write(tmp_path, text), SCREENS)
    assert concepts(matcher, "müde") == {"tired"}
    assert concepts(matcher, "muede") == frozenset()


@pytest.mark.parametrize(
    ("fold", "key"),
    [
        ("{letters: {üe: ue}}", r"language\.fold\.letters"),
        ("{strip_marks: sometimes}", r"language\.fold\.strip_marks"),
        ("{keep: [ñn]}", r"language\.fold\.keep"),
        ("{strip: true}", r"language\.fold\.strip: unknown key"),
    ],
)
def test_a_bad_fold_section_names_its_key(tmp_path: Path, fold: str, key: str) -> None:
    text = FOLDING_YAML.replace("{strip_marks: true, keep: [ñ], letters: {ü: ue}}", fold)
    with pytest.raises(ContentError, match=key):
        load_matcher(write(tmp_path, text), SCREENS)


@pytest.mark.parametrize(
    ("language", "typed", "untyped"),
    [
        ("pt", "não consigo respirar", "nao consigo respirar"),
        ("pt", "a panturrilha está inchada e quente", "a panturrilha esta inchada e quente"),
        ("es", "no puedo respirar, jamás me pasó", "no puedo respirar, jamas me paso"),
        ("es", "el gemelo está hinchado y caliente", "el gemelo esta hinchado y caliente"),
    ],
)
def test_the_folding_languages_read_a_message_with_or_without_accents_alike(
    content: Content, language: str, typed: str, untyped: str
) -> None:
    matcher = content.catalogs[language].matcher
    assert matcher is not None
    assert matcher.match(typed) == matcher.match(untyped)
    assert matcher.match(typed).kind is MatchKind.RED_FLAG


def test_folding_leaves_other_scripts_whole() -> None:
    table = Folding({}, strip_marks=True, keep=())
    assert "йогурт ї está".translate(table) == "йогурт ї esta"
