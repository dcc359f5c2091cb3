"""Updates of different people handled at once; each person's own strictly in order.

At Telegram's real distance a reply costs a round trip of tens to hundreds of milliseconds,
so one update at a time caps the whole bot at a handful per second. PTB hands every update
to ``process_update`` in the order Telegram sent them; here each person's updates form a
chain (an update waits for that person's previous one), and a second, inner bound caps how
many are being handled at once. Waiting in a chain holds no working slot, so one person
sending fifty messages never stalls everyone else.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# How many updates are being handled at once; the rest wait their turn.
DEFAULT_WORKING = 64
# PTB's own bound counts the updates waiting in a chain too: set it far above the working one,
# so it never makes one person's backlog hold back anyone else.
WAITING_CAP = 100_000


class PerUserOrder(BaseUpdateProcessor):
    def __init__(self, working: int = DEFAULT_WORKING) -> None:
        super().__init__(max_concurrent_updates=WAITING_CAP)
        self._working = asyncio.BoundedSemaphore(working)
        # The last update of each person still being handled (or waiting): the next one of
        # theirs waits for it. Entries go as soon as a person's chain is empty.
        self._tails: dict[object, asyncio.Future[None]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _person(update)
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done  # before any await: the chain follows arrival order
        started = False
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._working:
                started = True
                await coroutine
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting its turn (shutdown)
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def chains(self) -> int:
        """People with an update being handled or waiting (tests, metrics)."""
        return len(self._tails)


def _person(update: object) -> object:
    """Whose order an update belongs to: the user, else the chat, else one shared lane."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return "other"
