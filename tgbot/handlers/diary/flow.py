"""The cramp diary: log in two taps, add details, /diary with a chart, a summary for the
doctor, /export of everything stored, and the retention setting."""

from __future__ import annotations

import io
import json
import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from telegram import InputFile, Update

from tgbot.content.contracts import REPORTED_LAST_NIGHT_CONCEPT, REPORTED_PAST_CONCEPT
from tgbot.handlers.context import BotContext
from tgbot.handlers.diary.views import (
    ask_site,
    ask_when,
    card,
    log_offer,
    nudge,
    overview,
    recent,
    retention,
    simple,
    texts,
    when_label,
)
from tgbot.handlers.replies import expired, send, show_in_place, user_id_of
from tgbot.handlers.screens import View
from tgbot.handlers.user_state import ask, close_question, pending_question, user_zone
from tgbot.services.diary.actions import DiaryAction, parse_diary_callback
from tgbot.services.diary.model import DiarySummary, NudgeReason, nudges_due, summarize
from tgbot.services.diary.render import (
    render_chart_png,
    render_csv,
    render_in_worker,
    render_summary_pdf,
)
from tgbot.services.diary.service import (
    MAX_NOTE_LENGTH,
    RETENTION_KEY,
    WHEN_EARLIER_TODAY,
    WHEN_LAST_NIGHT,
    WHEN_NOW,
)

log = logging.getLogger(__name__)

PERIOD_DAYS = 30
NUDGE_HISTORY_DAYS = 40  # nudges_due needs at least 35 days of entries
NUDGED_KEY = "diary_nudged"  # reason -> the day it was last suggested


# ------------------------------------------------------------------ commands


async def diary_command(update: Update, context: BotContext) -> None:
    await _show_diary(update, context, edit=False)


async def export_command(update: Update, context: BotContext) -> None:
    view, user_id = context.view, user_id_of(update)
    data = await context.services.diary.export(user_id)
    if data is None:
        await send(update, context, simple(view, texts(view).text("export_empty")))
        return
    payload = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    await context.bot.send_document(
        user_id,
        InputFile(io.BytesIO(payload), filename="my-cramp-bot-data.json"),
        caption=texts(view).text("export_intro"),
    )


async def open_log(update: Update, context: BotContext) -> None:
    """'Log a cramp' from the menu or after a routine: the site question (time: now)."""
    await show_in_place(update, context, ask_site(context.view, WHEN_NOW))


async def open_diary(update: Update, context: BotContext) -> None:
    await _show_diary(update, context, edit=True)


# ------------------------------------------------------------------ buttons


async def on_diary_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    action = parse_diary_callback(query.data)
    if action is None:
        await expired(update, context)
        return
    await query.answer()
    await _act(update, context, action)


async def _act(update: Update, context: BotContext, action: DiaryAction) -> None:
    view, user_id = context.view, user_id_of(update)
    diary = context.services.diary
    zone = await user_zone(context, user_id)
    if action.verb == "new":
        await show_in_place(update, context, ask_site(view, action.value or WHEN_NOW))
    elif action.verb == "s" and action.value:
        site, when, *severity = action.value.split(":")
        source = "text" if severity else "menu"
        record = await diary.log(
            user_id, site, when, zone, source, int(severity[0]) if severity else None
        )
        intro = texts(view).text(
            "logged", site=texts(view).sites[site], when=when_label(view, when)
        )
        await show_in_place(update, context, card(view, record, zone, intro))
        await maybe_nudge(update, context, include_long_cramp=False)
    elif action.verb == "no":
        await show_in_place(update, context, simple(view, texts(view).text("offer_declined")))
    elif action.verb == "me":
        await _show_diary(update, context, edit=True)
    elif action.verb == "list":
        await show_in_place(update, context, recent(view, await diary.recent(user_id), zone))
    elif action.verb == "doc":
        await _doctor_summary(update, context)
    elif action.verb == "ret":
        await _retention(update, context, action.value)
    else:
        await _entry_action(update, context, action, zone)


async def _entry_action(
    update: Update, context: BotContext, action: DiaryAction, zone: str | None
) -> None:
    """Open, change or delete one of the user's own entries (never anyone else's)."""
    view, user_id = context.view, user_id_of(update)
    diary = context.services.diary
    assert action.entry_id is not None
    entry_id = action.entry_id
    if action.verb == "x":
        found = await diary.delete(user_id, entry_id)
        key = "deleted" if found else "not_found"
        await show_in_place(update, context, simple(view, texts(view).text(key)))
        return
    if action.verb == "n":
        if await diary.get(user_id, entry_id) is None:
            await show_in_place(update, context, simple(view, texts(view).text("not_found")))
            return
        await ask(context, user_id, what="note", entry=entry_id)
        await show_in_place(update, context, simple(view, texts(view).text("ask_note")))
        return
    if action.verb == "w":
        await _change_when(update, context, action, zone)
        return
    field = {"v": "severity", "sd": "side", "d": "duration"}.get(action.verb)
    if field is not None:
        value: object = int(action.value or 0) if field == "severity" else action.value
        await diary.set_detail(user_id, entry_id, field, value)
    record = await diary.get(user_id, entry_id)
    if record is None:
        await show_in_place(update, context, simple(view, texts(view).text("not_found")))
        return
    await show_in_place(update, context, card(view, record, zone))


async def _change_when(
    update: Update, context: BotContext, action: DiaryAction, zone: str | None
) -> None:
    view, user_id = context.view, user_id_of(update)
    diary = context.services.diary
    assert action.entry_id is not None
    record = await diary.get(user_id, action.entry_id)
    if record is None:
        await show_in_place(update, context, simple(view, texts(view).text("not_found")))
    elif action.value is None:
        await show_in_place(update, context, ask_when(view, action.entry_id))
    elif action.value == "tx":
        await ask(context, user_id, what="when", entry=action.entry_id)
        await show_in_place(update, context, simple(view, texts(view).text("ask_when_typed")))
    else:
        await diary.set_when(user_id, action.entry_id, diary.moment_for(action.value, zone), zone)
        moved = await diary.get(user_id, action.entry_id)
        assert moved is not None
        await show_in_place(update, context, card(view, moved, zone))


async def answer_note(update: Update, context: BotContext, text: str) -> bool:
    """A typed note or time for an entry, when one was asked for; True if handled."""
    user = update.effective_user
    pending = await pending_question(context, user.id) if user else None
    if user is None or pending is None:
        return False
    if pending.get("what") == "when":
        return await _answer_when(update, context, text, pending)
    if pending.get("what") != "note":
        return False
    view = context.view
    note = text.strip()
    if len(note) > MAX_NOTE_LENGTH:
        await send(update, context, simple(view, texts(view).text("note_too_long")))
        return True
    await close_question(context, user.id)
    entry_id = int(pending.get("entry", 0))
    if not note or not await context.services.diary.set_detail(user.id, entry_id, "note", note):
        await send(update, context, simple(view, texts(view).text("not_found")))
        return True
    entry = await context.services.diary.get(user.id, entry_id)
    assert entry is not None
    zone = await user_zone(context, user.id)
    await send(update, context, card(view, entry, zone, texts(view).text("note_saved")))
    return True


async def offer_to_log(update: Update, context: BotContext, text: str) -> None:
    """'Had a bad calf cramp last night' → one tap logs it, pre-filled with what was said."""
    view = context.view
    matcher = view.catalog.matcher
    if matcher is None:
        return
    concepts = matcher.concepts(text)
    t = texts(view)
    if REPORTED_PAST_CONCEPT not in concepts:
        return
    site = next((s for c, s in t.typed_sites.items() if c in concepts), None)
    if site is None:
        return
    when = WHEN_LAST_NIGHT if REPORTED_LAST_NIGHT_CONCEPT in concepts else WHEN_EARLIER_TODAY
    severity = max((v for c, v in t.typed_severity.items() if c in concepts), default=None)
    await send(update, context, log_offer(view, site, when, severity))


async def maybe_nudge(
    update: Update, context: BotContext, *, include_long_cramp: bool = True
) -> None:
    """When the diary crosses a threshold, suggest a doctor: once per episode, with the reason.

    Right after a long cramp is logged its card already says what to do, so that reason is
    left to /diary then.
    """
    user_id = user_id_of(update)
    services = context.services
    zone = await user_zone(context, user_id)
    today = services.diary.now().astimezone(ZoneInfo(zone or "UTC")).date()
    entries = await services.diary.entries(
        user_id, services.diary.now() - timedelta(days=NUDGE_HISTORY_DAYS)
    )
    record = await services.users.get(user_id)
    raw = record.settings.get(NUDGED_KEY, {}) if record else {}
    already = {
        reason: date.fromisoformat(raw[reason.value])
        for reason in NudgeReason
        if isinstance(raw, dict) and isinstance(raw.get(reason.value), str)
    }
    due = [
        r
        for r in nudges_due(entries, today, already)
        if include_long_cramp or r is not NudgeReason.LONG_CRAMP
    ]
    if not due:
        return
    nudged = {**(raw if isinstance(raw, dict) else {}), **{r.value: today.isoformat() for r in due}}
    await services.users.update_settings(user_id, **{NUDGED_KEY: nudged})
    log.info("diary nudge: %s", ", ".join(r.value for r in due))
    await send(update, context, nudge(context.view, [r.value for r in due]))


async def _answer_when(
    update: Update, context: BotContext, text: str, pending: dict[str, object]
) -> bool:
    view, user_id = context.view, user_id_of(update)
    diary = context.services.diary
    zone = await user_zone(context, user_id)
    moment = diary.parse_moment(text, zone)
    if moment is None:
        await send(update, context, simple(view, texts(view).text("bad_when")))
        return True
    await close_question(context, user_id)
    entry_id = int(str(pending.get("entry", 0)))
    if not await diary.set_when(user_id, entry_id, moment, zone):
        await send(update, context, simple(view, texts(view).text("not_found")))
        return True
    record = await diary.get(user_id, entry_id)
    assert record is not None
    await send(update, context, card(view, record, zone))
    return True


# ------------------------------------------------------------------ /diary and summaries


async def _show_diary(update: Update, context: BotContext, *, edit: bool) -> None:
    view, user_id = context.view, user_id_of(update)
    summary, entries, done, today = await _summary(context, user_id)
    rendered = overview(view, _summary_text(view, summary))
    if edit:
        await show_in_place(update, context, rendered)
    else:
        await send(update, context, rendered)
    await maybe_nudge(update, context)
    if summary.size == "normal":
        start = today - timedelta(days=PERIOD_DAYS - 1)
        labels = dict(texts(view).extra)
        png = await render_in_worker(render_chart_png, entries, done, start, today, labels)
        await context.bot.send_photo(
            user_id,
            InputFile(io.BytesIO(png), filename="cramps.png"),
            caption=texts(view).text("chart_caption"),
        )


async def _doctor_summary(update: Update, context: BotContext) -> None:
    view, user_id = context.view, user_id_of(update)
    summary, entries, done, today = await _summary(context, user_id, days=90)
    labels = dict(texts(view).extra)
    start = today - timedelta(days=89)
    chart = None
    if summary.size == "normal":
        chart = await render_in_worker(render_chart_png, entries, done, start, today, labels)
    pdf = await render_in_worker(
        render_summary_pdf, summary, entries, chart, labels, _period(labels, start, today), today
    )
    zone = await user_zone(context, user_id) or "UTC"
    csv_bytes = render_csv(entries, labels, zone)
    await send(update, context, simple(view, texts(view).text("doctor_intro")))
    await context.bot.send_document(
        user_id, InputFile(io.BytesIO(pdf), filename=f"cramp-diary-{today}.pdf")
    )
    await context.bot.send_document(
        user_id, InputFile(io.BytesIO(csv_bytes), filename=f"cramp-diary-{today}.csv")
    )


async def _summary(
    context: BotContext, user_id: int, days: int = PERIOD_DAYS
) -> tuple[DiarySummary, list, set[date], date]:  # type: ignore[type-arg]
    diary = context.services.diary
    zone = await user_zone(context, user_id)
    today = diary.now().astimezone(ZoneInfo(zone or "UTC")).date()
    since = diary.now() - timedelta(days=2 * days + 1)
    entries = await diary.entries(user_id, since)
    done = await diary.done_dates(user_id)
    began = await diary.reminders_since(user_id, zone)
    return summarize(entries, done, today, days, reminders_since=began), entries, done, today


def _summary_text(view: View, summary: DiarySummary) -> str:
    t = texts(view)
    current = summary.current
    if summary.size == "empty":
        return t.text("empty")
    if summary.size == "tiny":
        return t.text("tiny", cramps=t.count("cramps", current.cramps))
    trend_key = f"trend_{summary.trend}"
    trend = (
        t.text(trend_key)
        if summary.trend == "new"
        else t.text(trend_key, previous=t.count("cramps", summary.previous.cramps))
    )
    text = t.text(
        "summary",
        cramps=t.count("cramps", current.cramps),
        nights=t.count("nights", current.nights_with_cramps),
        top_site=t.sites.get(summary.top_site or "other", summary.top_site or ""),
        trend=trend,
    )
    routine = summary.routine
    if routine is not None and routine.nights_with:
        text += "\n" + t.text(
            "routine_line",
            with_cramps=t.count("cramps", routine.cramps_with),
            with_nights=t.count("nights", routine.nights_with),
            without_cramps=t.count("cramps", routine.cramps_without),
            without_nights=t.count("nights", routine.nights_without),
        )
    return text


async def _retention(update: Update, context: BotContext, value: str | None) -> None:
    view, user_id = context.view, user_id_of(update)
    if value is not None:
        days = int(value) or None
        await context.services.diary.set_retention(user_id, days)
        await show_in_place(update, context, retention(view, days, saved=True))
        return
    record = await context.services.users.get(user_id)
    current = record.settings.get(RETENTION_KEY) if record else None
    await show_in_place(
        update, context, retention(view, current if isinstance(current, int) else None)
    )


# ------------------------------------------------------------------ helpers


def _period(labels: dict[str, str], start: date, end: date) -> str:
    return labels["period"].format(start=start.isoformat(), end=end.isoformat())
