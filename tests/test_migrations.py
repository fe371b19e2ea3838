"""Migrations when several instances start at once (compose scale, a rolling restart): each
runs `journeybot db upgrade` or `run --migrate`; a PostgreSQL advisory lock makes them take
turns, so they all succeed and the schema is made once."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage import database
from tests.conftest import NO_POSTGRES, _admin, postgres_url
from tests.e2e import journeybot

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(postgres_url() is None, reason=NO_POSTGRES),
]


@pytest.fixture
def fresh_database():
    """An empty PostgreSQL database (no tables), dropped afterwards."""
    url = postgres_url()
    assert url is not None
    name = f"jb_fresh_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def upgrade_process(url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *journeybot(),
        "db",
        "upgrade",
        env={**os.environ, "JOURNEYBOT_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_three_instances_upgrading_a_fresh_database_at_once(fresh_database: str) -> None:
    results = await asyncio.gather(*(upgrade_process(fresh_database) for _ in range(3)))
    assert all(code == 0 for code, _ in results), results
    said = [out for _, out in results]
    # One of them made the schema; the others found it made.
    assert sum("schema brought to" in out for out in said) == 1, said
    assert sum("schema up to date" in out for out in said) == 2, said
    engine = create_async_engine(fresh_database)
    try:
        async with engine.connect() as connection:
            versions = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
    finally:
        await engine.dispose()
    assert [v for (v,) in versions] == [database.head_revision()]
