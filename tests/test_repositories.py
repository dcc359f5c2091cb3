"""Every repository method against both stores: a SQLite file and a PostgreSQL schema of its
own (skipped, saying so, when no PostgreSQL server answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tgbot.storage import (
    DiaryRecord,
    DiaryRepository,
    ReminderRecord,
    ReminderRepository,
    Store,
    UserRepository,
    open_store,
)
from tgbot.storage.database import load_migrations
from tgbot.storage.users import UserSettings


@pytest.fixture
async def store(store_location: str | Path) -> AsyncIterator[Store]:
    database = await open_store(store_location)
    yield database
    await database.close()


async def test_a_new_store_is_migrated_and_reopening_applies_nothing_twice(
    store_location: str | Path,
) -> None:
    first = await open_store(store_location)
    try:
        assert await first.schema_version() == len(load_migrations(first.dialect))
        await UserRepository(first).touch(1, "en", now=100)
    finally:
        await first.close()
    second = await open_store(store_location)
    try:
        assert await second.schema_version() == len(load_migrations(second.dialect))
        assert await UserRepository(second).count() == 1
    finally:
        await second.close()


async def test_touch_creates_caches_and_refreshes_last_seen(store: Store) -> None:
    users = UserRepository(store)
    created = await users.touch(7, "en", now=1_000)
    assert (created.language, created.created_at, created.last_seen_at) == ("en", 1000, 1000)
    assert created.settings == UserSettings() and created.time_zone is None
    await users.set_language(7, "es")
    assert users.cached(7) is None  # a write forgets the cached row
    again = await users.touch(7, "en", now=1_010)
    assert again.language == "es" and again.last_seen_at == 1_000
    fresh = UserRepository(store)  # another process: no cache, the conditional update skips
    assert (await fresh.touch(7, "de", now=1_030)).last_seen_at == 1_000
    later = await users.touch(7, "en", now=2_000)
    assert later.last_seen_at == 2_000 and later.created_at == 1_000 and later.language == "es"
    assert await users.get(8) is None
    assert await users.count() == 1


async def test_settings_are_a_json_merge_patch(store: Store) -> None:
    users = UserRepository(store)
    await users.touch(7, "en", now=1)
    await users.update_settings(7, country="DE", medicines="magnesium")
    await users.update_settings(7, diary_retention_days=90, prompt={"what": "zone", "opened": 5})
    await users.update_settings(7, prompt={"page": 2}, medicines=None)  # objects merge
    await users.update_settings(7, diary_nudged={"most_nights": "2026-11-20"})
    with pytest.raises(ValueError, match="not a user setting: units"):
        await users.update_settings(7, units="metric")
    await users.set_time_zone(7, "Europe/Berlin")
    record = await users.get(7)
    assert record is not None
    assert record.settings == UserSettings(
        country="DE",
        prompt={"what": "zone", "opened": 5, "page": 2},
        diary_retention_days=90,
        diary_nudged={"most_nights": "2026-11-20"},
    )
    assert record.time_zone == "Europe/Berlin"
    await users.update_settings(7, prompt=None, country="ES")
    record = await UserRepository(store).get(7)
    assert record is not None
    assert (record.settings.prompt, record.settings.country) == (None, "ES")


async def test_delete_removes_the_user_and_everything_of_theirs(store: Store) -> None:
    users, reminders, diary = (
        UserRepository(store),
        ReminderRepository(store),
        DiaryRepository(store),
    )
    for uid in (7, 8):
        await users.touch(uid, "en", now=1)
        await reminders.save(reminder(uid, next_fire_at=50), now=1)
        await reminders.mark_sent(uid, "2026-11-20", 100, "2026-11-21", now=2)
        await reminders.mark_done(uid, "2026-11-20", now=3)
        await diary.add(entry(uid, occurred_at=10), now=4)
    assert await users.delete(7) is True
    assert await users.get(7) is None and await reminders.get(7) is None
    assert await diary.all_for(7) == [] and await reminders.sent_dates(7) == []
    assert await reminders.done_dates(7) == []
    assert await users.delete(7) is False
    assert await users.count() == 1 and len(await diary.all_for(8)) == 1
    assert await reminders.sent_dates(8) == ["2026-11-20"]


def reminder(uid: int, **fields: object) -> ReminderRecord:
    values: dict[str, object] = {
        "user_id": uid,
        "local_time": "22:15",
        "time_zone": "Europe/Berlin",
        "days": 127,
        "enabled": True,
        "next_local_date": "2026-11-21",
    }
    values.update(fields)
    return ReminderRecord(**values)  # type: ignore[arg-type]


async def test_reminders_save_get_and_replace(store: Store) -> None:
    users, reminders = UserRepository(store), ReminderRepository(store)
    await users.touch(7, "en", now=1)
    assert await reminders.get(7) is None
    await reminders.save(reminder(7, next_fire_at=500, paused_until=400), now=10)
    saved = await reminders.get(7)
    assert saved == reminder(
        7, next_fire_at=500, paused_until=400, checkin_enabled=True, created_at=10
    )
    await reminders.set_snooze(7, 600, now=11)
    await reminders.save(reminder(7, local_time="21:00", days=31, next_fire_at=700), now=12)
    replaced = await reminders.get(7)
    assert replaced is not None
    assert (replaced.local_time, replaced.days, replaced.next_fire_at) == ("21:00", 31, 700)
    assert replaced.snooze_at is None and replaced.created_at == 10  # created stays
    await reminders.save(reminder(7, enabled=False, next_fire_at=800), now=13)
    off = await reminders.get(7)
    assert off is not None and not off.enabled
    assert (off.next_fire_at, off.next_local_date) == (None, None)
    assert await reminders.count_enabled() == 0


async def test_due_finds_reminders_snoozes_and_check_ins_oldest_first(store: Store) -> None:
    users, reminders = UserRepository(store), ReminderRepository(store)
    for uid in range(1, 7):
        await users.touch(uid, "en", now=1)
    await reminders.save(reminder(1, next_fire_at=100), now=1)
    await reminders.save(reminder(2, next_fire_at=90), now=1)
    await reminders.save(reminder(3, next_fire_at=5_000), now=1)  # not yet
    await reminders.save(reminder(4, next_fire_at=5_000), now=1)
    await reminders.set_snooze(4, 95, now=1)
    await reminders.save(reminder(5, next_fire_at=5_000), now=1)
    await reminders.set_checkin(5, 80, "2026-11-20", now=1)
    await reminders.save(reminder(6, next_fire_at=50), now=1)
    assert await reminders.disable(6, now=2) is True
    assert await reminders.disable(6, now=2) is False

    due = await reminders.due(now=100, limit=10)
    assert [r.user_id for r in due] == [2, 1, 4, 5]
    assert [r.user_id for r in await reminders.due(now=100, limit=1)] == [2]
    assert [r.user_id for r in await reminders.due(now=100, limit=10, exclude={2, 4})] == [1, 5]
    checkin = next(r for r in due if r.user_id == 5)
    assert (checkin.checkin_at, checkin.checkin_date) == (80, "2026-11-20")

    await reminders.set_checkin_enabled(5, False, now=3)
    record = await reminders.get(5)
    assert record is not None and not record.checkin_enabled and record.checkin_at is None
    await reminders.set_checkin(5, 80, "2026-11-20", now=4)
    await reminders.set_checkin_enabled(5, True, now=5)  # on again: a pending one stays
    record = await reminders.get(5)
    assert record is not None and record.checkin_enabled and record.checkin_at == 80
    assert await reminders.count_enabled() == 5


async def test_sent_done_and_rescheduled_nights(store: Store) -> None:
    users, reminders = UserRepository(store), ReminderRepository(store)
    await users.touch(7, "en", now=1)
    await reminders.save(reminder(7, next_fire_at=100), now=1)
    await reminders.mark_sent(7, "2026-11-21", 200, "2026-11-22", now=101)
    await reminders.mark_sent(7, "2026-11-21", 200, "2026-11-22", now=102)  # a repeat: one row
    await reminders.set_snooze(7, 150, now=103)
    await reminders.mark_done(7, "2026-11-21", now=104)
    await reminders.mark_done(7, "2026-11-21", now=105)
    await reminders.reschedule(7, 300, "2026-11-23", now=201)
    await reminders.mark_sent(7, "2026-11-23", 400, "2026-11-24", now=301)
    record = await reminders.get(7)
    assert record is not None
    assert (record.last_sent_date, record.next_fire_at, record.next_local_date) == (
        "2026-11-23",
        400,
        "2026-11-24",
    )
    assert (record.last_done_date, record.snooze_at) == ("2026-11-21", None)
    assert await reminders.sent_dates(7) == ["2026-11-21", "2026-11-23"]
    assert await reminders.done_dates(7) == ["2026-11-21"]


def entry(uid: int, **fields: object) -> DiaryRecord:
    values: dict[str, object] = {
        "id": 0,
        "user_id": uid,
        "occurred_at": 1_000,
        "local_date": "2026-11-20",
        "site": "calf",
    }
    values.update(fields)
    return DiaryRecord(**values)  # type: ignore[arg-type]


async def test_diary_entries_belong_to_their_user(store: Store) -> None:
    users, diary = UserRepository(store), DiaryRepository(store)
    await users.touch(7, "en", now=1)
    await users.touch(8, "en", now=1)
    first = await diary.add(
        entry(
            7, side="left", severity=7, duration="1_to_10", note="100% 'quoted' ?", source="text"
        ),
        now=2,
    )
    second = await diary.add(entry(7, occurred_at=2_000, local_time="2026-11-20T03:00"), now=3)
    assert second > first
    stored = await diary.get(7, first)
    assert stored == entry(
        7,
        id=first,
        side="left",
        severity=7,
        duration="1_to_10",
        note="100% 'quoted' ?",
        source="text",
    )
    assert await diary.get(8, first) is None  # an id alone is not enough
    assert await diary.update(8, first, note="not mine") is False
    assert await diary.update(7, first, note=None, severity=3, time_zone="Europe/Berlin") is True
    with pytest.raises(ValueError, match="cannot change"):
        await diary.update(7, first, source="menu")
    changed = await diary.get(7, first)
    assert changed is not None
    assert (changed.note, changed.severity, changed.time_zone) == (None, 3, "Europe/Berlin")
    assert [e.id for e in await diary.between(7, 1_000, 2_000)] == [first]
    assert [e.id for e in await diary.all_for(7)] == [first, second]
    assert [e.id for e in await diary.without_zone(7)] == [second]
    assert await diary.delete(8, second) is False
    assert await diary.delete(7, second) is True
    assert await diary.delete(7, second) is False
    assert [e.id for e in await diary.all_for(7)] == [first]


async def test_retention_deletes_old_entries_of_users_who_chose_it(store: Store) -> None:
    users, diary = UserRepository(store), DiaryRepository(store)
    for uid, days in ((7, 90), (8, 365), (9, None)):
        await users.touch(uid, "en", now=1)
        if days is not None:
            await users.update_settings(uid, diary_retention_days=days)
        for occurred in (100, 200, 300):
            await diary.add(entry(uid, occurred_at=occurred), now=1)
    assert await diary.delete_older_than(90, cutoff=250) == 2
    assert [e.occurred_at for e in await diary.all_for(7)] == [300]
    assert len(await diary.all_for(8)) == 3 and len(await diary.all_for(9)) == 3
    assert await diary.delete_older_than(365, cutoff=150) == 1
    assert await diary.delete_older_than(90, cutoff=250) == 0
