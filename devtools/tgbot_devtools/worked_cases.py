"""Which text of a tuned evaluation item becomes a worked case of the semantic tier
(``messages/en/semantic_cases.yaml``). Shared by the generator
(``tests/data/make_semantic_cases.py``) and the leave-one-set-out evaluation, which takes a
set's own worked cases out again to see how the tier does on wordings it has not stored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tgbot.content.checks import YAML_LOADER

# An ordinary question with the red flag after it: as a whole-message case it would pull the
# ordinary question alone ("ice or heat for a back spasm?") to the flag, so the case keeps only
# what follows the first sentence.
SECOND_QUESTION = "second_question"
FIRST_SENTENCE = re.compile(r"^[^.?!]*[.?!]+\s+")


def filed_text(item: dict[str, Any]) -> str:
    """The text a tuned item is filed under its screen with."""
    text = str(item["text"]).strip()
    if item.get("form") == SECOND_QUESTION:
        text = FIRST_SENTENCE.sub("", text, count=1)
    return text


def worked_case_texts(path: Path) -> frozenset[str]:
    """Every text the set's tuned items may have filed (whole, and as filed)."""
    items: list[dict[str, Any]] = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    tuned = [item for item in items if not item.get("holdout")]
    return frozenset(str(i["text"]).strip() for i in tuned) | {filed_text(i) for i in tuned}
