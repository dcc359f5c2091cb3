"""docker-compose.yml: one SQLite container by default; PostgreSQL, three webhook replicas and
a reverse proxy in the "replicas" profile (no Docker here: the file is read as Compose would)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tgbot.config import ConfigError, check_webhook_mode, load_settings
from tgbot.storage.postgres import POOL_MAX
from tgbot.storage.updates import ARRIVAL_CONNECTIONS
from tgbot.webhook import MAX_TURNS

ROOT = Path(__file__).resolve().parents[1]
# The webhook gate's chats in progress and arrivals, the store's pool, the budget's listener.
CONNECTIONS_PER_REPLICA = MAX_TURNS + ARRIVAL_CONNECTIONS + POOL_MAX + 1


def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return {name: spec for name, spec in compose["services"].items()}


def replicas() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in services().items() if s.get("command", [])[-1:] == ["--webhook"]}


def test_a_plain_compose_up_starts_the_single_sqlite_bot_only() -> None:
    default = [name for name, spec in services().items() if not spec.get("profiles")]
    assert default == ["bot"]
    bot = services()["bot"]
    assert "TGBOT_DATABASE_URL" not in bot["environment"]
    assert "command" not in bot  # the image's own: tgbot run, long polling


def test_the_replicas_profile_runs_three_webhook_replicas_on_one_postgresql() -> None:
    found = replicas()
    assert len(found) == 3
    ids = set()
    for spec in found.values():
        assert spec["profiles"] == ["replicas"]
        env = spec["environment"]
        assert env["TGBOT_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["TGBOT_DATABASE_URL"]
        assert env["TGBOT_WEBHOOK_SECRET"] and env["TGBOT_WEBHOOK_URL"].startswith("https://")
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        ids.add(env["TGBOT_REPLICA_ID"])
    assert len(ids) == 3  # each replica names itself in metrics and claims
    postgres = services()["postgres"]
    assert postgres["profiles"] == ["replicas"] and "healthcheck" in postgres
    assert "ports" not in postgres  # reached only on the compose network
    allowed = int(postgres["command"][-1].split("=")[1])
    assert allowed >= 3 * CONNECTIONS_PER_REPLICA + 10  # and a few for the operator


def test_the_proxy_spreads_telegrams_calls_over_every_replica_and_checks_readiness() -> None:
    proxy = services()["proxy"]
    assert proxy["profiles"] == ["replicas"]
    assert set(proxy["depends_on"]) == set(replicas())
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    listens = {spec["environment"]["TGBOT_WEBHOOK_LISTEN"] for spec in replicas().values()}
    assert len(listens) == 1
    port = listens.pop().rsplit(":", 1)[1]
    upstreams = set(re.findall(r"(replica-\d+):(\d+)", caddyfile))
    assert upstreams == {(name, port) for name in replicas()}
    assert "health_uri /readyz" in caddyfile
    path = "/" + replicas()["replica-1"]["environment"]["TGBOT_WEBHOOK_URL"].split("/", 3)[3]
    assert f"handle {path}" in caddyfile  # the proxy forwards the path Telegram is given


def interpolated(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR:-default} and ${VAR:?message}, enough for this file."""

    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        assert op != ":?", f"{name} is required: {rest}"
        return rest

    return re.sub(r"\$\{(\w+)(:-|:\?)([^}]*)\}", one, value)


def test_each_replica_starts_in_webhook_mode_with_what_compose_gives_it() -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:TEST",
        "TGBOT_WEBHOOK_DOMAIN": "bot.example.org",
        "TGBOT_WEBHOOK_SECRET": "s3cret_-token",
        "TGBOT_POSTGRES_PASSWORD": "pw",
    }
    for name, spec in replicas().items():
        variables = {k: interpolated(str(v), env) for k, v in spec["environment"].items()}
        settings = load_settings(variables, dotenv_path=None)
        check_webhook_mode(settings)  # raises ConfigError on what a replica would refuse
        assert settings.replica_id == name
        assert settings.webhook_url == "https://bot.example.org/telegram"
        assert str(settings.store).startswith("postgresql://tgbot:pw@postgres:5432/")


def test_a_replica_without_its_secret_refuses_to_start() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123456:TEST", "TGBOT_WEBHOOK_DOMAIN": "bot.example.org"}
    spec = replicas()["replica-1"]
    variables = {k: interpolated(str(v), env) for k, v in spec["environment"].items()}
    with pytest.raises(ConfigError, match="TGBOT_WEBHOOK_SECRET"):
        check_webhook_mode(load_settings(variables, dotenv_path=None))
