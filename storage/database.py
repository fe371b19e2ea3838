"""Where the data lives: the database URL, the async engine and the schema migrations.

The URL comes from the caller (the bot's settings resolve `JOURNEYBOT_DATABASE_URL` and `.env`
in one place); without one a SQLite file `journeybot.db` in the working directory is used (no
set-up). Plain driver names are mapped to async drivers, so `sqlite:///x.db`,
`postgresql://…`, `postgresql+psycopg://…` and `postgresql+asyncpg://…` all work and never
block the event loop; any other URL is refused with one line naming the supported ones."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import sqlite_inline

URL_VARIABLE = "JOURNEYBOT_DATABASE_URL"
DEFAULT_URL = "sqlite:///journeybot.db"
MIGRATIONS = Path(__file__).parent / "migrations"
SUPPORTED = (
    "sqlite:///path/to/file.db",
    "postgresql://user:password@host:5432/db (also postgresql+asyncpg:// or postgresql+psycopg://)",
)
# Every instance migrating at start takes this PostgreSQL advisory lock first, so several
# starting at once run the migrations one after another (the later ones find nothing to do).
MIGRATION_LOCK = 0x6A62_6462  # "jbdb"
# PostgreSQL connections per instance (N instances use N times as many of the server's
# max_connections, 100 by default), and how long a unit waits for one before it is an outage.
POOL_SIZE = 10
POOL_TIMEOUT = 30
# How long SQLite waits for another process's write lock before it counts as an outage.
SQLITE_BUSY_TIMEOUT = 30.0


class UnsupportedDatabase(ValueError):
    """The URL names a database journeybot does not work with; the message says which do."""


_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


_USABLE = {"sqlite+aiosqlite", "postgresql+asyncpg", "postgresql+psycopg"}


def database_url(url: str | None = None) -> str:
    """The URL (default: `journeybot.db` here) with an async driver; UnsupportedDatabase for
    anything but SQLite and PostgreSQL."""
    raw = url or DEFAULT_URL
    try:
        parsed = make_url(raw)
    except ArgumentError:
        parsed = None
    driver = _ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername) if parsed else ""
    if parsed is None or driver not in _USABLE:
        scheme = raw.split("://", 1)[0] if "://" in raw else raw[:20]
        raise UnsupportedDatabase(
            f"unsupported database URL {scheme}://…; journeybot works with "
            + " or ".join(SUPPORTED)
        )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def describe(url: str) -> str:
    """The URL for people: the password hidden, a SQLite file as its absolute path."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        return (
            f"SQLite file {Path(path).resolve()}"
            if path and path != ":memory:"
            else "SQLite in memory"
        )
    return f"PostgreSQL {parsed.set(drivername='postgresql').render_as_string(hide_password=True)}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str | None = None) -> AsyncEngine:
    url = database_url(url)
    if is_sqlite(url):
        # Wait for a busy file instead of failing at once when two writers meet.
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
        event.listen(engine.sync_engine, "do_connect", _sqlite_inline)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", sqlite_begin)
        return engine
    # A fixed set of connections, kept open; units beyond it wait for one. Connections opened
    # past the pool and closed after one unit (overflow) each cost a PostgreSQL backend start,
    # an SSL probe and every statement prepared again: a quarter of the bot's time at 50 busy
    # chats. No ping before each unit either (a round trip each): a connection the server
    # dropped fails its first statement, SQLAlchemy then discards the whole pool, and
    # Store.run goes again at once on a fresh one.
    return create_async_engine(url, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=POOL_TIMEOUT)


def _sqlite_inline(dialect, _record, cargs, cparams):
    """Connections that run their statements on the event loop (storage/sqlite_inline.py)."""
    return dialect.dbapi.connect(*cargs, async_creator_fn=sqlite_inline.connect, **cparams)


def sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # We say BEGIN ourselves (below): the driver's own transaction handling would let a
    # SAVEPOINT open, and its RELEASE commit, a transaction of its own.
    dbapi_connection.isolation_level = None


def sqlite_begin(connection: Connection) -> None:
    """Every transaction takes the write lock at once. A transaction that read first and
    writes later fails at once with "database is locked" when another writer came between
    (the busy timeout does not apply then); waiting at BEGIN is what the timeout is for."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine) -> str | None:
    """Bring the database to the current schema (Alembic `upgrade head`); returns the
    revision it had before. On PostgreSQL under an advisory lock held until the migration
    commits: instances starting together wait for each other instead of creating the same
    tables twice, and the later ones find nothing to do."""
    from alembic.migration import MigrationContext

    def migrate(sync: Connection) -> str | None:
        before = MigrationContext.configure(sync).get_current_revision()
        command.upgrade(alembic_config(sync), "head")
        return before

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        return await connection.run_sync(migrate)


def head_revision() -> str | None:
    """The schema revision this code expects."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.migration import MigrationContext

    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def ping(engine: AsyncEngine) -> None:
    """Raises when the database does not answer (for health checks)."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
