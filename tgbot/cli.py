"""``tgbot`` command line: run, backup, migrate-store, warm, health (and chat, ask, eval,
standin: devtools)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvloop
from telegram.error import InvalidToken

from tgbot.config import (
    ConfigError,
    Settings,
    check_webhook_mode,
    load_settings,
    parse_database_url,
)
from tgbot.content import ContentError
from tgbot.health import heartbeat_path, is_healthy
from tgbot.logs import configure_logging
from tgbot.storage import StorageError

DEFAULT_STANDIN_PORT = 8081
REJECTED_TOKEN = "tgbot: Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)"
# These run on the development tools, a separate distribution the production image leaves out.
DEVTOOLS_COMMANDS = frozenset({"chat", "ask", "eval", "standin"})
DEVTOOLS_INSTALL = "pip install -e ./devtools"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in DEVTOOLS_COMMANDS and importlib.util.find_spec("tgbot_devtools") is None:
        print(
            f"tgbot {args.command} needs the development tools: {DEVTOOLS_INSTALL}",
            file=sys.stderr,
        )
        return 2
    try:
        settings = load_settings(require_token=args.command == "run")
        return int(args.handler(args, settings) or 0)
    except ConfigError as exc:
        print(f"tgbot: configuration error: {exc}", file=sys.stderr)
    except ContentError as exc:
        print(f"tgbot: content error: {exc}", file=sys.stderr)
    except StorageError as exc:
        print(f"tgbot: cannot open the database: {exc}", file=sys.stderr)
    except InvalidToken:
        print(
            "tgbot: Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)",
            file=sys.stderr,
        )
    except KeyboardInterrupt:
        return 130
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tgbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the real bot (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on TGBOT_WEBHOOK_LISTEN (needs TGBOT_WEBHOOK_URL and "
        "TGBOT_WEBHOOK_SECRET) instead of polling; several replicas may share PostgreSQL",
    )
    run.add_argument(
        "--no-polling",
        action="store_true",
        help="send reminders only, no getUpdates: a further replica of a polling bot on a "
        "shared PostgreSQL (Telegram allows one poller per token)",
    )
    run.set_defaults(handler=_run)

    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no token needed)")
    chat.add_argument("--lang", default=_terminal_language(), help="your language code")
    chat.set_defaults(handler=_chat)

    ask = sub.add_parser("ask", help="print the bot's reply to one message")
    ask.add_argument("text")
    ask.add_argument("--lang", default="en", help="the sender's language code")
    ask.add_argument("--json", action="store_true", help="print what was understood, as JSON")
    ask.set_defaults(handler=_ask)

    evaluate = sub.add_parser(
        "eval", help="score the bot's replies on question files, by triage level"
    )
    evaluate.add_argument("files", type=Path, nargs="+", metavar="file")
    evaluate.add_argument("--lang", default=None, help="only items in this language")
    evaluate.add_argument(
        "--levels",
        action="store_true",
        help="exit 1 if any red flag is under-triaged (the report is printed either way)",
    )
    evaluate.set_defaults(handler=_eval)

    health = sub.add_parser("health", help="exit 0 if the running bot's heartbeat is fresh")
    health.set_defaults(handler=_health)

    backup = sub.add_parser(
        "backup", help="copy the database to PATH while the bot runs (SQLite's online backup)"
    )
    backup.add_argument("path", type=Path, metavar="PATH")
    backup.set_defaults(handler=_backup)

    move = sub.add_parser(
        "migrate-store",
        help="copy every row from one database into another, empty one (stop the bot first)",
    )
    move.add_argument("--from", dest="source", required=True, metavar="URL", help="sqlite:///path")
    move.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="postgresql://user@host/db"
    )
    move.set_defaults(handler=_migrate_store)

    warm = sub.add_parser(
        "warm", help="embed the exemplar sentences now, so start-up reads them from the cache"
    )
    warm.set_defaults(handler=_warm)

    standin = sub.add_parser("standin", help="serve the local Bot API stand-in over HTTP")
    standin.add_argument("--host", default="127.0.0.1")
    standin.add_argument("--port", type=int, default=DEFAULT_STANDIN_PORT)
    standin.add_argument("--token", default=None, help="the bot token it accepts")
    standin.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="round trip added to every call (Telegram: 50-200)",
    )
    standin.add_argument("--jitter-ms", type=float, default=0.0, help="± this much, uniformly")
    standin.add_argument(
        "--deliver-webhooks",
        action="store_true",
        help="POST updates to the URL the bot gives setWebhook, as Telegram does",
    )
    standin.set_defaults(handler=_standin)
    return parser


def _setup_logging(level: int, token: str | None = None, log_format: str = "text") -> None:
    configure_logging(level, [token] if token else (), json_lines=log_format == "json")


def _quiet_logging(settings: Settings) -> None:
    """Terminal modes print the conversation; only problems go to stderr."""
    _setup_logging(max(settings.log_level_number, logging.WARNING), settings.token)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from tgbot.app import ALLOWED_UPDATES, build_application, database_ready, run_without_polling
    from tgbot.metrics import set_replica

    if args.webhook:
        check_webhook_mode(settings)  # before anything starts: a one-line refusal
    secrets = [s for s in (settings.token, settings.webhook_secret) if s]
    configure_logging(settings.log_level_number, secrets, json_lines=settings.log_format == "json")
    set_replica(settings.replica_id)
    # uvloop's event loop: ~8 % less CPU per update in webhook mode (bench/README.md).
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    beat = heartbeat_path(settings.db_path)
    app = build_application(settings, heartbeat=beat)
    if settings.metrics_listen:
        from tgbot.metrics import serve

        ready = functools.partial(database_ready, app)
        serve(settings.metrics_listen, ready=ready, healthy=lambda: is_healthy(beat))
    if args.webhook:
        from tgbot.webhook import run_webhook

        run_webhook(app, settings, healthy=lambda: is_healthy(beat))
        return 0
    if args.no_polling:
        asyncio.run(run_without_polling(app))
        return 0
    # run_polling stops gracefully on SIGINT/SIGTERM and closes the database (post_shutdown).
    app.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


def _health(args: argparse.Namespace, settings: Settings) -> int:
    return 0 if is_healthy(heartbeat_path(settings.db_path)) else 1


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from tgbot_devtools.terminal import chat

    _quiet_logging(settings)
    asyncio.run(chat(settings, args.lang))
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from tgbot_devtools.terminal import ask

    _quiet_logging(settings)
    if args.json:
        from tgbot_devtools.terminal import ask_json

        reply = asyncio.run(ask_json(settings, args.text, args.lang))
        print(json.dumps(reply, ensure_ascii=False))
        return 0
    print(asyncio.run(ask(settings, args.text, args.lang)))
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from tgbot_devtools.evaluation import format_report
    from tgbot_devtools.terminal import evaluate_file

    missing = [f for f in args.files if not f.is_file()]
    if missing:
        print(f"tgbot: no such questions file: {missing[0]}", file=sys.stderr)
        return 2
    _quiet_logging(settings)
    under = 0
    for path in args.files:
        report = asyncio.run(evaluate_file(settings, path, args.lang))
        print(format_report(report, str(path)), end="\n\n")
        under += report.all.under
    return 1 if args.levels and under else 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from tgbot.storage.database import backup_database

    if settings.database_url is not None:
        print("tgbot: backup copies SQLite; back up PostgreSQL with pg_dump", file=sys.stderr)
        return 2
    try:
        pages = backup_database(settings.db_path, args.path)
    except StorageError as exc:
        print(f"tgbot: backup failed: {exc}", file=sys.stderr)
        return 2
    print(f"backed up {settings.db_path} to {args.path} ({pages} pages)")
    return 0


def _migrate_store(args: argparse.Namespace, settings: Settings) -> int:
    from tgbot.storage.transfer import migrate_store

    source = parse_database_url(args.source, "--from")
    target = parse_database_url(args.target, "--to")
    try:
        copied = asyncio.run(migrate_store(source, target))
    except StorageError as exc:
        print(f"tgbot: migrate-store: {exc}", file=sys.stderr)
        return 2
    for table, rows in copied.items():
        print(f"{table}: {rows} rows")
    print(f"copied {sum(copied.values())} rows")
    return 0


def _warm(args: argparse.Namespace, settings: Settings) -> int:
    from tgbot.caching import cache_dir
    from tgbot.content import load_content
    from tgbot.services.understanding.understander import understander_for

    _quiet_logging(settings)
    for catalog in load_content(settings.messages_dir).catalogs.values():
        understander_for(catalog, settings.encoder)
    print(f"exemplar embeddings ({settings.encoder}) cached in {cache_dir()}")
    return 0


def _standin(args: argparse.Namespace, settings: Settings) -> int:
    from tgbot.app import STANDIN_TOKEN
    from tgbot_devtools.standin import FakeBotAPI
    from tgbot_devtools.standin.api import Latency
    from tgbot_devtools.standin.http_server import serve_forever

    _setup_logging(settings.log_level_number)
    token = args.token or settings.token or STANDIN_TOKEN
    try:
        latency = Latency(args.latency_ms, args.jitter_ms)
    except ValueError as exc:
        print(f"tgbot standin: {exc}", file=sys.stderr)
        return 2
    api = FakeBotAPI(token, latency=latency)
    asyncio.run(
        serve_forever(args.host, args.port, token, api=api, deliver_webhooks=args.deliver_webhooks)
    )
    return 0


def _terminal_language() -> str:
    lang = os.environ.get("LANG", "en").split(".")[0]
    return lang if lang and lang not in ("C", "POSIX") else "en"


if __name__ == "__main__":
    sys.exit(main())
