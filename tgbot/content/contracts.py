"""What the code relies on the content for, by name: the screens it opens by id and the
matcher concepts it reads. Every catalogue is checked against these when it loads, so a
missing one stops start-up instead of failing when someone taps a button.

The other contracts live beside their loaders: the ui keys in catalog.py, the reminder and
diary texts in reminder_texts.py and diary_texts.py, the chart/PDF/CSV labels in
tgbot/services/diary/render/labels.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from tgbot.content.checks import ContentError
from tgbot.content.model import Screen

# Screens the code opens by id (every other screen is reached through content buttons).
MAIN_SCREEN: Final = "main"  # the menu; Home and Back lead here
DISCLAIMER_SCREEN: Final = "disclaimer"  # /disclaimer
EMERGENCY_NUMBERS_SCREEN: Final = "emergency_numbers"  # gets the country picker
REMINDERS_SCREEN: Final = "reminders"  # replaced by the live reminder settings
BEDTIME_ROUTINE_SCREEN: Final = "r_bedtime_1"  # the nightly reminder's routine button
DIARY_SCREEN: Final = "diary"  # replaced by the user's diary
LOG_SCREEN: Final = "log_cramp"  # replaced by "where was the cramp?"
DOCTOR_SCREEN: Final = "serious_doctor"  # the diary's see-a-doctor nudge
STILL_HURTING_SCREEN: Final = "still_hurting"  # a routine's escalation unless it names its own
SCREENS_THE_CODE_OPENS: Final = frozenset(
    {
        MAIN_SCREEN,
        DISCLAIMER_SCREEN,
        EMERGENCY_NUMBERS_SCREEN,
        REMINDERS_SCREEN,
        BEDTIME_ROUTINE_SCREEN,
        DIARY_SCREEN,
        LOG_SCREEN,
        DOCTOR_SCREEN,
        STILL_HURTING_SCREEN,
    }
)

# Concepts of matching.yaml the code reads from a message.
NOW_CUE_CONCEPT: Final = "now_cue"  # a cramp happening now: not the answer to a prompt
PROBLEM_CONCEPT: Final = "problem"  # a new question: not the answer to a prompt
REPORTED_PAST_CONCEPT: Final = "reported_past"  # "had a cramp": offer to log it
REPORTED_LAST_NIGHT_CONCEPT: Final = "reported_last_night"  # ...logged as last night
CONCEPTS_THE_CODE_READS: Final = frozenset(
    {NOW_CUE_CONCEPT, PROBLEM_CONCEPT, REPORTED_PAST_CONCEPT, REPORTED_LAST_NIGHT_CONCEPT}
)

# ui.yaml keys of /settings (handlers/settings.py), each with the placeholders it may use.
SETTINGS_TEXTS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "settings_title": ("emergency",),
        "settings_language_prompt": (),
        "settings_zone_offer": (),
        "settings_zone_prompt": ("zone",),
        "settings_zone_saved": ("zone", "local_now"),
    }
)
# ...and those that are button labels (or words put into one), plain text.
SETTINGS_LABELS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "settings_country": ("country",),
        "settings_country_unset": (),
        "settings_zone": ("zone",),
        "settings_zone_unset": (),
        "settings_reminders": ("state",),
        "settings_checkin": ("state",),
        "settings_on": (),
        "settings_off": (),
        "settings_retention": ("days",),
        "settings_language": ("language",),
        "language_name": (),
        "settings_use_zone": ("zone", "offset"),
        "settings_other_zone": (),
        "settings_open": (),
    }
)


def check_screens_the_code_opens(screens: Mapping[str, Screen], folder: Path) -> None:
    missing = sorted(SCREENS_THE_CODE_OPENS - screens.keys())
    if missing:
        raise ContentError(
            f"{folder}: {missing[0]}: missing; the code opens this screen "
            "(tgbot/content/contracts.py)"
        )
