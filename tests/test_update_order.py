"""Each user's updates run in order; different users' updates run side by side."""

from __future__ import annotations

import asyncio

from telegram import Update

from tgbot.update_order import PerUserUpdateProcessor


def message_from(user_id: int, update_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "A"},
                "text": "hi",
            },
        },
        None,
    )


async def test_same_user_in_order_other_users_concurrently() -> None:
    processor = PerUserUpdateProcessor(8)
    events: list[str] = []
    release_first = asyncio.Event()

    async def work(name: str, wait: asyncio.Event | None = None) -> None:
        events.append(f"start {name}")
        if wait is not None:
            await wait.wait()
        events.append(f"end {name}")

    first = asyncio.create_task(
        processor.process_update(message_from(1, 1), work("a1", release_first))
    )
    second = asyncio.create_task(processor.process_update(message_from(1, 2), work("a2")))
    other = asyncio.create_task(processor.process_update(message_from(2, 3), work("b1")))
    await asyncio.wait_for(other, 1)
    assert "end b1" in events and "start a2" not in events  # b1 did not wait for user 1
    release_first.set()
    await asyncio.wait_for(asyncio.gather(first, second), 1)
    assert events.index("end a1") < events.index("start a2")
    assert processor._locks == {}  # nothing kept once a user's queue is empty
