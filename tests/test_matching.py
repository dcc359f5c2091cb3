"""Typed-question matching: red flags first and never hidden, no false alarms, sensible routing.

Two layers: the real ``messages/en/matching.yaml`` (behaviour people rely on), and small
hand-made YAML files that pin down the generic engine (rules, negation, typos, validation).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from tgbot.content import Catalog, Content, ContentError
from tgbot.content.matching_rules import load_matcher
from tgbot.services.understanding.matching import Matcher, MatchKind, MatchResult
from tgbot.services.understanding.text_normalise import LanguageRules, tokenise

MATCHING_YAML = Path(__file__).resolve().parents[1] / "messages" / "en" / "matching.yaml"


@pytest.fixture(scope="module")
def catalog(content: Content) -> Catalog:
    return content.catalogs["en"]


@pytest.fixture(scope="module")
def matcher(catalog: Catalog) -> Matcher:
    assert catalog.matcher is not None, "messages/en/matching.yaml did not load"
    return catalog.matcher


def emergency(result: MatchResult) -> bool:
    return result.kind is MatchKind.RED_FLAG and result.level == "emergency"


# ------------------------------------------------------------------------------ red flags

EMERGENCIES = [
    ("my chest feels tight and heavy", "em_chest"),
    ("pain in the middle of my chest, kind of crushing", "em_chest"),
    ("chestpain", "em_chest"),
    ("think i have a cramp in my chest", "em_chest"),
    ("calf has been sore for days and now i'm suddenly breathless", "em_chest"),
    ("my leg is swolen and im brethless", "em_chest"),
    ("cant breath and my throat is tight", "em_breathing"),
    ("it's getting hard to swallow", "em_breathing"),
    ("her face is drooping on one side and her words are slurred", "em_stroke"),
    ("sudden weakness down one side of my body", "em_stroke"),
    ("lower back spasm and now i can't pee", "em_cauda"),
    ("back pain and no feeling in my groin", "em_cauda"),
    ("a rusty nail went through my boot days ago, my jaw keeps locking", "em_tetanus"),
    ("sprayed weed killer all morning, now twitching and drooling", "em_poison"),
    ("bitten by a snake and my leg keeps cramping", "em_poison"),
    ("he is jerking all over and won't respond to me", "em_seizure"),
    ("high fever and a really stiff neck", "em_meningitis"),
    ("ran in the heat and now my friend is confused and cramping", "em_heatstroke"),
    ("my pee is brown like cola after leg day and my thighs are swollen", "em_rhabdo"),
    ("drank way too much water during the marathon and now confused", "em_overdrinking"),
    ("my son swallowed some dishwasher liquid and is being sick", "em_poison"),
    ("her arm went weak out of nowhere and she can't lift it", "em_stroke"),
    ("crook back after a prang in the ute", "em_back_injury"),  # Australian: a car crash
    ("I was fine an hour ago then suddenly I couldn't breathe", "em_breathing"),
    ("my chest feels like it's in a vice", "em_chest"),
    ("he didn't make sense and his face looked odd on one side", "em_stroke"),
    ("rested in the shade for 30 minutes, no better, still dizzy from the heat", "em_heatstroke"),
    ("flu-ish, stiff neck, and a rash that stays when I press a glass on it", "em_meningitis"),
    ("he went rigid and his lips turned blue", "em_breathing"),
    ("anaphalaxis after peanuts", "em_anaphylaxis"),  # named, misspelt, with its trigger
    ("I think I'm having an anaphylactic reaction", "em_anaphylaxis"),
    ("short of breth", "em_breathing"),
]


@pytest.mark.parametrize(("text", "screen"), EMERGENCIES)
def test_emergencies_are_red_flags(matcher: Matcher, text: str, screen: str) -> None:
    result = matcher.match(text)
    assert result.kind is MatchKind.RED_FLAG and result.level == "emergency", result
    assert result.screen_id == screen


URGENT = [
    ("my left calf is swollen and warm to the touch", "ur_dvt"),
    ("since the flight home one of my calves looks puffy and feels tender", "ur_dvt"),
    ("this cramp has lasted 20 minutes and won't ease", "ur_long_cramp"),
    ("been vomiting all night and my legs keep cramping", "ur_fluid_loss"),
    ("hot day at work, cramping with a pounding headache", "ur_heat"),
    ("hand cramps plus tingling around my mouth", "ur_numb_weak"),
    ("deep cut from a rusty fence and now my calf cramps", "ur_wound"),
    ("i take quinine and i've been bruising easily", "ur_quinine"),
    ("pregnant and my right calf is red and swollen", "ur_pregnancy"),
    ("my right leg is fat and hot and sore, the left one is fine", "ur_dvt"),
    ("rested in the shade drinking water for over an hour, still cramping in this heat", "ur_heat"),
    ("cramp in my foot won't let go, been like this for ages", "ur_long_cramp"),
    ("foot cramp won't quit, going on quarter of an hour", "ur_long_cramp"),
    ("bad cramps since the loose motions started", "ur_fluid_loss"),  # Indian English
    ("peeing blood since starting quinine", "ur_quinine"),
]


@pytest.mark.parametrize(("text", "screen"), URGENT)
def test_urgent_red_flags(matcher: Matcher, text: str, screen: str) -> None:
    result = matcher.match(text)
    assert result.kind is MatchKind.RED_FLAG and result.level == "urgent", result
    assert result.screen_id == screen


@pytest.mark.parametrize(
    "text",
    [
        "CHEST PAIN",
        "MY CHEST HURTS 😭😭",
        "😰 cant breathe 😰",
        "chets pain",  # typo
        "cant breath",
        "can't brethe",
        "pls help my chset is so tight",
    ],
)
def test_red_flags_survive_caps_emoji_and_typos(matcher: Matcher, text: str) -> None:
    assert emergency(matcher.match(text)), text


def test_red_flag_buried_in_a_long_message_wins(matcher: Matcher) -> None:
    filler = "I have been getting calf cramps after work and tried stretching and water. " * 60
    text = (filler + "But an hour ago I started having crushing pressure in my chest.")[-4096:]
    assert len(text) == 4096
    assert matcher.match(text).screen_id == "em_chest"
    # also at the very end, far past the words that get typo correction
    chatter = "I read a lot about sleep, tea and my busy week at the office. " * 80
    assert matcher.match((chatter + "now i cant breathe")[-4096:]).screen_id == "em_breathing"


def test_red_flag_beats_every_topic_in_the_same_message(matcher: Matcher) -> None:
    text = "set a reminder for calf stretches, any magnesium tips? also my chest is tight"
    assert emergency(matcher.match(text))


FALSE_ALARMS = [
    "a calf cramp woke me at 4am, the muscle is still sore",
    "my calf is tight after running",
    "night cramps every night",
    "I'm short of time",
    "my chest day at the gym gave me cramps",
    "leg cramps in pregnancy",
    "is cramp pain normal?",
    "no chest pain, no swelling, just a cramp",
    "there's no swelling or redness or warmth in my calf, it just cramps at night",
    "took a deep breath and stretched my calf",
    "I did chest presses and my forearm cramped",
    "chin to chest stretch for my neck?",
    "I was out of breath after sprints and my calf cramped",
    "my pee is dark yellow after the gym, am I dehydrated?",
    "I drank a lot of water during my run and still cramped",
    "I'm confused about whether to use heat or ice",
    "stiff neck after sleeping wrong, no fever",
    "a bit of cramping in my calf after walking the dog",
    "swallowing pills is hard for me, is there magnesium I can drink?",
    "my grandma had a stroke last year and her arm cramps",
    "I almost fainted from the pain of the calf cramp",
    "we fumigated the house last year, could that cause cramps?",
    "the spin class was intense, quads cramping",
    "my right calf is cramping right now",
    "what is heat stroke",
    "upper back is tight from the desk, chest is fine",
    "my arm is weak after the gym and I can't lift it",
    "it doesn't make sense that I cramp so much",
]


@pytest.mark.parametrize("text", FALSE_ALARMS)
def test_ordinary_cramp_questions_raise_no_emergency(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert not emergency(result), result


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain, just a calf cramp",
        "I don't have any chest pain, only cramps",
        "not breathless at all, just a hamstring cramp",
        "without swelling or redness, my calf cramps at night",
    ],
)
def test_negated_symptoms_do_not_count(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).kind is not MatchKind.RED_FLAG


def test_negation_stops_at_the_clause(matcher: Matcher) -> None:
    assert matcher.match("no swelling, but my chest hurts").screen_id == "em_chest"
    assert matcher.match("not sure why but my chest is really tight").screen_id == "em_chest"


def test_a_spaced_dash_ends_a_clause_and_a_hyphen_does_not(matcher: Matcher) -> None:
    # Before, the "no" reached past the dash and hid the chest from the sentence encoder.
    analysis = matcher.analyse("no cramps at all - it's my chest that keeps tightening")
    assert analysis.result.screen_id == "em_chest"
    assert any("chest" in segment for segment in analysis.segments)
    assert matcher.analyse("not a cramp — my chest is tight").result.screen_id == "em_chest"
    rules = LanguageRules.build(
        suffixes=(), min_stem=3, keep_endings=(), double_suffixes=(), keep_double=(),
        lemmas={}, clause_words=(), replacements={},
    )  # fmt: skip
    tokens = tokenise("no cramp - 5-a-side, x-ray – fine", rules)
    assert [t.text for t in tokens] == ["no", "cramp", "5", "a", "side", "x", "ray", "fine"]
    assert [t.clause for t in tokens] == [0, 0, 1, 1, 1, 2, 2, 3]


def test_a_negation_term_stays_in_its_clause_and_other_terms_may_cross_a_comma(
    matcher: Matcher,
) -> None:
    # "not [confused,] peeing" read as the sign "not peeing" (little urine) and fired rhabdo.
    analysis = matcher.analyse("Long ride, cramps. Not sick, not confused, peeing normally")
    assert "little_urine" not in analysis.concepts
    assert analysis.result.kind is not MatchKind.RED_FLAG
    # An adjective list keeps its phrase: "black, tarry poo" on quinine is bleeding.
    quinine = matcher.match("I'm on quinine for cramps and I noticed black, tarry poo today")
    assert quinine.screen_id == "ur_quinine"


def test_a_phrase_never_spans_two_sentences(content: Content) -> None:
    # "…knallrot und heiß. Wasser geben?" had read as "heißes Wasser" (an except of heat),
    # and "…at a fair speed. Walked away…" as "speed walking" (an except of a drug).
    german = content.catalogs["de"].matcher
    assert german is not None
    hot = german.analyse("Haut knallrot und heiß. Wasser geben?")
    assert "warm_sign" in hot.concepts
    assert (
        german.match("34 Grad, Krämpfe, jetzt redet er wirr und ist heiß. Wasser geben?").screen_id
        == "em_heatstroke"
    )
    english = content.catalogs["en"].matcher
    assert english is not None
    crash = "Rear-ended on the motorway at a fair speed. Walked away fine, now my back spasms."
    assert english.match(crash).screen_id == "em_back_injury"
    # Ukrainian "табуретки" (a stool) is no misspelt "таблетки" (pills): a fall, not a reaction
    ukrainian = content.catalogs["uk"].matcher
    assert ukrainian is not None
    fall = "бабуся впала з табуретки, спина болить, встати не може, в неї остеопороз"
    assert ukrainian.match(fall).screen_id == "em_back_injury"


def test_a_negation_that_opens_a_sign_denies_nothing_after_it(matcher: Matcher) -> None:
    # "not sweating" is a sign of heatstroke; its "not" had hidden "talking nonsense" too.
    text = "my friend is burning hot after the rave, not sweating and talking nonsense"
    analysis = matcher.analyse(text)
    assert {"very_hot", "confused"} <= analysis.concepts
    assert analysis.result.screen_id == "em_heatstroke"
    # An ordinary "not" still denies: not confused is not confused.
    assert "confused" not in matcher.analyse("hot day, not confused, just cramps").concepts


def test_content_check_names_an_unknown_sign_concept(tmp_path: Path, catalog: Catalog) -> None:
    message = broken(tmp_path, catalog, "sign_concepts: [very_hot,", "sign_concepts: [very_hott,")
    assert "negation.sign_concepts: unknown concept 'very_hott'" in message


def test_negation_undone_by_like_this(matcher: Matcher) -> None:
    assert matcher.match("never had chest pain like this before").screen_id == "em_chest"
    assert matcher.match("i never had chest pain").kind is not MatchKind.RED_FLAG


def test_a_double_negative_says_yes(matcher: Matcher) -> None:
    # "can't … without": the cramp comes every time, so walking-and-rest (claudication) reads.
    walking = "I can't walk to the shops without my calves cramping, I have to stop till it passes"
    assert matcher.match(walking).screen_id == "doc_walking"
    calm = "I walk to the shops without my calves cramping"
    assert matcher.match(calm).screen_id != "doc_walking"
    far = "can't walk the dog round the block without my calves burning, have to stop and rest"
    assert matcher.match(far).screen_id == "doc_walking"


@pytest.mark.parametrize(
    "text",
    [
        "calf cramp, it's been going for 25 minutes",
        "my calf cramp has not stopped for 25 minutes",
        "foot cramp hasn't eased for 15 minutes",
    ],
)
def test_a_cramp_that_goes_on_is_a_red_flag_however_it_is_punctuated(
    matcher: Matcher, text: str
) -> None:
    assert matcher.match(text).screen_id == "ur_long_cramp"


def test_a_walk_after_a_cramp_is_not_a_long_cramp(matcher: Matcher) -> None:
    text = "I had a cramp last night, then walked for 20 minutes and it was fine"
    assert matcher.match(text).kind is not MatchKind.RED_FLAG


def test_an_irregular_form_reads_as_its_dictionary_form(matcher: Matcher) -> None:
    # "woke" -> "wake" must land on the stem "wake" has in the vocabulary ("wak").
    rules = matcher._lexicon.rules
    for irregular, regular in [("woke", "wake"), ("bled", "bleed"), ("babys", "baby")]:
        assert rules.stem(irregular) == rules.stem(regular)


@pytest.mark.parametrize(
    "text",
    [
        "leg cramps most nights, I'm exhausted",
        "woken by a calf cramp 5 nights this week",
        "cramps evry nite",
        "he is up four times a night with leg cramps",
    ],
)
def test_frequent_cramps_see_a_doctor(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).screen_id == "doc_frequent"


@pytest.mark.parametrize(
    "text", ["why do I get leg cramps at night?", "I get the odd cramp at night, once a month"]
)
def test_ordinary_night_cramps_stay_self_care(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).level in (None, "self_care")


def test_cramps_since_any_new_medicine_see_a_doctor(matcher: Matcher) -> None:
    text = "my dad started naproxen and since then his legs keep cramping"
    assert matcher.match(text).screen_id == "doc_medicine"
    assert matcher.match("does naproxen help leg cramps?").screen_id != "doc_medicine"


# ------------------------------------------------------------------------------ routing


@pytest.mark.parametrize(
    ("text", "screen"),
    [
        ("calf!!", "calf_now"),
        ("foot cramp", "foot_now"),
        ("charley horse", "calf_now"),
        ("charlie horse", "calf_now"),
        ("my hamstring cramped up during a match", "hamstring_now"),
        ("front of my thigh is cramping", "quad_now"),
        ("fingers cramping from writing", "hand_now"),
        ("neck spasm, turning my head is impossible", "neck_now"),
        ("lower back seized up", "back_now"),
        ("ice or heat for back spasm", "back_now"),
        ("bicep cramp after curls", "other_now"),
        ("is ibuprofen ok to take", "ibuprofen"),  # its cautions first (facts sheet, s. 3)
        ("is quinine ok", "medicines"),
        ("tonic water for cramps?", "medicines"),
        ("are mag supplements any use", "night_remedies"),
        ("my friend's muscle relaxer, should i take one", "medicines"),
        ("reminder to stretch", "reminders"),
        ("remind me at bedtime", "reminders"),
        ("pregnant and cramping at night", "pregnancy"),
        ("eyelid twitching for days", "twitch_common"),
        ("what causes cramps", "causes"),
        ("how to prevent cramps", "prevention"),
        ("does pickle juice work", "pickle_juice"),
        ("best drink for cramps?", "hydration"),
        ("still sore the day after a cramp", "sore_after"),
        ("does my sleeping position matter", "sleep_position"),
        ("difference between a cramp and a spasm", "cramp_types"),
        ("best calf stretch", "stretches"),  # two calf stretches: the library chooses
    ],
)
def test_topics_and_sites_route_to_their_screen(matcher: Matcher, text: str, screen: str) -> None:
    result = matcher.match(text)
    assert result.kind is MatchKind.ANSWER, result
    assert result.screen_id == screen, result


@pytest.mark.parametrize(
    ("text", "screen"),
    [
        ("cramps since i started atorvastatin", "doc_medicine"),
        ("the water pill my doctor gave me gives me cramps", "doc_medicine"),
        ("my legs have cramped most nights for months and stretching does nothing", "doc_frequent"),
        ("twitching and my hand is getting weaker", "doc_twitch_weak"),
        ("calves cramp when i walk and stop when i rest", "doc_walking"),
        ("diabetic with cramps and tingling feet", "doc_conditions"),
        ("I drink heavily every night", "doc_conditions"),
        ("my hand goes into a claw only when I write", "doc_dystonia"),
        ("do bananas help? I've been on the sauce heavily for years", "doc_conditions"),
        ("new inhaler, now cramps", "doc_medicine"),
        ("my calf muscle seems to be wasting away", "serious_doctor"),
        ("leg cramps so bad I've stopped going to work", "doc_frequent"),
        ("lower back pain and I had TB last year", "doc_back_risk"),
    ],
)
def test_see_doctor_routes(matcher: Matcher, text: str, screen: str) -> None:
    result = matcher.match(text)
    assert (result.kind, result.screen_id, result.level) == (MatchKind.ANSWER, screen, "see_doctor")


def test_quinine_answers_never_endorse_it(matcher: Matcher, catalog: Catalog) -> None:
    for text in ("would quinine be fine for cramps at night", "tonic water before bed, good idea?"):
        result = matcher.match(text)
        assert result.screen_id is not None
        reply = catalog.screens[result.screen_id].text.casefold()
        assert "quinine is not recommended" in reply
        assert "quinine is safe" not in reply


@pytest.mark.parametrize("text", ["leg", "help", "cramp?", "muscles", "🤔"])
def test_vague_messages_get_did_you_mean(matcher: Matcher, catalog: Catalog, text: str) -> None:
    result = matcher.match(text)
    assert result.kind is MatchKind.UNSURE, result
    assert 2 <= len(result.suggestions) <= 3
    assert len(set(result.suggestions)) == len(result.suggestions)
    assert all(s in catalog.screens for s in result.suggestions)


def test_a_leg_is_ambiguous_between_leg_muscles(matcher: Matcher) -> None:
    assert matcher.match("leg").suggestions[:2] == ("calf_now", "hamstring_now")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", MatchKind.GREETING),
        ("hello what can you do", MatchKind.GREETING),
        ("good evening, are you the cramp helper?", MatchKind.GREETING),
        ("thanks!", MatchKind.THANKS),
        ("ty that helped", MatchKind.THANKS),
        ("what's the weather tomorrow", MatchKind.OFF_TOPIC),
        ("who won the big match yesterday", MatchKind.OFF_TOPIC),
        ("write my cover letter", MatchKind.OFF_TOPIC),
        ("tell me a joke", MatchKind.OFF_TOPIC),
        ("will bitcoin go up", MatchKind.OFF_TOPIC),
        ("how do I fix my router", MatchKind.OFF_TOPIC),
        ("what is 12 times 7", MatchKind.OFF_TOPIC),
        ("calorie count of an apple please", MatchKind.OFF_TOPIC),
        ("toothache, which painkiller is best", MatchKind.OFF_TOPIC),
    ],
)
def test_small_talk_and_off_topic(matcher: Matcher, text: str, kind: MatchKind) -> None:
    result = matcher.match(text)
    assert result.kind is kind, result
    assert result.screen_id is None


def test_a_greeting_with_a_real_question_gets_the_answer(matcher: Matcher) -> None:
    assert matcher.match("hi, my calf is cramping right now").screen_id == "calf_now"
    assert matcher.match("thanks, but my foot still cramps").kind is MatchKind.ANSWER


def test_results_never_carry_user_text(matcher: Matcher) -> None:
    secret = "zebrafinch"
    result = matcher.match(f"{secret} calf cramp")
    assert secret not in repr(result)


def test_maximum_length_message_is_handled(matcher: Matcher) -> None:
    result = matcher.match(("ab " * 2000)[:4096])
    assert result.kind in (MatchKind.UNSURE, MatchKind.OFF_TOPIC)
    assert matcher.match("").kind is MatchKind.UNSURE


# ------------------------------------------------------------------------------ the engine

ENGINE_YAML = """
language:
  suffixes: [ing, es, ed, s]
  min_stem: 3
  lemmas: {calves: calf}
  clause_words: [but]
fuzzy: {min_length: 5, max_edits: {5: 1, 8: 2}, split_words: [chest, pain]}
phrase_max_gap: 1
negation: {words: ["no", not], window: 3, extend_with: [or], not_followed_by: [sure]}
known_words: [stuff]
concepts:
  calf: [calf, "charley horse"]
  chest: {terms: [chest], except: ["chest day"]}
  pain: [pain, hurt, tight]
  stiff: [stiff]
  swollen: [swollen, puffy]
  warm: [warm]
  both: ["@swollen", "@warm"]
  long: [{number: [10, 600], units: [minutes, min], prefix: [for]}]
  weeks: ["=weeks"]
red_flags:
  - {id: chest, level: emergency, screen: s_em, when: "near_clause(chest, pain, 2)"}
  - {id: calf_signs, level: urgent, screen: s_ur, when: "near(calf, both, 3)"}
  - {id: long, level: urgent, screen: s_long, when: "long & !weeks"}
intents:
  calf_now: {screen: s_calf, terms: {"@calf": 2}}
  weekly: {screen: s_week, terms: {"@weeks": 2}}
  stiffness: {screen: s_stiff, terms: {"@stiff": 2, "really stiff": 1}}
decision:
  min_score: 1.5
  sure_score: 3
  margin: 0.5
  default_suggestions: [s_calf, s_stiff]
"""
ENGINE_SCREENS = {"s_em", "s_ur", "s_long", "s_calf", "s_week", "s_stiff"}


def write(tmp_path: Path, text: str, name: str = "matching.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def engine(tmp_path: Path) -> Matcher:
    return load_matcher(write(tmp_path, ENGINE_YAML), ENGINE_SCREENS)


def test_engine_near_clause_except_and_negation(engine: Matcher) -> None:
    assert engine.match("my chest is tight").rule == "chest"
    assert engine.match("chest, then later my leg is tight").kind is not MatchKind.RED_FLAG
    assert engine.match("chest day made me tight").kind is not MatchKind.RED_FLAG
    assert engine.match("no chest pain").kind is not MatchKind.RED_FLAG
    assert engine.match("not sure but chest pain").rule == "chest"


def test_engine_negation_window_carries_over_or(engine: Matcher) -> None:
    assert engine.match("calf is swollen").rule == "calf_signs"
    assert engine.match("calf not puffy or swollen or warm").kind is not MatchKind.RED_FLAG


def test_engine_typos_stems_glued_words_and_exact_forms(engine: Matcher) -> None:
    assert engine.match("calves are swolen").rule == "calf_signs"  # lemma + typo
    assert engine.match("chestpain").rule == "chest"  # glued words
    assert engine.match("charley  horse").screen_id == "s_calf"  # phrase
    assert engine.match("stuff").kind is MatchKind.UNSURE  # a known word is never "fixed"
    assert engine.match("weeks").screen_id == "s_week"
    assert engine.match("week").kind is MatchKind.UNSURE  # "=weeks" is exact


def test_engine_a_common_word_is_not_a_typo_of_a_rarer_one(tmp_path: Path, engine: Matcher) -> None:
    """With the language's word frequencies, "staff" is a word of its own, not "stiff" typed
    badly; a misspelling that is no word ("stifff") is still fixed."""
    assert engine.match("staff").screen_id == "s_stiff"  # without them: one letter off
    fuzzy = "fuzzy: {min_length: 5, max_edits: {5: 1, 8: 2}, split_words: [chest, pain]"
    text = ENGINE_YAML.replace(fuzzy, fuzzy + ", real_words: {list: en, min_zipf: 3.0}")
    matcher = load_matcher(write(tmp_path, text), ENGINE_SCREENS)
    assert matcher.match("staff").kind is MatchKind.UNSURE
    assert matcher.match("stifff").screen_id == "s_stiff"
    assert matcher.match("calves are swolen").rule == "calf_signs"


def test_engine_refuses_a_word_list_wordfreq_does_not_have(tmp_path: Path) -> None:
    fuzzy = "fuzzy: {min_length: 5, max_edits: {5: 1, 8: 2}, split_words: [chest, pain]"
    text = ENGINE_YAML.replace(fuzzy, fuzzy + ", real_words: {list: xx}")
    with pytest.raises(ContentError, match=r"fuzzy\.real_words\.list"):
        load_matcher(write(tmp_path, text), ENGINE_SCREENS)


def test_engine_quantities_need_range_unit_and_prefix(engine: Matcher) -> None:
    assert engine.match("cramping for 25 minutes").rule == "long"
    assert engine.match("cramping for 5 minutes").kind is not MatchKind.RED_FLAG
    assert engine.match("cramp after 25 minutes").kind is not MatchKind.RED_FLAG
    assert engine.match("for 25 minutes every few weeks").kind is not MatchKind.RED_FLAG


def test_engine_a_quantity_can_be_an_exception(tmp_path: Path) -> None:
    """ "mum is 72 years" is an age: an exception quantity drops the duration it overlaps."""
    text = ENGINE_YAML.replace(
        "  long: [{number: [10, 600], units: [minutes, min], prefix: [for]}]",
        "  long:\n"
        "    terms: [{number: [10, 600], units: [minutes, years], prefix: [for, is]}]\n"
        "    except: [{number: [1, 120], units: [years], prefix: [mum]}]",
    )
    matcher = load_matcher(write(tmp_path, text), ENGINE_SCREENS)
    assert matcher.match("cramping for 25 minutes").rule == "long"
    assert matcher.match("my mum is 72 years old").kind is not MatchKind.RED_FLAG
    assert matcher.match("cramping for 20 years").rule == "long"


def test_engine_an_exception_may_name_a_concept(tmp_path: Path) -> None:
    """One list of ages serves every concept that must not read them: ``except: ["@age"]``."""
    text = ENGINE_YAML.replace(
        "  long: [{number: [10, 600], units: [minutes, min], prefix: [for]}]",
        "  age: [{number: [1, 120], units: [years], prefix: [mum]}, aged]\n"
        "  long:\n"
        "    terms: [{number: [10, 600], units: [minutes, years], prefix: [for, is]}]\n"
        '    except: ["@age"]',
    )
    matcher = load_matcher(write(tmp_path, text), ENGINE_SCREENS)
    assert matcher.match("my mum is 72 years old").kind is not MatchKind.RED_FLAG
    assert matcher.match("cramping for 20 years").rule == "long"


def test_engine_an_exception_quantity_may_need_its_prefix_at_the_start(tmp_path: Path) -> None:
    """ "8 years" opening the message is an age, yet "for 8 years" is how long: with
    ``prefix_at_start`` the exception needs its word there too."""
    text = ENGINE_YAML.replace(
        "  long: [{number: [10, 600], units: [minutes, min], prefix: [for]}]",
        "  long:\n"
        "    terms: [{number: [10, 600], units: [minutes, years]}]\n"
        "    except: [{number: [1, 600], units: [years], prefix: [for], prefix_at_start: true}]",
    )
    matcher = load_matcher(write(tmp_path, text), ENGINE_SCREENS)
    assert matcher.match("12 years old and cramping").rule == "long"
    assert matcher.match("cramping for 12 years").kind is not MatchKind.RED_FLAG
    broken = text.replace("prefix: [for], prefix_at_start: true", "prefix_at_start: yes please")
    with pytest.raises(ContentError, match="prefix_at_start"):
        load_matcher(write(tmp_path, broken), ENGINE_SCREENS)


@pytest.mark.parametrize(
    ("text", "screen"),
    [
        # how long, not a child's age
        ("Leg cramps every single night for the last 2 months", "doc_frequent"),
        ("8 year old's knee is puffy and sore, says his leg hurts", "doc_child_leg"),
        ("my son is 2 and his legs hurt at night", "doc_child_leg"),
    ],
)
def test_a_duration_in_months_is_no_childs_age(matcher: Matcher, text: str, screen: str) -> None:
    assert matcher.match(text).screen_id == screen


def test_engine_emergency_rules_always_checked_before_urgent(tmp_path: Path) -> None:
    text = ENGINE_YAML.replace(
        "  - {id: chest, level: emergency",
        "  - {id: long2, level: urgent, screen: s_long, when: chest}\n"
        "  - {id: chest, level: emergency",
    )
    matcher = load_matcher(write(tmp_path, text), ENGINE_SCREENS)
    assert matcher.match("chest tight").rule == "chest"


def test_engine_unsure_offers_scored_screens_then_defaults(engine: Matcher) -> None:
    result = engine.match("really stiff")
    assert result.kind is MatchKind.ANSWER and result.screen_id == "s_stiff"
    vague = engine.match("hmm")
    assert vague.kind is MatchKind.UNSURE and vague.suggestions == ("s_calf", "s_stiff")


def test_engine_explain_names_concepts(engine: Matcher) -> None:
    found = engine.explain("my calf is swollen")
    assert {"calf", "swollen", "both"} <= set(found["concepts"])
    assert found["result"].rule == "calf_signs"


# ------------------------------------------------------------------------------ validation


def broken(tmp_path: Path, catalog: Catalog, old: str, new: str) -> str:
    """The real matching.yaml with one edit, loaded; returns the error message."""
    text = MATCHING_YAML.read_text(encoding="utf-8")
    assert old in text, old
    path = write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ContentError) as caught:
        load_matcher(path, catalog.screens)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message


def test_real_file_loads(catalog: Catalog) -> None:
    assert load_matcher(MATCHING_YAML, catalog.screens) is not None


def rule_index(screen: str) -> int:
    """Where the first red-flag rule for ``screen`` sits in the real file (the order changes)."""
    rules = yaml.safe_load(MATCHING_YAML.read_text(encoding="utf-8"))["red_flags"]
    return next(i for i, rule in enumerate(rules) if rule["screen"] == screen)


def test_unknown_screen_is_named(tmp_path: Path, catalog: Catalog) -> None:
    message = broken(tmp_path, catalog, "screen: em_chest", "screen: em_nowhere")
    assert f"red_flags[{rule_index('em_chest')}].screen: unknown screen 'em_nowhere'" in message


def test_unknown_intent_screen_is_named(tmp_path: Path, catalog: Catalog) -> None:
    message = broken(tmp_path, catalog, "screen: pickle_juice", "screen: pickles")
    assert "intents.pickle_juice.screen: unknown screen 'pickles'" in message


def test_rule_syntax_errors_are_named(tmp_path: Path, catalog: Catalog) -> None:
    message = broken(tmp_path, catalog, 'when: "(near(chest, chest_feeling, 2)', 'when: "((chest &')
    assert f"red_flags[{rule_index('em_chest') + 1}].when: bad rule" in message  # chest_pain


def test_unknown_concept_in_rule_is_named(tmp_path: Path, catalog: Catalog) -> None:
    message = broken(tmp_path, catalog, "(heat_env | endurance)", "(heat_envv | endurance)")
    assert "when: bad rule: unknown concept 'heat_envv'" in message


def test_bad_thresholds_are_named(tmp_path: Path, catalog: Catalog) -> None:
    message = broken(tmp_path, catalog, "sure_score: 2.9", "sure_score: 0.1")
    assert "decision.sure_score: must be ≥ min_score" in message
    message = broken(tmp_path, catalog, "min_score: 1.5", "min_score: lots")
    assert "decision.min_score: expected a number" in message


def test_bare_yaml_booleans_are_caught(tmp_path: Path, catalog: Catalog) -> None:
    message = broken(tmp_path, catalog, 'words: ["no", not,', "words: [no, not,")
    assert "negation.words[0]: expected a word, got False (quote it)" in message


def test_unknown_include_and_level_are_named(tmp_path: Path, catalog: Catalog) -> None:
    assert "concepts.site_any: unknown concept '@nowhere'" in broken(
        tmp_path, catalog, '"@calf", "@hamstring"', '"@nowhere", "@hamstring"'
    )
    assert "red_flags[0].level: must be one of emergency, urgent" in broken(
        tmp_path, catalog, "level: emergency", "level: soon"
    )


def test_misspelt_keys_are_refused(tmp_path: Path, catalog: Catalog) -> None:
    message = broken(tmp_path, catalog, "    bonus: 5\n", "    bonuss: 5\n")
    assert "intents.doc_medicine.bonuss: unknown key" in message
    assert "decision.min_scor: unknown key" in broken(
        tmp_path, catalog, "min_score: 1.5", "min_scor: 1.5\n  min_score: 1.5"
    )


def test_a_key_given_twice_is_refused(tmp_path: Path, catalog: Catalog) -> None:
    # YAML keeps the last of two keys silently: a second "except:" hid the first (it happened).
    message = broken(
        tmp_path,
        catalog,
        '    except: ["once a month"',
        '    except: ["every couple of weeks"]\n    except: ["once a month"',
    )
    assert "not valid YAML: key 'except' given twice" in message


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    # Read like every other content file (content.checks.read_yaml), so the same wording.
    path = write(tmp_path, "concepts: [unclosed")
    with pytest.raises(ContentError, match=r"matching\.yaml: not valid YAML"):
        load_matcher(path, set())
    with pytest.raises(ContentError, match=r"nope\.yaml: file is missing"):
        load_matcher(tmp_path / "nope.yaml", set())
