"""In-memory state of a Telegram Bot API server for one bot, independent of any transport.

``FakeBotAPI.handle(method, params)`` answers like api.telegram.org would (same JSON shapes,
same error descriptions, which PTB maps to its exceptions). The user side (``FakeUser``)
produces the updates a Telegram client would cause, queued for ``getUpdates``.

The parts: ``checks`` (Telegram's limits and validation), ``updates`` (the update queue and
the long poll), ``methods`` (the Bot API methods), ``users`` (``FakeUser``), ``state`` (what
the server remembers, and the read-outs tests use).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import asdict, dataclass
from typing import Literal, get_args

from tgbot_devtools.standin.checks import BLOCKED, ApiError, loose_int
from tgbot_devtools.standin.methods import BotMethods
from tgbot_devtools.standin.records import JSON, Call
from tgbot_devtools.standin.state import BotState, Chat
from tgbot_devtools.standin.users import FakeUser

# network: the connection drops before an answer (a reset); lost: the call is carried out,
# then its answer is lost on the way back; slow: answered normally after ``delay`` seconds.
FaultKind = Literal["retry_after", "forbidden", "network", "server_error", "slow", "lost"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


class NetworkFault(Exception):
    """Raised by ``handle`` for an injected network failure: the transport must fail too
    (in-process: ``telegram.error.NetworkError``; HTTP: drop the connection)."""


@dataclass
class _Fault:
    method: str | None
    kind: FaultKind
    retry_after: int
    remaining: int
    chat_id: int | None
    delay: float = 0.0
    status: int = 500

    def matches(self, method: str, params: JSON) -> bool:
        if self.method is None:
            # Polling never stops, so a catch-all fault would always hit getUpdates first.
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or loose_int(params.get("chat_id")) == self.chat_id

    def error(self) -> Exception:
        if self.kind == "retry_after":
            return ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if self.kind == "forbidden":
            return ApiError(403, BLOCKED)
        if self.kind == "server_error":
            return ApiError(self.status, _SERVER_ERRORS.get(self.status, "Internal Server Error"))
        return NetworkFault(f"injected network failure for {self.method or 'any method'}")


_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Latency:
    """Telegram's distance: every call takes ``ms`` ± ``jitter_ms`` (uniform) of round trip,
    half on the way in, half on the way back. getUpdates pays it too, on top of its wait."""

    ms: float = 0.0
    jitter_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.ms < 0 or not 0 <= self.jitter_ms <= self.ms:
            raise ValueError("latency must be ≥ 0 and its jitter between 0 and the latency")

    def half_trip(self, rng: random.Random) -> float:
        """Seconds for one direction."""
        jitter = rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return (self.ms + jitter) / 2000


class FakeBotAPI(BotState):
    """The Bot API server for one bot: its state, answering calls through ``handle``."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "cramp_help_bot",
        bot_id: int | None = None,
        *,
        bot_first_name: str = "Cramp Help",
        record_calls: bool = True,
        latency: Latency = Latency(),
    ) -> None:
        super().__init__(
            bot_id if bot_id is not None else loose_int(token.split(":")[0]) or 123456,
            bot_username,
            bot_first_name,
        )
        self.token = token
        self.record_calls = record_calls
        self.latency = latency
        self._jitter = random.Random(0)  # seeded: a benchmark's distance is repeatable
        self.calls: list[Call] = []
        self._faults: list[_Fault] = []
        self._users: dict[int, FakeUser] = {}
        self._methods = BotMethods(self).table()

    # ------------------------------------------------------------------ transport entry

    async def handle(self, method: str, params: JSON, token: str | None = None) -> tuple[int, JSON]:
        """Answer one Bot API call: ``(http_status, json_body)``.

        Raises ``NetworkFault`` for an injected network failure."""
        if self.latency.ms:
            await asyncio.sleep(self.latency.half_trip(self._jitter))
        try:
            return await self._answer(method, params, token)
        finally:
            if self.latency.ms:
                await asyncio.sleep(self.latency.half_trip(self._jitter))

    async def _answer(self, method: str, params: JSON, token: str | None) -> tuple[int, JSON]:
        call = Call(method, params, time.time())
        if self.record_calls:
            self.calls.append(call)
        try:
            if token is not None and token != self.token:
                raise ApiError(401, "Unauthorized")
            name = method.lower()
            implementation = self._methods.get(name)
            if implementation is None:
                raise ApiError(404, "Not Found")
            fault = self._take_fault(name, params)
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault is not None and fault.kind != "lost":
                raise fault.error()
            result = await implementation(params)
            if fault is not None and fault.kind == "lost":
                call.status, call.result = 200, result
                raise fault.error()
        except ApiError as err:
            call.status, call.description = err.status, err.description
            return err.status, err.body()
        except NetworkFault as dropped:
            call.description = str(dropped)
            raise
        call.status, call.result = 200, result
        return 200, {"ok": True, "result": result}

    def close(self) -> None:
        """Stop long polling: pending and future getUpdates return at once."""
        self.updates.close()

    def reopen(self) -> None:
        self.updates.reopen()

    @property
    def closed(self) -> bool:
        return self.updates.closed

    # ------------------------------------------------------------------ fault injection

    def inject_fault(
        self,
        method: str | None = None,
        *,
        kind: FaultKind,
        retry_after: int = 1,
        times: int = 1,
        chat_id: int | None = None,
        delay: float = 1.0,
        status: int = 500,
    ) -> None:
        """Make the next ``times`` matching calls fail (or, for "slow", answer after ``delay``
        seconds). ``method=None`` matches every method except getUpdates; ``status`` is the
        code of a "server_error" (500, 502, 503...)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
        if times < 1 or retry_after < 0 or delay < 0 or not 500 <= status <= 599:
            raise ValueError("times must be ≥ 1, retry_after and delay ≥ 0, status 5xx")
        fault = _Fault(
            method.lower() if method else None, kind, retry_after, times, chat_id, delay, status
        )
        self._faults.append(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def pending_faults(self) -> list[JSON]:
        """The faults still armed, as the control API shows them."""
        return [asdict(fault) for fault in self._faults]

    def _take_fault(self, method: str, params: JSON) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method, params):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------------ users and updates

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """Register (or fetch) a user and their private chat, whose id equals the user id."""
        known = self._users.get(user_id)
        if known is not None:
            return known
        user = FakeUser(self, user_id, first_name, language_code, username, last_name)
        self._users[user_id] = user
        self.chats[user_id] = Chat(user_id, user)
        return user

    def block_bot(self, user_id: int) -> JSON:
        """The user blocks the bot: later sends fail with 403; emits my_chat_member."""
        return self._known_user(user_id).block_bot()

    def unblock_bot(self, user_id: int) -> JSON:
        return self._known_user(user_id).unblock_bot()

    def _known_user(self, user_id: int) -> FakeUser:
        self.chat(user_id)  # raises LookupError for a user never registered
        return self._users[user_id]

    def enqueue_update(self, kind: str, payload: JSON) -> JSON:
        """Queue an update of type ``kind`` (e.g. "message") for getUpdates."""
        return self.updates.enqueue(kind, payload)

    @property
    def webhook_url(self) -> str:
        return self.updates.webhook_url

    @property
    def confirmed_update_id(self) -> int:
        return self.updates.confirmed_update_id

    @property
    def delivered_update_id(self) -> int:
        return self.updates.delivered_update_id

    def is_settled(self, update_id: int) -> bool:
        """True once the bot confirmed the update (or it was filtered out by allowed_updates)."""
        return self.updates.is_settled(update_id)

    async def wait_confirmed(self, update_id: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot fetched the update and confirmed it with a later getUpdates."""
        await self.updates.wait_confirmed(update_id, timeout)
