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
    confirmation,
    custom_days,
    hhmm,
    intro_off,
    pick_zone,
    settings,
    simple,
    texts,
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
    ReminderButton,
    RoutineDone,
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
from tgbot.services.reminders.schedule import parse_time_of_day
from tgbot.services.users import OpenPrompt
from tgbot.services.zones import resolve_zone, zone_from_location, zone_or_utc

log = logging.getLogger(__name__)

# The set-up questions a typed message may answer (see user_state):
# "time", or "zone" with the time already chosen (at="HH:MM").


# ------------------------------------------------------------------ commands


async def reminders_command(update: Update, context: BotContext) -> None:
    await send(update, context, await reminder_settings(context))


async def remind_command(update: Update, context: BotContext) -> None:
    """``/remind 22:15 Europe/Berlin``, ``/remind 22:15`` (zone known) or ``/remind off``."""
    view, user_id = context.view, context.user.user_id
    args = context.args or []
    t = texts(view)
    if args and args[0].lower() in ("off", "stop"):
        await context.services.reminders.turn_off(user_id)
        await send(update, context, simple(view, t.text("turned_off")))
        return
    at = parse_time_of_day(" ".join(args[:2])) if len(args) >= 2 else None
    rest = args[2:] if at is not None else args[1:]
    at = at or (parse_time_of_day(args[0]) if args else None)
    zone = resolve_zone(" ".join(rest)) if rest else context.user.time_zone
    if at is None or zone is None:
        await send(update, context, simple(view, t.text("remind_usage")))
        return
    await _turn_on(update, context, at, zone, None, edit=False)


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
        case StartRoutine():
            routine = view.catalog.screens[BEDTIME_ROUTINE_SCREEN]
            await send(update, context, render_screen(view, routine))
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
        case TurnOff():
            await service.turn_off(user_id)
            return simple(view, t.text("turned_off"))
        case RoutineDone(day=day):
            await service.mark_done(user_id, day)
            return simple(view, t.text("done_ack"))
        case Snooze():
            at = await service.snooze(user_id)
            if at is None:
                return intro_off(view)
            state = await service.state(user_id)
            local = at.astimezone(zone_or_utc(state.schedule.zone if state else None))
            return simple(view, t.text("snooze_ack", time=f"{local:%H:%M}"))
        case SkipTonight():
            await service.skip_tonight(user_id)
            return simple(view, t.text("skip_ack"))
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
    view, what = context.view, pending.what
    at = parse_time_of_day(text) if what == "time" else None
    zone = resolve_zone(text) if what == "zone" else None
    if at is None and zone is None:
        if understood_otherwise:
            await close_question(context)
            return False
        hint = "bad_time" if what == "time" else "bad_zone"
        await send(update, context, simple(view, texts(view).text(hint)))
        return True
    if at is not None:
        await close_question(context)
        await _time_chosen(update, context, at, edit=False)
    elif zone is not None:  # _zone_chosen closes the question itself
        await _zone_chosen(update, context, _pending_time(pending), zone, edit=False)
    return True


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
    update: Update, context: BotContext, at: time, zone: str, *, edit: bool
) -> None:
    view = context.view
    await close_question(context)
    found = zone_found(view, zone, context.services.reminders.now())
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
) -> None:
    service = context.services.reminders
    await remember_zone(context, zone)
    new_state = await service.turn_on(context.user.user_id, at, zone, days or None)
    log.info("bedtime reminder set")
    await _reply(update, context, confirmation(context.view, new_state, service.now()), edit=edit)


# ------------------------------------------------------------------ helpers


async def reminder_settings(context: BotContext) -> Rendered:
    """The user's reminder settings, or the invitation to turn one on."""
    state = await context.services.reminders.state(context.user.user_id)
    view = context.view
    return settings(view, state, context.services.reminders.now()) if state else intro_off(view)


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
