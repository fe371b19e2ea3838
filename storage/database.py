"""Where the data lives: the database URL, the async engine and the schema migrations.

`JOURNEYBOT_DATABASE_URL` picks the database; without it a SQLite file `journeybot.db` in the
working directory is used (no set-up). Plain driver names are mapped to async drivers, so
`sqlite:///x.db`, `postgresql://…`, `postgresql+psycopg://…` and `postgresql+asyncpg://…`
all work and never block the event loop."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

URL_VARIABLE = "JOURNEYBOT_DATABASE_URL"
DEFAULT_URL = "sqlite:///journeybot.db"
MIGRATIONS = Path(__file__).parent / "migrations"

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


def database_url(url: str | None = None) -> str:
    """The configured URL with an async driver."""
    raw = url or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    parsed = make_url(raw)
    driver = _ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str | None = None) -> AsyncEngine:
    url = database_url(url)
    if is_sqlite(url):
        # Wait for a busy file instead of failing at once when two writers meet.
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # We say BEGIN ourselves (below): the driver's own transaction handling would let a
    # SAVEPOINT open, and its RELEASE commit, a transaction of its own.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    """Every transaction takes the write lock at once. A transaction that read first and
    writes later fails at once with "database is locked" when another writer came between
    (the busy timeout does not apply then); waiting at BEGIN is what the timeout is for."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database to the current schema (Alembic `upgrade head`)."""
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.migration import MigrationContext

    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
