"""messages/not_spoken.yaml: one line, in their own language, for people whose language the
bot does not speak yet, shown above the English answer."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from tgbot.content.checks import ContentError, read_yaml

NOT_SPOKEN_FILE = "not_spoken.yaml"
MAX_LINE = 200
_CODE_RE = re.compile(r"^[a-z]{2,3}$")


def load_not_spoken(root: Path, spoken: Collection[str]) -> dict[str, str]:
    """Code -> line; none when the file is absent. A line for a language the bot speaks is
    refused: it would never be shown, and suggests a translator's mix-up."""
    path = root / NOT_SPOKEN_FILE
    if not path.is_file():
        return {}
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping of language code: line")
    lines = {}
    for code, line in data.items():
        where = f"{path}: {code}"
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise ContentError(f"{where}: a two- or three-letter ISO 639 language code")
        if code in spoken:
            raise ContentError(f"{where}: the bot speaks this language (messages/{code}/)")
        if not isinstance(line, str) or not 0 < len(line.strip()) <= MAX_LINE or "<" in line:
            raise ContentError(f"{where}: one line of plain text, at most {MAX_LINE} characters")
        lines[code] = line.strip()
    return lines
