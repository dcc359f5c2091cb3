"""Code <-> content contracts, checked when the content loads: each broken on purpose in a copy
of messages/ must stop the load with a message naming the file and the key."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import english_catalogue_copy
from tgbot.content import Content, ContentError, checks, load_content
from tgbot.content.contracts import (
    CONCEPTS_THE_CODE_READS,
    SCREENS_THE_CODE_OPENS,
    check_screens_the_code_opens,
)
from tgbot.content.diary_texts import RENDER_LABEL_PLACEHOLDERS, load_diary_texts
from tgbot.services.diary.render import (
    CHART_LABEL_PLACEHOLDERS,
    CSV_COLUMN_KEYS,
    PDF_TEXT_PLACEHOLDERS,
)


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    """A writable copy of the real catalogue to break on purpose."""
    target = tmp_path / "messages"
    return english_catalogue_copy(target)


def edit_yaml(path: Path, change: Callable[[Any], object]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def rename_everywhere(root: Path, old: str, new: str) -> int:
    """Rename an id in every content file, so the content stays consistent with itself."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(old)}(?![\w-])")
    count = 0
    for path in root.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        changed, n = pattern.subn(new, text)
        if n:
            path.write_text(changed, encoding="utf-8")
            count += n
    return count


def load_error(root: Path) -> str:
    with pytest.raises(ContentError) as caught:
        load_content(root)
    return str(caught.value)


def test_the_real_content_keeps_every_contract(content: Content) -> None:
    for catalog in content.catalogs.values():
        assert catalog.screens.keys() >= SCREENS_THE_CODE_OPENS
        assert catalog.matcher is not None, f"{catalog.language}: no matching.yaml"
        assert catalog.semantic is not None, f"{catalog.language}: no semantic.yaml"
        assert catalog.matcher.defined_concepts >= CONCEPTS_THE_CODE_READS
        assert RENDER_LABEL_PLACEHOLDERS.keys() <= catalog.diary.extra.keys()
        assert catalog.diary.typed_sites.keys() <= catalog.matcher.defined_concepts
        assert catalog.diary.typed_severity.keys() <= catalog.matcher.defined_concepts


# ------------------------------------------------------------------ screens the code opens


@pytest.mark.parametrize("screen_id", sorted(SCREENS_THE_CODE_OPENS))
def test_each_screen_the_code_opens_is_required(content: Content, screen_id: str) -> None:
    screens = {k: v for k, v in content.catalog("en").screens.items() if k != screen_id}
    folder = Path("messages/en/screens")
    with pytest.raises(
        ContentError, match=rf"^messages/en/screens: {screen_id}: missing; the code"
    ):
        check_screens_the_code_opens(screens, folder)


@pytest.mark.parametrize("screen_id", ["serious_doctor", "log_cramp", "emergency_numbers"])
def test_a_screen_renamed_in_the_content_stops_the_load(messages: Path, screen_id: str) -> None:
    # Renamed in every file, links included, so only the code's contract is broken.
    assert rename_everywhere(messages, screen_id, f"{screen_id}_renamed") > 0
    message = load_error(messages)
    assert message == (
        f"{messages / 'en' / 'screens'}: {screen_id}: missing; the code opens this screen "
        "(tgbot/content/contracts.py)"
    )


# ------------------------------------------------------------------ concepts the code reads


@pytest.mark.parametrize("concept", sorted(CONCEPTS_THE_CODE_READS))
def test_each_concept_the_code_reads_is_required(messages: Path, concept: str) -> None:
    path = messages / "en" / "matching.yaml"
    text = path.read_text(encoding="utf-8")
    renamed, count = re.subn(rf"\b{concept}\b", f"{concept}_renamed", text)
    assert count > 0
    path.write_text(renamed, encoding="utf-8")
    message = load_error(messages)
    assert message == (
        f"{path}: concepts.{concept}: missing; the code reads this concept "
        "(tgbot/content/contracts.py)"
    )


def test_typed_log_names_only_concepts_of_matching_yaml(messages: Path) -> None:
    path = messages / "en" / "diary.yaml"
    edit_yaml(path, lambda d: d["typed_log"]["severity"].__setitem__("severity_awfull", 9))
    assert load_error(messages) == (
        f"{path}: typed_log.severity.severity_awfull: no concept of this name in matching.yaml"
    )


# ------------------------------------------------------------------ chart, PDF and CSV labels


def test_render_labels_cover_the_chart_pdf_and_csv() -> None:
    for contract in (CHART_LABEL_PLACEHOLDERS, PDF_TEXT_PLACEHOLDERS):
        for key, placeholders in contract.items():
            assert set(placeholders) <= set(RENDER_LABEL_PLACEHOLDERS[key]), key
    assert set(CSV_COLUMN_KEYS) <= RENDER_LABEL_PLACEHOLDERS.keys()
    assert RENDER_LABEL_PLACEHOLDERS["period"] == ("start", "end")  # handlers/diary/flow.py


@pytest.mark.parametrize("key", sorted(RENDER_LABEL_PLACEHOLDERS))
def test_each_render_label_is_required(messages: Path, key: str) -> None:
    path = messages / "en" / "diary.yaml"
    edit_yaml(path, lambda d: d["render"].pop(key))
    with pytest.raises(ContentError) as caught:
        load_diary_texts(path)
    assert str(caught.value) == (
        f"{path}: render.{key}: required label is missing (the chart, PDF or CSV uses it)"
    )


def test_a_missing_render_label_stops_the_whole_load(messages: Path) -> None:
    path = messages / "en" / "diary.yaml"
    edit_yaml(path, lambda d: d["render"].pop("pdf_title"))
    assert load_error(messages).startswith(f"{path}: render.pdf_title: required label")


def test_a_render_label_takes_only_the_placeholders_filled_in(messages: Path) -> None:
    path = messages / "en" / "diary.yaml"
    edit_yaml(path, lambda d: d["render"].__setitem__("period", "{start} – {ende}"))
    assert load_error(messages) == (
        f"{path}: render.period: unknown placeholder {{ende}} (allowed: {{start}}, {{end}})"
    )
    edit_yaml(path, lambda d: d["render"].__setitem__("period", "{start} – {end}"))
    edit_yaml(path, lambda d: d["render"].__setitem__("csv_note", "Note {note}"))
    assert load_error(messages) == (
        f"{path}: render.csv_note: unknown placeholder {{note}} (allowed: none)"
    )


def test_dates_come_from_cldr_not_from_a_list_to_translate(messages: Path) -> None:
    """Month names are CLDR's (Babel): a translator's leftover list is refused as a key
    English no longer has, not silently ignored."""
    shutil.copytree(messages / "en", messages / "eo")
    edit_yaml(messages / "eo" / "diary.yaml", lambda d: d["render"].__setitem__("months", "x"))
    assert load_error(messages).startswith(f"{messages / 'eo' / 'diary.yaml'}: render.months")


# ------------------------------------------------------------------ every language like en


@pytest.fixture
def second(messages: Path) -> Path:
    """A second language, an exact copy of English (Esperanto: CLDR gives it English's
    plural forms, and the bot has no folder for it)."""
    shutil.copytree(messages / "en", messages / "eo")
    return messages / "eo"


def test_a_faithful_translation_loads(messages: Path, second: Path) -> None:
    # Its own words may differ from English: matching.yaml is vocabulary, not translation.
    edit_yaml(second / "matching.yaml", lambda d: d["concepts"].__setitem__("palabra", ["hola"]))
    assert load_content(messages).languages == ("en", "eo")


def test_a_translation_missing_a_key_is_refused(messages: Path, second: Path) -> None:
    edit_yaml(second / "diary.yaml", lambda d: d["render"].pop("side_left"))
    assert load_error(messages) == f"{second / 'diary.yaml'}: render.side_left: missing (en has it)"


def test_a_translation_missing_a_button_is_refused(messages: Path, second: Path) -> None:
    path = second / "screens" / "main.yaml"
    edit_yaml(path, lambda d: d["main"]["buttons"][-1].pop())  # the last row's second button
    assert load_error(messages) == f"{path}: main.buttons[6][1].label: missing (en has it)"


def test_a_translation_with_an_extra_key_is_refused(messages: Path, second: Path) -> None:
    edit_yaml(second / "ui.yaml", lambda d: d.__setitem__("surplus", "Only in Spanish"))
    assert load_error(messages) == f"{second / 'ui.yaml'}: surplus: not in en"


def test_a_translation_losing_a_placeholder_is_refused(messages: Path, second: Path) -> None:
    path = second / "reminders.yaml"
    edit_yaml(
        path,
        lambda d: d["texts"].__setitem__("ask_zone", d["texts"]["ask_zone"].replace("{time}", "")),
    )
    assert load_error(messages) == (
        f"{path}: texts.ask_zone: placeholders none differ from en's {{time}}"
    )


def test_a_translation_missing_a_file_is_refused(messages: Path, second: Path) -> None:
    (second / "screens" / "twitching.yaml").unlink()
    assert load_error(messages) == (
        f"{second / 'screens' / 'twitching.yaml'}: file is missing (en has it)"
    )


# ------------------------------------------------------------------ one YAML reader


def test_every_content_file_is_parsed_by_the_one_reader(
    messages: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """content.checks.read_yaml (libyaml when installed) parses each file once; a loader with
    its own yaml.load would leave its file out. (An empty cache folder: nothing is kept from an
    earlier load, so every file is parsed.)"""
    monkeypatch.setenv("TGBOT_CACHE_DIR", str(tmp_path / "empty-cache"))
    parsed: list[str] = []
    reader = checks.YAML_LOADER

    class CountingLoader(reader):  # type: ignore[valid-type,misc]
        def __init__(self, stream: str) -> None:
            parsed.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(checks, "YAML_LOADER", CountingLoader)
    load_content(messages)
    files = sorted(messages.rglob("*.yaml"))  # English and not_spoken.yaml beside it
    assert sorted(parsed) == sorted(path.read_text(encoding="utf-8") for path in files)
