"""Clinical review rules for messages/en, checked on the real catalogue.

Each rule comes from the clinical review against /work/shared/content-facts.md: sources on every
health screen, short relief screens for a phone at 3 a.m., the clot check before heat or massage,
no reassurance on red-flag screens, the red-flag screens the facts call for, and site-specific
escalation from the back and neck routines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import english_catalogue_copy
from tgbot.content import Catalog, ContentError, Screen, load_content
from tgbot.content.checks import MAX_LABEL_LENGTH
from tgbot.content.contracts import STILL_HURTING_SCREEN
from tgbot.telegram_html import html_to_plain

EN: Catalog = load_content().catalog("en")

# Navigation and admin screens: no health facts, so no sources line.
NO_SOURCES_NEEDED = frozenset(
    {"main", "log_cramp", "diary", "reminders", "disclaimer", "emergency_numbers", "learn"}
)
# Source names as content-facts.md section 8 gives them (short forms a reader recognises).
KNOWN_SOURCES = frozenset(
    {
        "NHS",
        "HSE",
        "NCT",
        "UCLH NHS",
        "CUH NHS",
        "Northern HSC Trust",
        "Public Health Wales",
        "Portsmouth Health and Care",
        "NICE",
        "MHRA",
        "Resuscitation Council UK",
        "UKTIS",
        "Mayo Clinic",
        "Cleveland Clinic",
        "MedlinePlus",
        "MedlinePlus Genetics",
        "MSD Manual",
        "AAFP",
        "Cochrane",
        "FDA",
        "AAN",
        "CDC",
        "ACOG",
        "NINDS",
        "Texas DSHS",
        "Harvard Health",
        "Healthwise",
        "Verywell",
        "WebMD",
        "RxList",
        "Myositis Association",
        "HealthInfo NZ",
        "Bupa",
        "DMRF",
        "EBM Guidelines",
        "EAH consensus 2015",
        "Wilderness Medical Society",
        "Miller 2015",
        "Hallegraeff 2012",
        "J Athl Train 2021",
        "Med Sci Sports Exerc 2010",
        "Pediatr Rheumatol 2007",
        "Expert Rev Neurother 2014",
    }
)
SOURCES_RE = re.compile(r"^Sources: (.+)$")

RELIEF_SCREENS = (
    "cramp_now",
    "calf_now",
    "hamstring_now",
    "quad_now",
    "foot_now",
    "hand_now",
    "neck_now",
    "back_now",
    "other_now",
)
# Relief screens whose details live on a child screen behind a "More" button.
RELIEF_WITH_MORE = tuple(s for s in RELIEF_SCREENS if s not in ("cramp_now", "other_now"))
MAX_RELIEF_WORDS = 120
# The first two lines must tell the reader what to do: each holds one of these verbs.
ACTION_WORDS = frozenset(
    {"stop", "stretch", "pull", "stand", "straighten", "press", "put", "hold", "move", "keep"}
    | {"get", "call", "rub", "tap"}
)

# "One calf (or thigh) swollen, warm, red or darker? No heat, no massage: get same-day care."
CLOT_LINE_RE = re.compile(
    r"one (calf|thigh)( or (calf|thigh))? swollen, warm, red or darker\? "
    r"no heat, no massage: get same-day care"
)
HEAT_OR_MASSAGE_RE = re.compile(r"\b(warm\w*|heat\w*|hot|massag\w*|rub\w*)\b")
CLOT_CHECK_SCREENS = (
    "cramp_now",
    "calf_now",
    "calf_now_more",
    "night_cramps",
    "night_routine",
    "night_remedies",
    "night_causes",
    "sleep_position",
    "sore_after",
    "pregnancy",
    "ur_pregnancy",
    "stretch_calf_wall",
    "stretch_calf_chair",
    "r_calf_1",
    "r_bedtime_1",
)
CLOT_TOPIC_RE = re.compile(r"calf|night|pregnan|bedtime|sleep|sore")
LATER_ROUTINE_SCREEN_RE = re.compile(r"^r_\w+_(done|[2-9]|\d\d+)$")

REASSURANCE_RE = re.compile(
    r"very common|almost always|harmless|benign|nothing to worry|no need to worry"
    r"|don't worry|nothing serious"
)
RED_FLAG_ADVICE_RE = re.compile(
    r"\{emergency\}|emergency number|get medical help|same-day|same day|book a doctor"
    r"|see a gp|see a doctor|get checked|get advice immediately"
)

NEW_SCREENS = (
    "em_anaphylaxis",
    "em_meningitis",
    "em_back_injury",
    "ur_tear",
    "ur_preeclampsia",
    "ur_back_serious",
    "ur_neck_nerve",
    "heat_exhaustion",
    "growing_pains",
    "doc_child_leg",
    "restless_legs",
    "doc_dystonia",
    "doc_back_risk",
    "ibuprofen",
    "still_hurting_back",
    "still_hurting_neck",
)


def screen(screen_id: str) -> Screen:
    assert screen_id in EN.screens, f"screen {screen_id} is missing"
    return EN.screens[screen_id]


def plain(screen_id: str) -> str:
    """The screen as the reader sees it, tags removed; {emergency} kept as written."""
    return html_to_plain(screen(screen_id).text)


def lines(screen_id: str) -> list[str]:
    return [line.strip() for line in plain(screen_id).splitlines() if line.strip()]


def targets(screen_id: str) -> set[str]:
    return {button.to for row in screen(screen_id).rows for button in row}


def words_above_buttons(screen_id: str) -> int:
    text = " ".join(line for line in lines(screen_id) if not SOURCES_RE.match(line))
    return sum(1 for token in text.split() if re.search(r"\w", token))


def lines_with(screen_id: str, fragment: str) -> list[str]:
    return [line for line in lines(screen_id) if fragment in line.lower()]


def calls_emergency_for(screen_id: str, *fragments: str) -> bool:
    """A paragraph holding {emergency} also names every fragment (case-insensitive)."""
    paragraphs = [p.lower() for p in plain(screen_id).split("\n\n")]
    return any("{emergency}" in p and all(f.lower() in p for f in fragments) for p in paragraphs)


# ------------------------------------------------------------------------------ sources


HEALTH_SCREENS = sorted(set(EN.screens) - NO_SOURCES_NEEDED)


@pytest.mark.parametrize("screen_id", HEALTH_SCREENS)
def test_every_health_screen_ends_with_its_sources(screen_id: str) -> None:
    last = lines(screen_id)[-1]
    found = SOURCES_RE.match(last)
    assert found, f"{screen_id}: last line should be 'Sources: …', not {last!r}"
    names = [name.strip() for name in found.group(1).split(",")]
    assert names and set(names) <= KNOWN_SOURCES, f"{screen_id}: unknown source in {names}"
    assert screen(screen_id).text.rstrip().endswith("</i>"), f"{screen_id}: sources in italics"


def test_navigation_screens_exist() -> None:
    # The exemptions above must name real screens, or the list goes stale unnoticed.
    assert set(EN.screens) >= NO_SOURCES_NEEDED


# ------------------------------------------------------------------------------ 3 a.m. screens


@pytest.mark.parametrize("screen_id", RELIEF_SCREENS)
def test_relief_screen_is_short(screen_id: str) -> None:
    count = words_above_buttons(screen_id)
    assert count <= MAX_RELIEF_WORDS, f"{screen_id}: {count} words above the buttons"


@pytest.mark.parametrize("screen_id", RELIEF_SCREENS)
def test_relief_screen_opens_with_what_to_do(screen_id: str) -> None:
    for line in lines(screen_id)[:2]:
        found = set(re.findall(r"[a-z]+", line.lower())) & ACTION_WORDS
        assert found, f"{screen_id}: {line!r} doesn't say what to do"


@pytest.mark.parametrize("screen_id", RELIEF_WITH_MORE)
def test_relief_details_sit_behind_a_more_button(screen_id: str) -> None:
    more = f"{screen_id}_more"
    assert more in targets(screen_id)
    labels = [b.label for row in screen(screen_id).rows for b in row if b.to == more]
    assert any("More" in label for label in labels)
    assert screen(more).title and EN.screens[more].parent == screen_id


# ------------------------------------------------------------------------------ clot check


def clot_line_index(screen_id: str) -> int | None:
    return next(
        (i for i, line in enumerate(lines(screen_id)) if CLOT_LINE_RE.search(line.lower())),
        None,
    )


def first_heat_or_massage_index(screen_id: str) -> int | None:
    return next(
        (i for i, line in enumerate(lines(screen_id)) if HEAT_OR_MASSAGE_RE.search(line.lower())),
        None,
    )


@pytest.mark.parametrize("screen_id", CLOT_CHECK_SCREENS)
def test_calf_night_and_pregnancy_screens_open_with_the_clot_check(screen_id: str) -> None:
    index = clot_line_index(screen_id)
    assert index is not None, f"{screen_id}: no clot-check line"
    # After the title (and a routine's "Step 1 of N", or one line saying what to do).
    assert index <= 2, f"{screen_id}: the clot check is line {index}, not near the top"
    heat = first_heat_or_massage_index(screen_id)
    assert heat is None or heat >= index, f"{screen_id}: heat or massage before the clot check"


CLOT_TOPIC_SCREENS = sorted(
    sid
    for sid in EN.screens
    if CLOT_TOPIC_RE.search(sid)
    and not LATER_ROUTINE_SCREEN_RE.match(sid)
    and not sid.startswith("triage_")
)


@pytest.mark.parametrize("screen_id", CLOT_TOPIC_SCREENS)
def test_no_heat_or_massage_advice_before_the_clot_check(screen_id: str) -> None:
    heat = first_heat_or_massage_index(screen_id)
    if heat is None:
        return
    index = clot_line_index(screen_id)
    assert index is not None and index <= heat, f"{screen_id}: heat or massage, no clot check first"


# ------------------------------------------------------------------------------ reassurance

RED_FLAG_SCREENS = sorted(
    sid
    for sid in EN.screens
    if sid.startswith(("em_", "ur_", "doc_", "still_hurting"))
    or sid in ("back_neck_red_flags", "red_flags_now", "red_flags_today")
)


@pytest.mark.parametrize("screen_id", RED_FLAG_SCREENS)
def test_no_reassurance_on_red_flag_screens(screen_id: str) -> None:
    found = REASSURANCE_RE.search(plain(screen_id).lower())
    assert not found, f"{screen_id}: reassuring {found.group(0)!r} on a red-flag screen"


@pytest.mark.parametrize("screen_id", sorted(EN.screens))
def test_reassurance_never_comes_before_red_flag_advice(screen_id: str) -> None:
    text = plain(screen_id).lower()
    calm = [m.start() for m in REASSURANCE_RE.finditer(text)]
    alarm = [m.start() for m in RED_FLAG_ADVICE_RE.finditer(text)]
    if calm and alarm:
        assert min(calm) > max(alarm), f"{screen_id}: reassurance before the warning signs"


# ------------------------------------------------------------------------------ new screens


@pytest.mark.parametrize("screen_id", NEW_SCREENS)
def test_new_screen_exists_with_a_title_and_a_parent(screen_id: str) -> None:
    found = screen(screen_id)
    assert found.title and len(found.title) <= MAX_LABEL_LENGTH
    assert found.parent, f"{screen_id}: no screen links here"


def test_anaphylaxis_says_call_and_use_the_auto_injector() -> None:
    assert calls_emergency_for("em_anaphylaxis", "anaphylaxis", "food", "medicine", "sting")
    text = plain("em_anaphylaxis").lower()
    for fragment in ("auto-injector", "at once", "legs raised", "left side", "5 minutes"):
        assert fragment in text, fragment
    assert "don't let them stand up or walk" in text
    assert "em_anaphylaxis" in targets("red_flags_now")


def test_meningitis_covers_all_ages_the_glass_test_and_dark_skin() -> None:
    assert calls_emergency_for("em_meningitis", "adult", "child", "baby")
    assert calls_emergency_for("em_meningitis", "glass")
    text = plain("em_meningitis").lower()
    for fragment in ("don't wait for a rash", "babies", "dark skin", "palms", "roof of the mouth"):
        assert fragment in text, fragment


def test_back_injury_calls_and_does_not_move_them() -> None:
    assert calls_emergency_for("em_back_injury", "accident", "minor fall", "osteoporosis")
    assert "don't move them" in plain("em_back_injury").lower()
    assert "em_back_injury" in targets("red_flags_now")


def test_a_pop_in_the_calf_is_not_stretched() -> None:
    text = plain("ur_tear").lower()
    for fragment in ("not a cramp", "don't stretch or massage", "tiptoe", "today", "weight off"):
        assert fragment in text, fragment
    assert "ur_tear" in targets("red_flags_today") and "ur_tear" in targets("still_hurting")


def test_preeclampsia_signs_get_advice_immediately() -> None:
    text = plain("ur_preeclampsia").lower()
    for fragment in (
        "immediately",
        "midwife",
        "maternity unit",
        "gp",
        "nhs 111",
        "don't wait",
        "headache",
        "vision",
        "sudden swelling of the face, hands or feet",
    ):
        assert fragment in text, fragment
    assert calls_emergency_for("ur_preeclampsia", "fit")
    for parent in ("pregnancy", "ur_pregnancy", "red_flags_today"):
        assert "ur_preeclampsia" in targets(parent), parent


def test_pregnant_swollen_calf_is_same_day_without_massage() -> None:
    text = plain("ur_pregnancy").lower()
    assert "same day" in text and "don't massage" in text
    assert "ur_pregnancy" in targets("pregnancy")


def test_back_and_neck_same_day_screens() -> None:
    back = plain("ur_back_serious").lower()
    for fragment in ("today", "fever", "weight loss", "night", "rest", "lump", "shape"):
        assert fragment in back, fragment
    neck = plain("ur_neck_nerve").lower()
    for fragment in ("today", "tingling", "numbness", "weakness", "balance", "injury"):
        assert fragment in neck, fragment
    assert calls_emergency_for("ur_neck_nerve", "speaking", "face drooping")


def test_heat_ladder_names_when_to_call_and_when_to_get_help() -> None:
    assert calls_emergency_for("heat_exhaustion", "heatstroke", "confused")
    text = plain("heat_exhaustion").lower()
    for fragment in ("heat exhaustion", "heat cramps", "vomiting", "over an hour", "30 minutes"):
        assert fragment in text, fragment
    assert "heat_exhaustion" in targets("hydration_heat")


def test_children_restless_legs_and_dystonia_point_to_a_gp() -> None:
    growing = plain("growing_pains").lower()
    assert "aspirin" in growing and "under 16" in growing and "one leg" in growing
    assert {"doc_child_leg", "ibuprofen"} <= targets("growing_pains")
    assert "gp" in plain("doc_child_leg").lower()
    legs = plain("restless_legs").lower()
    assert "see a gp" in legs and "pregnant" in legs and "tired" in legs
    dystonia = plain("doc_dystonia").lower()
    assert "writer's cramp" in dystonia and "gp" in dystonia
    risk = plain("doc_back_risk").lower()
    for fragment in ("cancer", "under 20 or over 50", "steroid", "bacterial infection", "today"):
        assert fragment in risk, fragment


def test_every_ibuprofen_mention_carries_its_cautions() -> None:
    assert "check with a pharmacist first" in plain("ibuprofen").lower()
    for sid in EN.screens:
        if sid != "ibuprofen" and "ibuprofen" in plain(sid).lower():
            assert "ibuprofen" in targets(sid), f"{sid} mentions ibuprofen without the cautions"


def test_over_drinking_in_sport_is_never_told_to_sip_water() -> None:
    assert "em_overdrinking" in targets("ur_fluid_loss")
    text = plain("ur_fluid_loss").lower()
    assert "don't drink any more" in text, "ur_fluid_loss: no 'don't drink any more' line"
    assert text.index("don't drink any more") < text.index("sip water")
    assert calls_emergency_for("ur_fluid_loss", "long exercise", "headache", "nausea", "vomiting")
    assert calls_emergency_for("em_overdrinking", "headache", "nausea", "vomiting", "confusion")
    assert "give more water" in plain("em_overdrinking").lower()


# ------------------------------------------------------------------------------ routines


def still_hurting_target(routine: str) -> set[str]:
    """Where "Still hurting?" leads from every step of a routine."""
    label = EN.text("routine_still_hurting")
    steps = [sid for sid in EN.screens if re.fullmatch(rf"r_{routine}_\d+", sid)]
    assert steps, routine
    return {b.to for sid in steps for row in EN.screens[sid].rows for b in row if b.label == label}


@pytest.mark.parametrize(
    ("routine", "target"),
    [
        ("back", "still_hurting_back"),
        ("neck", "still_hurting_neck"),
        ("calf", STILL_HURTING_SCREEN),
        ("hamstring", STILL_HURTING_SCREEN),
    ],
)
def test_routines_escalate_by_site(routine: str, target: str) -> None:
    assert still_hurting_target(routine) == {target}


def test_back_and_neck_escalation_screens_name_their_red_flags() -> None:
    assert calls_emergency_for("still_hurting_back", "genitals", "peeing")
    assert calls_emergency_for("still_hurting_back", "accident")
    assert "em_cauda" in targets("still_hurting_back")
    assert calls_emergency_for("still_hurting_neck", "stiff neck", "fever")
    assert "ur_neck_nerve" in targets("still_hurting_neck")
    # The limb screen is for calves and thighs, not backs.
    assert "calf" in plain(STILL_HURTING_SCREEN).lower()


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    target = tmp_path / "messages"
    return english_catalogue_copy(target)


def _set_still_hurting(root: Path, value: object) -> Path:
    path = root / "en" / "routines" / "relief.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["neck"]["still_hurting"] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_an_unknown_still_hurting_screen_is_a_dead_link(broken_copy: Path) -> None:
    path = _set_still_hurting(broken_copy, "nowhere_screen")
    with pytest.raises(ContentError) as caught:
        load_content(broken_copy)
    message = str(caught.value)
    assert str(path) in message and "nowhere_screen" in message


def test_a_malformed_still_hurting_id_is_caught(broken_copy: Path) -> None:
    path = _set_still_hurting(broken_copy, "Not An Id!")
    with pytest.raises(ContentError, match="still_hurting") as caught:
        load_content(broken_copy)
    assert str(path) in str(caught.value)
