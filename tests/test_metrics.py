"""/metrics reads the reminder engine's counts at scrape time (the engine knows no Prometheus)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Harness
from tgbot.metrics import REGISTRY


async def test_metrics_read_the_reminder_engines_counts_at_scrape_time(bot: Harness) -> None:
    await bot.driver.user(user_id=906).send("/start")
    await bot.driver.user(user_id=906).send("/remind 22:15 Europe/Berlin")  # 21:15 UTC
    bot.clock.set(datetime(2026, 11, 21, 21, 17, tzinfo=UTC))  # two minutes late
    await bot.services.engine.tick()
    await bot.services.engine.idle()
    metrics = generate_latest(REGISTRY).decode()
    assert 'tgbot_reminders_total{outcome="sent"} 1.0' in metrics
    assert 'tgbot_reminder_events_total{event="late"} 1.0' in metrics
    assert 'tgbot_reminder_events_total{event="retried"} 0.0' in metrics
    assert "tgbot_reminders_queue_depth 0.0" in metrics
    assert label_values(metrics).isdisjoint({"906"})  # counts, never a user
    # Claim lag: the tick found it two minutes late; the next finds nothing due.
    assert "tgbot_reminders_claim_lag_seconds 120.0" in metrics
    await bot.services.engine.tick()
    assert "tgbot_reminders_claim_lag_seconds 0.0" in generate_latest(REGISTRY).decode()


def label_values(metrics: str) -> set[str]:
    """Every label value in a scrape (a user id would show up as one; sample values are sums
    of seconds, whose digits may contain anything)."""
    return {
        value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        for value in sample.labels.values()
    }
