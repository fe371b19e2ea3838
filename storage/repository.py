"""The repository: one transaction at a time (a unit of work), with the aggregates inside.

    async with store.unit(ledger_key) as u:      # BEGIN; the update's key into the ledger
        loaded = await u.interviews.load(chat, scope)
        ...                                      # the change, the map, the replies
        await u.outbox.add(chat, payload)
                                                 # COMMIT: all of it, or none of it

Everything a change causes — the interview's next state, a finished map, the replies to
send — commits together, so no fault can leave a finished map unsaved or a reply unsent.
`Store.run` runs such a unit again after a lost optimistic race (`Conflict`) and waits out
short database outages; `Duplicate` means the update was applied before.

The Store's other methods are one-unit conveniences for the console, the CLI and tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from flows.interview import Interview
from flows.model import Author, JourneyMap
from flows.spec import MapType
from storage import database
from storage.actions import Actions
from storage.chats import Chats, KnownLanguages, Ledger
from storage.interviews import Interviews, RecentWrites
from storage.maps import Maps
from storage.outbox import Outbox
from storage.pg_units import unit_session
from storage.records import (
    Conflict,
    DueReminder,
    Duplicate,
    Loaded,
    MapSummary,
    Page,
    StaleVersion,
    Unavailable,
    VersionInfo,
)
from storage.reminders import Reminders
from storage.sessions import AnySession
from storage.sqlite_units import SqliteUnits

__all__ = [
    "Conflict",
    "DueReminder",
    "Duplicate",
    "Loaded",
    "MapSummary",
    "Page",
    "StaleVersion",
    "Store",
    "Unavailable",
    "Unit",
    "VersionInfo",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
_IN_UNIT: ContextVar[bool] = ContextVar("in_unit", default=False)
CONFLICT_ATTEMPTS = 20


# SQLSTATE classes of a server that is away rather than a statement that is wrong: connection
# exceptions, insufficient resources (disk full), operator intervention (shutting down,
# starting up), system errors.
_OUTAGE_SQLSTATES = ("08", "53", "57", "58")


def is_outage(error: BaseException) -> bool:
    """A database that is down, restarting, unreachable or out of space — worth waiting for —
    as opposed to a bug in a statement."""
    if isinstance(error, IntegrityError):
        return False
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    if isinstance(error, DBAPIError):
        state = str(getattr(error.orig, "sqlstate", "") or "")
        return (
            bool(error.connection_invalidated)
            or state[:2] in _OUTAGE_SQLSTATES
            or isinstance(error.orig, (OSError, ConnectionError))
        )
    # Every pooled connection busy for the pool's whole timeout: a server too slow to keep up.
    return isinstance(error, (OSError, ConnectionError, TimeoutError, PoolTimeout))


def dropped(problem: Unavailable) -> bool:
    """The unit failed on a connection the server had closed (a restart): SQLAlchemy has
    discarded the pool's connections, and the next unit opens a fresh one."""
    cause = problem.__cause__
    return isinstance(cause, DBAPIError) and cause.connection_invalidated


class Unit:
    """One transaction and the aggregates that work inside it."""

    def __init__(self, session: AnySession, recent: RecentWrites, known: KnownLanguages) -> None:
        self.session = session
        self._after_commit: list[Callable[[], None]] = []
        self.chats = Chats(session, known, self._after_commit.append)
        self.ledger = Ledger(session)
        self.interviews = Interviews(session, recent, self._after_commit.append)
        self.maps = Maps(session)
        self.reminders = Reminders(session)
        self.actions = Actions(session)
        self.outbox = Outbox(session)

    def committed(self) -> None:
        for callback in self._after_commit:
            callback()


class Store:
    def __init__(self, url: str | None = None, engine: AsyncEngine | None = None) -> None:
        self.url = database.database_url(url)
        self.engine = engine or database.make_engine(self.url)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # Units of one statement (`run(..., one_statement=True)`) on PostgreSQL: no BEGIN and
        # COMMIT around it, two round trips of three; one statement is atomic by itself.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._recent = RecentWrites()
        self._languages = KnownLanguages()
        # SQLite has one writer at a time, and every unit writes (BEGIN IMMEDIATE). Taking
        # turns here costs nothing; meeting on SQLite's lock costs its busy-wait sleeps
        # (1, 2, 5 … 100 ms), which is where the slowest answers used to come from.
        self._one_writer = asyncio.Lock() if database.is_sqlite(self.url) else None
        # … and its units run synchronously on one connection (storage/sqlite_units.py).
        self._sqlite = SqliteUnits(self.url) if self._one_writer else None
        self._running: set[asyncio.Task[Any]] = set()

    def session(self) -> AsyncSession:
        return self._sessions()

    async def upgrade(self) -> None:
        await database.upgrade(self.engine)

    async def close(self) -> None:
        if self._running:  # units whose callers were cancelled end their transactions first
            await asyncio.wait(self._running, timeout=10)
        if self._sqlite is not None:
            self._sqlite.close()
        await self.engine.dispose()

    @asynccontextmanager
    async def unit(
        self, ledger_key: str | None = None, lock: str | None = None, one_statement: bool = False
    ) -> AsyncIterator[Unit]:
        """One transaction. Raises Duplicate (nothing stored) when `ledger_key` was applied
        before, Unavailable when the database cannot be reached or written.

        `lock` (e.g. a chat id): on PostgreSQL, units with the same lock take turns, whichever
        instance runs them (an advisory lock held until the transaction ends); SQLite has one
        writer at a time anyway.

        `one_statement`: on PostgreSQL the body runs a single statement, so needs no
        transaction around it (no ledger key, no lock); SQLite's units are one transaction
        anyway."""
        if one_statement and (ledger_key is not None or lock is not None):
            raise ValueError("a unit with a ledger key or a lock is more than one statement")
        if _IN_UNIT.get():
            raise RuntimeError("a unit of work inside another (on SQLite it would wait forever)")
        writer = self._one_writer or contextlib.nullcontext()
        marker = _IN_UNIT.set(True)
        try:
            async with writer, self._unit_session(one_statement) as session:
                work = Unit(session, self._recent, self._languages)
                turn = lock if self._one_writer is None else None  # SQLite: one writer anyway
                if ledger_key is not None:
                    await work.ledger.record(ledger_key, turn)
                elif turn is not None:
                    await work.ledger.take_turn(turn)
                yield work
                await session.commit()
            work.committed()
        except (Duplicate, Conflict):
            raise
        except Exception as problem:
            if is_outage(problem):
                raise Unavailable(str(problem).splitlines()[0] if str(problem) else "") from problem
            raise
        finally:
            _IN_UNIT.reset(marker)

    async def run(
        self,
        body: Callable[[Unit], Awaitable[T]],
        ledger_key: str | None = None,
        *,
        outage_wait: float = 0.0,
        lock: str | None = None,
        one_statement: bool = False,
    ) -> T:
        """Run `body` in a unit of work until it commits: again from the start after a lost
        optimistic race, and for up to `outage_wait` seconds while the database is away.
        Raises Duplicate, or Unavailable once the wait is over. See `unit` for the rest."""
        # A caller cancelled mid-unit (a loop stopped at shutdown) would leave its transaction
        # half-closed; shielded, the unit commits or rolls back on its own, and close() waits.
        # SQLite's units need no shield: nothing in them waits, and a cancelled body's unit
        # is rolled back on the spot (`SqliteUnits.session`). The task and the shield cost
        # three turns of the loop per unit.
        if self._sqlite:
            return await self._run(body, ledger_key, outage_wait, lock, one_statement)
        task = asyncio.ensure_future(self._run(body, ledger_key, outage_wait, lock, one_statement))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return await asyncio.shield(task)

    async def _run(
        self,
        body: Callable[[Unit], Awaitable[T]],
        ledger_key: str | None,
        outage_wait: float,
        lock: str | None,
        one_statement: bool,
    ) -> T:
        deadline = time.monotonic() + outage_wait
        pause = 0.25
        attempt = 0
        reconnected = False
        while True:
            try:
                async with self.unit(ledger_key, lock, one_statement) as work:
                    return await body(work)
            except Conflict:
                attempt += 1
                if attempt >= CONFLICT_ATTEMPTS:
                    raise
                await asyncio.sleep(0.002 * attempt)
            except Unavailable as problem:
                if dropped(problem) and not reconnected:
                    reconnected = True  # a pooled connection the server closed: go again now
                    continue
                if time.monotonic() + pause > deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    def _unit_session(self, one_statement: bool) -> AbstractAsyncContextManager[AnySession]:
        if self._sqlite:
            return self._sqlite.session()
        return unit_session(self._autocommit if one_statement else self.engine)

    # --- one-unit conveniences ----------------------------------------------------------

    async def ensure_chat(self, chat_id: str, kind: str, language: str) -> str:
        return await self.run(lambda u: u.chats.ensure(chat_id, kind, language))

    async def set_language(self, chat_id: str, language: str) -> None:
        await self.run(lambda u: u.chats.set_language(chat_id, language))

    async def load_interview(self, chat_id: str, scope: str) -> Loaded | None:
        return await self.run(lambda u: u.interviews.load(chat_id, scope))

    async def start_interview(
        self, chat_id: str, scope: str, interview: Interview, map_number: int | None = None
    ) -> None:
        async def body(u: Unit) -> None:
            map_id = None
            if map_number is not None:
                row = await u.maps.row(chat_id, map_number)
                map_id = row.id if row else None
            await u.interviews.start(chat_id, scope, interview, map_id)

        await self.run(body)

    async def save_interview(
        self, chat_id: str, scope: str, interview: Interview, revision: int
    ) -> int:
        """Store the interview if nobody changed it since `revision`; the new revision."""

        async def body(u: Unit) -> int:
            loaded = await u.interviews.load(chat_id, scope)
            if loaded is None or loaded.revision != revision:
                raise Conflict(chat_id, scope)
            return await u.interviews.save(chat_id, scope, loaded, interview)

        async with self.unit() as work:  # no retry: the conflict is the answer
            return await body(work)

    async def discard_interview(self, chat_id: str, scope: str) -> None:
        await self.run(lambda u: u.interviews.discard(chat_id, scope))

    async def apply(
        self,
        chat_id: str,
        scope: str,
        change: Callable[[Interview], object],
        ledger_key: str | None = None,
    ) -> tuple[Interview, object] | None:
        """Apply `change` to the stored interview and store the result atomically.

        Returns (interview, whatever `change` returned), or None when there is no interview.
        Raises Duplicate when `ledger_key` was applied before. Retries on a conflict."""

        async def body(u: Unit) -> tuple[Interview, object] | None:
            loaded = await u.interviews.load(chat_id, scope, cached=True)
            if loaded is None:
                return None
            result = change(loaded.interview)
            await u.interviews.save(chat_id, scope, loaded, loaded.interview)
            return loaded.interview, result

        return await self.run(body, ledger_key)

    async def finish_map(
        self, chat_id: str, journey_map: JourneyMap, map_number: int | None = None
    ) -> MapSummary:
        return await self.run(lambda u: u.maps.save(chat_id, journey_map, map_number))

    async def finish_interview(
        self, chat_id: str, scope: str, journey_map: JourneyMap, map_number: int | None
    ) -> MapSummary:
        """Keep the map and end the interview, together."""

        async def body(u: Unit) -> MapSummary:
            summary = await u.maps.save(chat_id, journey_map, map_number)
            await u.interviews.discard(chat_id, scope)
            return summary

        return await self.run(body)

    async def list_maps(self, chat_id: str, page: int = 1, per_page: int = 5) -> Page:
        return await self.run(lambda u: u.maps.listing(chat_id, page, per_page))

    async def get_map(
        self, chat_id: str, number: int, version: int | None = None
    ) -> JourneyMap | None:
        return await self.run(lambda u: u.maps.get(chat_id, number, version))

    async def map_summary(self, chat_id: str, number: int) -> MapSummary | None:
        return await self.run(lambda u: u.maps.summary(chat_id, number))

    async def rename(self, chat_id: str, number: int, title: str) -> bool:
        return await self.run(lambda u: u.maps.rename(chat_id, number, title)) is not None

    async def copy(
        self, chat_id: str, number: int, map_type: MapType | None, author: Author
    ) -> MapSummary | None:
        return await self.run(lambda u: u.maps.copy(chat_id, number, map_type, author))

    async def copied_from(self, chat_id: str, number: int) -> int | None:
        return await self.run(lambda u: u.maps.copied_from(chat_id, number))

    async def delete_map(self, chat_id: str, number: int) -> bool:
        return await self.run(lambda u: u.maps.delete(chat_id, number))

    async def versions(self, chat_id: str, number: int) -> list[VersionInfo]:
        return await self.run(lambda u: u.maps.versions(chat_id, number))

    async def set_tick(
        self, chat_id: str, number: int, item: str, ticked: bool, by: str = ""
    ) -> bool:
        return await self.run(lambda u: u.maps.set_tick(chat_id, number, item, ticked, by))

    async def ticks(self, chat_id: str, number: int) -> set[str]:
        return await self.run(lambda u: u.maps.ticks(chat_id, number))

    async def remember_question(
        self, chat_id: str, message_id: int, scope: str, position: str
    ) -> None:
        await self.run(
            lambda u: u.interviews.remember_question(chat_id, message_id, scope, position)
        )

    async def question_of(self, chat_id: str, message_id: int) -> tuple[str, str] | None:
        return await self.run(lambda u: u.interviews.question_of(chat_id, message_id))

    async def add_reminder(self, chat_id: str, number: int, due_at: datetime) -> bool:
        return await self.run(lambda u: u.reminders.add(chat_id, number, due_at))

    async def next_reminder_at(self) -> datetime | None:
        return await self.run(lambda u: u.reminders.next_at())

    async def outbox_backlog(self) -> int:
        return await self.run(lambda u: u.outbox.backlog())

    async def interviews_in_progress(self) -> int:
        return await self.run(lambda u: u.interviews.in_progress())
