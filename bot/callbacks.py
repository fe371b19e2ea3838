"""Inline buttons' callback data: made here and read back here, into typed buttons.

Telegram gives the data back as it was sent — or as anybody forged it: a client can send any
string. `parse` is the one place it is read; whatever is not a well-formed button of ours is
None (answered with a polite toast, never acted on). Data stays within Telegram's 64 bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.interview import Position
from flows.priorities import SCALE, STATUSES, Status
from flows.spec import LANGUAGES

LIMIT = 64  # bytes, Telegram's limit for callback_data
SEP = "|"
BIGGEST = 10**9  # map numbers, pages and versions people can have (and a database can hold)

# What a button does (the first field of its data).
# A choice of an interview question: q|<position>|<value>; a suggestion is named by its
# index ("s3"), never by its text, so any suggestion fits the 64 bytes.
ANSWER = "q"
COMMAND = "k"  # back / skip / done / next on a question: k|<position>|<command>
NEW = "n"  # n|begin, n|resume, n|discard
PAGE = "l"  # l|<page> of /maps
SHOW = "s"  # s|<number>: the map's picture and checklist
DELETE = "d"  # d|<number>|y or n
TICK = "t"  # t|<number>|<page>[|<checklist item id>]
LANGUAGE = "g"  # g|<code>
PRIORITIZE = "p"  # p|<number>: rate the map's opportunities
RATE = "r"  # r|<number>|<opportunity id>|i or e|<1-3>: impact or effort
MATRIX = "x"  # x|<number>: the priority matrix
MAKE_ACTION = "a"  # a|<number>|<opportunity id>
STATUS = "u"  # u|<action id>|todo, doing or done
SNOOZE = "z"  # z|<action id>

NEW_CHOICES = ("begin", "resume", "discard")
MOVES = ("back", "skip", "done", "next")
_TOKEN = re.compile(r"^[a-z_]{1,32}(?::\d{1,3}){0,2}$")
_VALUE = re.compile(r"^[\w:+\-]{1,40}$")
_ITEM = re.compile(r"^[\w.\-]{1,40}$")
_OPPORTUNITY = re.compile(r"^[0-9a-f]{8}$")
ASPECTS = {"i": "impact", "e": "effort"}


def pack(kind: str, *args: object) -> str:
    data = SEP.join([kind, *(str(a) for a in args)])
    if len(data.encode("utf-8")) > LIMIT:
        raise ValueError(f"callback data over {LIMIT} bytes: {data!r}")
    return data


@dataclass(frozen=True)
class Answer:
    position: Position
    value: str


@dataclass(frozen=True)
class Move:
    position: Position
    command: str


@dataclass(frozen=True)
class NewMap:
    choice: str  # begin | resume | discard


@dataclass(frozen=True)
class ListPage:
    page: int


@dataclass(frozen=True)
class ShowMap:
    number: int


@dataclass(frozen=True)
class DeleteMap:
    number: int
    confirmed: bool


@dataclass(frozen=True)
class Tick:
    number: int
    page: int
    item: str | None  # None: only turn the page


@dataclass(frozen=True)
class Language:
    code: str


@dataclass(frozen=True)
class Prioritize:
    number: int


@dataclass(frozen=True)
class Rate:
    number: int
    opportunity: str
    aspect: str  # "impact" or "effort"
    value: int


@dataclass(frozen=True)
class Matrix:
    number: int


@dataclass(frozen=True)
class MakeAction:
    number: int
    opportunity: str


@dataclass(frozen=True)
class SetStatus:
    action: int
    status: Status


@dataclass(frozen=True)
class Snooze:
    action: int


Button = (
    Answer
    | Move
    | NewMap
    | ListPage
    | ShowMap
    | DeleteMap
    | Tick
    | Language
    | Prioritize
    | Rate
    | Matrix
    | MakeAction
    | SetStatus
    | Snooze
)


def number(text: str) -> int | None:
    """A map number, page or version as people type it: ASCII digits (an optional #), within
    what a chat can have. '²', '٣', '-1' and 40-digit numbers are not numbers here."""
    text = text.strip().removeprefix("#")
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    value = int(text)
    return value if 0 < value <= BIGGEST else None


def _position(token: str) -> Position | None:
    if not _TOKEN.match(token):
        return None
    try:
        return Position.from_token(token)
    except ValueError:
        return None


def parse(data: str | None) -> Button | None:
    """The button a callback's data names, or None when it names none of ours."""
    if not data or len(data.encode("utf-8")) > LIMIT:
        return None
    kind, *args = data.split(SEP)
    reader = _READERS.get(kind)
    return reader(args) if reader is not None else None


def _answer(args: list[str]) -> Button | None:
    if len(args) != 2 or not _VALUE.match(args[1]):
        return None
    position = _position(args[0])
    return Answer(position, args[1]) if position else None


def _move(args: list[str]) -> Button | None:
    if len(args) != 2 or args[1] not in MOVES:
        return None
    position = _position(args[0])
    return Move(position, args[1]) if position else None


def _new(args: list[str]) -> Button | None:
    return NewMap(args[0]) if len(args) == 1 and args[0] in NEW_CHOICES else None


def _page(args: list[str]) -> Button | None:
    page = number(args[0]) if len(args) == 1 else None
    return ListPage(page) if page else None


def _show(args: list[str]) -> Button | None:
    found = number(args[0]) if len(args) == 1 else None
    return ShowMap(found) if found else None


def _delete(args: list[str]) -> Button | None:
    if len(args) != 2 or args[1] not in ("y", "n"):
        return None
    found = number(args[0])
    return DeleteMap(found, args[1] == "y") if found else None


def _tick(args: list[str]) -> Button | None:
    if len(args) not in (2, 3) or not re.fullmatch(r"[0-9]{1,4}", args[1]):
        return None
    found = number(args[0])
    item = args[2] if len(args) == 3 else None
    if not found or (item is not None and not _ITEM.match(item)):
        return None
    return Tick(found, int(args[1]), item)


def _language(args: list[str]) -> Button | None:
    return Language(args[0]) if len(args) == 1 and args[0] in LANGUAGES else None


def _prioritize(args: list[str]) -> Button | None:
    found = number(args[0]) if len(args) == 1 else None
    return Prioritize(found) if found else None


def _rate(args: list[str]) -> Button | None:
    if len(args) != 4 or not _OPPORTUNITY.match(args[1]) or args[2] not in ASPECTS:
        return None
    found = number(args[0])
    value = int(args[3]) if args[3].isdigit() and len(args[3]) == 1 else None
    if not found or value not in SCALE:
        return None
    return Rate(found, args[1], ASPECTS[args[2]], value)


def _matrix(args: list[str]) -> Button | None:
    found = number(args[0]) if len(args) == 1 else None
    return Matrix(found) if found else None


def _make_action(args: list[str]) -> Button | None:
    if len(args) != 2 or not _OPPORTUNITY.match(args[1]):
        return None
    found = number(args[0])
    return MakeAction(found, args[1]) if found else None


def _status(args: list[str]) -> Button | None:
    if len(args) != 2 or args[1] not in {s.value for s in STATUSES}:
        return None
    found = number(args[0])
    return SetStatus(found, Status(args[1])) if found else None


def _snooze(args: list[str]) -> Button | None:
    found = number(args[0]) if len(args) == 1 else None
    return Snooze(found) if found else None


_READERS = {
    ANSWER: _answer,
    COMMAND: _move,
    NEW: _new,
    PAGE: _page,
    SHOW: _show,
    DELETE: _delete,
    TICK: _tick,
    LANGUAGE: _language,
    PRIORITIZE: _prioritize,
    RATE: _rate,
    MATRIX: _matrix,
    MAKE_ACTION: _make_action,
    STATUS: _status,
    SNOOZE: _snooze,
}
