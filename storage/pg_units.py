"""PostgreSQL's units of work: on one pooled connection, in one transaction.

As on SQLite (storage/sqlite_units.py), a unit's Core statements (an answer's: `tables.core`)
run on the connection itself, and an ORM session joined to the same transaction is opened
only for the rest (rows as objects, savepoints); from then on it runs every statement, so the
rows it holds are flushed before them. The ORM session around every statement cost a tenth
of the client's work per unit (issue 17).

The statements every answer runs are marked `hot`: compiled once, they go straight to the
cursor of SQLAlchemy's asyncpg adapter — where SQLAlchemy's own execute ends, with its BEGIN,
prepared-statement cache and error translation — past the execution context and result
objects around it, which cost 1.5-2x the adapter's own work per statement (issue 17). A
failure is handed to SQLAlchemy's connection as its own would be (wrapped, and the connection
invalidated when the server dropped it), so callers see no difference."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Result
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_cursor
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.compiler import Compiled

from storage.tables import is_core

S = TypeVar("S")


@dataclass
class _Prepared:
    """A hot statement compiled for PostgreSQL: its SQL and how to order its parameters."""

    compiled: Compiled
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    row: Any = field(default=None)  # the namedtuple its rows come as, once seen


# Statements marked hot -> their compiled form (once first run). Only statements built once
# (module constants): one built per call would be compiled at every run.
_HOT: dict[Any, _Prepared | None] = {}
# The adapter's coroutine this path relies on; without it (another SQLAlchemy), hot
# statements simply take SQLAlchemy's execute like the rest.
_ADAPTER_RUNS = hasattr(AsyncAdapt_asyncpg_cursor, "_prepare_and_execute")


def hot(statement: S) -> S:
    """Mark a statement built once to run by the hot path on PostgreSQL (see above)."""
    _HOT[statement] = None
    return statement


def _prepare(statement: Any, dialect: Dialect) -> _Prepared:
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    prepared = _HOT[statement] = _Prepared(compiled, names, processors)
    return prepared


class HotResult:
    """What callers read of a hot statement's result: `rowcount`, `first()`, `scalar()`,
    `scalars()`, `all()` — rows as named tuples, like SQLAlchemy's."""

    def __init__(self, prepared: _Prepared, cursor: Any) -> None:
        self.rowcount: int = cursor.rowcount
        records = cursor.fetchall()
        if records and prepared.row is None:
            names = [column[0] for column in cursor.description]
            prepared.row = namedtuple("Row", names, rename=True)  # type: ignore[misc]
        self._rows = [prepared.row(*record) for record in records]

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> Iterator[Any]:
        return (row[0] for row in self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)


class ConnectedSession:
    """The methods of AsyncSession the aggregates use, on the unit's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._orm: AsyncSession | None = None
        self._adapter: Any = None  # the asyncpg adapter's connection, once a hot statement ran
        # (URLs may name psycopg instead: its statements all take SQLAlchemy's execute)
        self._hot = _ADAPTER_RUNS and connection.dialect.driver == "asyncpg"

    @property
    def orm(self) -> AsyncSession:
        if self._orm is None:  # joined to the unit's transaction: the unit commits it
            self._orm = AsyncSession(bind=self.connection, expire_on_commit=False)
        return self._orm

    async def execute(
        self, statement: Any, params: Any = None, **kw: Any
    ) -> Result[*tuple[Any, ...]]:
        if self._orm is None and is_core(statement):
            if self._hot and statement in _HOT and not kw:
                return await self._run_hot(statement, params or {})  # type: ignore[return-value]
            return await self.connection.execute(statement, params, **kw)
        return await self.orm.execute(statement, params, **kw)

    async def _run_hot(self, statement: Any, params: dict[str, Any]) -> HotResult:
        prepared = _HOT[statement] or _prepare(statement, self.connection.dialect)
        values = prepared.compiled.construct_params(params) or {}
        args = [
            values[name] if process is None else process(values[name])
            for name, process in zip(prepared.names, prepared.processors, strict=True)
        ]
        if not self.connection.in_transaction():
            # SQLAlchemy's transaction, so that the unit's commit commits (the adapter sends
            # BEGIN with the first statement, as for SQLAlchemy's own).
            await self.connection.begin()
        if self._adapter is None:
            self._adapter = (await self.connection.get_raw_connection()).dbapi_connection
        cursor = self._adapter.cursor()
        sql = prepared.compiled.string
        try:
            await cursor._prepare_and_execute(sql, args)
        except BaseException as error:  # (a cancelled statement too: its connection is dropped)
            await self.connection.run_sync(_as_sqlalchemy_would, error, sql, args, cursor)
            raise
        return HotResult(prepared, cursor)

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return (await self.execute(statement, params, **kw)).scalar()

    async def get(self, entity: Any, ident: Any) -> Any:
        return await self.orm.get(entity, ident)

    def add(self, instance: object) -> None:
        self.orm.add(instance)

    async def delete(self, instance: object) -> None:
        await self.orm.delete(instance)

    async def flush(self) -> None:
        if self._orm is not None:
            await self._orm.flush()

    async def commit(self) -> None:
        await self.flush()
        await self.connection.commit()

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        async with self.orm.begin_nested():
            yield

    def get_bind(self) -> Connection:
        return self.connection.sync_connection  # type: ignore[return-value]

    async def close(self) -> None:
        if self._orm is not None:
            await self._orm.close()


def _as_sqlalchemy_would(
    connection: Connection, error: BaseException, sql: str, args: list[Any], cursor: Any
) -> None:
    """Raise the error of a hot statement as SQLAlchemy's execute would have: wrapped in its
    exceptions, the connection invalidated (and the pool's with it) when the server dropped
    it or the statement was cancelled midway."""
    try:
        raise error  # (SQLAlchemy reads the error being handled from sys.exc_info)
    except BaseException as raised:
        connection._handle_dbapi_exception(raised, sql, tuple(args), cursor, None)


@asynccontextmanager
async def unit_session(engine: AsyncEngine) -> AsyncIterator[ConnectedSession]:
    """A unit's session on a connection of the engine's pool; what it did not commit is
    rolled back when the connection goes back."""
    async with engine.connect() as connection:
        session = ConnectedSession(connection)
        try:
            yield session
        finally:
            await session.close()
