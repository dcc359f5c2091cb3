"""Bedtime reminders: /reminders, /remind, the set-up buttons, typed times and zones, and the
buttons under each nightly reminder."""

from __future__ import annotations

import logging
from datetime import date, time
from zoneinfo import ZoneInfo

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
    intro_off,
    pick_zone,
    settings,
    simple,
    texts,
    zone_found,
)
from tgbot.handlers.replies import expired, send, show_in_place, user_id_of
from tgbot.handlers.screens import Rendered, main_menu, render_screen
from tgbot.handlers.user_state import (
    ask,
    close_question,
    pending_question,
    user_zone,
)
from tgbot.services.diary.service import WHEN_LAST_NIGHT
from tgbot.services.reminders.actions import ReminderAction, parse_reminder_callback
from tgbot.services.reminders.schedule import mask_to_days, parse_time_of_day
from tgbot.services.zones import resolve_zone, zone_from_location

log = logging.getLogger(__name__)

# The set-up questions a typed message may answer (see user_state):
# {"what": "time"} or {"what": "zone", "at": "HHMM"}.


# ------------------------------------------------------------------ commands


async def reminders_command(update: Update, context: BotContext) -> None:
    await send(update, context, await reminder_settings(context, user_id_of(update)))


async def remind_command(update: Update, context: BotContext) -> None:
    """``/remind 22:15 Europe/Berlin``, ``/remind 22:15`` (zone known) or ``/remind off``."""
    view, user_id = context.view, user_id_of(update)
    args = context.args or []
    t = texts(view)
    if args and args[0].lower() in ("off", "stop"):
        await context.services.reminders.turn_off(user_id)
        await send(update, context, simple(view, t.text("turned_off")))
        return
    at = parse_time_of_day(" ".join(args[:2])) if len(args) >= 2 else None
    rest = args[2:] if at is not None else args[1:]
    at = at or (parse_time_of_day(args[0]) if args else None)
    zone = resolve_zone(" ".join(rest)) if rest else await user_zone(context, user_id)
    if at is None or zone is None:
        await send(update, context, simple(view, t.text("remind_usage")))
        return
    await _turn_on(update, context, at, zone, None, edit=False)


# ------------------------------------------------------------------ buttons


async def on_reminder_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    action = parse_reminder_callback(query.data)
    if action is None:
        await expired(update, context)
        return
    await query.answer()
    await _act(update, context, action)


async def _act(update: Update, context: BotContext, action: ReminderAction) -> None:
    view, user_id = context.view, user_id_of(update)
    service = context.services.reminders
    verb = action.verb
    if verb == "menu":
        await show_in_place(update, context, await reminder_settings(context, user_id))
    elif verb in ("on", "ct"):
        await show_in_place(update, context, ask_time(view))
    elif verb == "t" and action.at is not None:
        await _time_chosen(update, context, action.at)
    elif verb == "tx":
        await _await(context, user_id, what="time")
        await show_in_place(update, context, simple(view, texts(view).text("ask_time_typed")))
    elif verb == "cz":
        state = await service.state(user_id)
        at = state.schedule.at if state else time(22, 0)
        await _ask_zone(update, context, at)
    elif verb == "r" and action.at is not None and action.region:
        await show_in_place(update, context, pick_zone(view, action.at, action.region))
    elif verb == "zx" and action.at is not None:
        await _await(context, user_id, what="zone", at=action.at)
        await show_in_place(update, context, simple(view, texts(view).text("ask_zone_typed")))
    elif verb == "z" and action.at is not None and action.zone:
        await _zone_chosen(update, context, action.at, action.zone, edit=True)
    elif verb == "cd":
        state = await service.state(user_id)
        if state is None:
            await show_in_place(update, context, intro_off(view))
            return
        await show_in_place(update, context, ask_days(view, state.schedule.at, state.schedule.zone))
    elif verb == "dc" and action.at is not None and action.zone and action.mask is not None:
        await show_in_place(update, context, custom_days(view, action.at, action.zone, action.mask))
    elif verb == "d" and action.at is not None and action.zone and action.mask:
        days = mask_to_days(action.mask)
        await _turn_on(update, context, action.at, action.zone, days, edit=True)
    else:
        await _manage(update, context, action)


async def _manage(update: Update, context: BotContext, action: ReminderAction) -> None:
    """Pause, off, and the buttons under a nightly reminder."""
    view, user_id = context.view, user_id_of(update)
    service = context.services.reminders
    t = texts(view)
    if action.verb == "p":
        state = await service.pause(user_id)
        rendered = settings(view, state, service.now()) if state else intro_off(view)
    elif action.verb == "off":
        await service.turn_off(user_id)
        rendered = simple(view, t.text("turned_off"))
    elif action.verb == "done" and action.day:
        await service.mark_done(user_id, date.fromisoformat(action.day))
        rendered = simple(view, t.text("done_ack"))
    elif action.verb == "sn":
        at = await service.snooze(user_id)
        if at is None:
            rendered = intro_off(view)
        else:
            state = await service.state(user_id)
            zone = state.schedule.zone if state else "UTC"
            local = at.astimezone(ZoneInfo(zone))
            rendered = simple(view, t.text("snooze_ack", time=f"{local:%H:%M}"))
    elif action.verb == "go":
        routine = view.catalog.screens[BEDTIME_ROUTINE_SCREEN]
        await send(update, context, render_screen(view, routine))
        return
    elif action.verb == "sk":
        await service.skip_tonight(user_id)
        rendered = simple(view, t.text("skip_ack"))
    elif action.verb == "ci" and action.count is not None:
        if action.count == 0:
            rendered = simple(view, t.text("checkin_none_ack"))
        else:  # one or several: log each, the night already filled in
            site_question = ask_site(view, WHEN_LAST_NIGHT)
            rendered = Rendered(
                f"{t.text('checkin_log')}\n\n{site_question.text}", site_question.markup
            )
    elif action.verb == "cit":
        enabled = await service.toggle_checkin(user_id)
        rendered = simple(view, t.text("checkin_on_ack" if enabled else "checkin_off_ack"))
    else:
        await expired(update, context)
        return
    await _reply(update, context, rendered, edit=True)


# ------------------------------------------------------------------ typed answers


async def answer_pending(
    update: Update, context: BotContext, text: str, *, understood_otherwise: bool
) -> bool:
    """If a set-up question is open, treat the message as its answer; True if handled.

    A message that is clearly about something else (``understood_otherwise``) closes the
    question instead, so nobody gets stuck in the set-up.
    """
    user = update.effective_user
    pending = await pending_question(context, user.id) if user else None
    if pending is None or user is None:
        return False
    view = context.view
    what = pending.get("what")
    if what not in ("time", "zone"):
        return False  # another open question (a diary note)
    at = parse_time_of_day(text) if what == "time" else None
    zone = resolve_zone(text) if what == "zone" else None
    if at is None and zone is None:
        if understood_otherwise:
            await close_question(context, user.id)
            return False
        hint = "bad_time" if what == "time" else "bad_zone"
        await send(update, context, simple(view, texts(view).text(hint)))
        return True
    if at is not None:
        await close_question(context, user.id)
        await _time_chosen(update, context, at, edit=False)
    elif zone is not None:  # _zone_chosen closes the question itself
        await _zone_chosen(update, context, _pending_time(pending), zone, edit=False)
    return True


async def on_location(update: Update, context: BotContext) -> None:
    """A shared location answers the zone question (the coordinates are never stored)."""
    message, user = update.effective_message, update.effective_user
    pending = await pending_question(context, user.id) if user else None
    if message is None or message.location is None or user is None or pending is None:
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
    user_id = user_id_of(update)
    state = await context.services.reminders.state(user_id)
    if state is not None:
        days = state.schedule.days if state.record.enabled else None
        await _turn_on(update, context, at, state.schedule.zone, days, edit=edit)
        return
    zone = await user_zone(context, user_id)
    if zone is None:
        await _ask_zone(update, context, at, edit=edit)
        return
    await _reply(update, context, ask_days(context.view, at, zone), edit=edit)


async def _ask_zone(update: Update, context: BotContext, at: time, *, edit: bool = True) -> None:
    view = context.view
    await _await(context, user_id_of(update), what="zone", at=at)
    await _reply(update, context, ask_zone(view, at), edit=edit)
    # Sharing a location needs a reply-keyboard button; it goes with a short second message.
    location = KeyboardButton(texts(view).buttons["share_location"], request_location=True)
    keyboard = ReplyKeyboardMarkup([[location]], resize_keyboard=True, one_time_keyboard=True)
    await send(update, context, _plain(texts(view).text("ask_zone_typed"), keyboard))


async def _zone_chosen(
    update: Update, context: BotContext, at: time, zone: str, *, edit: bool
) -> None:
    user_id = user_id_of(update)
    view = context.view
    await close_question(context, user_id)
    found = zone_found(view, zone, context.services.reminders.now())
    if not edit:  # a typed answer or a location: take the location button away
        await send(update, context, _plain(found, ReplyKeyboardRemove()))
    state = await context.services.reminders.state(user_id)
    if state is not None and state.record.enabled:
        await _turn_on(update, context, state.schedule.at, zone, state.schedule.days, edit=edit)
        return
    await context.services.users.set_time_zone(user_id, zone)  # _turn_on stores it too
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
    user_id = user_id_of(update)
    service = context.services.reminders
    await context.services.users.set_time_zone(user_id, zone)
    state = await service.state(user_id)
    chosen = days if days is not None else (state.schedule.days if state else None)
    new_state = await service.turn_on(user_id, at, zone, chosen or frozenset(range(7)))
    log.info("bedtime reminder set")
    await _reply(update, context, confirmation(context.view, new_state, service.now()), edit=edit)


# ------------------------------------------------------------------ helpers


async def reminder_settings(context: BotContext, user_id: int) -> Rendered:
    """The user's reminder settings, or the invitation to turn one on."""
    state = await context.services.reminders.state(user_id)
    view = context.view
    return settings(view, state, context.services.reminders.now()) if state else intro_off(view)


async def _await(context: BotContext, user_id: int, *, what: str, at: time | None = None) -> None:
    question: dict[str, str] = {"what": what}
    if at is not None:
        question["at"] = f"{at.hour:02d}{at.minute:02d}"
    await ask(context, user_id, **question)


def _pending_time(pending: dict[str, object]) -> time:
    raw = str(pending.get("at") or "2200")
    return time(int(raw[:2]), int(raw[2:4]))


async def _reply(update: Update, context: BotContext, rendered: Rendered, *, edit: bool) -> None:
    if edit and update.callback_query is not None:
        await show_in_place(update, context, rendered)
    else:
        await send(update, context, rendered)


def _plain(text: str, markup: ReplyKeyboardMarkup | ReplyKeyboardRemove) -> Rendered:
    return Rendered(text, markup)
