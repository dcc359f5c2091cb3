"""The catalogue in messages/ and the validator that guards it."""

from __future__ import annotations

import hashlib
import marshal
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import english_catalogue_copy
from tgbot.content import Content, ContentError, load_content
from tgbot.content.catalog import REQUIRED_UI_KEYS
from tgbot.content.checks import PARSED_CACHE
from tgbot.services.navigation import screen_callback
from tgbot.telegram_html import html_to_plain


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    """A writable copy of the real catalogue to break on purpose."""
    target = tmp_path / "messages"
    return english_catalogue_copy(target)


def edit_yaml(path: Path, change: Callable[[Any], object]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_real_catalogue_loads_with_all_required_texts(content: Content) -> None:
    catalog = content.catalog("en")
    assert set(REQUIRED_UI_KEYS) <= set(catalog.ui)
    assert "main" in catalog.screens and "disclaimer" in catalog.screens
    assert content.resolve_language("en-GB") == "en"
    assert content.resolve_language("xx") == "en"


def test_every_button_fits_telegrams_64_byte_callback_data(content: Content) -> None:
    for catalog in content.catalogs.values():
        for screen in catalog.screens.values():
            for row in screen.rows:
                for button in row:
                    assert len(screen_callback(button.to).encode()) <= 64


def test_no_screen_recommends_quinine_or_tonic_water(content: Content) -> None:
    # An imperative at the start of a sentence or bullet: "Try tonic water", "take quinine".
    advice = re.compile(
        r"(^|[.!?•:]\s*)(take|try|use|drink|have)\s+(some\s+)?(quinine|tonic water)", re.M
    )
    for screen in content.catalog("en").screens.values():
        assert not advice.search(html_to_plain(screen.text).lower()), screen.id


def test_emergency_help_is_shown_where_it_matters(content: Content) -> None:
    catalog = content.catalog("en")
    # As someone whose country is not known yet reads them.
    for screen_id in ("serious", "emergency_numbers"):
        text = html_to_plain(catalog.personalise(catalog.screens[screen_id].text, None))
        assert "112" in text and "999" in text and "911" in text
    assert "112" in html_to_plain(catalog.personalise(catalog.text("welcome"), None))


def _screen_file(root: Path, screen_id: str) -> Path:
    for path in sorted((root / "en" / "screens").glob("*.yaml")):
        if screen_id in (yaml.safe_load(path.read_text()) or {}):
            return path
    raise AssertionError(screen_id)


def test_a_dangling_button_is_caught_with_file_and_key(broken_copy: Path) -> None:
    path = _screen_file(broken_copy, "main")
    edit_yaml(path, lambda d: d["main"]["buttons"].append({"label": "Lost", "to": "nowhere"}))
    with pytest.raises(ContentError) as caught:
        load_content(broken_copy)
    message = str(caught.value)
    assert str(path) in message and "main.buttons[" in message and "nowhere" in message


def test_an_over_long_text_is_caught(broken_copy: Path) -> None:
    path = _screen_file(broken_copy, "stretches")
    edit_yaml(path, lambda d: d["stretches"].__setitem__("text", "Stretch. " * 500))
    with pytest.raises(ContentError, match=r"stretches\.text: .*4096"):
        load_content(broken_copy)


def test_invalid_html_is_caught(broken_copy: Path) -> None:
    path = _screen_file(broken_copy, "hydration")
    edit_yaml(path, lambda d: d["hydration"].__setitem__("text", "<b>Drink <i>water</b></i>"))
    with pytest.raises(ContentError, match=r"hydration\.text: invalid Telegram HTML"):
        load_content(broken_copy)


def test_an_orphan_screen_is_caught(broken_copy: Path) -> None:
    extra = broken_copy / "en" / "screens" / "zz_extra.yaml"
    extra.write_text("lonely:\n  text: Nobody links here.\n")
    with pytest.raises(ContentError, match=r"zz_extra\.yaml: lonely: orphan"):
        load_content(broken_copy)


def test_a_missing_ui_text_is_caught(broken_copy: Path) -> None:
    edit_yaml(broken_copy / "en" / "ui.yaml", lambda d: d.pop("welcome"))
    with pytest.raises(ContentError, match=r"ui\.yaml: welcome: required"):
        load_content(broken_copy)


def test_broken_yaml_is_caught(broken_copy: Path) -> None:
    (broken_copy / "en" / "commands.yaml").write_text("- {command: start, description: [")
    with pytest.raises(ContentError, match=r"commands\.yaml: not valid YAML"):
        load_content(broken_copy)


def test_a_second_language_is_a_second_folder(broken_copy: Path) -> None:
    for folder in broken_copy.iterdir():  # only English and a copy of it
        if folder.is_dir() and folder.name != "en":
            shutil.rmtree(folder)
    shutil.copytree(broken_copy / "en", broken_copy / "eo")
    content = load_content(broken_copy)
    assert content.languages == ("en", "eo")
    assert content.resolve_language("eo-XX") == "eo"


def test_packaged_wheel_ships_the_messages_not_the_dev_tools(tmp_path: Path) -> None:
    """`pip install .` (non-editable) must find its content from any directory; the
    development tools (devtools/) and their aiohttp stay out of it."""
    import subprocess
    import sys
    import zipfile

    # Built from a copy of what the Dockerfile copies: a build/ folder an earlier build left in
    # the checkout would still put modules into the wheel that have moved away since.
    checkout = Path(__file__).resolve().parents[1]
    root = tmp_path / "source"
    root.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(checkout / name, root / name)
    for folder in ("messages", "tgbot"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(checkout / folder, root / folder, symlinks=True, ignore=ignore)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        cwd=tmp_path,
    )
    [wheel] = tmp_path.glob("tgbot-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert "tgbot/messages/en/ui.yaml" in names
    assert any(n.startswith("tgbot/messages/en/screens/") for n in names)
    assert any(n.startswith("tgbot/storage/migrations/0001") for n in names)
    dev_tools = r"^tgbot/(standin/|terminal\.py|services/evaluation\.py)|^tgbot_devtools/"
    assert [n for n in names if re.match(dev_tools, n)] == []
    [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
    lines = archive.read(metadata).decode().splitlines()
    requires = [line for line in lines if line.startswith("Requires-Dist:")]
    # aiohttp is the bot's own Bot API client now (tgbot/http_client.py); the stand-in's other
    # needs stay out.
    assert [line for line in requires if "aiohttp" in line]
    runtime = [line for line in requires if "extra ==" not in line]
    assert not [line for line in runtime if "pypdf" in line or "pytest" in line]
    assert "tgbot/messages/not_spoken.yaml" in names


def test_parsed_files_are_kept_by_their_bytes_and_still_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second start reads the parsed files from the cache, yet a file edited since is
    parsed again and every content check runs on what was kept."""
    monkeypatch.setenv("TGBOT_CACHE_DIR", str(tmp_path / "cache"))
    messages = english_catalogue_copy(tmp_path / "messages")
    first = load_content(messages)
    kept = tmp_path / "cache" / PARSED_CACHE
    assert kept.is_file()
    assert (
        load_content(messages).catalogs["en"].screens.keys() == first.catalogs["en"].screens.keys()
    )

    ui = messages / "en" / "ui.yaml"
    ui.write_text(ui.read_text(encoding="utf-8") + "\n  oops: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"ui\.yaml: not valid YAML"):
        load_content(messages)

    kept.write_bytes(b"not marshal data")  # a broken cache is parsed around, not trusted
    ui.write_text(ui.read_text(encoding="utf-8").replace("\n  oops: [\n", "\n"), encoding="utf-8")
    assert (
        load_content(messages).catalogs["en"].screens.keys() == first.catalogs["en"].screens.keys()
    )


def test_the_parsed_cache_holds_only_the_last_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests and edits load many versions: the cache keeps one load's files, not all."""
    monkeypatch.setenv("TGBOT_CACHE_DIR", str(tmp_path / "cache"))
    messages = english_catalogue_copy(tmp_path / "messages")
    load_content(messages)
    ui = messages / "en" / "ui.yaml"
    before = hashlib.sha256(ui.read_bytes()).hexdigest()
    ui.write_text(ui.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    load_content(messages)
    kept = marshal.loads((tmp_path / "cache" / PARSED_CACHE).read_bytes())
    assert before not in kept and hashlib.sha256(ui.read_bytes()).hexdigest() in kept
    assert len(kept) <= len({p.read_bytes() for p in messages.rglob("*.yaml")})
