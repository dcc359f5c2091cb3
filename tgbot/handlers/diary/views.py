"""How diary screens look: texts from diary.yaml, buttons carrying dy: actions."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from tgbot.content.contracts import DOCTOR_SCREEN, MAIN_SCREEN
from tgbot.content.diary_texts import DiaryTexts
from tgbot.handlers.screens import Rendered, View, button, grid, with_footer
from tgbot.services.diary.actions import (
    TYPE_THE_TIME,
    AddNote,
    AskSite,
    ChangeWhen,
    DeclineLogOffer,
    DeleteEntry,
    DoctorSummary,
    KeepEntries,
    LogCramp,
    OpenEntry,
    SetDuration,
    SetSeverity,
    SetSide,
    ShowDiary,
    ShowRecent,
)
from tgbot.services.diary.model import (
    DURATIONS,
    SEVERITY_MAX,
    SEVERITY_MIN,
    SIDES,
    SITES,
    DiaryEntry,
)
from tgbot.services.diary.service import (
    RETENTION_CHOICES,
    WHEN_EARLIER_TODAY,
    WHEN_LAST_NIGHT,
    WHEN_NOW,
)
from tgbot.services.locale_format import day_label
from tgbot.services.navigation import screen_callback


def texts(view: View) -> DiaryTexts:
    return view.catalog.diary


def _screen(view: View, text: str, rows: list[list[InlineKeyboardButton]]) -> Rendered:
    """Diary screens end with a way home."""
    home = [button(view.say("nav_home"), screen_callback(MAIN_SCREEN))]
    return with_footer(view, text, [*rows, home])


def when_label(view: View, when: str) -> str:
    key = {
        WHEN_NOW: "when_now",
        WHEN_LAST_NIGHT: "when_last_night",
        WHEN_EARLIER_TODAY: "when_earlier_today",
    }[when]
    return texts(view).text(key)


def ask_site(view: View, when: str = WHEN_NOW) -> Rendered:
    t = texts(view)
    sites = [button(t.sites[s], LogCramp(s, when).data) for s in SITES]
    other_times = [
        button(t.buttons["last_night"], AskSite(WHEN_LAST_NIGHT).data),
        button(t.buttons["earlier_today"], AskSite(WHEN_EARLIER_TODAY).data),
    ]
    return _screen(
        view, t.text("ask_site", when=when_label(view, when)), [*grid(sites, 2), other_times]
    )


def moment_label(view: View, local: datetime, today: date) -> str:
    """'Fri 28 Nov, 03:00' in the user's words; the year only when it is not this one."""
    t = texts(view)
    this_year = local.year == today.year
    day = day_label(local.date(), view.catalog.language, year=not this_year)
    return t.text("moment" if this_year else "moment_other_year", date=day, time=f"{local:%H:%M}")


def local_time(view: View, entry: DiaryEntry, today: date) -> str:
    """When the entry was, as the person meant it (never shifted by a later zone)."""
    local = entry.local_time or entry.occurred_at.replace(tzinfo=None)
    return moment_label(view, local, today)


def chosen(view: View, label: str, is_chosen: bool) -> str:
    """A choice's label, ticked when it is the one stored."""
    return texts(view).text("chosen", label=label) if is_chosen else label


def severity_label(view: View, n: int) -> str:
    """The ends of the scale say what they mean: 1 mild, 10 worst ever."""
    t = texts(view)
    if n == SEVERITY_MIN:
        return t.text("severity_low_end", n=n)
    if n == SEVERITY_MAX:
        return t.text("severity_high_end", n=n)
    return str(n)


def card(
    view: View, record: DiaryEntry, today: date, intro: str = "", *, no_zone: bool = False
) -> Rendered:
    """One entry with one-tap buttons for its details (the stored ones ticked), a note, and
    delete. ``no_zone``: add the line saying the times are UTC's until a zone is known."""
    t = texts(view)
    unset = t.text("unset")
    body = t.text(
        "card",
        site=t.sites.get(record.site, record.site),
        when=local_time(view, record, today),
        side=t.sides[record.side] if record.side else unset,
        severity=f"{record.severity}/10" if record.severity else unset,
        duration=t.durations[record.duration] if record.duration else unset,
        note=html.escape(record.note) if record.note else unset,
    )
    if record.duration == "over_10":
        body += "\n\n" + view.catalog.personalise(t.text("long_cramp"), view.country)
    if no_zone:
        body += "\n\n" + t.text("no_zone")
    rid = record.id
    severity = [
        button(
            chosen(view, severity_label(view, n), n == record.severity),
            SetSeverity(rid, n).data,
        )
        for n in range(SEVERITY_MIN, SEVERITY_MAX + 1)
    ]
    sides = [
        button(chosen(view, t.buttons[f"side_{s}"], s == record.side), SetSide(rid, s).data)
        for s in SIDES
    ]
    durations = [
        button(chosen(view, t.durations[d], d == record.duration), SetDuration(rid, d).data)
        for d in DURATIONS
    ]
    rows = [
        # 3-4-3: the labelled ends get a third of the width each, room for their words
        severity[:3],
        severity[3:7],
        severity[7:],
        sides,
        durations,
        [
            button(t.buttons["note"], AddNote(rid).data),
            button(t.buttons["delete"], DeleteEntry(rid).data),
        ],
        [button(t.buttons["change_time"], ChangeWhen(rid).data)],
        [button(t.buttons["diary"], ShowDiary().data)],
    ]
    text = f"{intro}\n\n{body}" if intro else body
    return _screen(view, text, rows)


def diary_buttons(view: View) -> list[list[InlineKeyboardButton]]:
    b = texts(view).buttons
    return [
        [button(b["log"], AskSite().data)],
        [button(b["recent"], ShowRecent().data), button(b["doctor"], DoctorSummary().data)],
        [button(b["retention"], KeepEntries().data)],
    ]


def overview(view: View, text: str) -> Rendered:
    return _screen(view, text, diary_buttons(view))


def recent(view: View, records: Sequence[DiaryEntry], today: date) -> Rendered:
    t = texts(view)
    rows = [
        [
            button(
                f"{local_time(view, r, today)} · {t.sites.get(r.site, r.site)}"
                + (f" · {r.severity}/10" if r.severity else ""),
                OpenEntry(r.id).data,
            )
        ]
        for r in records
    ]
    rows.append([button(t.buttons["diary"], ShowDiary().data)])
    return _screen(view, t.buttons["recent"], rows)


def retention(view: View, current_days: int | None, saved: bool = False) -> Rendered:
    t = texts(view)
    current = t.text(
        {None: "retention_forever", 90: "retention_90", 365: "retention_365"}.get(
            current_days, "retention_forever"
        )
    )
    options = [button(t.buttons["keep_forever"], KeepEntries(0).data)]
    options += [button(t.buttons[f"keep_{d}"], KeepEntries(d).data) for d in RETENTION_CHOICES]
    key = "retention_saved" if saved else "retention_prompt"
    return _screen(
        view,
        t.text(key, current=current),
        [options, [button(t.buttons["diary"], ShowDiary().data)]],
    )


def simple(view: View, text: str) -> Rendered:
    return _screen(view, text, [[button(texts(view).buttons["diary"], ShowDiary().data)]])


def log_offer(view: View, site: str, when: str, severity: int | None) -> Rendered:
    t = texts(view)
    extra = t.text("log_offer_severity", severity=severity) if severity else ""
    text = t.text("log_offer", site=t.sites[site], when=when_label(view, when), severity=extra)
    rows = [
        [
            button(t.buttons["log_it"], LogCramp(site, when, severity or None).data),
            button(t.buttons["no_thanks"], DeclineLogOffer().data),
        ]
    ]
    return Rendered(text, InlineKeyboardMarkup(rows))


def nudge(view: View, reasons: Sequence[str]) -> Rendered:
    """Suggest seeing a doctor, with the reasons from the diary; never a diagnosis."""
    t = texts(view)
    parts = [t.text("nudge_intro"), *(t.text(f"nudge_{r}") for r in reasons), t.text("nudge_outro")]
    rows = [[button(t.buttons["see_doctor"], screen_callback(DOCTOR_SCREEN))]]
    return Rendered("\n".join(parts), InlineKeyboardMarkup(rows))


def ask_when(view: View, entry_id: int) -> Rendered:
    t = texts(view)
    b = t.buttons
    choices = [
        button(b["just_now"], ChangeWhen(entry_id, WHEN_NOW).data),
        button(b["last_night"], ChangeWhen(entry_id, WHEN_LAST_NIGHT).data),
        button(b["earlier_today"], ChangeWhen(entry_id, WHEN_EARLIER_TODAY).data),
        button(b["type_time"], ChangeWhen(entry_id, TYPE_THE_TIME).data),
    ]
    rows = [*grid(choices, 2), [button(b["diary"], ShowDiary().data)]]
    return _screen(view, t.text("ask_when"), rows)
