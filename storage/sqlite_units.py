"""SQLite's units of work as plain synchronous SQLAlchemy on the event loop.

A SQLite statement takes microseconds. Around it, an async session added a greenlet switch
per driver call, the adapter's futures and a pool check-out per unit: four times the work of
the statements themselves (issue 17). The units take turns anyway (SQLite has one writer),
so the store keeps one connection and runs each unit's session on it synchronously, behind
the awaitable methods the aggregates use (`InlineSession`).

What must not stop the loop is waiting for another process's write lock (a second instance,
`journeybot db upgrade`): the driver's busy timeout is 0, and BEGIN IMMEDIATE, which every
unit starts with, is tried again after an asyncio sleep until `database.SQLITE_BUSY_TIMEOUT`
is over. Once the unit holds the lock, nothing in it waits."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage import database, sqlite_inline
from storage.tables import is_core


class InlineSession:
    """The awaitable methods of AsyncSession that the aggregates use, each run at once
    without leaving the loop, on the unit's connection and its transaction.

    A Core statement (an answer's: `tables.core`) runs on the connection itself. An ORM
    session, joined to the same transaction, is opened for the rest (rows as objects,
    savepoints) and from then on runs every statement, so the rows it holds are flushed
    before them. The ORM's own bookkeeping cost as much as the statements (issue 17);
    PostgreSQL's units do the same (storage/pg_units.py)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._orm: Session | None = None

    @property
    def sync_session(self) -> Session:
        if self._orm is None:
            # Joined to the unit's transaction: its commit only flushes; the unit commits.
            self._orm = Session(bind=self.connection, expire_on_commit=False)
        return self._orm

    async def execute(
        self, statement: Any, params: Any = None, **kw: Any
    ) -> Result[*tuple[Any, ...]]:
        if self._orm is None and is_core(statement):
            return self.connection.execute(statement, params, **kw)
        return self.sync_session.execute(statement, params, **kw)

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return (await self.execute(statement, params, **kw)).scalar()

    async def get(self, entity: Any, ident: Any) -> Any:
        return self.sync_session.get(entity, ident)

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)

    async def flush(self) -> None:
        if self._orm is not None:
            self._orm.flush()

    async def commit(self) -> None:
        await self.flush()
        self.connection.commit()

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self.sync_session.begin_nested():
            yield

    def get_bind(self) -> Any:
        return self.connection

    def close(self) -> None:
        if self._orm is not None:
            self._orm.close()


class SqliteUnits:
    """One connection to the SQLite file, lent to one unit of work at a time."""

    def __init__(self, url: str) -> None:
        path = make_url(url).database or ""
        self.engine: Engine = create_engine(
            f"sqlite:///{path}", connect_args={"timeout": 0, "check_same_thread": False}
        )
        event.listen(self.engine, "connect", database.sqlite_pragmas)
        event.listen(self.engine, "begin", _begin_immediate)
        self._connection: Connection | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[InlineSession]:
        """A unit's session, its transaction holding the write lock; rolled back unless
        committed."""
        connection = self._connection or self.engine.connect()
        self._connection = connection
        session = InlineSession(connection)
        try:
            await _write_lock(connection)
            yield session
        finally:
            self._end(session, connection)

    def _end(self, session: InlineSession, connection: Connection) -> None:
        try:
            session.close()
            if connection.get_transaction():  # not committed, or a COMMIT that failed (disk full)
                connection.rollback()
        except Exception:  # a connection in no state to lend again: the next unit opens one
            self._connection = None
            connection.invalidate()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        self.engine.dispose()


def _begin_immediate(connection: Connection) -> None:
    """The engine's "begin": BEGIN IMMEDIATE (see `database.sqlite_begin`), straight to the
    driver; SQLAlchemy's execution path around it cost more than the statement."""
    try:
        connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
    except sqlite3.OperationalError as problem:  # as SQLAlchemy would have raised it
        raise OperationalError("BEGIN IMMEDIATE", None, problem) from problem


async def _write_lock(connection: Connection) -> None:
    """BEGIN IMMEDIATE, waiting (on the loop) for another process's write lock."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + database.SQLITE_BUSY_TIMEOUT
    pause = 0.001
    while True:
        try:
            connection.begin()  # the engine's "begin" listener takes the lock
            return
        except OperationalError as problem:
            connection.rollback()
            if not sqlite_inline.busy(problem.orig) or loop.time() + pause > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)
