"""The layers stay one-way: handlers (Telegram I/O) -> services (domain) -> storage (SQL);
content is loaded by services and handlers. Read from the source, so a new file is covered."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tgbot"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def offenders(layer: str, forbidden: str) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        bad = [m for m in imported_modules(path) if m == forbidden or m.startswith(forbidden + ".")]
        found += [f"{path.relative_to(PACKAGE.parent)} imports {m}" for m in sorted(bad)]
    return found


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("handlers", "tgbot.storage"),
        ("services", "telegram"),
        ("content", "telegram"),
        ("storage", "telegram"),
        ("storage", "tgbot.services"),
        ("storage", "tgbot.handlers"),
        ("services", "tgbot.handlers"),
        ("content", "tgbot.handlers"),
    ],
)
def test_a_layer_does_not_reach_past_its_neighbour(layer: str, forbidden: str) -> None:
    assert offenders(layer, forbidden) == []


def test_the_check_sees_an_offending_import(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text("from tgbot.storage import Database\nimport telegram.ext\n")
    assert imported_modules(module) == {"tgbot.storage", "telegram.ext"}
