"""Answers that are probably not what the person meant, and what to offer instead: a bare
number where no choice has it ("2" at the stages question, "-1" at a pain point), an answer
over the limit (keep its first part), `/edit` in the words people type ("goal", "4",
"stage 2 pains"). Pure string work on the map's names; the engine decides what to do."""

from __future__ import annotations

import re

from flows.answers import Invalid
from flows.i18n import t
from flows.model import JourneyMap
from flows.spec import LANGUAGES, lanes_for
from flows.steps import EDITABLE_STEPS

# A number alone ("2", "-1", "+2", "3.") says nothing as an item, a stage or a title.
_BARE = re.compile(r"^\s*([+\-−–]?)\s*\d{1,3}[.)]?\s*$")
# Values of the choices the engine adds to any question.
KEEP_START = "keep"  # keep the first part of the answer that was too long
CANCEL_YES = "cancel:yes"
CANCEL_NO = "cancel:no"
_STAGE_WORDS = ("stage", "etap", "tahap", "tahapan")


def bare_number(lines: list[str]) -> str | None:
    """The number, when every line is only a number; None otherwise."""
    if lines and all(_BARE.match(line) for line in lines):
        return lines[0].strip()
    return None


def signed(value: str) -> bool:
    """A number with a sign reads as a face score ("-1", "+2")."""
    return value[:1] in "+-−–"


def start_of(text: str, limit: int) -> str:
    """The first part of an answer within `limit` characters, cut at a word where it can be."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def _words(key: str) -> set[str]:
    return {t(lang, key).casefold() for lang in LANGUAGES}


def edit_target(jm: JourneyMap, argument: str) -> str:
    """`/edit goal`, `/edit 4`, `/edit stage 2`, `/edit stage 2 pains`, `/edit Delivery`,
    or the review's own value (`edit:stage:1`) → the review's choice value."""
    text = " ".join(argument.replace(":", " ").split()).casefold()
    if not text:
        raise Invalid("error.edit_usage")
    if argument.startswith("edit:"):
        return argument
    for state in EDITABLE_STEPS:
        if text in {state, state.replace("_", " ")} | _words(f"edit.{state}"):
            return f"edit:{state}"
    words = text.split()
    if words[0] in _STAGE_WORDS:
        words = words[1:]
    index = _stage_number(jm, words[0]) if words else None
    rest = words[1:]
    if index is None:  # a stage by its name, perhaps followed by a lane
        for number, stage in enumerate(jm.stages):
            name = stage.name.casefold()
            if text == name or text.startswith(name + " "):
                index, rest = number, text[len(name) :].split()
                break
    if index is None:
        raise Invalid("error.edit_usage")
    if not rest:
        return f"edit:stage:{index}"
    wanted = " ".join(rest)
    for lane in lanes_for(jm.map_type):
        if wanted in {lane.id, lane.field} | _words(lane.label_key):
            return f"edit:{lane.id}:{index}"
    raise Invalid("error.edit_usage")


def _stage_number(jm: JourneyMap, word: str) -> int | None:
    if not word.isdigit():
        return None
    number = int(word)
    if not 1 <= number <= len(jm.stages):
        raise Invalid("error.no_such_stage", number=number, count=len(jm.stages))
    return number - 1
