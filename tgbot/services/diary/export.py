"""/export: everything stored about one user as a documented, readable JSON document.

Named fields instead of columns, ISO 8601 times in the user's zone with its UTC offset
instead of unix seconds, codes spelled out in an ``about`` block, and a ``format`` and
``version`` so a program can tell what it reads (GDPR art. 20: "structured, commonly used
and machine-readable"). The diary also goes out as CSV (render/csv_export.py). The format
is described in README.md ("Your data"); bump EXPORT_VERSION when a field changes meaning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tgbot.services.diary.model import DURATIONS, SIDES, SITES
from tgbot.services.reminders.schedule import mask_to_days
from tgbot.services.zones import zone_or_utc
from tgbot.storage import DiaryRecord, ReminderRecord, UserRecord

EXPORT_FORMAT = "cramp-bot-export"
EXPORT_VERSION = 1
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SOURCES = ("menu", "text")  # how an entry was logged: DiaryService.log's source
# The sections of the document, each explained in the user's language under about.fields
# (diary.yaml, render.export_about_<section>).
EXPORT_SECTIONS = ("times", "profile", "reminder", "reminder_nights", "diary", "codes")
EXPORT_TEXT_KEYS = ("export_about", *(f"export_about_{name}" for name in EXPORT_SECTIONS))


def _iso(unix: int | None, zone: ZoneInfo) -> str | None:
    if unix is None:
        return None
    return datetime.fromtimestamp(unix, UTC).astimezone(zone).isoformat()


def _reminder(record: ReminderRecord | None, zone: ZoneInfo) -> dict[str, Any] | None:
    if record is None:
        return None
    try:
        days = [WEEKDAYS[day] for day in sorted(mask_to_days(record.days))]
    except ValueError:
        days = []  # a broken mask in the row: no day
    return {
        "time": record.local_time,
        "time_zone": record.time_zone,
        "days": days,
        "on": record.enabled,
        "paused_until": _iso(record.paused_until, zone),
        "morning_check_in": record.checkin_enabled,
        "set_up_at": _iso(record.created_at, zone),
    }


def _nights(sent: Sequence[str], done: Sequence[str]) -> list[dict[str, Any]]:
    sent_days, done_days = set(sent), set(done)
    return [
        {"date": day, "reminder_sent": day in sent_days, "routine_done": day in done_days}
        for day in sorted(sent_days | done_days)
    ]


def _entry(record: DiaryRecord, zone: ZoneInfo) -> dict[str, Any]:
    return {
        # In the zone the entry was logged in: the clock time the person meant, with its offset.
        "time": _iso(record.occurred_at, ZoneInfo(record.time_zone) if record.time_zone else zone),
        "date": record.local_date,
        "site": record.site,
        "side": record.side,
        "severity": record.severity,
        "duration": record.duration,
        "note": record.note,
        "logged_via": record.source,
    }


def export_document(
    user: UserRecord,
    reminder: ReminderRecord | None,
    sent_dates: Sequence[str],
    done_dates: Sequence[str],
    diary: Sequence[DiaryRecord],
    texts: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    """The JSON document (a dict for ``json.dumps``). Times are in the user's zone (UTC when
    none is known), which ``time_zone`` names; dates are the user's local days."""
    zone = zone_or_utc(user.time_zone)
    settings = user.settings
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now.astimezone(zone).isoformat(timespec="seconds"),
        "time_zone": zone.key,
        "about": {
            "description": texts["export_about"],
            "fields": {name: texts[f"export_about_{name}"] for name in EXPORT_SECTIONS},
            "codes": {
                "site": list(SITES),
                "side": list(SIDES),
                "duration": list(DURATIONS),
                "severity": "1-10",
                "days": list(WEEKDAYS),
                "logged_via": list(SOURCES),
            },
        },
        "profile": {
            "telegram_user_id": user.user_id,
            "language": user.language,
            "time_zone": user.time_zone,
            "country": settings.country,
            "first_seen": _iso(user.created_at, zone),
            "last_seen": _iso(user.last_seen_at, zone),
            "diary_keep_days": settings.diary_retention_days,
            "medicines": settings.medicines,
            "doctor_suggestion_shown": dict(settings.diary_nudged),
        },
        "reminder": _reminder(reminder, zone),
        "reminder_nights": _nights(sent_dates, done_dates),
        "diary": [_entry(record, zone) for record in diary],
    }
