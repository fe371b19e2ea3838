"""Reading typed answers: lists, personas, emotion scores. Pure string work, no state.

Each parser returns the parsed value or raises `Invalid` with the key of the message that
tells the user what is wrong (and its parameters)."""

from __future__ import annotations

import re
from typing import Any

from flows.spec import EMOTION_MAX, EMOTION_MIN, TYPED_FACES


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


# One persona's answer at a stage: (the persona's index, or None for "the next one"; the
# score, or None for "no part in this stage"; a word).
Given = tuple[int | None, int | None, str]
_PARTS = re.compile(r"[,;\n]+")
_SEPARATOR = " :=\t"


def parse_ratings(text: str, names: list[str], words: dict[str, int | None]) -> list[Given]:
    """`Rina -1 annoyed, Budi 2` → [(0, -1, 'annoyed'), (1, 2, '')].

    A part is a persona's name (optional: then it is for the next persona) and a score: a
    number, a face (😀) or a word from `words` ("good", "baik", "dobrze"; None: "no part
    here"), then an optional word. A part that is neither ("annoyed, tired") continues the
    word of the one before, as does a word-only face there ("-1, meh": annoyed, then meh)."""
    given: list[Given] = []
    for part in (p.strip() for p in _PARTS.split(clean(text))):
        if not part:
            continue
        index, rest = _persona_prefix(part, names)
        scored = _score(rest, words)
        # After a score, a part without a name is more of its word ("-1 slow, annoyed"),
        # unless it starts with a number or a face of its own ("-1, 2": the next persona).
        own = _SCORE.match(rest) or rest[:1] in TYPED_FACES
        if index is None and given and not own:
            last = given[-1]
            given[-1] = (last[0], last[1], f"{last[2]}, {part}" if last[2] else part)
            continue
        if scored is None:
            return [(index, *parse_emotion(rest))]  # raises the format's explanation
        given.append((index, *scored))
    if not given:
        raise Invalid("error.empty")
    return given


def _persona_prefix(part: str, names: list[str]) -> tuple[int | None, str]:
    folded = part.casefold()
    for index, name in sorted(enumerate(names), key=lambda n: -len(n[1])):
        key = name.casefold()
        if folded.startswith(key) and (len(part) == len(key) or not part[len(key)].isalnum()):
            return index, part[len(key) :].lstrip(_SEPARATOR)
    return None, part


def _score(text: str, words: dict[str, int | None]) -> tuple[int | None, str] | None:
    """A score (None: no part here) and the word after it; None when the text starts with
    neither a number, a face nor a known word."""
    text = text.replace("\ufe0f", "").strip()
    if _SCORE.match(text):
        return parse_emotion(text)
    if text[:1] in TYPED_FACES:
        rest = text[1:].strip()
        if _SCORE.match(rest):  # "🙂 +1 good", a button's label typed
            return parse_emotion(rest)
        return TYPED_FACES[text[:1]], rest
    folded = text.casefold()
    for phrase in sorted(words, key=len, reverse=True):
        end = len(phrase)
        if folded.startswith(phrase) and (len(text) == end or not text[end].isalnum()):
            return words[phrase], text[end:].strip(_SEPARATOR + "-–")
    return None
