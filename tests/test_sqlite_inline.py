"""SQLite statements run on the event loop, without a thread: the units of work
synchronously on one connection (storage/sqlite_units.py), the rest through aiosqlite's
interface run inline (storage/sqlite_inline.py). Waiting for another process's write lock
must not stop the loop, and a lock held too long is an outage."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage import database, sqlite_inline
from storage.repository import Store, Unavailable
from storage.sqlite_units import InlineSession


async def _ticks_while(work) -> tuple[object, int]:  # type: ignore[no-untyped-def]
    """Run `work`, counting how often the loop got round to a 10 ms ticker meanwhile."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        return await work, ticks
    finally:
        done.set()
        await task


def _hold_write_lock(path: str, seconds: float) -> threading.Thread:
    """Another writer (as a second process would be) holds the write lock for `seconds`."""
    ready = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(5)
    return thread


async def test_the_store_runs_sqlite_on_the_loop_without_a_thread(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'j.db'}")
    try:
        await store.upgrade()
        async with store.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
        threads = threading.active_count()
        await store.ensure_chat("1", "private", "en")
        assert threading.active_count() == threads  # aiosqlite would start one per connection
        assert await store.ensure_chat("1", "private", "pl") == "en"
        async with store.unit() as work:  # a unit's session: synchronous, on the loop
            assert isinstance(work.session, InlineSession)
    finally:
        await store.close()


@pytest.mark.alone  # measures time: other workers' CPU would make it late
async def test_waiting_for_another_writer_keeps_the_loop_running(tmp_path) -> None:
    path = tmp_path / "j.db"
    store = Store(f"sqlite:///{path}")
    try:
        await store.upgrade()
        holder = _hold_write_lock(str(path), 0.5)
        began = time.monotonic()
        language, ticks = await _ticks_while(store.ensure_chat("1", "private", "id"))
        waited = time.monotonic() - began
        holder.join()
        assert language == "id"
        assert waited >= 0.4  # it did wait for the lock …
        assert ticks >= 20  # … and the loop went on meanwhile (blocked, it would be ~0)
        assert await store.ensure_chat("1", "private", "en") == "id"  # stored once, kept
    finally:
        await store.close()


async def test_a_lock_held_past_the_busy_timeout_is_an_outage(tmp_path, monkeypatch) -> None:
    path = tmp_path / "j.db"
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT", 0.2)  # instead of 30 s
    store = Store(f"sqlite:///{path}")
    await store.upgrade()
    holder = _hold_write_lock(str(path), 1.0)
    try:
        began = time.monotonic()
        with pytest.raises(Unavailable, match="locked"):
            await store.ensure_chat("1", "private", "id")
        assert time.monotonic() - began < 0.9  # given up after the timeout, not the lock
        with pytest.raises(OperationalError, match="locked"):  # the rest (e.g. migrations)
            async with store.engine.begin() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        holder.join()
    try:  # once the lock is free, the same store works again
        assert await store.ensure_chat("1", "private", "id") == "id"
    finally:
        await store.close()


async def _outbox_and_chats(store: Store) -> tuple[int, int]:
    async with store.unit() as work:
        posts = await work.session.scalar(text("SELECT count(*) FROM outbox"))
        chats = await work.session.scalar(text("SELECT count(*) FROM chats"))
    return posts, chats


async def test_a_unit_cancelled_while_it_waits_is_rolled_back(tmp_path) -> None:
    """SQLite's units run without a shield: a caller cancelled in the middle of its body
    (the loop stopping) leaves nothing half-written, and the connection is lent again."""
    store = Store(f"sqlite:///{tmp_path / 'j.db'}")
    await store.upgrade()
    try:
        await store.ensure_chat("1", "private", "en")
        inside = asyncio.Event()

        async def body(work) -> None:  # type: ignore[no-untyped-def]
            await work.outbox.add("1", "{}")
            inside.set()
            await asyncio.sleep(30)

        task = asyncio.create_task(store.run(body))
        await inside.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await _outbox_and_chats(store) == (0, 1)
        await store.run(lambda work: work.outbox.add("1", "{}"))
        assert await _outbox_and_chats(store) == (1, 1)
    finally:
        await store.close()
