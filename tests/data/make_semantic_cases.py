"""Write messages/en/semantic_cases.yaml from the tuning parts of our red-flag sets.

Held-back items never go in (a test checks it): an alarming message is filed under the screen
it needs, an ordinary one (not a negated one: the encoder reads those with the denial masked)
under its answer. From the repository root:
``.venv/bin/python tests/data/make_semantic_cases.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tgbot_devtools.worked_cases import filed_text

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    "redflags.yaml",
    "redflags_dev2.yaml",
    "redflags_dev3.yaml",
    "redflags_fresh.yaml",
    "redflags_fresh2.yaml",
    "redflags_dev4.yaml",
)
# Never a source of cases.
HELD_BACK_ONLY = (
    "redflags_fresh3.yaml",
    "redflags_fresh4.yaml",
    "redflags_fresh5.yaml",
    "redflags_fresh6.yaml",
)
TARGET = ROOT / "messages" / "en" / "semantic_cases.yaml"
ALARMING = ("emergency", "urgent", "see_doctor")
MAX_LENGTH = 300  # the loader's limit; a longer ramble is left out rather than cut

HEADER = """\
# Worked cases for the semantic tier: whole messages, each under the screen it needs. Written
# from content-facts.md for the tuning parts of tests/data/redflags.yaml, redflags_dev2.yaml,
# redflags_dev3.yaml, redflags_fresh.yaml, redflags_fresh2.yaml and redflags_dev4.yaml (never
# their held-back quarters). Regenerate with
# tests/data/make_semantic_cases.py; hand-written exemplars and the confirming questions live in
# semantic.yaml."""


def main() -> None:
    semantic = yaml.safe_load((TARGET.parent / "semantic.yaml").read_text(encoding="utf-8"))
    flags: dict[str, Any] = semantic["red_flags"]
    answers: dict[str, Any] = semantic["answers"]
    seen = {e for flag in flags.values() for e in flag["examples"]}
    seen.update(e for examples in answers.values() for e in examples)
    cases: dict[str, dict[str, list[str]]] = {"red_flags": {}, "answers": {}}
    sets = [
        yaml.safe_load((ROOT / "tests" / "data" / source).read_text(encoding="utf-8"))
        for source in (*SOURCES, *HELD_BACK_ONLY)
    ]
    # A plain question may be in two sets, tuned in one and held back in the other.
    seen.update(i["text"].strip() for items in sets for i in items if i.get("holdout"))
    for items in sets[: len(SOURCES)]:
        for item in items:
            text = item["text"].strip()
            screen = (item.get("screens") or [""])[0]
            if item.get("holdout") or len(text) > MAX_LENGTH or text in seen:
                continue
            text = filed_text(item)
            if item["level"] in ALARMING:
                section = "red_flags" if screen in flags else "answers"
            elif item.get("form") != "negated":
                section = "answers"
            else:
                continue
            if screen not in (flags if section == "red_flags" else answers):
                continue
            seen.add(text)
            cases[section].setdefault(screen, []).append(text)
    order = {screen: n for n, screen in enumerate([*flags, *answers])}
    lines = [HEADER]
    for section, by_screen in cases.items():
        lines.append(f"{section}:")
        for screen in sorted(by_screen, key=order.__getitem__):
            lines.append(f"  {screen}:")
            lines += [f"    - {json.dumps(text, ensure_ascii=False)}" for text in by_screen[screen]]
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = {section: sum(map(len, s.values())) for section, s in cases.items()}
    print(f"{TARGET.relative_to(ROOT)}: {counts}")


if __name__ == "__main__":
    main()
