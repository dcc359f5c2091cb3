"""Code <-> content contracts, checked when the content loads: each broken on purpose in a copy
of messages/ must stop the load with a message naming the file and the key."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tgbot.content import Content, ContentError, load_content, messages_dir
from tgbot.content.contracts import (
    CONCEPTS_THE_CODE_READS,
    SCREENS_THE_CODE_OPENS,
    check_screens_the_code_opens,
)


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    """A writable copy of the real catalogue to break on purpose."""
    target = tmp_path / "messages"
    shutil.copytree(messages_dir(), target)
    return target


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
