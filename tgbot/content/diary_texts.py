"""diary.yaml: the texts of the cramp diary (logging, the entry card, /diary, summaries)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tgbot.content.checks import (
    PLACEHOLDER_RE,
    ContentError,
    check_labels,
    check_texts,
    read_yaml,
)
from tgbot.content.plurals import PluralText, load_plural
from tgbot.content.routines import done_id
from tgbot.services.diary.export import EXPORT_TEXT_KEYS
from tgbot.services.diary.model import DURATIONS, SIDES, SITES
from tgbot.services.diary.render.labels import (
    CHART_LABEL_PLACEHOLDERS,
    CSV_COLUMN_KEYS,
    LANGUAGE_LABEL,
    PDF_TEXT_PLACEHOLDERS,
)

TEXT_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "ask_site": ("when",),
    "logged": ("site", "when"),
    "card": ("site", "when", "side", "severity", "duration", "note"),
    "long_cramp": ("emergency",),
    "ask_note": (),
    "note_too_long": (),
    "note_saved": (),
    "deleted": (),
    "not_found": (),
    "empty": (),
    "tiny": ("cramps",),
    "summary": ("cramps", "nights", "top_site", "trend"),
    "routine_line": ("with_cramps", "with_nights", "without_cramps", "without_nights"),
    "chart_caption": (),
    "doctor_intro": (),
    "export_intro": (),
    "export_empty": (),
    "retention_prompt": ("current",),
    "retention_saved": ("current",),
    "retention_forever": (),
    "retention_90": (),
    "retention_365": (),
    "trend_up": ("previous",),
    "trend_down": ("previous",),
    "trend_same": ("previous",),
    "trend_new": (),
    "when_now": (),
    "when_last_night": (),
    "when_earlier_today": (),
    "unset": (),
    "log_offer": ("site", "when", "severity"),
    "log_offer_severity": ("severity",),
    "offer_declined": (),
    "ask_when": (),
    "ask_when_typed": (),
    "bad_when": (),
    "nudge_intro": (),
    "nudge_most_nights": (),
    "nudge_long_cramp": (),
    "nudge_sudden_increase": (),
    "nudge_outro": (),
}
BUTTON_KEYS: tuple[str, ...] = (
    "log",
    "last_night",
    "earlier_today",
    "side_left",
    "side_right",
    "side_both",
    "note",
    "delete",
    "diary",
    "recent",
    "doctor",
    "retention",
    "keep_forever",
    "keep_90",
    "keep_365",
    "log_it",
    "change_time",
    "just_now",
    "type_time",
    "see_doctor",
    "no_thanks",
)
# The `entry` block: logging and editing one entry (severity scale, typed times, dates).
ENTRY_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "saved_for": ("when",),
    "when_future": (),
    "when_too_old": (),
    "moment": ("date", "time"),  # {date}: "Fri 28 Nov" in the language's CLDR form
    "moment_other_year": ("date", "time"),  # with the year
    "severity_low_end": ("n",),
    "severity_high_end": ("n",),
    "chosen": ("label",),
    "no_zone": (),
}
# Texts with a count in them, in the language's CLDR plural forms ({n}: the count).
COUNT_NOUNS = ("cramps", "nights")
LAST_NIGHT_WORDS_KEY = "last_night_words"  # typed phrases meaning "last night"
# Every site, side and duration the diary knows needs a label.
SITE_KEYS, SIDE_KEYS, DURATION_KEYS = SITES, SIDES, DURATIONS

# The doctor summary's and /export's own texts and buttons (their block).
TEXT_PLACEHOLDERS.update(
    {
        "export_csv_caption": (),
        "summary_other_language": (),
        "summary_empty": (),
        "medicines_offer": (),
        "medicines_current": ("medicines",),
        "ask_medicines": (),
        "medicines_too_long": (),
        "medicines_saved": ("medicines",),
        "medicines_removed": (),
    }
)
BUTTON_KEYS += ("medicines_add", "medicines_change", "medicines_remove", "export")


def _merged(*contracts: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for contract in contracts:
        for key, placeholders in contract.items():
            merged[key] = tuple(dict.fromkeys((*merged.get(key, ()), *placeholders)))
    return merged


# Each `render` label the code reads, with the placeholders it fills in: the chart's, the
# PDF's, the CSV header, and the PDF's period line (formatted in handlers/diary/flow.py).
RENDER_LABEL_PLACEHOLDERS = _merged(
    CHART_LABEL_PLACEHOLDERS,
    PDF_TEXT_PLACEHOLDERS,
    {key: () for key in CSV_COLUMN_KEYS},
    {"period": ("start", "end")},
    {key: () for key in EXPORT_TEXT_KEYS},  # the /export file's field descriptions
)


@dataclass(frozen=True, eq=False)
class DiaryTexts:
    texts: Mapping[str, str]
    buttons: Mapping[str, str]
    sites: Mapping[str, str]
    sides: Mapping[str, str]
    durations: Mapping[str, str]
    extra: Mapping[str, str]  # chart and PDF labels, passed to the renderers as they are
    typed_sites: Mapping[str, str]  # matcher concept -> diary site
    typed_severity: Mapping[str, int]  # matcher concept -> severity 1-10
    last_night_words: tuple[str, ...] = ()  # typed times: the phrases meaning "last night"
    routine_sites: Mapping[str, str] | None = None  # routine name -> the site it treats
    counts: Mapping[str, PluralText] | None = None  # "cramps" -> "1 cramp" / "3 cramps"

    def text(self, key: str, **values: object) -> str:
        template = self.texts[key]
        return template.format(**values) if values else template

    def site_after(self, screen_id: str) -> str | None:
        """The diary site of the routine whose done screen this is, if it names one."""
        return next(
            (
                site
                for routine, site in (self.routine_sites or {}).items()
                if done_id(routine) == screen_id
            ),
            None,
        )

    def count(self, noun: str, n: int) -> str:
        """'1 cramp' / '3 cramps' / '5 судорог': the language's own plural forms."""
        assert self.counts is not None
        return self.counts[noun].format(n)


def load_diary_texts(
    path: Path,
    concepts: Collection[str] | None = None,
    screen_ids: Collection[str] | None = None,
) -> DiaryTexts:
    """``concepts``: those matching.yaml defines, which typed_log may name (None: no matcher,
    so typed_log is never read). ``screen_ids``: the catalogue's screens, where every routine
    that entry.routine_sites names must have its done screen (None: not checked)."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected texts, buttons, sites, sides and durations")
    texts = check_texts(data.get("texts"), TEXT_PLACEHOLDERS, f"{path}: texts")
    language = path.parent.name
    counts = {
        noun: load_plural(
            data["texts"].get(f"count_{noun}"), language, f"{path}: texts.count_{noun}", "n"
        )
        for noun in COUNT_NOUNS
    }
    entry = _entry(data.get("entry"), path, screen_ids)
    return DiaryTexts(
        texts={**texts, **entry["texts"]},
        last_night_words=entry["last_night_words"],
        routine_sites=entry["routine_sites"],
        counts=counts,
        buttons=check_labels(data.get("buttons"), BUTTON_KEYS, f"{path}: buttons"),
        sites=check_labels(data.get("sites"), SITE_KEYS, f"{path}: sites"),
        sides=check_labels(data.get("sides"), SIDE_KEYS, f"{path}: sides"),
        durations=check_labels(data.get("durations"), DURATION_KEYS, f"{path}: durations"),
        extra=_render_labels(data.get("render"), path),
        **_typed_log(data.get("typed_log"), path, concepts),
    )


def _entry(raw: Any, path: Path, screen_ids: Collection[str] | None) -> dict[str, Any]:
    where = f"{path}: entry"
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: expected texts, last_night_words and routine_sites")
    texts = check_texts(raw.get("texts"), ENTRY_PLACEHOLDERS, f"{where}.texts")
    words = raw.get(LAST_NIGHT_WORDS_KEY)
    if (
        not isinstance(words, list)
        or not words
        or not all(isinstance(w, str) and w.strip() for w in words)
    ):
        raise ContentError(f"{where}.{LAST_NIGHT_WORDS_KEY}: expected a list of phrases")
    sites = raw.get("routine_sites")
    if not isinstance(sites, dict) or any(v not in SITE_KEYS for v in sites.values()):
        raise ContentError(
            f"{where}.routine_sites: map routine names to one of {', '.join(SITE_KEYS)}"
        )
    if screen_ids is not None:
        for routine in sites:
            if done_id(str(routine)) not in screen_ids:
                raise ContentError(f"{where}.routine_sites.{routine}: no routine of this name")
    return {
        "texts": texts,
        "last_night_words": tuple(w.strip() for w in words),
        "routine_sites": {str(k): str(v) for k, v in sites.items()},
    }


def _render_labels(raw: Any, path: Path) -> dict[str, str]:
    """Plain-text labels for the chart, the PDF and the CSV header (no HTML there): every one
    the renderers read, each with only the placeholders they fill in."""
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: render: expected a mapping of key: text")
    for key in RENDER_LABEL_PLACEHOLDERS:
        if key not in raw:
            raise ContentError(
                f"{path}: render.{key}: required label is missing (the chart, PDF or CSV uses it)"
            )
    labels = {}
    for key, value in raw.items():
        where = f"{path}: render.{key}"
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{where}: must be a non-empty text")
        allowed = RENDER_LABEL_PLACEHOLDERS.get(str(key), ())
        for name in PLACEHOLDER_RE.findall(value):
            if name not in allowed:
                listed = ", ".join("{" + p + "}" for p in allowed) or "none"
                raise ContentError(f"{where}: unknown placeholder {{{name}}} (allowed: {listed})")
        labels[str(key)] = value.strip()
    labels[LANGUAGE_LABEL] = path.parent.name
    return labels


def _typed_log(raw: Any, path: Path, concepts: Collection[str] | None) -> dict[str, Any]:
    where = f"{path}: typed_log"
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: expected sites and severity")
    sites, severity = raw.get("sites"), raw.get("severity")
    if not isinstance(sites, dict) or any(v not in SITE_KEYS for v in sites.values()):
        raise ContentError(f"{where}.sites: map concept names to one of {', '.join(SITE_KEYS)}")
    if not isinstance(severity, dict) or any(
        not isinstance(v, int) or not 1 <= v <= 10 for v in severity.values()
    ):
        raise ContentError(f"{where}.severity: map concept names to a severity from 1 to 10")
    if concepts is not None:
        for section, mapping in (("sites", sites), ("severity", severity)):
            unknown = [str(name) for name in mapping if name not in concepts]
            if unknown:
                raise ContentError(
                    f"{where}.{section}.{unknown[0]}: no concept of this name in matching.yaml"
                )
    return {
        "typed_sites": {str(k): str(v) for k, v in sites.items()},
        "typed_severity": {str(k): int(v) for k, v in severity.items()},
    }
