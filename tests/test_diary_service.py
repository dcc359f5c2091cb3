"""Cramp diary domain: summaries (empty to a year of entries), trend, routine counts, nudges."""

from __future__ import annotations

import pickle
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from tgbot.services.diary.model import (
    DURATIONS,
    SITES,
    DiaryEntry,
    NudgeReason,
    RoutineComparison,
    nudges_due,
    period_stats,
    severity_band,
    summarize,
)

TODAY = date(2026, 11, 21)


def entry(
    day: date | int,
    site: str = "calf",
    *,
    severity: int | None = None,
    duration: str | None = None,
    note: str | None = None,
    id: int = 0,
) -> DiaryEntry:
    """A cramp at 03:00 UTC on ``day`` (a date, or days before TODAY)."""
    if isinstance(day, int):
        day = TODAY - timedelta(days=day)
    at = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
    return DiaryEntry(id, at, day, site, None, severity, duration, note)


def on_days(days_ago: list[int], **kwargs: object) -> list[DiaryEntry]:
    return [entry(ago, id=i, **kwargs) for i, ago in enumerate(days_ago)]  # type: ignore[arg-type]


def year_of_entries(count: int = 520, seed: int = 7) -> list[DiaryEntry]:
    rnd = random.Random(seed)
    result = []
    for i in range(count):
        ago = rnd.randrange(365)
        result.append(
            entry(
                ago,
                rnd.choice(SITES),
                severity=rnd.choice([None, *range(1, 11)]),
                duration=rnd.choice([None, *DURATIONS]),
                id=i,
            )
        )
    return result


# --- the model ---------------------------------------------------------------------------


def test_entry_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="site"):
        entry(0, "elbow")
    with pytest.raises(ValueError, match="severity"):
        entry(0, severity=11)
    with pytest.raises(ValueError, match="duration"):
        entry(0, duration="forever")
    with pytest.raises(ValueError, match="aware"):
        DiaryEntry(1, datetime(2026, 1, 1), date(2026, 1, 1), "calf", None, None, None, None)


def test_severity_bands() -> None:
    assert [severity_band(s) for s in (None, 1, 3, 4, 6, 7, 10)] == [
        "unrated",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
    ]


def test_entries_and_summaries_pickle() -> None:
    # The renderers receive them in a worker process.
    entries = year_of_entries(50)
    summary = summarize(entries, {TODAY - timedelta(days=3)}, TODAY)
    assert pickle.loads(pickle.dumps(entries)) == entries
    assert pickle.loads(pickle.dumps(summary)) == summary


# --- summarize -----------------------------------------------------------------------------


def test_empty_diary() -> None:
    summary = summarize([], set(), TODAY)
    assert summary.size == "empty"
    assert summary.current.cramps == summary.current.nights_with_cramps == 0
    assert summary.current.start == TODAY - timedelta(days=29)
    assert summary.previous.end == TODAY - timedelta(days=30)
    assert summary.current.mean_severity is None
    assert summary.current.by_site == {}
    assert summary.trend == "new"
    assert summary.top_site is None
    assert summary.routine is None


def test_tiny_diary() -> None:
    one = summarize([entry(2, "foot", severity=6)], set(), TODAY)
    assert one.size == "tiny"
    assert one.top_site == "foot"
    assert one.current.mean_severity == 6
    two = summarize([entry(2, "foot"), entry(5, "calf", id=1)], set(), TODAY)
    assert two.size == "tiny"
    assert two.top_site is None  # a tie: neither is "most"
    assert two.current.by_site == {"calf": 1, "foot": 1}  # ties in SITES order


def test_normal_diary_counts() -> None:
    entries = [
        entry(0, "calf", severity=8, duration="over_10", id=1),
        entry(0, "calf", severity=4, duration="1_to_10", id=2),  # same night
        entry(3, "foot", severity=None, duration=None, id=3),
        entry(10, "calf", severity=3, duration="under_1", id=4),
        entry(29, "hand", severity=5, duration="over_10", id=5),  # first day of the period
        entry(30, "neck", severity=9, id=6),  # previous period
        entry(-1, "calf", id=7),  # tomorrow (clock skew): ignored
    ]
    summary = summarize(entries, set(), TODAY)
    current = summary.current
    assert summary.size == "normal"
    assert current.cramps == 5
    assert current.nights_with_cramps == 4
    assert current.by_site == {"calf": 3, "foot": 1, "hand": 1}
    assert summary.top_site == "calf"
    assert current.mean_severity == pytest.approx((8 + 4 + 3 + 5) / 4)
    assert current.rated == 4
    assert current.max_severity == 8
    assert current.long_cramps == 2
    assert current.by_duration == {"under_1": 1, "1_to_10": 1, "over_10": 2, "unknown": 1}
    assert summary.previous.cramps == 1
    assert summary.previous.by_site == {"neck": 1}


@pytest.mark.parametrize(
    ("previous", "current", "trend"),
    [
        (10, 12, "up"),  # +2 and +20 %
        (10, 11, "same"),  # +1: chance
        (1, 2, "same"),
        (20, 17, "same"),  # -15 %
        (20, 16, "down"),
        (0, 5, "up"),  # logged before, none last period
        (0, 0, "same"),
    ],
)
def test_trend(previous: int, current: int, trend: str) -> None:
    old = entry(200, id=999)  # history before both periods: the diary is not new
    entries = [old]
    entries += on_days([40] * previous)
    entries += on_days([5] * current)
    assert summarize(entries, set(), TODAY).trend == trend


def test_trend_new_without_history() -> None:
    assert summarize(on_days([1, 2, 3, 4]), set(), TODAY).trend == "new"


def test_routine_comparison_counts() -> None:
    # Reminders began 10 days ago: days 10..1 ago count (today is still ahead).
    since = TODAY - timedelta(days=10)
    done = {TODAY - timedelta(days=ago) for ago in (1, 2, 3, 8, 20, 0)}  # 20: before, 0: today
    entries = on_days([1, 1, 5, 6, 8, 12, 0])  # 12: before reminders, 0: today
    routine = summarize(entries, done, TODAY, reminders_since=since).routine
    assert routine == RoutineComparison(
        cramps_with=3,  # day 1 twice, day 8
        nights_with=4,  # days 1, 2, 3, 8
        cramps_without=2,  # days 5, 6
        nights_without=6,  # days 4, 5, 6, 7, 9, 10
        cramp_nights_with=2,
        cramp_nights_without=2,
    )
    assert routine.days == 10


def test_routine_defaults_to_first_done_date() -> None:
    done = {TODAY - timedelta(days=4), TODAY - timedelta(days=2)}
    routine = summarize(on_days([3]), done, TODAY).routine
    assert routine is not None
    assert (routine.nights_with, routine.nights_without) == (2, 2)  # days 4..1 ago
    assert (routine.cramps_with, routine.cramps_without) == (0, 1)


def test_routine_none_before_a_complete_day() -> None:
    assert summarize(on_days([0]), set(), TODAY, reminders_since=TODAY).routine is None
    assert summarize(on_days([0]), set(), TODAY).routine is None


def test_routine_window_starts_at_the_period() -> None:
    since = TODAY - timedelta(days=100)
    routine = summarize([], set(), TODAY, 30, reminders_since=since).routine
    assert routine is not None
    assert routine.days == 29  # days 29..1 ago


def test_year_of_entries() -> None:
    entries = year_of_entries()
    done = {TODAY - timedelta(days=ago) for ago in range(0, 365, 2)}
    year = summarize(entries, done, TODAY, 365)
    assert year.size == "normal"
    assert year.current.cramps == len(entries)
    assert sum(year.current.by_site.values()) == len(entries)
    assert sum((year.current.by_duration or {}).values()) == len(entries)
    assert year.current.nights_with_cramps == len({e.local_date for e in entries})
    month = summarize(entries, done, TODAY, 30)
    in_month = [e for e in entries if e.local_date > TODAY - timedelta(days=30)]
    assert month.current.cramps == len(in_month)
    assert month.trend in ("up", "down", "same")
    assert month.routine is not None
    assert month.routine.cramps_with + month.routine.cramps_without == month.current.cramps - sum(
        e.local_date == TODAY for e in entries
    )


def test_period_stats_rejects_reversed_dates() -> None:
    with pytest.raises(ValueError):
        period_stats([], TODAY, TODAY - timedelta(days=1))


# --- nudges --------------------------------------------------------------------------------


def test_quiet_diary_has_no_nudges() -> None:
    weekly = on_days(list(range(0, 70, 7)), severity=4, duration="1_to_10")
    assert nudges_due(weekly, TODAY, {}) == []
    assert nudges_due([], TODAY, {}) == []


def test_long_cramp() -> None:
    recent = [entry(1, duration="over_10")]
    assert nudges_due(recent, TODAY, {}) == [NudgeReason.LONG_CRAMP]
    old = [entry(3, duration="over_10")]
    assert nudges_due(old, TODAY, {}) == []


def test_most_nights() -> None:
    two_weeks = on_days([0, 2, 4, 6, 7, 9, 11, 13])  # 4 of 7 in each week
    assert nudges_due(two_weeks, TODAY, {}) == [NudgeReason.MOST_NIGHTS]
    one_week_only = on_days([0, 1, 2, 3, 4, 5, 6, 7, 9, 11])  # 7 nights, then 3
    assert NudgeReason.MOST_NIGHTS not in nudges_due(one_week_only, TODAY, {})


def test_sudden_increase() -> None:
    baseline = on_days([8, 15, 22, 29])  # one a week for the 4 weeks before
    surge = [entry(ago, id=100 + i) for i, ago in enumerate([0, 1, 3, 5])]
    assert nudges_due(baseline + surge, TODAY, {}) == [NudgeReason.SUDDEN_INCREASE]
    busier = on_days([8, 12, 15, 19, 22, 26, 29, 34])  # two a week over 4 full weeks
    # 4 is exactly twice the usual week: due.
    assert nudges_due(busier + surge, TODAY, {}) == [NudgeReason.SUDDEN_INCREASE]
    three_a_week = on_days([8, 9, 10, 15, 16, 17, 22, 23, 24, 29, 30, 31])
    five = [*surge, entry(6, id=200)]
    assert nudges_due(three_a_week + five, TODAY, {}) == []  # 5 < 2 x 3
    assert nudges_due(baseline + surge[:3], TODAY, {}) == []  # 3: below the minimum


def test_sudden_increase_needs_a_usual() -> None:
    new_diary = on_days([0, 1, 2, 3, 4, 10])  # started 10 days ago: no baseline yet
    assert NudgeReason.SUDDEN_INCREASE not in nudges_due(new_diary, TODAY, {})
    started_20_days_ago = on_days([0, 1, 3, 5, 20])  # two weeks of baseline: enough
    assert nudges_due(started_20_days_ago, TODAY, {}) == [NudgeReason.SUDDEN_INCREASE]


def test_reasons_come_most_important_first() -> None:
    entries = [*on_days([0, 2, 4, 6, 7, 9, 11, 13]), entry(0, duration="over_10", id=50)]
    assert nudges_due(entries, TODAY, {}) == [NudgeReason.LONG_CRAMP, NudgeReason.MOST_NIGHTS]


def every_night(days: int) -> list[DiaryEntry]:
    return on_days(list(range(days)))


def test_once_per_episode() -> None:
    reason = NudgeReason.MOST_NIGHTS
    entries = every_night(60)  # the condition has held for weeks
    assert nudges_due(entries, TODAY, {reason: TODAY}) == []
    assert nudges_due(entries, TODAY, {reason: TODAY - timedelta(days=3)}) == []
    # Still the same episode 30 days later: never repeated.
    assert nudges_due(entries, TODAY, {reason: TODAY - timedelta(days=30)}) == []


def test_new_episode_after_a_break() -> None:
    reason = NudgeReason.MOST_NIGHTS
    # Cramps every night, except a quiet week 16-23 days ago: the condition stopped holding.
    entries = on_days([ago for ago in range(60) if not 16 <= ago <= 23])
    assert nudges_due(entries, TODAY, {reason: TODAY - timedelta(days=30)}) == [reason]
    # The condition dipped a few days ago and holds again: a new episode, but the last
    # nudge was under 14 days ago, so still quiet.
    recent = on_days([ago for ago in range(60) if ago not in (5, 6, 7, 8)])
    assert nudges_due(recent, TODAY, {reason: TODAY - timedelta(days=12)}) == []


def test_long_cramp_once_per_episode() -> None:
    reason = NudgeReason.LONG_CRAMP
    first = entry(30, duration="over_10", id=1)
    again = entry(0, duration="over_10", id=2)
    # Nudged for the first long cramp a month ago; a new one today is a new episode.
    assert nudges_due([first, again], TODAY, {reason: TODAY - timedelta(days=30)}) == [reason]
    # Already shown today for this one.
    assert nudges_due([again], TODAY, {reason: TODAY}) == []


def test_future_nudge_dates_do_not_repeat() -> None:
    entries = [entry(0, duration="over_10")]
    tomorrow = TODAY + timedelta(days=1)  # a clock moved back
    assert nudges_due(entries, TODAY, {NudgeReason.LONG_CRAMP: tomorrow}) == []
