"""The cramp diary: log in two taps, add details, /diary with a chart, and the retention
setting. The summary for the doctor and /export live in your_data.py."""

from __future__ import annotations

import io
import logging
from datetime import date

from telegram import InputFile, Update

from tgbot.content.contracts import REPORTED_LAST_NIGHT_CONCEPT, REPORTED_PAST_CONCEPT
from tgbot.handlers.context import BotContext
from tgbot.handlers.diary.views import (
    ask_site,
    ask_when,
    card,
    log_offer,
    moment_label,
    nudge,
    overview,
    recent,
    retention,
    simple,
    texts,
    when_label,
)
from tgbot.handlers.diary.your_data import doctor_summary
from tgbot.handlers.replies import send, show_in_place
from tgbot.handlers.screens import Rendered, View
from tgbot.handlers.user_state import ask, close_question
from tgbot.services.diary.actions import (
    TYPE_THE_TIME,
    AddNote,
    AskSite,
    ChangeWhen,
    DeclineLogOffer,
    DeleteEntry,
    DiaryButton,
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
from tgbot.services.diary.model import DiaryEntry, DiarySummary
from tgbot.services.diary.render import (
    render_chart_png,
    render_in_worker,
)
from tgbot.services.diary.service import (
    MAX_NOTE_LENGTH,
    WHEN_EARLIER_TODAY,
    WHEN_LAST_NIGHT,
    WHEN_NOW,
    WhenProblem,
)

log = logging.getLogger(__name__)

# What a refused typed time is told, by reason.
WHEN_PROBLEM_TEXTS = {
    WhenProblem.UNREADABLE: "bad_when",
    WhenProblem.FUTURE: "when_future",
    WhenProblem.TOO_OLD: "when_too_old",
}


# ------------------------------------------------------------------ commands


async def diary_command(update: Update, context: BotContext) -> None:
    await _show_diary(update, context, edit=False)


async def open_log(update: Update, context: BotContext) -> None:
    """'Log a cramp' from the menu or after a routine: the site question (time: now)."""
    await show_in_place(update, context, ask_site(context.view, WHEN_NOW))


async def open_diary(update: Update, context: BotContext) -> None:
    await _show_diary(update, context, edit=True)


# ------------------------------------------------------------------ buttons


async def act(update: Update, context: BotContext, action: DiaryButton) -> None:
    """One diary button (``dy:``), already decoded and answered."""
    view, user_id, zone = context.view, context.user.user_id, context.user.time_zone
    diary = context.services.diary
    match action:
        case AskSite(when=when):
            await show_in_place(update, context, ask_site(view, when or WHEN_NOW))
        case LogCramp(site=site, when=when, severity=severity):
            source = "text" if severity else "menu"
            entry = await diary.log(user_id, site, when, zone, source, severity)
            sites = texts(view).sites
            intro = texts(view).text("logged", site=sites[site], when=when_label(view, when))
            await show_in_place(update, context, _card(context, entry, intro, time_set=True))
            await maybe_nudge(update, context, include_long_cramp=False)
        case DeclineLogOffer():
            await show_in_place(update, context, simple(view, texts(view).text("offer_declined")))
        case ShowDiary():
            await _show_diary(update, context, edit=True)
        case ShowRecent():
            entries = await diary.recent(user_id, zone=zone)
            await show_in_place(update, context, recent(view, entries, _today(context)))
        case DoctorSummary(language=language):
            await doctor_summary(update, context, language)
        case KeepEntries(days=days):
            await _retention(update, context, days)
        case _:
            await show_in_place(update, context, await _entry_action(context, action))


async def _entry_action(context: BotContext, action: DiaryButton) -> Rendered:
    """Open, change or delete one of the user's own entries (never anyone else's)."""
    view, user_id = context.view, context.user.user_id
    diary = context.services.diary
    not_found = simple(view, texts(view).text("not_found"))
    match action:
        case DeleteEntry(entry_id=entry_id):
            found = await diary.delete(user_id, entry_id)
            return simple(view, texts(view).text("deleted")) if found else not_found
        case AddNote(entry_id=entry_id):
            if await diary.get(user_id, entry_id) is None:
                return not_found
            await ask(context, "note", entry=entry_id)
            return simple(view, texts(view).text("ask_note"))
        case ChangeWhen(entry_id=entry_id, when=when):
            return await _change_when(context, entry_id, when)
        case SetSeverity(entry_id=entry_id, severity=severity):
            await diary.set_detail(user_id, entry_id, "severity", severity)
        case SetSide(entry_id=entry_id, side=side):
            await diary.set_detail(user_id, entry_id, "side", side)
        case SetDuration(entry_id=entry_id, duration=duration):
            await diary.set_detail(user_id, entry_id, "duration", duration)
        case OpenEntry(entry_id=entry_id):
            pass
        case _:
            raise AssertionError(f"a diary button without a handler: {action!r}")
    entry = await diary.get(user_id, entry_id)
    return _card(context, entry) if entry else not_found


async def _change_when(context: BotContext, entry_id: int, when: str | None) -> Rendered:
    view, user_id, zone = context.view, context.user.user_id, context.user.time_zone
    diary = context.services.diary
    if await diary.get(user_id, entry_id) is None:
        return simple(view, texts(view).text("not_found"))
    if when is None:
        return ask_when(view, entry_id)
    if when == TYPE_THE_TIME:
        await ask(context, "when", entry=entry_id)
        return simple(view, texts(view).text("ask_when_typed"))
    await diary.set_when(user_id, entry_id, diary.moment_for(when, zone), zone)
    moved = await diary.get(user_id, entry_id)
    assert moved is not None
    return _card(context, moved, time_set=True)


async def answer_note(update: Update, context: BotContext, text: str) -> bool:
    """A typed note or time for an entry, when one was asked for; True if handled."""
    prompt = context.user.prompt
    if prompt is None or prompt.what not in ("note", "when"):
        return False
    entry_id = prompt.fields.get("entry")
    if not isinstance(entry_id, int):
        return False
    if prompt.what == "when":
        return await _answer_when(update, context, text, entry_id)
    view, user_id = context.view, context.user.user_id
    note = text.strip()
    if len(note) > MAX_NOTE_LENGTH:
        await send(update, context, simple(view, texts(view).text("note_too_long")))
        return True
    await close_question(context)
    if not note or not await context.services.diary.set_detail(user_id, entry_id, "note", note):
        await send(update, context, simple(view, texts(view).text("not_found")))
        return True
    entry = await context.services.diary.get(user_id, entry_id)
    assert entry is not None
    saved = texts(view).text("note_saved")
    await send(update, context, _card(context, entry, saved))
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
    """When the diary crosses a threshold, suggest a doctor: once per episode, with the reason."""
    user = context.user
    due = await context.services.diary.nudges(
        user.user_id, user.time_zone, user.diary_nudged, include_long_cramp=include_long_cramp
    )
    if due:
        log.info("diary nudge: %s", ", ".join(r.value for r in due))
        await send(update, context, nudge(context.view, [r.value for r in due]))


async def _answer_when(update: Update, context: BotContext, text: str, entry_id: int) -> bool:
    """A typed time: read in the user's language and zone, refused with the reason (the
    question stays open), or saved and confirmed as understood ("Saved for Fri 28 Nov")."""
    view, user_id, zone = context.view, context.user.user_id, context.user.time_zone
    diary, t = context.services.diary, texts(view)
    moment = await diary.read_when(text, zone, [view.catalog.language], t.last_night_words)
    if isinstance(moment, WhenProblem):
        await send(update, context, simple(view, t.text(WHEN_PROBLEM_TEXTS[moment])))
        return True
    await close_question(context)
    if not await diary.set_when(user_id, entry_id, moment, zone):
        await send(update, context, simple(view, t.text("not_found")))
        return True
    record = await diary.get(user_id, entry_id)
    assert record is not None
    understood = moment_label(view, moment.replace(tzinfo=None), _today(context))
    saved = t.text("saved_for", when=understood)
    await send(update, context, _card(context, record, saved, time_set=True))
    return True


def _today(context: BotContext) -> date:
    return context.services.diary.now().astimezone(context.user.zone).date()


def _card(
    context: BotContext, entry: DiaryEntry, intro: str = "", *, time_set: bool = False
) -> Rendered:
    """The entry's card; where its time was just set, a word on whose clock it is when the
    user's zone is not known yet."""
    no_zone = time_set and context.user.time_zone is None
    return card(context.view, entry, _today(context), intro, no_zone=no_zone)


# ------------------------------------------------------------------ /diary and summaries


async def _show_diary(update: Update, context: BotContext, *, edit: bool) -> None:
    view, user = context.view, context.user
    period = await context.services.diary.overview(user.user_id, user.time_zone)
    rendered = overview(view, _summary_text(view, period.summary))
    if edit:
        await show_in_place(update, context, rendered)
    else:
        await send(update, context, rendered)
    await maybe_nudge(update, context)
    if period.summary.size == "normal":
        labels = dict(texts(view).extra)
        png = await render_in_worker(
            render_chart_png, period.entries, period.done, period.start, period.today, labels
        )
        await context.bot.send_photo(
            user.user_id,
            InputFile(io.BytesIO(png), filename="cramps.png"),
            caption=texts(view).text("chart_caption"),
        )


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


async def _retention(update: Update, context: BotContext, days: int | None) -> None:
    """``days`` None: show the choice; 0: keep entries until deleted."""
    view = context.view
    if days is not None:
        await context.services.diary.set_retention(context.user.user_id, days or None)
        await show_in_place(update, context, retention(view, days or None, saved=True))
        return
    current = context.user.diary_retention_days
    await show_in_place(update, context, retention(view, current))
