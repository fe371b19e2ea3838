"""Shared fixtures: a fresh, migrated database per test on SQLite, and on PostgreSQL when
JOURNEYBOT_TEST_POSTGRES_URL points at a server (CI sets it)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import database_url
from storage.repository import Store

POSTGRES_VARIABLE = "JOURNEYBOT_TEST_POSTGRES_URL"
NO_POSTGRES = f"{POSTGRES_VARIABLE} is not set: the PostgreSQL variant is skipped"


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
