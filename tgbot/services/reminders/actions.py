"""The reminder screens' buttons (``rm:``): every choice made so far travels in the button
itself (time, zone, days), so a half-finished set-up survives restarts, and forged data is
refused rather than trusted (a zone must be one we know, a day a real date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from tgbot.services.buttons import ButtonAction, ButtonCodec
from tgbot.services.reminders.schedule import mask_to_days
from tgbot.services.zones import REGION_KEYS, is_valid_zone

FULL_MASK = 0b1111111


class ReminderButton(ButtonAction):
    prefix = "rm:"


@dataclass(frozen=True)
class ShowSettings(ReminderButton):
    code = "menu"


@dataclass(frozen=True)
class StartSetup(ReminderButton):
    """Turn reminders on: ask the time."""

    code = "on"


@dataclass(frozen=True)
class TimePicked(ReminderButton):
    code = "t"
    at: time


@dataclass(frozen=True)
class TypeTime(ReminderButton):
    code = "tx"


@dataclass(frozen=True)
class ListRegionZones(ReminderButton):
    code = "r"
    at: time
    region: str

    def valid(self) -> bool:
        return self.region in REGION_KEYS


@dataclass(frozen=True)
class ZonePicked(ReminderButton):
    """A zone was picked: ask the days."""

    code = "z"
    at: time
    zone: str

    def valid(self) -> bool:
        return is_valid_zone(self.zone)


@dataclass(frozen=True)
class TypeZone(ReminderButton):
    code = "zx"
    at: time


@dataclass(frozen=True)
class ChooseCustomDays(ReminderButton):
    """Ticking days one by one; ``mask`` bit i = weekday i (0 = Monday)."""

    code = "dc"
    at: time
    zone: str
    mask: int

    def valid(self) -> bool:
        return is_valid_zone(self.zone) and 0 <= self.mask <= FULL_MASK


@dataclass(frozen=True)
class DaysChosen(ReminderButton):
    """Days chosen: save the reminder."""

    code = "d"
    at: time
    zone: str
    mask: int

    def valid(self) -> bool:
        return is_valid_zone(self.zone) and 0 < self.mask <= FULL_MASK

    @property
    def days(self) -> frozenset[int]:
        return mask_to_days(self.mask)


@dataclass(frozen=True)
class ChangeTime(ReminderButton):
    code = "ct"


@dataclass(frozen=True)
class ChangeZone(ReminderButton):
    code = "cz"


@dataclass(frozen=True)
class ChangeDays(ReminderButton):
    code = "cd"


@dataclass(frozen=True)
class PauseWeek(ReminderButton):
    code = "p"


@dataclass(frozen=True)
class Resume(ReminderButton):
    """End a pause now."""

    code = "rs"


@dataclass(frozen=True)
class SendTest(ReminderButton):
    """Send tonight's reminder message now, as a preview; the schedule is not touched."""

    code = "tr"


@dataclass(frozen=True)
class RemindAt(ReminderButton):
    """``/remind`` with a zone it had to ask about: set the reminder at ``at`` in ``zone``."""

    code = "ra"
    at: time
    zone: str

    def valid(self) -> bool:
        return is_valid_zone(self.zone)


@dataclass(frozen=True)
class TurnOff(ReminderButton):
    code = "off"


@dataclass(frozen=True)
class RoutineDone(ReminderButton):
    """Under a nightly reminder: the routine of that night was done."""

    code = "done"
    day: date


@dataclass(frozen=True)
class Snooze(ReminderButton):
    code = "sn"


@dataclass(frozen=True)
class SkipTonight(ReminderButton):
    code = "sk"


@dataclass(frozen=True)
class StartRoutine(ReminderButton):
    """The bedtime routine, in a new message: the reminder keeps its buttons."""

    code = "go"


@dataclass(frozen=True)
class CheckinAnswer(ReminderButton):
    """The morning check-in's answer for ``day``: 0, 1 or 2 (several) cramps."""

    code = "ci"
    day: date
    count: int

    def valid(self) -> bool:
        return self.count in (0, 1, 2)


@dataclass(frozen=True)
class ToggleCheckin(ReminderButton):
    code = "cit"


REMINDER_BUTTONS: ButtonCodec[ReminderButton] = ButtonCodec(
    ReminderButton.prefix,
    [
        ShowSettings,
        StartSetup,
        TimePicked,
        TypeTime,
        ListRegionZones,
        ZonePicked,
        TypeZone,
        ChooseCustomDays,
        DaysChosen,
        ChangeTime,
        ChangeZone,
        ChangeDays,
        PauseWeek,
        TurnOff,
        RoutineDone,
        Snooze,
        SkipTonight,
        StartRoutine,
        CheckinAnswer,
        ToggleCheckin,
        Resume,
        SendTest,
        RemindAt,
    ],
)


def toggle_day(mask: int, weekday: int) -> int:
    return mask ^ (1 << weekday)


def mask_days(mask: int) -> frozenset[int]:
    return mask_to_days(mask) if mask else frozenset()
