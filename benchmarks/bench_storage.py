"""Storage latency (issue 3 budgets: record-answer p99 < 5 ms on SQLite, listing < 20 ms).

- record-answer: one answer applied to a stored interview (load, engine, optimistic write,
  update-id ledger), 5,000 times; load-interview: 5,000 loads;
- listing: a chat's maps, newest first, with 10,000 maps of 100 chats in the database.
On SQLite (a temporary file) and on PostgreSQL when JOURNEYBOT_TEST_POSTGRES_URL is set.

    .venv/bin/python benchmarks/bench_storage.py [--ops 5000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.startup import run_loop
from flows.engine import handle
from flows.interview import Event, Interview
from storage.database import database_url
from storage.repository import Store
from storage.tables import ChatRow, MapRow
from tests.scripted import ANIA, Interviewee


def stats(label: str, seconds: list[float]) -> None:
    ms = sorted(s * 1e3 for s in seconds)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{label}: median {statistics.median(ms):.3f} ms, p99 {p99:.3f} ms (n={len(ms)})")


async def bench(url: str, ops: int) -> None:
    store = Store(url)
    await store.upgrade()
    await store.ensure_chat("bench", "private", "en")
    interview = Interviewee(personas=2, stages=5).run(until_state="touchpoints").interview
    interview.map.stages[0].items("touchpoints").clear()
    await store.start_interview("bench", "u", interview)

    record, load = [], []
    for n in range(ops):
        # Answers go to the touchpoints of a stage; /back keeps the list from filling up.
        event = Event.text(f"touchpoint {n}", ANIA) if n % 2 == 0 else Event.command("back", ANIA)
        began = time.perf_counter()
        await store.apply("bench", "u", lambda iv, e=event: _answer(iv, e), ledger_key=f"bench:{n}")
        record.append(time.perf_counter() - began)
        began = time.perf_counter()
        await store.load_interview("bench", "u")
        load.append(time.perf_counter() - began)
    stats("  record-answer", record)
    stats("  load-interview", load)
    await against_the_driver(store, url, ops)

    async with store.session() as s:
        s.add_all(ChatRow(id=f"chat{c}", kind="group", language="en") for c in range(100))
        await s.flush()
        base = datetime.now(UTC)
        s.add_all(
            MapRow(
                chat_id=f"chat{n % 100}",
                number=n // 100 + 1,
                title=f"Map {n}",
                map_type="current",
                language="en",
                updated_at=base - timedelta(minutes=n),
            )
            for n in range(10_000)
        )
        await s.commit()
    listing = []
    for n in range(200):
        began = time.perf_counter()
        page = await store.list_maps(f"chat{n % 100}", page=1 + n % 3, per_page=5)
        listing.append(time.perf_counter() - began)
        assert page.total == 100
    stats("  list a chat's maps (10,000 maps, 100 chats)", listing)
    await store.close()


async def against_the_driver(store: Store, url: str, ops: int) -> None:
    """Store.apply with a change that changes nothing, against the raw driver running the
    same statements (ledger insert, optimistic update) and the same JSON read and write;
    load-interview against the driver's select and the same JSON read (issue 17: apply
    at most 2x the driver)."""
    apply, load = [], []
    for n in range(ops):
        began = time.perf_counter()
        await store.apply("bench", "u", lambda iv: None, ledger_key=f"noop:{n}")
        apply.append(time.perf_counter() - began)
        began = time.perf_counter()
        await store.load_interview("bench", "u")
        load.append(time.perf_counter() - began)
    stats("  Store.apply (the change itself excluded)", apply)
    driver, close = await (_sqlite_driver(url) if "sqlite" in url else _postgres_driver(url))
    try:
        floor_apply, floor_load = [], []
        for n in range(ops):
            began = time.perf_counter()
            await driver.apply(f"raw:{n}")
            floor_apply.append(time.perf_counter() - began)
            began = time.perf_counter()
            await driver.load()
            floor_load.append(time.perf_counter() - began)
    finally:
        await close()  # type: ignore[operator]
    stats("  the driver, same statements and JSON", floor_apply)
    ratio = statistics.median(apply) / statistics.median(floor_apply)
    print(f"  Store.apply / driver = {ratio:.2f} (goal <= 2)")
    stats("  load-interview, the driver", floor_load)
    ratio = statistics.median(load) / statistics.median(floor_load)
    print(f"  load-interview / driver = {ratio:.2f}")


_SELECT = "SELECT id, revision, data, map_id FROM interviews WHERE chat_id = {} AND scope = {}"
_LEDGER = "INSERT INTO update_ledger (key, processed_at) VALUES ({}, {}) ON CONFLICT DO NOTHING"
_UPDATE = (
    "UPDATE interviews SET data = {}, state = {}, revision = {}, updated_at = {} "
    "WHERE id = {} AND revision = {}"
)


class _Driver:
    """The statements Store.apply runs for an answer, on the raw driver: the ledger insert
    and the optimistic update, the interview read from what was last written (as the store
    keeps it), parsed and written back as JSON."""

    def __init__(self, execute, fetchrow, transaction, marks) -> None:  # type: ignore[no-untyped-def]
        self.execute, self.fetchrow, self.transaction, self.q = (
            execute,
            fetchrow,
            transaction,
            marks,
        )
        self.written: tuple[int, int, str] | None = None

    async def load(self) -> Interview:
        row = await self.fetchrow(_SELECT.format(*self.q[:2]), "bench", "u")
        return Interview.from_json(row[2])

    async def apply(self, key: str) -> None:
        if self.written is None:
            row = await self.fetchrow(_SELECT.format(*self.q[:2]), "bench", "u")
            self.written = (row[0], row[1], row[2])
        row_id, revision, data = self.written
        at = datetime.now(UTC).replace(tzinfo=None)
        async with self.transaction():
            await self.execute(_LEDGER.format(*self.q[:2]), key, at)
            interview = Interview.from_json(data)
            data = interview.to_json()
            await self.execute(
                _UPDATE.format(*self.q), data, interview.state, revision + 1, at, row_id, revision
            )
        self.written = (row_id, revision + 1, data)


async def _sqlite_driver(url: str) -> tuple[_Driver, object]:
    """sqlite3 itself (the store runs SQLite's statements on the loop the same way)."""
    import sqlite3
    from contextlib import asynccontextmanager

    connection = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")

    async def execute(sql, *args):  # type: ignore[no-untyped-def]
        connection.execute(sql, tuple(str(a) if isinstance(a, datetime) else a for a in args))

    async def fetchrow(sql, *args):  # type: ignore[no-untyped-def]
        return connection.execute(sql, args).fetchone()

    @asynccontextmanager
    async def transaction():  # type: ignore[no-untyped-def]
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("COMMIT")

    async def close() -> None:
        connection.close()

    return _Driver(execute, fetchrow, transaction, ("?",) * 6), close


async def _postgres_driver(url: str) -> tuple[_Driver, object]:
    import asyncpg

    connection = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    marks = tuple(f"${i}" for i in range(1, 7))
    return _Driver(
        connection.execute, connection.fetchrow, connection.transaction, marks
    ), connection.close


def _answer(iv, event):  # type: ignore[no-untyped-def]
    outcome = handle(iv, event)
    if iv.state != "touchpoints":  # /back went too far: come back to the list
        iv.state, iv.stage, iv.persona = "touchpoints", 0, None
    return outcome


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=5000)
    ops = parser.parse_args().ops
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite")
        await bench(f"sqlite+aiosqlite:///{folder}/bench.db", ops)
    pg = os.environ.get("JOURNEYBOT_TEST_POSTGRES_URL")
    if not pg:
        print("PostgreSQL: skipped (JOURNEYBOT_TEST_POSTGRES_URL is not set)")
        return
    name = f"jb_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(database_url(pg), isolation_level="AUTOCOMMIT")
    async with admin.connect() as c:
        await c.execute(text(f"CREATE DATABASE {name}"))
    try:
        print("PostgreSQL")
        await bench(make_url(database_url(pg)).set(database=name).render_as_string(False), ops)
    finally:
        async with admin.connect() as c:
            await c.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        await admin.dispose()


if __name__ == "__main__":
    run_loop(main())  # the event loop `journeybot run` uses
