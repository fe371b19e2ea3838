"""The database goes away under a running bot: a PostgreSQL server this test starts itself
(and stops, and starts again), and a SQLite file on a disk that fills up. An answer given
meanwhile is kept once the database is back, or the person is told plainly that it was not
saved — never that it is safe when it is not."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.repository import Store
from tests.e2e import BotProcess, Person, free_port, open_map, stored
from tests.fakebotapi import FakeBotApi

pytestmark = pytest.mark.timeout(240)
NOT_SAVED = "I could not save your last message"


def _postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class OwnPostgres:
    """A PostgreSQL server of the test's own, on a free port, to stop and start at will."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="jb-pg-"))
        self.port = free_port()
        self.data = self.root / "data"
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            _postgres_bin("initdb") or "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _postgres_bin("pg_ctl") or "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(
            _postgres_bin("pg_ctl") or "pg_ctl",
            "-D",
            str(self.data),
            "-m",
            "immediate",
            "-w",
            "stop",
        )

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if _postgres_bin("initdb") is None or _postgres_bin("pg_ctl") is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed")
    server = OwnPostgres()
    server.init()
    server.start()
    yield server
    server.remove()


async def migrated(url: str) -> None:
    store = Store(url)
    try:
        await store.upgrade()
    finally:
        await store.close()


async def test_postgres_stopped_and_started_under_the_bot(
    api: FakeBotApi, own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    await migrated(own_postgres.url)
    owner = api.new_user("Ani", "ani", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    bot = BotProcess(
        api,
        own_postgres.url,
        tmp_path,
        extra_env={"JOURNEYBOT_OUTAGE_WAIT": "6", "JOURNEYBOT_OUTBOX_LEASE": "3"},
    )
    await bot.start()
    try:
        await open_map(me, "Current state")

        # A short outage: the answer waits for the database and is kept.
        own_postgres.stop()
        me.answers("Kedai Ani")
        await asyncio.sleep(2)
        own_postgres.start()
        await me.sees("What should this map help you achieve?", timeout=30)

        # A long one: the person is told that this answer was not saved…
        own_postgres.stop()
        me.answers("More regulars")
        refused = await me.sees(NOT_SAVED, timeout=30)
        assert "safe" not in refused.content
        own_postgres.start()
        # …and sending it again works.
        me.answers("More regulars")
        await me.sees("Who are your customers?", timeout=30)

        loaded = await stored(
            own_postgres.url, lambda s: s.load_interview(str(owner.id), str(owner.id))
        )
        assert (loaded.interview.map.title, loaded.interview.map.goal) == (
            "Kedai Ani",
            "More regulars",
        )
        assert sum("What should this map help" in t for t in me.texts()) == 1
    finally:
        await bot.stop()
    log = bot.output()
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 4 MB disk of its own (tmpfs), to fill up."""
    root = Path(tempfile.mkdtemp(prefix="jb-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(root)], capture_output=True
    )
    if mounted.returncode != 0:
        root.rmdir()
        pytest.skip(f"cannot mount a small disk here: {mounted.stderr.decode().strip()}")
    yield root
    subprocess.run(["umount", "-l", str(root)], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    return filler


async def test_sqlite_on_a_full_disk(api: FakeBotApi, small_disk: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{small_disk / 'bot.db'}"
    owner = api.new_user("Budi", "budi", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    bot = BotProcess(api, url, tmp_path, extra_env={"JOURNEYBOT_OUTAGE_WAIT": "3"})
    await bot.start()
    try:
        await open_map(me, "Current state")
        filler = fill(small_disk)
        for attempt in range(40):  # until SQLite's own spare room is used up too
            me.answers(f"Warung Budi {attempt}" + " x" * 50)
            reply = await me.sees(lambda m: m.method == "sendMessage", timeout=30)
            if NOT_SAVED in reply.content:
                break
            me.command("back")
            await me.sees("What business or product")
        else:
            pytest.fail("the disk never filled up")
        assert "safe" not in reply.content
        filler.unlink()
        me.answers("Warung Budi")
        await me.sees("What should this map help you achieve?", timeout=30)
        loaded = await stored(url, lambda s: s.load_interview(str(owner.id), str(owner.id)))
        assert loaded.interview.map.title == "Warung Budi"
    finally:
        await bot.stop()
    assert "Traceback" not in bot.output(), bot.output()[-3000:]
