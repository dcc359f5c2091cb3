"""Load ``messages/<lang>/`` into an immutable catalogue and refuse anything broken.

A broken file stops start-up with a ``ContentError`` naming the file and the key, so a
translator or clinician sees exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from tgbot.content.checks import (
    EMERGENCY_PLACEHOLDER,
    PLACEHOLDER_RE,
    ContentError,
    check_label,
    check_text,
    fill_sample,
    parse_each_file_once,
    read_yaml,
)
from tgbot.content.contracts import (
    CONCEPTS_THE_CODE_READS,
    SETTINGS_LABELS,
    SETTINGS_TEXTS,
    check_screens_the_code_opens,
)
from tgbot.content.diary_texts import load_diary_texts
from tgbot.content.emergency import load_emergency
from tgbot.content.languages import check_translations
from tgbot.content.matching_rules import load_matcher
from tgbot.content.model import Catalog, Command, Screen
from tgbot.content.not_spoken import load_not_spoken
from tgbot.content.plurals import PluralText, load_plural
from tgbot.content.reminder_texts import load_reminder_texts
from tgbot.content.routines import load_routines
from tgbot.content.screens import link_screens, load_screen_files
from tgbot.content.semantic import SEMANTIC_FILE, load_semantic, with_default_language
from tgbot.content.triage import load_triage
from tgbot.services.understanding.matching import Matcher
from tgbot.telegram_html import parse_html, utf16_len

DEFAULT_LANGUAGE = "en"
MAX_COMMAND_DESCRIPTION = 256
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
LANGUAGE_DIR_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
MATCHING_FILE = "matching.yaml"

REQUIRED_UI_KEYS = (
    "nav_back",
    "nav_home",
    "footer",
    "welcome",
    "help",
    "privacy",
    "forget_confirm",
    "forget_yes",
    "forget_no",
    "forget_done",
    "forget_cancelled",
    "expired",
    "expired_toast",
    "private_only_toast",
    "group_goodbye",
    "admin_stats",
    "unknown_command",
    "non_text",
    "text_pointer",
    "edited_message",
    "error",
    "main_menu_title",
    "routine_progress",
    "routine_next",
    "routine_done",
    "routine_still_hurting",
    "routine_hold",
    "routine_holding",
    "routine_release",
    "triage_yes",
    "triage_no",
    "triage_progress",
    "did_you_mean",
    "thanks",
    "off_topic",
    "country_button",
    "country_prompt",
    "country_saved",
    "confirm_yes",
    "confirm_no",
    "confirm_note_emergency",
    "confirm_note_urgent",
    "confirm_note_see_doctor",
    "confirm_no_menu",
    "prompt_closed",
    "prompt_left_open_note",
    "prompt_left_open_when",
    # /forget's list of what it deletes, and its export button
    "forget_item_reminder",
    "forget_item_settings",
    "forget_export",
    *SETTINGS_TEXTS,
    *SETTINGS_LABELS,
)
# Shown on buttons or as popups: plain text, short.
BUTTON_UI_KEYS = (
    "nav_back",
    "nav_home",
    "forget_yes",
    "forget_no",
    "routine_next",
    "routine_done",
    "routine_still_hurting",
    "triage_yes",
    "triage_no",
    "country_button",
    "confirm_yes",
    "confirm_no",
    "forget_export",
)
POPUP_UI_KEYS = {"expired_toast": 200, "private_only_toast": 200}
PROGRESS_PLACEHOLDERS = ("n", "total")
PROGRESS_UI_KEYS = ("routine_progress", "triage_progress")
# The hold timer: its button (a label) and its countdown line, each with the seconds.
HOLD_PLACEHOLDER = "seconds"
HOLD_UI_KEYS = ("routine_hold", "routine_holding")
# The operator's /stats: the counts services/operations.py BotStats carries (a test keeps
# the two in step).
ADMIN_STATS_PLACEHOLDERS = (
    "users", "reminders_on", "reminders_sent_today", "reminders_sent", "reminders_blocked",
    "reminders_failed", "reminders_retried", "reminders_late", "reminders_missed",
    "queue_depth", "in_flight", "errors_today",
)  # fmt: skip

# /forget's confirmation: the lines listing what it deletes, and the count of entries.
FORGET_UI_PLACEHOLDERS = {"forget_confirm": ("items",)}
# ui.yaml texts in CLDR plural forms: key -> the placeholder holding the number.
PLURAL_UI_KEYS = {"forget_item_diary": "count"}


@dataclass(frozen=True)
class Content:
    catalogs: Mapping[str, Catalog]
    not_spoken: Mapping[str, str] = field(default_factory=dict)  # code -> apology line

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.catalogs))

    def resolve_language(self, code: str | None) -> str:
        """IETF tag → a language we have: exact, then base language, then the default."""
        if code:
            tag = _tag(code)
            for candidate in (tag, tag.split("-")[0]):
                if candidate in self.catalogs:
                    return candidate
        return DEFAULT_LANGUAGE

    def not_spoken_line(self, code: str | None) -> str | None:
        """The apology for a Telegram language we do not speak ("fr-CA" -> French's)."""
        if not code:
            return None
        base = _tag(code).split("-")[0]
        return None if base in self.catalogs else self.not_spoken.get(base)

    def catalog(self, code: str | None) -> Catalog:
        return self.catalogs[self.resolve_language(code)]


def _tag(code: str) -> str:
    """Telegram's language_code as a lowercase IETF tag ("pt_BR" -> "pt-br")."""
    return code.lower().replace("_", "-")


def messages_dir() -> Path:
    """The installed ``tgbot/messages`` when packaged, else the checkout's ``messages/``."""
    packaged = Path(str(resources.files("tgbot"))) / "messages"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "messages"


def load_content(root: Path | None = None) -> Content:
    root = root or messages_dir()
    if not root.is_dir():
        raise ContentError(f"{root}: messages folder not found")
    folders = [d for d in sorted(root.iterdir()) if d.is_dir() and LANGUAGE_DIR_RE.match(d.name)]
    default = root / DEFAULT_LANGUAGE
    if default not in folders:
        raise ContentError(f"{root}: no '{DEFAULT_LANGUAGE}' folder (the default language)")
    with parse_each_file_once():
        # Before the catalogues: "key missing (en has it)" says more than what it breaks.
        check_translations(default, [d for d in folders if d != default])
        catalogs = {d.name: load_catalog(d) for d in folders}
    return Content(_with_default_exemplars(catalogs), load_not_spoken(root, catalogs))


def _with_default_exemplars(catalogs: dict[str, Catalog]) -> dict[str, Catalog]:
    """Every language's semantic tier also holds the default language's exemplars."""
    default = catalogs[DEFAULT_LANGUAGE].semantic
    if default is None:
        return catalogs
    return {
        code: catalog
        if code == DEFAULT_LANGUAGE or catalog.semantic is None
        else replace(catalog, semantic=with_default_language(catalog.semantic, default))
        for code, catalog in catalogs.items()
    }


def load_catalog(folder: Path) -> Catalog:
    ui, ui_plurals = _load_ui(folder / "ui.yaml")
    commands = _load_commands(folder / "commands.yaml")
    emergency = load_emergency(folder / "emergency.yaml")
    screens = link_screens(
        [
            *load_screen_files(folder / "screens"),
            *load_routines(folder / "routines", ui),
            *load_triage(folder / "triage.yaml", ui),
        ]
    )
    _check_footer_fits(screens, ui["footer"])
    check_screens_the_code_opens(screens, folder / "screens")
    matcher = _load_matcher(folder / MATCHING_FILE, screens.keys())
    reminders = load_reminder_texts(folder / "reminders.yaml")
    concepts = matcher.defined_concepts if matcher is not None else None
    diary = load_diary_texts(folder / "diary.yaml", concepts, screens.keys())
    semantic = load_semantic(folder / SEMANTIC_FILE, screens.keys())
    return Catalog(
        folder.name,
        ui,
        commands,
        screens,
        emergency,
        reminders,
        diary,
        matcher,
        semantic,
        ui_plurals,
    )


def _load_ui(path: Path) -> tuple[dict[str, str], dict[str, PluralText]]:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping of key: text")
    for key in (*REQUIRED_UI_KEYS, *PLURAL_UI_KEYS):
        if key not in data:
            raise ContentError(f"{path}: {key}: required text is missing")
    language = path.parent.name
    plurals = {
        key: load_plural(data[key], language, f"{path}: {key}", count)
        for key, count in PLURAL_UI_KEYS.items()
    }
    texts = {
        str(key): _ui_text(str(key), value, f"{path}: {key}")
        for key, value in data.items()
        if key not in PLURAL_UI_KEYS
    }
    return texts, plurals


def _ui_text(key: str, value: object, where: str) -> str:
    if key in HOLD_UI_KEYS:
        if f"{{{HOLD_PLACEHOLDER}}}" not in str(value):
            raise ContentError(f"{where}: must show the seconds with {{{HOLD_PLACEHOLDER}}}")
        if key == "routine_hold":
            check_label(value, where)
        return check_text(value, where, placeholders=(HOLD_PLACEHOLDER,))
    if key in BUTTON_UI_KEYS:
        return check_label(value, where)
    if key in SETTINGS_LABELS:
        label = check_label(value, where)
        names = SETTINGS_LABELS[key]
        if set(PLACEHOLDER_RE.findall(label)) - set(names) or "<" in label:
            listed = ", ".join("{" + name + "}" for name in names) or "none"
            raise ContentError(f"{where}: plain text with only these placeholders: {listed}")
        return label
    if key in POPUP_UI_KEYS:
        text = str(value).strip()
        if not text or len(text) > POPUP_UI_KEYS[key] or "<" in text:
            raise ContentError(f"{where}: popup text must be plain and ≤ 200 characters")
        return text
    allowed: tuple[str, ...] = (EMERGENCY_PLACEHOLDER,)
    if key in PROGRESS_UI_KEYS:
        allowed = PROGRESS_PLACEHOLDERS
    elif key == "admin_stats":
        allowed = ADMIN_STATS_PLACEHOLDERS
    elif key in FORGET_UI_PLACEHOLDERS:
        allowed = FORGET_UI_PLACEHOLDERS[key]
    elif key in SETTINGS_TEXTS:
        allowed = SETTINGS_TEXTS[key]
    return check_text(value, where, placeholders=allowed)


def _load_commands(path: Path) -> tuple[Command, ...]:
    data = read_yaml(path)
    if not isinstance(data, list) or not data:
        raise ContentError(f"{path}: expected a list of {{command, description}}")
    commands = []
    for index, item in enumerate(data):
        where = f"{path}: [{index}]"
        if not isinstance(item, dict):
            raise ContentError(f"{where}: expected {{command, description}}")
        command, description = str(item.get("command", "")), str(item.get("description", ""))
        if not COMMAND_RE.match(command):
            raise ContentError(f"{where}.command: 1-32 lowercase letters, digits or _")
        if not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION:
            raise ContentError(f"{where}.description: 1-256 characters")
        commands.append(Command(command, description))
    return tuple(commands)


def _check_footer_fits(screens: Mapping[str, Screen], footer: str) -> None:
    footer_plain = parse_html(footer)[0]
    for screen in screens.values():
        combined = parse_html(fill_sample(screen.text))[0] + "\n\n" + footer_plain
        if utf16_len(combined) > 4096:
            raise ContentError(
                f"{screen.source}: {screen.id}.text: too long once the footer is added "
                "(Telegram's limit is 4096 characters)"
            )


def _load_matcher(path: Path, screen_ids: Collection[str]) -> Matcher | None:
    if not path.is_file():
        return None
    return load_matcher(path, screen_ids, CONCEPTS_THE_CODE_READS)
