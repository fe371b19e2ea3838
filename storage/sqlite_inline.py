"""SQLite on the event loop itself: aiosqlite's interface without its thread, for what uses
the store's async engine (migrations, the health check's ping). The units of work, where
speed counts, skip the async layer altogether (storage/sqlite_units.py).

aiosqlite hands every call (each statement, fetch, BEGIN and COMMIT) to a thread of its own
and back, about 0.1 ms a hand-over here where the statement itself takes a few microseconds;
and the loop resumes the unit only when it comes round to it. SQLite has one writer, so
every unit of work waited for the hand-overs of all the units before it: under load this,
not SQLite, set the bot's pace (issue 17). Run inline, a unit takes the time of its own work.

What must not block the loop is waiting for another process's write lock (a second
instance, `journeybot db upgrade`): the driver's own busy timeout is 0, and a statement that
finds the database locked outside a transaction (BEGIN IMMEDIATE, which every unit starts
with) is tried again after an asyncio sleep, until the busy timeout is over."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite

_Item = tuple[asyncio.Future[Any] | None, Callable[[], Any]]


class _RunNow:
    """aiosqlite's queue to its thread, run at once: SQLAlchemy's adapter puts some calls
    (setting the isolation level) on that queue directly."""

    def put_nowait(self, item: _Item) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as problem:  # handed to the waiting caller
            if future is not None and not future.done():
                future.set_exception(problem)
            return
        if future is not None and not future.done():
            future.set_result(None if result is aiosqlite.core._STOP_RUNNING_SENTINEL else result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]
        self._busy_timeout = busy_timeout

    def __await__(self):
        return self._connect().__await__()  # no thread to start

    async def _execute(self, fn, *args, **kwargs):
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._busy_timeout
        pause = 0.001
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as problem:
                # Inside a transaction nothing is retried: what it did is undone by rollback.
                if not busy(problem) or self._connection.in_transaction:
                    raise
                if loop.time() + pause > deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.05)


def busy(problem: BaseException | None) -> bool:
    """SQLite's answer when another connection holds the write lock."""
    text = str(problem).lower()
    return isinstance(problem, sqlite3.OperationalError) and (
        "database is locked" in text or "database is busy" in text
    )


def connect(database: str, *, timeout: float = 30.0, **kwargs: Any) -> InlineConnection:
    """Like aiosqlite.connect: SQLAlchemy's aiosqlite dialect calls it with the arguments it
    made of the URL (see storage/database.py)."""
    kwargs["check_same_thread"] = False  # closed by the pool, maybe from the GC

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, timeout=0, **kwargs)

    return InlineConnection(connector, busy_timeout=timeout)
