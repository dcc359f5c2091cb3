"""How reminder screens look: texts from reminders.yaml, buttons carrying the choices made."""

from __future__ import annotations

import html
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tgbot.content.contracts import MAIN_SCREEN
from tgbot.content.reminder_texts import ReminderTexts
from tgbot.handlers.screens import Rendered, View, button, grid, navigation_row, with_footer
from tgbot.services.navigation import screen_callback
from tgbot.services.reminders.actions import (
    FULL_MASK,
    ChangeDays,
    ChangeTime,
    ChangeZone,
    CheckinAnswer,
    ChooseCustomDays,
    DaysChosen,
    ListRegionZones,
    PauseWeek,
    RemindAt,
    Resume,
    RoutineDone,
    SendTest,
    ShowSettings,
    SkipTonight,
    Snooze,
    StartRoutine,
    StartSetup,
    TimePicked,
    ToggleCheckin,
    TurnOff,
    TypeTime,
    TypeZone,
    ZonePicked,
    toggle_day,
)
from tgbot.services.reminders.schedule import (
    WEEKDAYS,
    SpokenWhen,
    TimeProblem,
    days_to_mask,
    spoken_when,
)
from tgbot.services.reminders.service import ReminderState
from tgbot.services.zones import REGION_KEYS, REGIONS, zone_label

QUOTE_LENGTH = 40  # of typed text echoed back in a reply
PRESET_TIMES = tuple(
    time(h, m) for h, m in ((21, 0), (21, 30), (22, 0), (22, 30), (23, 0), (23, 30))
)


def texts(view: View) -> ReminderTexts:
    return view.catalog.reminders


def hhmm(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def when(view: View, fire_at: datetime, now: datetime, zone: str) -> str:
    """'this morning', 'tonight', 'tomorrow evening', 'on Friday'…, from reminders.yaml."""
    t = texts(view)
    spoken, local_date = spoken_when(fire_at, now, zone)
    if spoken is SpokenWhen.WEEKDAY:
        return t.text("when_weekday", weekday=t.weekdays[local_date.weekday()])
    if spoken is SpokenWhen.DATE:
        return t.text(
            "when_date",
            weekday=t.weekdays[local_date.weekday()],
            day=str(local_date.day),
            month=t.months[local_date.month - 1],
        )
    return t.text(f"when_{spoken.value}")


def next_time(view: View, state: ReminderState, now: datetime) -> dict[str, str]:
    """The {when} and {time} of the next reminder, as the texts fill them in."""
    schedule = state.schedule
    upcoming = state.next
    fire_at = upcoming.fire_at if upcoming else now
    return {"when": when(view, fire_at, now, schedule.zone), "time": hhmm(schedule.at)}


def days_text(view: View, days: frozenset[int]) -> str:
    t = texts(view)
    if len(days) == 7:
        return t.text("days_every")
    if days == WEEKDAYS:
        return t.text("days_weekdays")
    return t.text("days_list", days=", ".join(t.weekdays_short[d] for d in sorted(days)))


def state_text(view: View, state: ReminderState, now: datetime, key: str = "state") -> str:
    """``key``'s text for the state; while paused, its paused form (the pause is the news)."""
    if state.paused(now):
        key = "confirm_paused" if key == "confirm" else "paused"
    schedule = state.schedule
    return texts(view).text(
        key,
        days=days_text(view, schedule.days),
        zone=zone_label(schedule.zone),
        **next_time(view, state, now),
    )


def intro_off(view: View) -> Rendered:
    t = texts(view)
    rows = [
        [button(t.buttons["turn_on"], StartSetup().data)],
        navigation_row(view, MAIN_SCREEN),
    ]
    return with_footer(view, t.text("intro_off"), rows)


def settings(view: View, state: ReminderState, now: datetime, key: str = "state") -> Rendered:
    if not state.enabled:
        return intro_off(view)
    b = texts(view).buttons
    rows = [
        [
            button(b["change_time"], ChangeTime().data),
            button(b["change_zone"], ChangeZone().data),
        ],
        [
            button(b["change_days"], ChangeDays().data),
            button(b["resume"], Resume().data)
            if state.paused(now)
            else button(b["pause_week"], PauseWeek().data),
        ],
        [button(b["turn_off"], TurnOff().data)],
        [button(b[_checkin_toggle(state)], ToggleCheckin().data)],
        [button(b["send_test"], SendTest().data)],
        navigation_row(view, MAIN_SCREEN),
    ]
    return with_footer(view, state_text(view, state, now, key), rows)


def _checkin_toggle(state: ReminderState) -> str:
    return "checkin_turn_off" if state.checkin_enabled else "checkin_turn_on"


def confirmation(view: View, state: ReminderState, now: datetime, note: str = "") -> Rendered:
    """The settings after a change; ``note`` first (e.g. which zone an abbreviation meant)."""
    rendered = settings(view, state, now, "confirm")
    return Rendered(f"{note}\n\n{rendered.text}", rendered.markup) if note else rendered


def bad_time(view: View, text: str, problem: TimeProblem) -> str:
    """Why ``text`` is not a time: the hour, the minute, or not a time at all."""
    key = {TimeProblem.HOUR: "bad_hour", TimeProblem.MINUTE: "bad_minute"}.get(problem, "bad_time")
    return texts(view).text(key, text=quote(text))


def quote(typed: str) -> str:
    """What the person typed, safe inside a text and short enough for any message."""
    short = typed if len(typed) <= QUOTE_LENGTH else typed[: QUOTE_LENGTH - 1] + "…"
    return html.escape(short)


def zone_choices(
    view: View, key: str, typed: str, choices: list[RemindAt] | list[ZonePicked]
) -> Rendered:
    """``key``'s text about the ``typed`` zone, and a button for each candidate zone."""
    rows = [[button(choice.zone, choice.data)] for choice in choices]
    rows.append(navigation_row(view, MAIN_SCREEN))
    return with_footer(view, texts(view).text(key, text=quote(typed)), rows)


def zone_abbreviation(view: View, abbreviation: str, zone: str) -> str:
    return texts(view).text("zone_abbreviation", abbreviation=html.escape(abbreviation), zone=zone)


def test_wait(view: View, wait: timedelta) -> str:
    seconds = max(1, round(wait.total_seconds()))
    return texts(view).text("test_wait", seconds=str(seconds))


def ask_time(view: View) -> Rendered:
    t = texts(view)
    presets = [button(hhmm(at), TimePicked(at=at).data) for at in PRESET_TIMES]
    rows = [*grid(presets, 3), [button(t.buttons["other_time"], TypeTime().data)]]
    rows.append(navigation_row(view, MAIN_SCREEN))
    return with_footer(view, t.text("ask_time"), rows)


def ask_zone(view: View, at: time) -> Rendered:
    t = texts(view)
    regions = [
        button(t.regions[key], ListRegionZones(at=at, region=key).data) for key in REGION_KEYS
    ]
    rows = [*grid(regions, 2), [button(t.buttons["type_zone"], TypeZone(at=at).data)]]
    rows.append(navigation_row(view, MAIN_SCREEN))
    return with_footer(view, t.text("ask_zone", time=hhmm(at)), rows)


def pick_zone(view: View, at: time, region: str) -> Rendered:
    zones = REGIONS[REGION_KEYS[region]]
    buttons = [button(zone_label(z), ZonePicked(at=at, zone=z).data) for z in zones]
    rows = [
        *grid(buttons, 2),
        [button(texts(view).buttons["type_zone"], TypeZone(at=at).data)],
    ]
    rows.append(navigation_row(view, MAIN_SCREEN))
    return with_footer(view, texts(view).text("pick_zone"), rows)


def ask_days(view: View, at: time, zone: str, intro: str = "") -> Rendered:
    t = texts(view)
    b = t.buttons
    rows = [
        [button(b["every_day"], DaysChosen(at=at, zone=zone, mask=FULL_MASK).data)],
        [button(b["weekdays"], DaysChosen(at=at, zone=zone, mask=days_to_mask(WEEKDAYS)).data)],
        [button(b["custom_days"], ChooseCustomDays(at=at, zone=zone, mask=0).data)],
        navigation_row(view, MAIN_SCREEN),
    ]
    text = f"{intro}\n\n{t.text('ask_days')}" if intro else t.text("ask_days")
    return with_footer(view, text, rows)


def custom_days(view: View, at: time, zone: str, mask: int) -> Rendered:
    t = texts(view)
    toggles = [
        button(
            ("✅ " if mask & (1 << day) else "▫️ ") + t.weekdays_short[day],
            ChooseCustomDays(at=at, zone=zone, mask=toggle_day(mask, day)).data,
        )
        for day in range(7)
    ]
    rows = grid(toggles, 4)
    if mask:
        rows.append([button(t.buttons["save_days"], DaysChosen(at=at, zone=zone, mask=mask).data)])
    rows.append(navigation_row(view, MAIN_SCREEN))
    return with_footer(view, t.text("ask_custom_days"), rows)


def zone_found(view: View, zone: str, now: datetime) -> str:
    local_now = now.astimezone(ZoneInfo(zone))
    return texts(view).text("zone_found", zone=zone_label(zone), local_now=hhmm(local_now.time()))


def nightly(view: View, user_id: int, local_date: date) -> Rendered:
    """The reminder itself: a stretch and a tip that rotate from night to night."""
    t = texts(view)
    b = t.buttons
    turn = local_date.toordinal() + user_id
    stretch = t.stretches[turn % len(t.stretches)]
    tip = t.tips[turn % len(t.tips)]
    rows = [
        [button(b["start_routine"], StartRoutine().data)],
        [
            button(b["done"], RoutineDone(day=local_date).data),
            button(b["snooze"], Snooze().data),
        ],
        [button(b["skip"], SkipTonight().data), button(b["stop"], TurnOff().data)],
    ]
    return with_footer(view, f"{t.text('reminder_title')}\n\n{stretch}\n\n{tip}", rows)


def simple(view: View, text: str, back_to: str = MAIN_SCREEN) -> Rendered:
    settings_button = [button(view.say("nav_back"), ShowSettings().data)]
    home = [button(view.say("nav_home"), screen_callback(back_to))]
    return with_footer(view, text, [settings_button + home])


def checkin(view: View, night: date) -> Rendered:
    """The morning after: one tap says how the night went."""
    t = texts(view)
    b = t.buttons
    answers = [
        button(b[key], CheckinAnswer(day=night, count=n).data)
        for n, key in enumerate(("checkin_none", "checkin_one", "checkin_several"))
    ]
    rows = [answers, [button(b["checkin_off"], ToggleCheckin().data)]]
    return with_footer(view, t.text("checkin"), rows)
