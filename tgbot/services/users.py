"""The user's profile: language, country, time zone, the open question, diary settings.

The one home of user state. Handlers get a :class:`UserProfile` once per update (``arrive``)
and change it only through :class:`UserService`; nothing else reads the users table.

An open question (a reminder time or zone, a diary note or time) never traps anyone: it
expires after PROMPT_TTL, and the handlers close it on any button or command.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tgbot.content import Content
from tgbot.services.clock import Clock
from tgbot.services.countries import user_country
from tgbot.services.zones import zone_or_utc
from tgbot.storage import StorageUnavailable, UserRecord, UserRepository

log = logging.getLogger(__name__)

PROMPT_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class OpenPrompt:
    """A question a typed message may answer, e.g. ``what="zone"`` with ``at="2215"``."""

    what: str
    fields: Mapping[str, Any]
    opened_at: int  # unix seconds


@dataclass(frozen=True)
class UserProfile:
    user_id: int
    language: str  # the catalogue to speak (one we have)
    country: str | None  # whose emergency number to show; None: the fallback line
    time_zone: str | None  # IANA name, once known
    prompt: OpenPrompt | None  # open and not expired
    diary_retention_days: int | None
    diary_nudged: Mapping[str, date]  # nudge reason -> the day it was last suggested
    medicines: str | None = None  # the user's own list, shown on the doctor summary

    @property
    def zone(self) -> ZoneInfo:
        """The user's zone, UTC until they tell us theirs."""
        return zone_or_utc(self.time_zone)


class UserService:
    def __init__(self, users: UserRepository, content: Content, clock: Clock) -> None:
        self._users = users
        self._content = content
        self._clock = clock

    async def arrive(self, user_id: int, language_code: str | None) -> UserProfile:
        """Remember the user (first contact, last seen) and build their profile."""
        now = int(self._clock.now().timestamp())
        language = self._content.resolve_language(language_code)
        try:
            record = await self._users.touch(user_id, language, now)
        except StorageUnavailable as exc:
            # Read-only, full or locked: still serve the person (menus and red flags need no
            # write), as a newcomer in their Telegram language if nothing can be read either.
            log.warning("could not record a visit (%s); serving without it", exc)
            record = self._users.cached(user_id) or UserRecord(user_id, language, None)
        return self._profile(record, language_code)

    async def profile(self, user_id: int) -> UserProfile | None:
        """The stored profile (no Telegram language code: the reminder sender's view)."""
        record = await self._users.get(user_id)
        return self._profile(record, None) if record else None

    def _profile(self, record: UserRecord, language_code: str | None) -> UserProfile:
        language = self._content.resolve_language(record.language or language_code)
        countries = self._content.catalog(language).emergency.countries
        settings = record.settings
        return UserProfile(
            user_id=record.user_id,
            language=language,
            country=user_country(settings.country, language_code, countries),
            time_zone=record.time_zone,
            prompt=self._open_prompt(settings.prompt),
            diary_retention_days=settings.diary_retention_days,
            diary_nudged=_days(settings.diary_nudged),
            medicines=settings.medicines,
        )

    def _open_prompt(self, raw: Mapping[str, Any] | None) -> OpenPrompt | None:
        if raw is None or not isinstance(raw.get("what"), str):
            return None
        opened = raw.get("opened")
        now = self._clock.now().timestamp()
        if not isinstance(opened, int) or now - opened > PROMPT_TTL.total_seconds():
            return None
        fields = {k: v for k, v in raw.items() if k not in ("what", "opened")}
        return OpenPrompt(raw["what"], fields, opened)

    async def open_prompt(self, user_id: int, what: str, **fields: str | int) -> OpenPrompt:
        """Open a question; it replaces any other one still open."""
        opened = int(self._clock.now().timestamp())
        await self._users.update_settings(
            user_id, prompt={**fields, "what": what, "opened": opened}
        )
        return OpenPrompt(what, fields, opened)

    async def close_prompt(self, user_id: int) -> None:
        await self._users.update_settings(user_id, prompt=None)

    async def set_country(self, user_id: int, code: str) -> None:
        await self._users.update_settings(user_id, country=code)

    async def set_language(self, user_id: int, language: str) -> None:
        await self._users.set_language(user_id, language)

    async def set_time_zone(self, user_id: int, zone: str) -> None:
        await self._users.set_time_zone(user_id, zone)

    async def set_medicines(self, user_id: int, medicines: str | None) -> None:
        """The doctor summary's "medicines I take" line, as typed; None removes it."""
        await self._users.update_settings(user_id, medicines=medicines)

    async def forget(self, user_id: int) -> bool:
        """Delete everything stored about the user; True when there was something."""
        return await self._users.delete(user_id)


def _days(raw: Mapping[str, str]) -> dict[str, date]:
    days = {}
    for reason, value in raw.items():
        try:
            days[reason] = date.fromisoformat(value)
        except ValueError:
            continue  # a broken value: as if never nudged
    return days
