"""What the aggregates of a unit of work run their statements on: SQLite's inline session or
PostgreSQL's connected one. Both run Core statements on the unit's connection and open an
ORM session, in the same transaction, only when a unit needs one."""

from storage.pg_units import ConnectedSession
from storage.sqlite_units import InlineSession

AnySession = InlineSession | ConnectedSession
