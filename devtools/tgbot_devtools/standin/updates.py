"""Updates waiting for the bot, and how they leave: getUpdates (the long poll) or a webhook."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import deque

from tgbot_devtools.standin.checks import ApiError, opt_bool, opt_float, opt_int, opt_json, opt_str
from tgbot_devtools.standin.records import JSON

POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

DEFAULT_MAX_CONNECTIONS = 40
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# Telegram sends these only when a bot asks for them explicitly in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class _Signal:
    """Broadcast wake-up: every waiter wakes on ``notify`` and re-checks its condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class UpdateQueue:
    """The bot's pending updates; ``confirmed_update_id`` is the last one it acknowledged."""

    def __init__(self) -> None:
        self.webhook_url = ""
        self.webhook_secret: str | None = None  # never shown by getWebhookInfo, as Telegram
        self.webhook_max_connections = DEFAULT_MAX_CONNECTIONS
        self.confirmed_update_id = 0
        self.delivered_update_id = 0
        self._pending: deque[JSON] = deque()
        self._dropped: set[int] = set()
        self._allowed: frozenset[str] | None = None
        self._next_update_id = 1
        self._update_signal = _Signal()
        self._confirm_signal = _Signal()
        self._poll_generation = 0
        self._closed = False
        self._in_flight: set[int] = set()  # webhook deliveries under way
        self._acknowledged: set[int] = set()  # answered 2xx by the webhook

    def enqueue(self, kind: str, payload: JSON) -> JSON:
        """Queue an update of type ``kind`` (e.g. "message") for getUpdates."""
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._pending.append(update)
        self._update_signal.notify()
        return update

    def close(self) -> None:
        """Stop long polling: pending and future getUpdates return at once."""
        self._closed = True
        self._update_signal.notify()

    def reopen(self) -> None:
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def is_settled(self, update_id: int) -> bool:
        """True once the bot confirmed the update (or it was filtered out by allowed_updates);
        with a webhook, once the webhook answered it 2xx."""
        return (
            update_id <= self.confirmed_update_id
            or update_id in self._dropped
            or update_id in self._acknowledged
        )

    async def wait_confirmed(self, update_id: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot fetched the update and confirmed it with a later getUpdates."""
        try:
            async with asyncio.timeout(timeout):
                while not self.is_settled(update_id):
                    await self._confirm_signal.wait()
        except TimeoutError:
            raise TimeoutError(
                f"update {update_id} not confirmed within {timeout}s (confirmed up to "
                f"{self.confirmed_update_id}, delivered up to {self.delivered_update_id}); "
                "is the application polling?"
            ) from None

    # ------------------------------------------------------------------ getUpdates

    async def get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = opt_int(params, "offset") or 0
        limit = min(max(opt_int(params, "limit") or 100, 1), 100)
        timeout = max(opt_float(params, "timeout") or 0.0, 0.0)
        allowed = opt_json(params, "allowed_updates")
        if allowed is not None:
            self._allowed = frozenset(allowed) if allowed else None
        self._confirm(offset)
        # A new poll supersedes a pending one, like Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._update_signal.notify()
        updates = await self._long_poll(limit, timeout, generation)
        if updates:
            self.delivered_update_id = max(self.delivered_update_id, updates[-1]["update_id"])
        return updates

    async def _long_poll(self, limit: int, poll_seconds: float, generation: int) -> list[JSON]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + poll_seconds
        while True:
            updates = self._deliverable(limit)
            remaining = deadline - loop.time()
            if updates or self._closed or remaining <= 0:
                return updates
            try:
                async with asyncio.timeout(remaining):
                    await self._update_signal.wait()
            except TimeoutError:
                return self._deliverable(limit)
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)

    def _confirm(self, offset: int) -> None:
        """Forget updates before ``offset`` (negative: keep only the last -offset ones)."""
        if offset == 0:
            return
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                self.confirmed_update_id = pending.popleft()["update_id"]
        else:
            while pending and pending[0]["update_id"] < offset:
                pending.popleft()
            newest = self._next_update_id - 1
            self.confirmed_update_id = max(self.confirmed_update_id, min(offset - 1, newest))
        self._confirm_signal.notify()

    def _deliverable(self, limit: int) -> list[JSON]:
        allowed = self._allowed
        wanted = (
            (lambda kind: kind not in _OPT_IN_UPDATES) if allowed is None else allowed.__contains__
        )
        unwanted = [u for u in self._pending if not wanted(_update_kind(u))]
        if unwanted:
            # Telegram never stores updates a bot did not subscribe to.
            self._dropped.update(u["update_id"] for u in unwanted)
            self._pending = deque(u for u in self._pending if wanted(_update_kind(u)))
            self._confirm_signal.notify()
        return list(itertools.islice(self._pending, limit))

    # ------------------------------------------------------------------ webhook

    async def delete_webhook(self, params: JSON) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        self.webhook_max_connections = DEFAULT_MAX_CONNECTIONS
        if opt_bool(params, "drop_pending_updates") and self._pending:
            self._confirm(self._pending[-1]["update_id"] + 1)
        return True

    async def set_webhook(self, params: JSON) -> bool:
        url = opt_str(params, "url") or ""
        secret = opt_str(params, "secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        connections = opt_int(params, "max_connections")
        if connections is not None and not 1 <= connections <= 100:
            raise ApiError(400, "Bad Request: bad webhook: max_connections must be 1-100")
        allowed = opt_json(params, "allowed_updates")
        if allowed is not None:
            self._allowed = frozenset(allowed) if allowed else None
        self.webhook_url = url
        self.webhook_secret = secret if url else None
        self.webhook_max_connections = connections or DEFAULT_MAX_CONNECTIONS
        self._update_signal.notify()  # a webhook sender may now deliver
        if opt_bool(params, "drop_pending_updates") and self._pending:
            self._confirm(self._pending[-1]["update_id"] + 1)
        return True

    async def next_for_webhook(self) -> JSON:
        """The oldest pending update not being delivered (waits for one), as Telegram's
        webhook sender takes them; ``webhook_answered`` settles it."""
        while True:
            if self.webhook_url and not self._closed:
                for update in self._deliverable(len(self._pending) or 1):
                    if update["update_id"] not in self._in_flight:
                        self._in_flight.add(update["update_id"])
                        return update
            await self._update_signal.wait()

    def webhook_answered(self, update_id: int, ok: bool) -> None:
        """2xx: the update leaves the queue. Otherwise it stays, to be sent again."""
        self._in_flight.discard(update_id)
        if ok:
            self._pending = deque(u for u in self._pending if u["update_id"] != update_id)
            self._acknowledged.add(update_id)
            self.delivered_update_id = max(self.delivered_update_id, update_id)
            self._confirm_signal.notify()
        else:
            self._update_signal.notify()

    async def get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = self.webhook_max_connections
        if self._allowed is not None:
            info["allowed_updates"] = sorted(self._allowed)
        return info


def _update_kind(update: JSON) -> str:
    return next(key for key in update if key != "update_id")
