"""reminders.yaml: the texts of the bedtime-reminder flow and the rotating nightly content."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tgbot.content.checks import (
    ContentError,
    check_label,
    check_labels,
    check_text,
    check_texts,
    read_yaml,
)

# Each text and the placeholders the code fills in for it.
TEXT_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "intro_off": (),
    "ask_time": (),
    "ask_time_typed": (),
    "bad_time": ("text",),
    "bad_hour": ("text",),
    "bad_minute": ("text",),
    "ask_zone": ("time",),
    "ask_zone_typed": (),
    "pick_zone": (),
    "bad_zone": (),
    "zone_unknown": ("text",),
    "zone_suggest": ("text",),
    "zone_ambiguous": ("text",),
    "zone_abbreviation": ("abbreviation", "zone"),
    "zone_found": ("zone", "local_now"),
    "ask_days": (),
    "ask_custom_days": (),
    "confirm": ("days", "time", "zone", "when"),
    "state": ("days", "time", "zone", "when"),
    "paused": ("days", "time", "zone", "when"),
    "confirm_paused": ("days", "time", "zone", "when"),
    "resumed": ("days", "time", "zone", "when"),
    "test_wait": ("seconds",),
    "turned_off": (),
    "not_set": (),
    "remind_usage": (),
    "reminder_title": (),
    "done_ack": (),
    "snooze_ack": ("time",),
    "skip_ack": ("when", "time"),
    "welcome_back_off": (),
    "checkin": (),
    "checkin_none_ack": (),
    "checkin_log": (),
    "checkin_off_ack": (),
    "checkin_on_ack": (),
    # one per SpokenWhen (services/reminders/schedule.py)
    "when_this_morning": (),
    "when_this_afternoon": (),
    "when_this_evening": (),
    "when_tonight": (),
    "when_tomorrow_morning": (),
    "when_tomorrow_afternoon": (),
    "when_tomorrow_evening": (),
    "when_tomorrow_night": (),
    "when_weekday": ("weekday",),
    "when_date": ("weekday", "day", "month"),
    "days_every": (),
    "days_weekdays": (),
    "days_list": ("days",),
}
BUTTON_KEYS = (
    "turn_on",
    "other_time",
    "share_location",
    "type_zone",
    "every_day",
    "weekdays",
    "custom_days",
    "save_days",
    "change_time",
    "change_zone",
    "change_days",
    "pause_week",
    "resume",
    "send_test",
    "turn_off",
    "start_routine",
    "done",
    "snooze",
    "skip",
    "stop",
    "checkin_none",
    "checkin_one",
    "checkin_several",
    "checkin_off",
    "checkin_turn_on",
    "checkin_turn_off",
)
REGION_KEYS = ("europe", "americas", "asia_pacific", "africa_middle_east")


@dataclass(frozen=True, eq=False)
class ReminderTexts:
    texts: Mapping[str, str]
    buttons: Mapping[str, str]
    weekdays: tuple[str, ...]
    weekdays_short: tuple[str, ...]
    months: tuple[str, ...]
    regions: Mapping[str, str]
    stretches: tuple[str, ...]
    tips: tuple[str, ...]

    def text(self, key: str, **values: str) -> str:
        return self.texts[key].format(**values) if values else self.texts[key]


def load_reminder_texts(path: Path) -> ReminderTexts:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected texts, buttons, weekdays, stretches and tips")
    return ReminderTexts(
        texts=check_texts(data.get("texts"), TEXT_PLACEHOLDERS, f"{path}: texts"),
        buttons=check_labels(data.get("buttons"), BUTTON_KEYS, f"{path}: buttons"),
        weekdays=_names(data.get("weekdays"), f"{path}: weekdays"),
        weekdays_short=_names(data.get("weekdays_short"), f"{path}: weekdays_short"),
        months=_names(data.get("months"), f"{path}: months", 12, "January"),
        regions=check_labels(data.get("regions"), REGION_KEYS, f"{path}: regions"),
        stretches=_list(data.get("stretches"), f"{path}: stretches"),
        tips=_list(data.get("tips"), f"{path}: tips"),
    )


def _names(raw: Any, where: str, count: int = 7, first: str = "Monday") -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) != count:
        raise ContentError(f"{where}: expected the {count} names, {first} first")
    return tuple(check_label(name, f"{where}[{i}]") for i, name in enumerate(raw))


def _list(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise ContentError(f"{where}: expected a non-empty list of texts")
    return tuple(check_text(item, f"{where}[{i}]", placeholders=()) for i, item in enumerate(raw))
