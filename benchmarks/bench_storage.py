"""Storage latency (issue 3 budgets: record-answer p99 < 5 ms on SQLite, listing < 20 ms).

- record-answer: one answer applied to a stored interview (load, engine, optimistic write,
  update-id ledger), 5,000 times; load-interview: 5,000 loads;
- listing: a chat's maps, newest first, with 10,000 maps of 100 chats in the database.
On SQLite (a temporary file) and on PostgreSQL when JOURNEYBOT_TEST_POSTGRES_URL is set.

    .venv/bin/python benchmarks/bench_storage.py [--ops 5000]
"""

from __future__ import annotations

import argparse
import asyncio
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

from flows.engine import handle
from flows.interview import Event
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
    asyncio.run(main())
