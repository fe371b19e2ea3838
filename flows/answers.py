"""Reading typed answers: lists, personas, emotion scores. Pure string work, no state.

Each parser returns the parsed value or raises `Invalid` with the key of the message that
tells the user what is wrong (and its parameters)."""

from __future__ import annotations

import re
from typing import Any

from flows.spec import EMOTION_MAX, EMOTION_MIN


class Invalid(ValueError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# Leading list markers people type or paste: "- ", "• ", "1. ", "2) ".
_BULLET = re.compile(r"^\s*(?:[-*•–]\s+|\d{1,2}[.)]\s+)")
# A score: optional sign (ASCII or the Unicode minus/en dash phones produce), one digit.
_SCORE = re.compile(r"^\s*([+\-−–]?)\s*(\d+)(?:[.,]0+)?(?:\s*[,;:]?\s+(.*))?\s*$", re.S)


def clean(text: str) -> str:
    """Collapse runs of spaces and drop control characters; keep the words as typed."""
    text = "".join(ch for ch in text if ch == "\n" or ch.isprintable())
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


def split_lines(text: str) -> list[str]:
    """Several items at once, one per line; bullets and empty lines dropped."""
    lines = (_BULLET.sub("", line, count=1).strip() for line in clean(text).split("\n"))
    return [line for line in lines if line]


def single_line(text: str) -> str:
    """A one-answer field (title, goal, owner): several lines are joined with spaces."""
    return " ".join(split_lines(text))


def check_length(text: str, limit: int) -> str:
    if not text:
        raise Invalid("error.empty")
    if len(text) > limit:
        raise Invalid("error.too_long", limit=limit, length=len(text))
    return text


def parse_persona(line: str) -> tuple[str, str]:
    """`Name: description` (the description is optional)."""
    name, _, description = line.partition(":")
    name, description = name.strip(), description.strip()
    if not name:
        raise Invalid("error.persona_name")
    return name, description


def parse_emotion(text: str) -> tuple[int, str]:
    """`-1 annoyed` → (-1, 'annoyed'). A typed number is always the score itself."""
    match = _SCORE.match(clean(text).replace("\n", " "))
    if not match:
        raise Invalid("error.emotion_format", low=EMOTION_MIN, high=EMOTION_MAX)
    sign, digits, word = match.groups()
    score = -int(digits) if sign in ("-", "−", "–") else int(digits)
    if not EMOTION_MIN <= score <= EMOTION_MAX:
        raise Invalid("error.emotion_range", low=EMOTION_MIN, high=EMOTION_MAX)
    return score, (word or "").strip()
