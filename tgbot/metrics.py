"""Prometheus metrics and /healthz /readyz on a small optional HTTP port (TGBOT_METRICS_LISTEN),
and on the webhook port in webhook mode (tgbot/webhook.py serves the same answers).

Counts only: update types and outcomes, handler latency, Bot API errors by code, reminder
outcomes and events (retried, late, missed, rate-limited, held), the send queue's depth and
the sends in flight. No user id, no text, ever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    generate_latest,
    make_wsgi_app,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tgbot.services.reminders.engine import DeliveryStatus, EngineEvent, ReminderEngine

REGISTRY = CollectorRegistry(auto_describe=True)
UPDATES = Counter(
    "tgbot_updates", "Updates handled, by type and outcome", ["type", "outcome"], registry=REGISTRY
)
HANDLER_SECONDS = Histogram(
    "tgbot_handler_seconds",
    "Time to handle one update, by handler family",
    ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
BOT_API_ERRORS = Counter(
    "tgbot_bot_api_errors", "Bot API calls that failed, by code", ["code"], registry=REGISTRY
)

# tgbot_replica_info{replica="..."} 1: which replica a scrape came from (one series each).
REPLICA = Info("tgbot_replica", "This process's replica id (TGBOT_REPLICA_ID)", registry=REGISTRY)
WEBHOOK_REQUESTS = Counter(
    "tgbot_webhook_requests",
    "Webhook requests by outcome: handled, duplicate, unauthorized, bad_request, "
    "unavailable (the database), failed (a handler raised)",
    ["outcome"],
    registry=REGISTRY,
)


def set_replica(replica_id: str) -> None:
    REPLICA.info({"replica": replica_id})


def probe(path: str, ready: Callable[[], bool], healthy: Callable[[], bool]) -> bool | None:
    """/healthz and /readyz's answer (None: not a probe's path)."""
    if path == "/healthz":
        return healthy()
    if path == "/readyz":
        return ready()
    return None


def exposition() -> tuple[bytes, str]:
    """The /metrics body and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class _ReminderCollector(Collector):
    """Reads the engine's own counters at scrape time (the engine stays Prometheus-free)."""

    def __init__(self) -> None:
        self.engine: ReminderEngine | None = None

    def collect(self) -> Iterator[Metric]:
        outcomes = CounterMetricFamily(
            "tgbot_reminders", "Reminder sends since start, by outcome", labels=["outcome"]
        )
        events = CounterMetricFamily(
            "tgbot_reminder_events",
            "Reminder events since start: retried, late (over a minute), missed (over the grace "
            "window), rate_limited (Telegram's 429), record_held (outcome not stored yet)",
            labels=["event"],
        )
        in_flight = GaugeMetricFamily(
            "tgbot_reminders_in_flight", "Reminders claimed and not yet settled"
        )
        queue_depth = GaugeMetricFamily(
            "tgbot_reminders_queue_depth", "Claimed reminders waiting for the sender"
        )
        claim_lag = GaugeMetricFamily(
            "tgbot_reminders_claim_lag_seconds",
            "How late the oldest due reminder not yet settled is, at the last tick (any replica's)",
        )
        engine = self.engine
        if engine is not None:
            # Every series from the start, zeros included, so rate() and alerts see them.
            for status in (DeliveryStatus.SENT, DeliveryStatus.BLOCKED, DeliveryStatus.FAILED):
                outcomes.add_metric([status.value], engine.outcomes[status])
            for event in EngineEvent:
                events.add_metric([event.value], engine.events[event])
            in_flight.add_metric([], engine.in_flight)
            queue_depth.add_metric([], engine.queue_depth)
            claim_lag.add_metric([], engine.claim_lag)
        yield outcomes
        yield events
        yield in_flight
        yield queue_depth
        yield claim_lag


REMINDERS = _ReminderCollector()
REGISTRY.register(REMINDERS)


def attach_engine(engine: ReminderEngine | None) -> None:
    REMINDERS.engine = engine


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # one access line per scrape would flood the logs


def serve(listen: str, ready: Callable[[], bool], healthy: Callable[[], bool]) -> WSGIServer:
    """Serve /metrics, /healthz (the heartbeat is fresh) and /readyz (polling) in a thread."""
    host, _, port = listen.rpartition(":")
    metrics = make_wsgi_app(REGISTRY)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        ok = probe(path, ready, healthy)
        if ok is not None:
            start_response("200 OK" if ok else "503 Service Unavailable", [])
            return [b"ok\n" if ok else b"not yet\n"]
        if path == "/metrics":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        start_response("404 Not Found", [])
        return [b"not found\n"]

    server = make_server(host or "127.0.0.1", int(port), app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
