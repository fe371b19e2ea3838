"""PostgreSQL's units of work: on one pooled connection, in one transaction.

As on SQLite (storage/sqlite_units.py), a unit's Core statements (an answer's: `tables.core`)
run on the connection itself, and an ORM session joined to the same transaction is opened
only for the rest (rows as objects, savepoints); from then on it runs every statement, so the
rows it holds are flushed before them. The ORM session around every statement cost a tenth
of the client's work per unit (issue 17)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.tables import is_core


class ConnectedSession:
    """The methods of AsyncSession the aggregates use, on the unit's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._orm: AsyncSession | None = None

    @property
    def orm(self) -> AsyncSession:
        if self._orm is None:  # joined to the unit's transaction: the unit commits it
            self._orm = AsyncSession(bind=self.connection, expire_on_commit=False)
        return self._orm

    async def execute(
        self, statement: Any, params: Any = None, **kw: Any
    ) -> Result[*tuple[Any, ...]]:
        if self._orm is None and is_core(statement):
            return await self.connection.execute(statement, params, **kw)
        return await self.orm.execute(statement, params, **kw)

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
