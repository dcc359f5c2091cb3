"""Button data as typed actions: every action survives its round trip; forged data is refused."""

from __future__ import annotations

from datetime import date, time

import pytest

from tgbot.services.buttons import ButtonCodec
from tgbot.services.diary.actions import DIARY_BUTTONS, AskSite, KeepEntries, LogCramp, SetSeverity
from tgbot.services.navigation import MENU_BUTTONS, ChooseCountry, ConfirmAnswer, OpenScreen
from tgbot.services.reminders.actions import (
    REMINDER_BUTTONS,
    CheckinAnswer,
    DaysChosen,
    RoutineDone,
    ShowSettings,
    ZonePicked,
)

CODECS: list[ButtonCodec] = [MENU_BUTTONS, REMINDER_BUTTONS, DIARY_BUTTONS]  # type: ignore[type-arg]


@pytest.mark.parametrize(
    "action",
    [
        OpenScreen("main"),
        ChooseCountry(),
        ChooseCountry("DE"),
        ConfirmAnswer(True, "em_chest"),
        ConfirmAnswer(False, None),
        ShowSettings(),
        ZonePicked(time(22, 15), "America/New_York"),
        DaysChosen(time(6, 5), "Europe/Berlin", 0b0011111),
        RoutineDone(date(2026, 12, 1)),
        CheckinAnswer(date(2026, 12, 1), 2),
        AskSite(),
        LogCramp("calf", "ln", 7),
        LogCramp("foot", "now"),
        SetSeverity(2**40, 10),
        KeepEntries(0),
    ],
)
def test_every_action_survives_its_round_trip(action: object) -> None:
    data = action.data  # type: ignore[attr-defined]
    assert len(data.encode()) <= 64
    decoded = [codec.decode(data) for codec in CODECS]
    assert action in decoded


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        (REMINDER_BUTTONS, "rm:d:2200:Foo/Bar:127"),  # a zone we do not know
        (REMINDER_BUTTONS, "rm:d:2200:Europe/Berlin:0"),  # no day at all
        (REMINDER_BUTTONS, "rm:done:2026-02-31"),  # an impossible date
        (REMINDER_BUTTONS, "rm:t:2460"),  # an impossible time
        (REMINDER_BUTTONS, "rm:ci:2026-12-01:7"),
        (REMINDER_BUTTONS, "rm:menu:extra"),
        (REMINDER_BUTTONS, "rm:nope"),
        (DIARY_BUTTONS, "dy:v:99999999999999999999999999:5"),  # an id SQLite cannot hold
        (DIARY_BUTTONS, "dy:v:-1:5"),
        (DIARY_BUTTONS, "dy:v:12:11"),
        (DIARY_BUTTONS, "dy:s:elbow:now"),
        (DIARY_BUTTONS, "dy:ret:30"),
        (MENU_BUTTONS, "c:de"),
        (MENU_BUTTONS, "cf:y:"),  # Yes must name the red-flag screen
        (MENU_BUTTONS, "s:"),
        (MENU_BUTTONS, ""),
    ],
)
def test_forged_or_stale_data_is_refused(codec: ButtonCodec, data: str) -> None:  # type: ignore[type-arg]
    assert codec.decode(data) is None


def test_older_buttons_still_in_chats_keep_working() -> None:
    assert MENU_BUTTONS.decode("c:") == ChooseCountry()
    assert MENU_BUTTONS.decode("cf:n:") == ConfirmAnswer(False, None)
    assert DIARY_BUTTONS.decode("dy:s:calf:now") == LogCramp("calf", "now")


def test_data_over_telegrams_limit_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        _ = OpenScreen("x" * 70).data
