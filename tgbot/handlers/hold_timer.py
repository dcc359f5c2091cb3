"""The hold timer of a stretch step: the step's message counts down in place, then says release.

One countdown per chat, run by the JobQueue: pressing ⏱ again restarts it, and any other
button in the chat stops it (``stop_on_press``, registered before every other handler), as
does a message that can no longer be edited.
"""

from __future__ import annotations

import contextlib
from typing import Any, cast

from apscheduler.jobstores.base import JobLookupError  # type: ignore[import-untyped]
from telegram import Message, Update
from telegram.ext import Job, JobQueue

from tgbot.handlers.context import BotContext
from tgbot.handlers.replies import edit_shown, show_in_place
from tgbot.handlers.screens import View, render_countdown
from tgbot.services.hold_timer import Countdown, job_name


def stop_countdown(job_queue: JobQueue[Any] | None, chat_id: int) -> None:
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(job_name(chat_id)):
        _end(job)


def _end(job: Job[Any]) -> None:
    """Remove a countdown once: a press can end it while its own tick is editing the message,
    and the tick then ends it again (APScheduler refuses a second removal)."""
    if not job.removed:
        with contextlib.suppress(JobLookupError):
            job.schedule_removal()


async def stop_on_press(update: Update, context: BotContext) -> None:
    """Any button press ends the chat's countdown (a new ⏱ press then starts its own)."""
    chat = update.effective_chat
    if update.callback_query is not None and chat is not None:
        stop_countdown(context.job_queue, chat.id)


async def start_hold(update: Update, context: BotContext, screen_id: str) -> None:
    """Show the step with the full hold time, then count down in its message."""
    query = update.callback_query
    message = query.message if query else None
    screen = context.catalog.screens[screen_id]
    if not isinstance(message, Message) or screen.hold_seconds is None:
        return  # an inline or too old message: nothing to count down in
    countdown = Countdown(
        chat_id=message.chat_id,
        message_id=message.message_id,
        screen_id=screen_id,
        hold=screen.hold_seconds,
        started=context.services.clock.now(),
        language=context.user.language,
        country=context.user.country,
    )
    # PTB types a context's queue with an unbound context type; ours runs BotContext jobs.
    job_queue = cast("JobQueue[BotContext] | None", context.job_queue)
    stop_countdown(job_queue, countdown.chat_id)
    await show_in_place(update, context, render_countdown(context.view, screen, countdown.hold))
    if job_queue is None:
        return
    job_queue.run_repeating(
        _tick,
        interval=countdown.step,
        first=countdown.step,
        chat_id=countdown.chat_id,
        user_id=update.effective_user.id if update.effective_user else None,
        data=countdown,
        name=job_name(countdown.chat_id),
        # A late run still shows the right time; never two runs of one countdown at once.
        job_kwargs={"coalesce": True, "max_instances": 1},
    )


async def _tick(context: BotContext) -> None:
    job = context.job
    assert job is not None and isinstance(job.data, Countdown)
    countdown: Countdown = job.data
    left = countdown.left(context.services.clock.now())
    if left >= countdown.hold:
        return  # the clock has not moved on since the start: nothing new to show
    view = View(context.services.content.catalog(countdown.language), countdown.country)
    screen = view.catalog.screen(countdown.screen_id)
    if screen is None:  # gone from the content since
        _end(job)
        return
    rendered = render_countdown(view, screen, left)
    shown = await edit_shown(context, countdown.chat_id, countdown.message_id, rendered)
    if not shown or left == 0:
        _end(job)
