"""Shared fixtures: a fresh, migrated database per test on SQLite, and on PostgreSQL when
JOURNEYBOT_TEST_POSTGRES_URL points at a server (CI sets it). Tests run in parallel
(pytest-xdist, pyproject.toml addopts); the ones marked `alone` run while no other does."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import database_url
from storage.repository import Store

POSTGRES_VARIABLE = "JOURNEYBOT_TEST_POSTGRES_URL"
NO_POSTGRES = f"{POSTGRES_VARIABLE} is not set: the PostgreSQL variant is skipped"


class Room:
    """Where the tests of one parallel run take place: any number together, or one `alone`
    (it measures time, so other workers' CPU would make it fail). A readers-writer lock
    between the workers' processes (flock on two files in the run's shared temporary
    folder); at the door one waits in line, so a test waiting to be alone is not overtaken
    by the ones that come after it."""

    def __init__(self, folder: Path) -> None:
        self._door: IO[bytes] = (folder / "room.door").open("ab")
        self._room: IO[bytes] = (folder / "room.lock").open("ab")

    @contextlib.contextmanager
    def entered(self, alone: bool) -> Iterator[None]:
        fcntl.flock(self._door, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            if not alone:  # alone, it keeps the door shut until it leaves
                fcntl.flock(self._door, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self._room, fcntl.LOCK_UN)
            if alone:
                fcntl.flock(self._door, fcntl.LOCK_UN)


_room: Room | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _room
    basetemp = config.option.basetemp
    if hasattr(config, "workerinput") and basetemp:  # an xdist worker: basetemp is run/gw<n>
        _room = Room(Path(basetemp).parent)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    if _room is None:  # not in parallel: every test is alone anyway
        return (yield)
    with _room.entered(alone=item.get_closest_marker("alone") is not None):
        return (yield)


def postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_VARIABLE)
    return database_url(url) if url else None


async def _admin(sql: str) -> None:
    url = postgres_url()
    assert url is not None
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test copies (CREATE DATABASE … TEMPLATE)."""
    url = postgres_url()
    if url is None:
        pytest.skip(NO_POSTGRES)
    name = f"jb_template_{os.getpid()}"

    async def create() -> None:
        await _admin(f"DROP DATABASE IF EXISTS {name}")
        await _admin(f"CREATE DATABASE {name}")
        store = Store(_with_database(url, name))
        await store.upgrade()
        await store.close()

    asyncio.run(create())
    yield name
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=pytest.mark.skipif(postgres_url() is None, reason=NO_POSTGRES),
    ),
]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of an empty, migrated database: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'journeybot.db'}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"jb_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f"CREATE DATABASE {name} TEMPLATE {template}"))
    url = postgres_url()
    assert url is not None
    yield _with_database(url, name)
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = Store(db_url)
    await store.upgrade()  # a no-op on the PostgreSQL copy, which is migrated already
    yield store
    await store.close()


@pytest.fixture
async def api():  # type: ignore[no-untyped-def]
    """The fake Telegram Bot API server (tests/fakebotapi), on a free local port."""
    from tests.fakebotapi import FakeBotApi

    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'bot.db'}"
