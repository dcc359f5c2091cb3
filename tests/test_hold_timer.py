"""The hold timer on stretch steps, driven through the stand-in: the step's message counts down
in place within Telegram's edit limits and ends saying release; another press stops it.

The countdown is a JobQueue job; the tests pause its real-time schedule, move the injected clock
and run the job by hand, as the scheduler would.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Harness
from tgbot.content import Content
from tgbot.content.checks import ContentError
from tgbot.content.routines import load_routines
from tgbot.handlers.hold_timer import stop_countdown
from tgbot.services.hold_timer import job_name, step_seconds
from tgbot.telegram_html import html_to_plain
from tgbot_devtools.standin.driver import BotMessage, DriverUser

EDIT = "editMessageText"


def hold_label(content: Content, seconds: int) -> str:
    return content.catalog("en").text("routine_hold").format(seconds=seconds)


def release_text(content: Content) -> str:
    return html_to_plain(content.catalog("en").text("routine_release"))


def holding_text(content: Content, seconds: int) -> str:
    return html_to_plain(content.catalog("en").text("routine_holding").format(seconds=seconds))


async def open_step(bot: Harness, user_id: int, routine: str, number: int) -> Any:
    """Walk to step ``number`` of a routine as a user would: the menu, then Next."""
    user = bot.driver.user(user_id=user_id)
    [menu] = await user.send("/menu")
    [step] = await user.press_data(menu.message_id, f"s:r_{routine}_1")
    for _ in range(number - 1):
        [step] = await user.press(content_next(bot), step)
    return user, step


def content_next(bot: Harness) -> str:
    return bot.services.content.catalog("en").text("routine_next")


def countdown_jobs(bot: Harness, chat_id: int) -> list[Any]:
    assert bot.app.job_queue is not None
    return list(bot.app.job_queue.get_jobs_by_name(job_name(chat_id)))


def current(user: DriverUser, message_id: int) -> BotMessage:
    [message] = [m for m in user.messages if m.message_id == message_id]
    return message


def edits_since(bot: Harness, mark: int) -> int:
    return sum(1 for call in bot.api.calls[mark:] if call.method == EDIT and call.status == 200)


@pytest.mark.parametrize(
    ("routine", "number", "hold"), [("hand", 2, 30), ("hamstring", 2, 20), ("bedtime", 2, 10)]
)
async def test_a_hold_counts_down_in_place_and_ends_saying_release(
    bot: Harness, content: Content, routine: str, number: int, hold: int
) -> None:
    user, step = await open_step(bot, 801, routine, number)
    [held] = await user.press(hold_label(content, hold), step)
    assert held.message_id == step.message_id and held.is_edit
    assert holding_text(content, hold) in held.text
    [job] = countdown_jobs(bot, user.id)
    job.enabled = False  # the test moves time itself
    step_s = step_seconds(hold)
    # Never more than one edit per 5 s for this message (Telegram throttles faster edits).
    assert job.job.trigger.interval == timedelta(seconds=step_s) >= timedelta(seconds=5)

    mark = len(bot.api.calls)
    await job.run(bot.app)  # due before the clock moved: nothing new to show, no edit
    assert edits_since(bot, mark) == 0
    shown = []
    for _ in range(hold // step_s):
        bot.clock.advance(timedelta(seconds=step_s))
        await job.run(bot.app)
        shown.append(current(user, step.message_id).text)
    assert edits_since(bot, mark) == hold // step_s  # one edit per step, the last "release"
    for index, text in enumerate(shown[:-1], start=1):
        assert holding_text(content, hold - index * step_s) in text
    assert release_text(content) in shown[-1]
    assert job.removed and countdown_jobs(bot, user.id) == []
    # The step is still usable: its buttons stay, ⏱ included.
    assert current(user, step.message_id).has_button(hold_label(content, hold), exact=True)
    assert bot.api.unanswered_callback_queries() == []


async def test_a_second_press_restarts_and_stops_the_old_countdown(
    bot: Harness, content: Content
) -> None:
    user, step = await open_step(bot, 802, "hand", 2)
    await user.press(hold_label(content, 30), step)
    [first] = countdown_jobs(bot, user.id)
    first.enabled = False
    bot.clock.advance(timedelta(seconds=10))
    await first.run(bot.app)
    assert holding_text(content, 20) in current(user, step.message_id).text
    [again] = await user.press(hold_label(content, 30), step)
    assert holding_text(content, 30) in again.text  # from the top
    [second] = countdown_jobs(bot, user.id)
    assert first.removed and second is not first and not second.removed
    second.enabled = False


async def test_another_button_stops_the_countdown(bot: Harness, content: Content) -> None:
    user, step = await open_step(bot, 803, "hand", 2)
    await user.press(hold_label(content, 30), step)
    [job] = countdown_jobs(bot, user.id)
    job.enabled = False
    [next_step] = await user.press(content_next(bot), step)
    assert job.removed and countdown_jobs(bot, user.id) == []
    assert "Step 3 of" in next_step.text
    assert holding_text(content, 30) not in next_step.text


async def test_a_deleted_message_stops_the_countdown(bot: Harness, content: Content) -> None:
    user, step = await open_step(bot, 804, "foot", 4)
    await user.press(hold_label(content, 30), step)
    [job] = countdown_jobs(bot, user.id)
    job.enabled = False
    await bot.app.bot.delete_message(user.id, step.message_id)
    bot.clock.advance(timedelta(seconds=10))
    await job.run(bot.app)
    assert job.removed and countdown_jobs(bot, user.id) == []


async def test_stretch_pages_with_a_hold_time_have_the_timer_too(
    bot: Harness, content: Content
) -> None:
    user = bot.driver.user(user_id=806)
    [menu] = await user.send("/menu")
    [page] = await user.press_data(menu.message_id, "s:stretch_hand")  # "Hold for 30 to 60 s"
    [held] = await user.press(hold_label(content, 30), page)
    assert holding_text(content, 30) in held.text and "Hand and finger stretch" in held.text
    [job] = countdown_jobs(bot, user.id)
    job.enabled = False
    for _ in range(3):
        bot.clock.advance(timedelta(seconds=10))
        await job.run(bot.app)
    assert release_text(content) in current(user, page.message_id).text and job.removed


async def test_steps_without_a_hold_time_have_no_timer(bot: Harness, content: Content) -> None:
    user, step = await open_step(bot, 805, "calf", 1)  # "hold until it lets go": no number
    assert not step.has_button("⏱")
    replies = await user.press_data(step.message_id, "h:r_calf_1")  # forged
    assert countdown_jobs(bot, user.id) == []
    assert replies and replies[-1].text.startswith(
        html_to_plain(content.catalog("en").text("expired"))[:30]
    )


def test_hold_times_come_from_the_routine_content(content: Content) -> None:
    holds = {s.id: s.hold_seconds for s in content.catalog("en").screens.values()}
    assert holds["r_hand_2"] == 30 and holds["r_bedtime_2"] == 10
    assert holds["r_calf_1"] is None


UI = {
    "routine_progress": "Step {n} of {total}",
    "routine_next": "Next",
    "routine_done": "Done",
    "routine_still_hurting": "Still hurting?",
}


@pytest.mark.parametrize(
    ("step", "error"),
    [
        ("{text: 'Hold 30 seconds.', hold: 32}", "multiple of 5"),
        ("{text: 'Hold 90 seconds.', hold: 90}", "multiple of 5"),
        ("{text: 'Hold it until it eases.', hold: 30}", "does not mention 30"),
        ("{text: 'Hold 30 seconds.', hold: 30, reps: 3}", "unknown key 'reps'"),
    ],
)
def test_the_loader_refuses_a_wrong_hold_time(tmp_path: Path, step: str, error: str) -> None:
    (tmp_path / "r.yaml").write_text(
        f"calf:\n  title: Calf\n  steps:\n    - {step}\n  done: Well done.\n"
    )
    with pytest.raises(ContentError, match=error):
        load_routines(tmp_path, UI)


async def test_a_press_during_a_ticks_edit_ends_the_countdown_once(
    bot: Harness, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    """The tick's edit is a round trip; a press can end the countdown meanwhile, and the tick
    that then ends it too must not fail (the fuzz through `tgbot run` found this)."""
    user, step = await open_step(bot, 809, "hand", 2)
    await user.press(hold_label(content, 30), step)
    [job] = countdown_jobs(bot, user.id)
    assert bot.app.job_queue is not None
    stop_countdown(bot.app.job_queue, user.id)  # the press
    bot.clock.advance(timedelta(seconds=30))  # the hold is over: the tick ends it as well
    await job.run(bot.app)
    assert job.removed and countdown_jobs(bot, user.id) == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
