"""Your data: the summary for the doctor (PDF and CSV, with the person's own medicines line)
and /export (a documented JSON file and the diary as CSV)."""

from __future__ import annotations

import html
import io
import json
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from tgbot.handlers.context import BotContext
from tgbot.handlers.diary.views import simple, texts
from tgbot.handlers.replies import send, show_in_place
from tgbot.handlers.screens import Rendered, View, button, grid, with_footer
from tgbot.handlers.user_state import ask, close_question
from tgbot.services.diary.actions import DoctorSummary, ShowDiary
from tgbot.services.diary.data_actions import ClearMedicines, DataButton, EditMedicines, SendExport
from tgbot.services.diary.patterns import MAX_MEDICINES_LENGTH
from tgbot.services.diary.render import (
    render_chart_png,
    render_csv,
    render_in_worker,
    render_summary_pdf,
)
from tgbot.services.diary.render.labels import format_date

MEDICINES_PROMPT = "medicines"


async def export_command(update: Update, context: BotContext) -> None:
    """Everything stored about the user: the JSON document, and the diary as CSV (also the
    button /forget offers first)."""
    view, user = context.view, context.user
    diary = context.services.diary
    t = texts(view)
    data = await diary.export(user.user_id, t.extra)
    if data is None:
        await send(update, context, simple(view, t.text("export_empty")))
        return
    today = diary.now().astimezone(user.zone).date()
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    await context.bot.send_document(
        user.user_id,
        InputFile(io.BytesIO(payload), filename=f"my-cramp-bot-data-{today}.json"),
        caption=t.text("export_intro"),
    )
    entries = await diary.all_entries(user.user_id)
    if entries:
        csv_bytes = render_csv(entries, t.extra, user.zone.key)
        await context.bot.send_document(
            user.user_id,
            InputFile(io.BytesIO(csv_bytes), filename=f"my-cramp-diary-{today}.csv"),
            caption=t.text("export_csv_caption"),
        )


async def doctor_summary(update: Update, context: BotContext, language: str | None = None) -> None:
    """The last 90 days on one page, with the entries as CSV; a short message instead when
    nothing was logged (a page of zeros helps nobody). ``language``: the summary printed in
    another of the bot's languages, for a doctor who reads that one (the chat stays in the
    user's)."""
    view, user = context.view, context.user
    catalogs = context.services.content.catalogs
    printed = catalogs.get(language or "", view.catalog)
    t = texts(view)
    report = await context.services.diary.doctor_report(
        user.user_id, user.time_zone, user.medicines
    )
    period = report.period
    if period.summary.size == "empty":
        await send(update, context, simple(view, t.text("summary_empty")))
        return
    start, today = period.start, period.today
    labels = dict(printed.diary.extra)
    chart = None
    if period.summary.size == "normal":
        chart = await render_in_worker(
            render_chart_png, period.entries, period.done, start, today, labels
        )
    pdf = await render_in_worker(
        render_summary_pdf,
        period.summary,
        period.entries,
        chart,
        labels,
        _period(labels, start, today),
        today,
        report.details,
    )
    current = [e for e in period.entries if start <= e.local_date <= today]
    csv_bytes = render_csv(current, labels, user.zone.key)
    await send(update, context, _summary_intro(context, printed.language))
    await context.bot.send_document(
        user.user_id, InputFile(io.BytesIO(pdf), filename=f"cramp-diary-{today}.pdf")
    )
    await context.bot.send_document(
        user.user_id, InputFile(io.BytesIO(csv_bytes), filename=f"cramp-diary-{today}.csv")
    )
    await send(update, context, medicines_screen(view, user.medicines))


def _summary_intro(context: BotContext, printed: str) -> Rendered:
    """The intro, with the bot's other languages as buttons for a copy in that one."""
    view = context.view
    t = texts(view)
    catalogs = context.services.content.catalogs
    others = [
        button("📄 " + catalogs[code].text("language_name"), DoctorSummary(code).data)
        for code in sorted(catalogs)
        if code != printed
    ]
    if not others:
        return simple(view, t.text("doctor_intro"))
    text = t.text("doctor_intro") + "\n\n" + t.text("summary_other_language")
    return Rendered(text, InlineKeyboardMarkup(grid(others, 3)))


def medicines_screen(view: View, medicines: str | None, text: str | None = None) -> Rendered:
    """Offer to add the medicines line, or show it with change and remove."""
    t = texts(view)
    if text is None:
        text = (
            t.text("medicines_current", medicines=html.escape(medicines))
            if medicines
            else t.text("medicines_offer")
        )
    rows: list[list[InlineKeyboardButton]] = []
    if medicines:
        rows.append([button(t.buttons["doctor"], DoctorSummary().data)])
        rows.append(
            [
                button(t.buttons["medicines_change"], EditMedicines().data),
                button(t.buttons["medicines_remove"], ClearMedicines().data),
            ]
        )
    else:
        rows.append([button(t.buttons["medicines_add"], EditMedicines().data)])
    rows.append([button(t.buttons["diary"], ShowDiary().data)])
    return with_footer(view, text, rows)


async def act(update: Update, context: BotContext, action: DataButton) -> None:
    """One ``yd:`` button, already decoded and answered."""
    view, user = context.view, context.user
    match action:
        case SendExport():
            await export_command(update, context)
        case EditMedicines():
            await ask(context, MEDICINES_PROMPT)
            await show_in_place(update, context, simple(view, texts(view).text("ask_medicines")))
        case ClearMedicines():
            await context.services.users.set_medicines(user.user_id, None)
            removed = texts(view).text("medicines_removed")
            await show_in_place(update, context, medicines_screen(view, None, removed))
        case _:
            raise AssertionError(f"a data button without a handler: {action!r}")


async def answer_medicines(update: Update, context: BotContext, text: str) -> bool:
    """The typed medicines line, when it was asked for; True if handled. Stored as typed."""
    prompt = context.user.prompt
    if prompt is None or prompt.what != MEDICINES_PROMPT:
        return False
    view, user_id = context.view, context.user.user_id
    medicines = " ".join(text.split())
    if len(medicines) > MAX_MEDICINES_LENGTH:
        await send(update, context, simple(view, texts(view).text("medicines_too_long")))
        return True
    await close_question(context)
    await context.services.users.set_medicines(user_id, medicines)
    saved = texts(view).text("medicines_saved", medicines=html.escape(medicines))
    await send(update, context, medicines_screen(view, medicines, saved))
    return True


def _period(labels: dict[str, str], start: date, end: date) -> str:
    return labels["period"].format(
        start=format_date(labels, start, year=True), end=format_date(labels, end, year=True)
    )
