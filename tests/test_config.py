from __future__ import annotations

from datetime import UTC, time
from pathlib import Path

import pytest
import yaml

from tgbot.config import DEFAULT_DB_PATH, ConfigError, load_settings

GOOD_TOKEN = "123456:ABC-def_ghi"


def settings_from(env: dict[str, str], **kwargs: object):
    return load_settings(env, dotenv_path=None, **kwargs)  # type: ignore[arg-type]


def test_defaults_need_no_variables() -> None:
    settings = settings_from({})
    assert settings.token is None
    assert settings.api_base_url is None
    assert settings.db_path == DEFAULT_DB_PATH
    assert settings.log_level == "INFO"
    assert settings.admin_ids == frozenset()


def test_run_requires_the_token_and_names_it() -> None:
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN"):
        settings_from({}, require_token=True)


def test_a_malformed_token_is_named_but_never_echoed() -> None:
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN") as caught:
        settings_from({"TELEGRAM_BOT_TOKEN": "not-a-secret-token"})
    assert "not-a-secret-token" not in str(caught.value)


def test_the_token_never_appears_in_repr() -> None:
    settings = settings_from({"TELEGRAM_BOT_TOKEN": GOOD_TOKEN})
    assert settings.token == GOOD_TOKEN
    assert GOOD_TOKEN not in repr(settings)


@pytest.mark.parametrize("url", ["127.0.0.1:8081", "ftp://host", "http://", "http://h:99999"])
def test_a_bad_base_url_is_named(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^TELEGRAM_API_BASE_URL"):
        settings_from({"TELEGRAM_API_BASE_URL": url})


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"]
)
def test_base_url_is_normalised_to_the_server_root(url: str) -> None:
    assert settings_from({"TELEGRAM_API_BASE_URL": url}).api_base_url == "http://127.0.0.1:8081"


def test_log_level_and_admin_ids_are_validated() -> None:
    settings = settings_from({"TGBOT_LOG_LEVEL": "debug", "TGBOT_ADMIN_IDS": "1, 22,333"})
    assert settings.log_level == "DEBUG"
    assert settings.admin_ids == {1, 22, 333}
    with pytest.raises(ConfigError, match=r"^TGBOT_LOG_LEVEL"):
        settings_from({"TGBOT_LOG_LEVEL": "loud"})
    with pytest.raises(ConfigError, match=r"^TGBOT_ADMIN_IDS"):
        settings_from({"TGBOT_ADMIN_IDS": "1,bob"})


def test_db_path_cannot_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^TGBOT_DB_PATH"):
        settings_from({"TGBOT_DB_PATH": str(tmp_path)})


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"TELEGRAM_BOT_TOKEN={GOOD_TOKEN}\nTGBOT_LOG_LEVEL=ERROR\n")
    settings = load_settings({"TGBOT_LOG_LEVEL": "WARNING"}, dotenv_path=dotenv)
    assert settings.token == GOOD_TOKEN
    assert settings.log_level == "WARNING"


def test_the_compose_file_rotates_the_bots_logs() -> None:
    compose = Path(__file__).resolve().parents[1] / "docker-compose.yml"
    logging = yaml.safe_load(compose.read_text(encoding="utf-8"))["services"]["bot"]["logging"]
    assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) >= 2


def test_the_log_format_is_text_or_json() -> None:
    assert load_settings({}, dotenv_path=None).log_format == "text"
    assert load_settings({"TGBOT_LOG_FORMAT": "JSON"}, dotenv_path=None).log_format == "json"
    with pytest.raises(ConfigError, match="TGBOT_LOG_FORMAT"):
        load_settings({"TGBOT_LOG_FORMAT": "xml"}, dotenv_path=None)


def test_the_metrics_port_is_off_unless_given_as_host_and_port() -> None:
    assert load_settings({}, dotenv_path=None).metrics_listen is None
    listen = load_settings({"TGBOT_METRICS_LISTEN": "0.0.0.0:9108"}, dotenv_path=None)
    assert listen.metrics_listen == "0.0.0.0:9108"
    with pytest.raises(ConfigError, match="TGBOT_METRICS_LISTEN"):
        load_settings({"TGBOT_METRICS_LISTEN": "9108x"}, dotenv_path=None)


def test_the_nightly_backup_is_off_unless_a_folder_is_given(tmp_path: Path) -> None:
    settings = settings_from({})
    assert settings.backup_dir is None
    assert settings.backup_time == time(3, 30, tzinfo=UTC) and settings.backup_keep == 7
    on = settings_from(
        {
            "TGBOT_BACKUP_DIR": str(tmp_path / "backups"),
            "TGBOT_BACKUP_TIME": "4:05",
            "TGBOT_BACKUP_KEEP": "30",
        }
    )
    assert on.backup_dir == tmp_path / "backups"
    assert on.backup_time == time(4, 5, tzinfo=UTC) and on.backup_keep == 30


def test_the_backup_folder_cannot_be_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "backup.sqlite3"
    a_file.write_text("")
    with pytest.raises(ConfigError, match=r"^TGBOT_BACKUP_DIR"):
        settings_from({"TGBOT_BACKUP_DIR": str(a_file)})


@pytest.mark.parametrize("value", ["3.30", "24:00", "03:60", "0330", "03:30:00", "late", "-1:00"])
def test_a_bad_backup_time_is_named(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^TGBOT_BACKUP_TIME") as caught:
        settings_from({"TGBOT_BACKUP_TIME": value})
    assert len(str(caught.value).splitlines()) == 1


@pytest.mark.parametrize("value", ["0", "-3", "seven", "2.5", "٣"])
def test_a_bad_backup_keep_is_named(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^TGBOT_BACKUP_KEEP"):
        settings_from({"TGBOT_BACKUP_KEEP": value})


def test_a_postgresql_url_selects_postgresql_and_stays_out_of_repr() -> None:
    url = "postgresql://bot:s3cret@db.internal:5432/cramps"
    settings = settings_from({"TGBOT_DATABASE_URL": url})
    assert settings.database_url == url and settings.store == url
    assert settings.db_path == DEFAULT_DB_PATH  # still the heartbeat's folder
    assert "s3cret" not in repr(settings)
    socket = "postgresql:///cramps?host=/var/run/postgresql"
    assert settings_from({"TGBOT_DATABASE_URL": socket}).store == socket


def test_a_sqlite_url_or_nothing_keeps_sqlite(tmp_path: Path) -> None:
    assert settings_from({}).store == DEFAULT_DB_PATH
    relative = settings_from({"TGBOT_DATABASE_URL": "sqlite:///data/other.sqlite3"})
    assert relative.store == Path("data/other.sqlite3") and relative.database_url is None
    absolute = settings_from({"TGBOT_DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3"})
    assert absolute.db_path == tmp_path / "bot.sqlite3"
    same = {"TGBOT_DB_PATH": "a.sqlite3", "TGBOT_DATABASE_URL": "sqlite:///a.sqlite3"}
    assert settings_from(same).db_path == Path("a.sqlite3")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mysql://bot:s3cret@host/db", "not a 'mysql' URL"),
        ("bot:s3cret@host/db", "no scheme"),
        ("postgresql://bot:s3cret@host:99999/db", "port"),
        ("postgresql://bot:s3cret@host:5432", "no database"),
        ("postgresql://bot:s3cret@/db", "no host"),
        ("sqlite://bot.sqlite3", "three slashes"),
    ],
)
def test_a_bad_database_url_is_one_line_without_its_password(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=r"^TGBOT_DATABASE_URL must be") as caught:
        settings_from({"TGBOT_DATABASE_URL": url})
    message = str(caught.value)
    assert why in message and "\n" not in message and "s3cret" not in message


def test_two_different_sqlite_files_are_refused() -> None:
    with pytest.raises(ConfigError, match="two different SQLite files"):
        settings_from({"TGBOT_DB_PATH": "a.sqlite3", "TGBOT_DATABASE_URL": "sqlite:///b.sqlite3"})
