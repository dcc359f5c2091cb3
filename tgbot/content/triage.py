"""triage.yaml: the "Is it serious?" check, expanded into yes/no screens and outcomes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tgbot.content.checks import ContentError, check_id, check_text, read_yaml
from tgbot.content.model import Button, Screen
from tgbot.content.screens import check_screen_id, parse_rows

START_SCREEN = "triage_start"
CLEAR_SCREEN = "triage_clear"
LEVELS = ("emergency", "urgent", "see_doctor")  # most to least severe
SELF_CARE = "self_care"
# The "Is it serious?" screen promises "about a minute": a handful of grouped questions.
MAX_QUESTIONS = 6


def question_screen_id(question_id: str, index: int) -> str:
    return START_SCREEN if index == 0 else f"triage_q_{question_id}"


def outcome_screen_id(question_id: str) -> str:
    return f"triage_{question_id}_yes"


def load_triage(path: Path, ui: Mapping[str, str]) -> list[Screen]:
    if not path.is_file():
        return []
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected questions and outcomes")
    outcomes = _outcomes(data, path)
    buttons = _outcome_buttons(data, path)
    questions = _questions(data, path)
    return list(_expand(questions, outcomes, buttons, str(path), ui))


def _questions(data: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise ContentError(f"{path}: questions: at least one question is needed")
    if len(questions) > MAX_QUESTIONS:
        raise ContentError(
            f"{path}: questions: {len(questions)} questions; at most {MAX_QUESTIONS} keep the "
            "check to about a minute (group related signs into one question)"
        )
    previous = 0
    seen: set[str] = set()
    for index, question in enumerate(questions):
        where = f"{path}: questions[{index}]"
        if not isinstance(question, dict):
            raise ContentError(f"{where}: expected id, level, question and reason")
        qid = check_id(question.get("id"), f"{where}.id")
        if qid in seen:
            raise ContentError(f"{where}.id: '{qid}' is used twice")
        seen.add(qid)
        check_screen_id(f"triage_q_{qid}", f"{where}.id")
        check_screen_id(outcome_screen_id(qid), f"{where}.id")
        level = question.get("level")
        if level not in LEVELS:
            raise ContentError(f"{where}.level: must be one of {', '.join(LEVELS)}")
        # Red flags first: never ask a milder question before a more severe one.
        if LEVELS.index(level) < previous:
            raise ContentError(f"{where}.level: '{level}' comes after a milder question")
        previous = LEVELS.index(level)
    return questions


def _outcomes(data: dict[str, Any], path: Path) -> dict[str, str]:
    raw = data.get("outcomes")
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: outcomes: expected a text per level")
    return {
        level: check_text(raw.get(level), f"{path}: outcomes.{level}")
        for level in (*LEVELS, SELF_CARE)
    }


def _outcome_buttons(data: dict[str, Any], path: Path) -> dict[str, tuple[tuple[Button, ...], ...]]:
    raw = data.get("outcome_buttons") or {}
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: outcome_buttons: expected buttons per level")
    for level in raw:
        if level not in (*LEVELS, SELF_CARE):
            raise ContentError(f"{path}: outcome_buttons.{level}: unknown level")
    return {
        level: parse_rows(raw.get(level) or [], f"{path}: outcome_buttons.{level}")
        for level in (*LEVELS, SELF_CARE)
    }


def _expand(
    questions: list[dict[str, Any]],
    outcomes: dict[str, str],
    buttons: dict[str, tuple[tuple[Button, ...], ...]],
    source: str,
    ui: Mapping[str, str],
) -> Iterator[Screen]:
    total = len(questions)
    for index, question in enumerate(questions):
        qid, level = question["id"], question["level"]
        where = f"{source}: questions[{index}]"
        own_buttons = parse_rows(question.get("buttons") or [], where)
        text = check_text(question.get("question"), f"{where}.question")
        reason = check_text(question.get("reason"), f"{where}.reason")
        progress = ui["triage_progress"].format(n=index + 1, total=total)
        following = (
            question_screen_id(questions[index + 1]["id"], index + 1)
            if index + 1 < total
            else CLEAR_SCREEN
        )
        answers = (
            Button(ui["triage_yes"], outcome_screen_id(qid)),
            Button(ui["triage_no"], following),
        )
        yield Screen(
            question_screen_id(qid, index), f"<i>{progress}</i>\n\n{text}", (answers,), source
        )
        outcome = check_text(f"{reason}\n\n{outcomes[level]}", f"{where}.reason")
        # Any yes ends the check here: the signs of this question first, then the level's.
        yield Screen(outcome_screen_id(qid), outcome, own_buttons + buttons[level], source)
    yield Screen(CLEAR_SCREEN, outcomes[SELF_CARE], buttons[SELF_CARE], source)
