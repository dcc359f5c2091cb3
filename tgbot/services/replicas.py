"""One send budget across replicas: each live replica takes rate / live count, and a 429 seen
by any replica pauses them all.

Each replica beats once a ``heartbeat`` into the replicas table and sets its share from the
count of live ones. The direction of every change is the safe one:

- a joining replica registers, then sends nothing until every live replica has beaten since
  (so each has cut its share) and one more window has passed (so the sends made at the old
  share are out of every window);
- a replica that dies keeps its share until its heartbeat is ``ttl`` old; only then do the
  others take it (from a full window: ``SendBudget.set_share``);
- a replica that stops gracefully deletes its row after it stopped sending.

A 429 is written to one shared row and NOTIFY'd; the others hold until then. Each heartbeat
reads the row as well, so a notification lost with a connection still arrives a beat later.
A joining replica NOTIFYs too, and the others beat at once: a join takes milliseconds, not a
heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from tgbot.services.clock import Clock
from tgbot.services.reminders.pacing import WINDOW_SECONDS
from tgbot.services.send_budget import SendBudget
from tgbot.storage.replicas import JOINED, Census, ReplicaRepository

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
REPLICA_TTL_S = 5.0  # silent this long: taken for dead, its share goes to the others
FORGET_AFTER_S = 600.0  # rows of dead replicas are deleted after this
LISTEN_RETRY_S = 5.0
JOIN_POLL_S = 0.1  # a joining replica looks this often whether the others have seen it


class ReplicaBudget:
    def __init__(
        self,
        budget: SendBudget,
        replicas: ReplicaRepository,
        clock: Clock,
        replica_id: str,
        *,
        heartbeat: float = HEARTBEAT_S,
        ttl: float = REPLICA_TTL_S,
    ) -> None:
        if ttl <= heartbeat:
            raise ValueError("a replica's ttl must be longer than its heartbeat")
        self._budget = budget
        self._replicas = replicas
        self._clock = clock
        self.replica_id = replica_id
        self._heartbeat = heartbeat
        self._ttl = ttl
        self._joined_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self.live = 0  # replicas counted at the last heartbeat

    async def join(self) -> None:
        """Register and return once this replica's share is safe to use (before anything is
        sent); then keep beating and listening for other replicas' 429s."""
        await self._register()
        log.info("replica %s joined: %d live, share %.2f", self.replica_id, self.live,
                 self._budget.share)  # fmt: skip
        self._budget.on_pause = self._announce
        self._spawn(self._keep_beating())
        self._spawn(self._listen())

    async def leave(self) -> None:
        """After this replica stopped sending: hand its share to the others."""
        self._budget.on_pause = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._replicas.leave(self.replica_id)

    async def _register(self) -> None:
        """Beat until every live replica has beaten since we (re)joined, then hold a window:
        each has cut its share by then, and its sends at the old one age out meanwhile."""
        self._joined_at = self._now()
        census = await self._beat()
        if census.unaware:
            await self._replicas.announce_join()
        while census.unaware:
            await asyncio.sleep(JOIN_POLL_S)
            census = await self._beat()
        self._budget.hold(WINDOW_SECONDS)

    async def _beat(self) -> Census:
        now = self._now()
        census = await self._replicas.heartbeat(self.replica_id, now, self._ttl, self._joined_at)
        self.live = census.live
        self._budget.set_share(1.0 / max(1, census.live))
        await self._hold_for_pause(await self._replicas.paused_until())
        return census

    async def _keep_beating(self) -> None:
        beats, last_beat, fenced = 0, self._now(), False
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                if fenced:  # the others may have counted us dead and taken our share
                    await self._register()
                    fenced = False
                    log.warning("replica %s back: %d live", self.replica_id, self.live)
                else:
                    await self._beat()
                last_beat = self._now()
                beats += 1
                if beats % 60 == 0:
                    await self._replicas.forget_dead(self._now() - FORGET_AFTER_S)
            except Exception as exc:
                # Before the others may take us for dead (ttl), stop sending: past that they
                # take our share, and we would be sending on top of it.
                if self._now() - last_beat > self._ttl / 2:
                    fenced = True
                    self._budget.hold(self._ttl)
                log.warning("replica heartbeat failed (%s)%s", exc,
                            "; sending nothing until it works" if fenced else "")  # fmt: skip

    async def _listen(self) -> None:
        while True:
            try:
                async for news in self._replicas.news():
                    if news == JOINED:
                        await self._beat()  # a replica waits for us to see it
                    else:
                        await self._hold_for_pause(await self._replicas.paused_until())
            except Exception as exc:  # the heartbeat still reads the pause meanwhile
                log.warning("listening for 429 pauses failed (%s); again in %.0fs", exc,
                            LISTEN_RETRY_S)  # fmt: skip
            await asyncio.sleep(LISTEN_RETRY_S)

    async def _hold_for_pause(self, until: float) -> None:
        left = until - self._now()
        if left > 0:
            self._budget.follow_pause(left)

    def _announce(self, seconds: float) -> None:
        """This replica was told 429: tell the others (the local pause is already on)."""
        self._spawn(self._replicas.pause_all(self._now() + seconds))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _now(self) -> float:
        return self._clock.now().timestamp()
