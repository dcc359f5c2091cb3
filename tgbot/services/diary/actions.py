"""The diary screens' buttons (``dy:``): short, stateless, checked on the way in.

Entry ids travel in the data, but every use is scoped to the pressing user in storage, so a
forged id can at most point at nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tgbot.services.buttons import ButtonAction, ButtonCodec
from tgbot.services.diary.model import DURATIONS, SEVERITY_MAX, SEVERITY_MIN, SIDES, SITES
from tgbot.services.diary.service import RETENTION_CHOICES, WHEN_CODES

LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")

TYPE_THE_TIME = "tx"  # ChangeWhen: the person types when it happened


class DiaryButton(ButtonAction):
    prefix = "dy:"


@dataclass(frozen=True)
class AskSite(DiaryButton):
    """Where was the cramp? For ``when`` (None: now)."""

    code = "new"
    when: str | None = None

    def valid(self) -> bool:
        return self.when is None or self.when in WHEN_CODES


@dataclass(frozen=True)
class LogCramp(DiaryButton):
    code = "s"
    site: str
    when: str
    severity: int | None = None  # known when offered from a typed report

    def valid(self) -> bool:
        severity_ok = self.severity is None or SEVERITY_MIN <= self.severity <= SEVERITY_MAX
        return self.site in SITES and self.when in WHEN_CODES and severity_ok


@dataclass(frozen=True)
class DeclineLogOffer(DiaryButton):
    code = "no"


@dataclass(frozen=True)
class OpenEntry(DiaryButton):
    code = "o"
    entry_id: int


@dataclass(frozen=True)
class SetSeverity(DiaryButton):
    code = "v"
    entry_id: int
    severity: int

    def valid(self) -> bool:
        return SEVERITY_MIN <= self.severity <= SEVERITY_MAX


@dataclass(frozen=True)
class SetSide(DiaryButton):
    code = "sd"
    entry_id: int
    side: str

    def valid(self) -> bool:
        return self.side in SIDES


@dataclass(frozen=True)
class SetDuration(DiaryButton):
    code = "d"
    entry_id: int
    duration: str

    def valid(self) -> bool:
        return self.duration in DURATIONS


@dataclass(frozen=True)
class AddNote(DiaryButton):
    code = "n"
    entry_id: int


@dataclass(frozen=True)
class DeleteEntry(DiaryButton):
    code = "x"
    entry_id: int


@dataclass(frozen=True)
class ChangeWhen(DiaryButton):
    """When did it happen? ``when`` None asks; TYPE_THE_TIME asks for it typed."""

    code = "w"
    entry_id: int
    when: str | None = None

    def valid(self) -> bool:
        return self.when is None or self.when in (*WHEN_CODES, TYPE_THE_TIME)


@dataclass(frozen=True)
class ShowRecent(DiaryButton):
    code = "list"


@dataclass(frozen=True)
class ShowDiary(DiaryButton):
    code = "me"


@dataclass(frozen=True)
class DoctorSummary(DiaryButton):
    """The summary for the doctor; ``language``: printed in another of the bot's languages
    (for a doctor who reads that one), None: the user's own."""

    code = "doc"
    language: str | None = None

    def valid(self) -> bool:
        return self.language is None or bool(LANGUAGE_CODE.fullmatch(self.language))


@dataclass(frozen=True)
class KeepEntries(DiaryButton):
    """How long to keep entries: None asks; 0 keeps them until deleted."""

    code = "ret"
    days: int | None = None

    def valid(self) -> bool:
        return self.days is None or self.days in (0, *RETENTION_CHOICES)


DIARY_BUTTONS: ButtonCodec[DiaryButton] = ButtonCodec(
    DiaryButton.prefix,
    [
        AskSite,
        LogCramp,
        DeclineLogOffer,
        OpenEntry,
        SetSeverity,
        SetSide,
        SetDuration,
        AddNote,
        DeleteEntry,
        ChangeWhen,
        ShowRecent,
        ShowDiary,
        DoctorSummary,
        KeepEntries,
    ],
)
