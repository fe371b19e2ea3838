"""What storage hands back: plain, typed records (never ORM rows, which could lazy-load) and
the exceptions callers catch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.interview import Interview
from flows.spec import MapType


class Conflict(Exception):
    """Someone else changed the interview between our read and our write."""


class StaleVersion(Exception):
    """The map was saved by someone else since the version an edit was made on."""

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


class Duplicate(Exception):
    """This update was applied before."""


class Unavailable(Exception):
    """The database cannot be reached or cannot write (stopped, restarting, disk full).

    Nothing of the unit of work that met it was stored."""


@dataclass(frozen=True)
class Loaded:
    """An interview as stored, with the revision the optimistic lock checks."""

    interview: Interview
    revision: int
    map_number: int | None
    row_id: int = 0


@dataclass(frozen=True)
class MapSummary:
    number: int
    title: str
    map_type: MapType
    language: str
    version: int
    created_by: str
    created_by_id: str
    updated_at: datetime


@dataclass(frozen=True)
class VersionInfo:
    version: int
    created_at: datetime


@dataclass(frozen=True)
class Page:
    maps: list[MapSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class DueReminder:
    id: int
    chat_id: str
    map_number: int


@dataclass(frozen=True)
class Asked:
    """A bot message that asked an interview question (a reply to it answers that question)."""

    message_id: int
    scope: str
    position: str  # flows Position.token()


@dataclass(frozen=True)
class Parcel:
    """One outbox row claimed for sending: the bot's payload and how far it got."""

    id: int
    chat_id: str
    thread_id: int | None
    payload: str
    progress: int  # parts already out (a resend starts after them)
    attempts: int
    interrupted: bool = False  # taken over from a sender that died with a part in flight
