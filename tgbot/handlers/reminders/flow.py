"""Bedtime reminders: /reminders, /remind, the set-up buttons, typed times and zones, and the
buttons under each nightly reminder."""

from __future__ import annotations

import logging
from datetime import time

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from tgbot.content.contracts import BEDTIME_ROUTINE_SCREEN
from tgbot.handlers.context import BotContext
from tgbot.handlers.diary.views import ask_site
from tgbot.handlers.reminders.views import (
    ask_days,
    ask_time,
    ask_zone,
    bad_time,
    confirmation,
    custom_days,
    hhmm,
    intro_off,
    next_time,
    nightly,
    pick_zone,
    quote,
    settings,
    simple,
    test_wait,
    texts,
    zone_abbreviation,
    zone_choices,
    zone_found,
)
from tgbot.handlers.replies import send, show_in_place
from tgbot.handlers.screens import Rendered, main_menu, render_screen
from tgbot.handlers.user_state import ask, close_question, remember_zone
from tgbot.services.diary.service import WHEN_LAST_NIGHT
from tgbot.services.reminders.actions import (
    ChangeDays,
    ChangeTime,
    ChangeZone,
    CheckinAnswer,
    ChooseCustomDays,
    DaysChosen,
    ListRegionZones,
    PauseWeek,
    RemindAt,
    ReminderButton,
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
)
from tgbot.services.reminders.schedule import TimeProblem, parse_time_of_day, time_problem
from tgbot.services.users import OpenPrompt
from tgbot.services.zones import (
    ZoneLookup,
    ZoneMatch,
    lookup_zone,
    zone_from_location,
    zone_or_utc,
)

log = logging.getLogger(__name__)

# The set-up questions a typed message may answer (see user_state):
# "time", or "zone" with the time already chosen (at="HH:MM").


# ------------------------------------------------------------------ commands


async def reminders_command(update: Update, context: BotContext) -> None:
    await send(update, context, await reminder_settings(context))


async def remind_command(update: Update, context: BotContext) -> None:
    """``/remind 22:15 Europe/Berlin``, ``/remind 22:15`` (zone known) or ``/remind off``.
    Anything it cannot use gets its cause named: the hour, the minute, or the zone (with
    the closest zones as buttons)."""
    view, user_id = context.view, context.user.user_id
    args = context.args or []
    t = texts(view)
    if not args:
        await send(update, context, simple(view, t.text("remind_usage")))
        return
    if args[0].lower() in ("off", "stop"):
        await context.services.reminders.turn_off(user_id)
        await send(update, context, simple(view, t.text("turned_off")))
        return
    two_words = " ".join(args[:2])  # "10 pm"
    at = parse_time_of_day(two_words) if len(args) >= 2 else None
    rest = args[2:] if at is not None else args[1:]
    # "13 pm": a time with a wrong hour, not 13:00 in a zone called "pm"
    wrong_two = len(args) >= 2 and time_problem(two_words) in (TimeProblem.HOUR, TimeProblem.MINUTE)
    at = at or (None if wrong_two else parse_time_of_day(args[0]))
    if at is None:
        typed = two_words if wrong_two else args[0]
        cause = bad_time(view, typed, time_problem(typed) or TimeProblem.UNREADABLE)
        await send(update, context, simple(view, f"{cause}\n{t.text('remind_usage')}"))
        return
    if not rest:
        if context.user.time_zone is None:
            await _ask_zone(update, context, at, edit=False)
        else:
            await _turn_on(update, context, at, context.user.time_zone, None, edit=False)
        return
    typed_zone = " ".join(rest)
    found = lookup_zone(typed_zone)
    if found.zone is not None:
        note = _abbreviation_note(context, found)
        await _turn_on(update, context, at, found.zone, None, edit=False, note=note)
        return
    choices = [RemindAt(at=at, zone=zone) for zone in found.candidates]
    await send(update, context, _zone_not_found(context, typed_zone, found, choices))


# ------------------------------------------------------------------ buttons


async def act(update: Update, context: BotContext, action: ReminderButton) -> None:
    """One reminder button (``rm:``), already decoded and answered."""
    view, user_id = context.view, context.user.user_id
    service = context.services.reminders
    match action:
        case ShowSettings():
            await show_in_place(update, context, await reminder_settings(context))
        case StartSetup() | ChangeTime():
            await show_in_place(update, context, ask_time(view))
        case TimePicked(at=at):
            await _time_chosen(update, context, at)
        case TypeTime():
            await ask(context, "time")
            await show_in_place(update, context, simple(view, texts(view).text("ask_time_typed")))
        case ChangeZone():
            state = await service.state(user_id)
            await _ask_zone(update, context, state.schedule.at if state else time(22, 0))
        case ListRegionZones(at=at, region=region):
            await show_in_place(update, context, pick_zone(view, at, region))
        case TypeZone(at=at):
            await ask(context, "zone", at=hhmm(at))
            await show_in_place(update, context, simple(view, texts(view).text("ask_zone_typed")))
        case ZonePicked(at=at, zone=zone):
            await _zone_chosen(update, context, at, zone, edit=True)
        case ChangeDays():
            state = await service.state(user_id)
            rendered = ask_days(view, state.schedule.at, state.schedule.zone) if state else None
            await show_in_place(update, context, rendered or intro_off(view))
        case ChooseCustomDays(at=at, zone=zone, mask=mask):
            await show_in_place(update, context, custom_days(view, at, zone, mask))
        case DaysChosen(at=at, zone=zone):
            await _turn_on(update, context, at, zone, action.days, edit=True)
        case RemindAt(at=at, zone=zone):
            await _turn_on(update, context, at, zone, None, edit=True)
        case StartRoutine():
            routine = view.catalog.screens[BEDTIME_ROUTINE_SCREEN]
            await send(update, context, render_screen(view, routine))
        case SendTest():
            await _send_test(update, context)
        case _:
            await _reply(update, context, await _manage(context, action), edit=True)


async def _manage(context: BotContext, action: ReminderButton) -> Rendered:
    """Pause, off, and the buttons under a nightly reminder: what to show after each."""
    view, user_id = context.view, context.user.user_id
    service = context.services.reminders
    t = texts(view)
    match action:
        case PauseWeek():
            state = await service.pause(user_id)
            return settings(view, state, service.now()) if state else intro_off(view)
        case Resume():
            state = await service.resume(user_id)
            return settings(view, state, service.now(), "resumed") if state else intro_off(view)
        case TurnOff():
            await service.turn_off(user_id)
            return simple(view, t.text("turned_off"))
        case RoutineDone(day=day):
            await service.mark_done(user_id, day)
            return simple(view, t.text("done_ack"))
        case Snooze():
            at = await service.snooze(user_id)
            state = await service.state(user_id)
            if at is None:  # off, or paused: the settings say which
                return settings(view, state, service.now()) if state else intro_off(view)
            local = at.astimezone(zone_or_utc(state.schedule.zone if state else None))
            return simple(view, t.text("snooze_ack", time=f"{local:%H:%M}"))
        case SkipTonight():
            await service.skip_tonight(user_id)
            state = await service.state(user_id)
            if state is None or state.next is None:
                return intro_off(view)
            return simple(view, t.text("skip_ack", **next_time(view, state, service.now())))
        case CheckinAnswer(count=0):
            return simple(view, t.text("checkin_none_ack"))
        case CheckinAnswer():  # one or several: log each, the night already filled in
            site_question = ask_site(view, WHEN_LAST_NIGHT)
            text = f"{t.text('checkin_log')}\n\n{site_question.text}"
            return Rendered(text, site_question.markup)
        case ToggleCheckin():
            enabled = await service.toggle_checkin(user_id)
            return simple(view, t.text("checkin_on_ack" if enabled else "checkin_off_ack"))
    raise AssertionError(f"a reminder button without a handler: {action!r}")


# ------------------------------------------------------------------ typed answers


async def answer_pending(
    update: Update, context: BotContext, text: str, *, understood_otherwise: bool
) -> bool:
    """If a set-up question is open, treat the message as its answer; True if handled.

    A message that is clearly about something else (``understood_otherwise``) closes the
    question instead, so nobody gets stuck in the set-up.
    """
    pending = context.user.prompt
    if pending is None or pending.what not in ("time", "zone"):
        return False  # none, or another open question (a diary note)
    view = context.view
    at = parse_time_of_day(text) if pending.what == "time" else None
    found = lookup_zone(text) if pending.what == "zone" else None
    if at is None and (found is None or found.zone is None) and understood_otherwise:
        await close_question(context)
        return False
    if pending.what == "time":
        if at is None:
            problem = time_problem(text) or TimeProblem.UNREADABLE
            await send(update, context, simple(view, bad_time(view, text, problem)))
            return True
        await close_question(context)
        await _time_chosen(update, context, at, edit=False)
        return True
    assert found is not None
    chosen_at = _pending_time(pending)
    if found.zone is not None:  # _zone_chosen closes the question itself
        note = _abbreviation_note(context, found)
        await _zone_chosen(update, context, chosen_at, found.zone, edit=False, note=note)
        return True
    choices = [ZonePicked(at=chosen_at, zone=zone) for zone in found.candidates]
    await send(update, context, _zone_not_found(context, text, found, choices))
    return True  # the question stays open: the next message may be a better spelling


async def on_location(update: Update, context: BotContext) -> None:
    """A shared location answers the zone question (the coordinates are never stored)."""
    message, pending = update.effective_message, context.user.prompt
    if message is None or message.location is None or pending is None or pending.what != "zone":
        await send(update, context, main_menu(context.view, "non_text"))
        return
    zone = zone_from_location(message.location.latitude, message.location.longitude)
    view = context.view
    if zone is None:
        await send(update, context, simple(view, texts(view).text("bad_zone")))
        return
    await _zone_chosen(update, context, _pending_time(pending), zone, edit=False)


# ------------------------------------------------------------------ steps


async def _time_chosen(update: Update, context: BotContext, at: time, *, edit: bool = True) -> None:
    """A time: change an existing reminder at once, or ask the zone (if unknown) and days."""
    state = await context.services.reminders.state(context.user.user_id)
    if state is not None:
        days = state.schedule.days if state.enabled else None
        await _turn_on(update, context, at, state.schedule.zone, days, edit=edit)
        return
    zone = context.user.time_zone
    if zone is None:
        await _ask_zone(update, context, at, edit=edit)
        return
    await _reply(update, context, ask_days(context.view, at, zone), edit=edit)


async def _ask_zone(update: Update, context: BotContext, at: time, *, edit: bool = True) -> None:
    view = context.view
    await ask(context, "zone", at=hhmm(at))
    await _reply(update, context, ask_zone(view, at), edit=edit)
    # Sharing a location needs a reply-keyboard button; it goes with a short second message.
    location = KeyboardButton(texts(view).buttons["share_location"], request_location=True)
    keyboard = ReplyKeyboardMarkup([[location]], resize_keyboard=True, one_time_keyboard=True)
    await send(update, context, _plain(texts(view).text("ask_zone_typed"), keyboard))


async def _zone_chosen(
    update: Update, context: BotContext, at: time, zone: str, *, edit: bool, note: str = ""
) -> None:
    view = context.view
    await close_question(context)
    found = zone_found(view, zone, context.services.reminders.now())
    found = f"{note}\n{found}" if note else found
    if not edit:  # a typed answer or a location: take the location button away
        await send(update, context, _plain(found, ReplyKeyboardRemove()))
    state = await context.services.reminders.state(context.user.user_id)
    if state is not None and state.enabled:
        await _turn_on(update, context, state.schedule.at, zone, state.schedule.days, edit=edit)
        return
    await remember_zone(context, zone)  # _turn_on stores it too
    await _reply(update, context, ask_days(view, at, zone, found if edit else ""), edit=edit)


async def _turn_on(
    update: Update,
    context: BotContext,
    at: time,
    zone: str,
    days: frozenset[int] | None,
    *,
    edit: bool,
    note: str = "",
) -> None:
    service = context.services.reminders
    await remember_zone(context, zone)
    new_state = await service.turn_on(context.user.user_id, at, zone, days or None)
    log.info("bedtime reminder set")
    rendered = confirmation(context.view, new_state, service.now(), note)
    await _reply(update, context, rendered, edit=edit)


async def _send_test(update: Update, context: BotContext) -> None:
    """Tonight's reminder, now, as a new message; the schedule and sent record stay."""
    view, user_id = context.view, context.user.user_id
    service = context.services.reminders
    wait = service.claim_test(user_id)
    if wait is not None:
        await send(update, context, simple(view, test_wait(view, wait)))
        return
    state = await service.state(user_id)
    zone = zone_or_utc(state.schedule.zone if state else context.user.time_zone)
    await send(update, context, nightly(view, user_id, service.now().astimezone(zone).date()))


# ------------------------------------------------------------------ helpers


async def reminder_settings(context: BotContext) -> Rendered:
    """The user's reminder settings, or the invitation to turn one on."""
    state = await context.services.reminders.state(context.user.user_id)
    view = context.view
    return settings(view, state, context.services.reminders.now()) if state else intro_off(view)


def _abbreviation_note(context: BotContext, found: ZoneLookup) -> str:
    """Which zone an abbreviation was taken to mean ("EST" → America/New_York), if one was."""
    if found.match is not ZoneMatch.ABBREVIATION or found.zone is None:
        return ""
    return zone_abbreviation(context.view, found.abbreviation, found.zone)


def _zone_not_found(
    context: BotContext, typed: str, found: ZoneLookup, choices: list[RemindAt] | list[ZonePicked]
) -> Rendered:
    """Why ``typed`` is no zone, with the candidate zones (``choices``) as buttons."""
    view = context.view
    if found.match is ZoneMatch.AMBIGUOUS:
        return zone_choices(view, "zone_ambiguous", typed, choices)
    if choices:
        return zone_choices(view, "zone_suggest", typed, choices)
    return simple(view, texts(view).text("zone_unknown", text=quote(typed)))


def _pending_time(pending: OpenPrompt) -> time:
    """The time chosen before the zone question (22:00 if the stored one is unreadable)."""
    return parse_time_of_day(str(pending.fields.get("at", ""))) or time(22, 0)


async def _reply(update: Update, context: BotContext, rendered: Rendered, *, edit: bool) -> None:
    if edit and update.callback_query is not None:
        await show_in_place(update, context, rendered)
    else:
        await send(update, context, rendered)


def _plain(text: str, markup: ReplyKeyboardMarkup | ReplyKeyboardRemove) -> Rendered:
    return Rendered(text, markup)
