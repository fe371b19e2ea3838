"""Callback data of inline buttons: short, typed, and never over Telegram's 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass

LIMIT = 64  # bytes, Telegram's limit for callback_data
SEP = "|"

# What a button does (the first field of its data).
ANSWER = "q"  # a choice of an interview question: q|<position>|<value>
COMMAND = "k"  # back / skip / done on a question: k|<position>|<command>
NEW = "n"  # n|begin, n|resume, n|discard
PAGE = "l"  # l|<page> of /maps
SHOW = "s"  # s|<number>: the map's picture and checklist
DELETE = "d"  # d|<number>|y or n
TICK = "t"  # t|<number>|<checklist item id>
LANGUAGE = "g"  # g|<code>


@dataclass(frozen=True)
class Data:
    kind: str
    args: tuple[str, ...]

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default


def pack(kind: str, *args: object) -> str:
    data = SEP.join([kind, *(str(a) for a in args)])
    if len(data.encode("utf-8")) > LIMIT:
        raise ValueError(f"callback data over {LIMIT} bytes: {data!r}")
    return data


def unpack(data: str | None) -> Data:
    kind, *args = (data or "").split(SEP)
    return Data(kind, tuple(args))
