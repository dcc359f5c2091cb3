"""How reminder screens look: texts from reminders.yaml, buttons carrying the choices made."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from tgbot.content.contracts import MAIN_SCREEN
from tgbot.content.reminder_texts import ReminderTexts
from tgbot.handlers.screens import Rendered, View, button, grid, navigation_row, with_footer
from tgbot.services.navigation import screen_callback
from tgbot.services.reminders.actions import FULL_MASK, reminder_callback, toggle_day
from tgbot.services.reminders.schedule import WEEKDAYS, days_to_mask
from tgbot.services.reminders.service import ReminderState
from tgbot.services.zones import REGIONS, zone_label

PRESET_TIMES = tuple(
    time(h, m) for h, m in ((21, 0), (21, 30), (22, 0), (22, 30), (23, 0), (23, 30))
)
REGION_KEYS = {
    "europe": "Europe",
    "americas": "Americas",
    "asia_pacific": "Asia & Pacific",
    "africa_middle_east": "Africa & Middle East",
}


def texts(view: View) -> ReminderTexts:
    return view.catalog.reminders


def hhmm(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def when(view: View, fire_local: date, today: date) -> str:
    """'tonight', 'tomorrow', 'on Friday' or 'on 3 March', from reminders.yaml."""
    t = texts(view)
    gap = (fire_local - today).days
    if gap <= 0:
        return t.text("when_tonight")
    if gap == 1:
        return t.text("when_tomorrow")
    if gap < 7:
        return t.text("when_weekday", weekday=t.weekdays[fire_local.weekday()])
    return t.text("when_date", date=fire_local.isoformat())


def days_text(view: View, days: frozenset[int]) -> str:
    t = texts(view)
    if len(days) == 7:
        return t.text("days_every")
    if days == WEEKDAYS:
        return t.text("days_weekdays")
    return t.text("days_list", days=", ".join(t.weekdays_short[d] for d in sorted(days)))


def state_text(view: View, state: ReminderState, now: datetime, key: str = "state") -> str:
    schedule = state.schedule
    zone = ZoneInfo(schedule.zone)
    upcoming = state.next
    fire_date = upcoming.local_date if upcoming else now.astimezone(zone).date()
    if state.record.paused_until and upcoming and upcoming.fire_at > now:
        key = "paused" if key == "state" else key
    return texts(view).text(
        key,
        days=days_text(view, schedule.days),
        time=hhmm(schedule.at),
        zone=zone_label(schedule.zone),
        when=when(view, fire_date, now.astimezone(zone).date()),
    )


def intro_off(view: View) -> Rendered:
    t = texts(view)
    rows = [
        [button(t.buttons["turn_on"], reminder_callback("on"))],
        navigation_row(view, MAIN_SCREEN),
    ]
    return with_footer(view, t.text("intro_off"), rows)


def settings(view: View, state: ReminderState, now: datetime, key: str = "state") -> Rendered:
    if not state.record.enabled:
        return intro_off(view)
    b = texts(view).buttons
    rows = [
        [
            button(b["change_time"], reminder_callback("ct")),
            button(b["change_zone"], reminder_callback("cz")),
        ],
        [
            button(b["change_days"], reminder_callback("cd")),
            button(b["pause_week"], reminder_callback("p")),
        ],
        [button(b["turn_off"], reminder_callback("off"))],
        [button(b[_checkin_toggle(state)], reminder_callback("cit"))],
        navigation_row(view, MAIN_SCREEN),
    ]
    return with_footer(view, state_text(view, state, now, key), rows)


def _checkin_toggle(state: ReminderState) -> str:
    return "checkin_turn_off" if state.record.checkin_enabled else "checkin_turn_on"


def confirmation(view: View, state: ReminderState, now: datetime) -> Rendered:
    return settings(view, state, now, "confirm")


def ask_time(view: View) -> Rendered:
    t = texts(view)
    presets = [button(hhmm(at), reminder_callback("t", at=at)) for at in PRESET_TIMES]
    rows = [*grid(presets, 3), [button(t.buttons["other_time"], reminder_callback("tx"))]]
    rows.append(navigation_row(view, MAIN_SCREEN))
    return with_footer(view, t.text("ask_time"), rows)


def ask_zone(view: View, at: time) -> Rendered:
    t = texts(view)
    regions = [
        button(t.regions[key], reminder_callback("r", at=at, region=key)) for key in REGION_KEYS
    ]
    rows = [*grid(regions, 2), [button(t.buttons["type_zone"], reminder_callback("zx", at=at))]]
    rows.append(navigation_row(view, MAIN_SCREEN))
    return with_footer(view, t.text("ask_zone", time=hhmm(at)), rows)


def pick_zone(view: View, at: time, region: str) -> Rendered:
    zones = REGIONS[REGION_KEYS[region]]
    buttons = [button(zone_label(z), reminder_callback("z", at=at, zone=z)) for z in zones]
    rows = [
        *grid(buttons, 2),
        [button(texts(view).buttons["type_zone"], reminder_callback("zx", at=at))],
    ]
    rows.append(navigation_row(view, MAIN_SCREEN))
    return with_footer(view, texts(view).text("pick_zone"), rows)


def ask_days(view: View, at: time, zone: str, intro: str = "") -> Rendered:
    t = texts(view)
    b = t.buttons
    rows = [
        [button(b["every_day"], reminder_callback("d", at=at, zone=zone, mask=FULL_MASK))],
        [
            button(
                b["weekdays"], reminder_callback("d", at=at, zone=zone, mask=days_to_mask(WEEKDAYS))
            )
        ],
        [button(b["custom_days"], reminder_callback("dc", at=at, zone=zone, mask=0))],
        navigation_row(view, MAIN_SCREEN),
    ]
    text = f"{intro}\n\n{t.text('ask_days')}" if intro else t.text("ask_days")
    return with_footer(view, text, rows)


def custom_days(view: View, at: time, zone: str, mask: int) -> Rendered:
    t = texts(view)
    toggles = [
        button(
            ("✅ " if mask & (1 << day) else "▫️ ") + t.weekdays_short[day],
            reminder_callback("dc", at=at, zone=zone, mask=toggle_day(mask, day)),
        )
        for day in range(7)
    ]
    rows = grid(toggles, 4)
    if mask:
        rows.append(
            [button(t.buttons["save_days"], reminder_callback("d", at=at, zone=zone, mask=mask))]
        )
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
        [button(b["start_routine"], reminder_callback("go"))],
        [
            button(b["done"], reminder_callback("done", day=local_date.isoformat())),
            button(b["snooze"], reminder_callback("sn")),
        ],
        [button(b["skip"], reminder_callback("sk")), button(b["stop"], reminder_callback("off"))],
    ]
    return with_footer(view, f"{t.text('reminder_title')}\n\n{stretch}\n\n{tip}", rows)


def simple(view: View, text: str, back_to: str = MAIN_SCREEN) -> Rendered:
    settings_button = [button(view.say("nav_back"), reminder_callback("menu"))]
    home = [button(view.say("nav_home"), screen_callback(back_to))]
    return with_footer(view, text, [settings_button + home])


def checkin(view: View, night: date) -> Rendered:
    """The morning after: one tap says how the night went."""
    t = texts(view)
    b = t.buttons
    day = night.isoformat()
    answers = [
        button(b[key], reminder_callback("ci", day=day, count=n))
        for n, key in enumerate(("checkin_none", "checkin_one", "checkin_several"))
    ]
    rows = [answers, [button(b["checkin_off"], reminder_callback("cit"))]]
    return with_footer(view, t.text("checkin"), rows)
