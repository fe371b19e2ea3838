"""INSERT … ON CONFLICT, which SQLite and PostgreSQL both have, each in its own dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from storage.pg_units import hot
from storage.sessions import AnySession


def insert_for(session: AnySession, table: Any) -> Any:
    """An INSERT with `.on_conflict_do_nothing()` / `.on_conflict_do_update()`."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def dialect_of(session: AnySession) -> str:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def per_dialect(build: Any) -> dict[str, Any]:
    """A statement built once for each dialect from `build(insert)` (for the hot path)."""
    return {"postgresql": hot(build(postgresql.insert)), "sqlite": build(sqlite.insert)}
