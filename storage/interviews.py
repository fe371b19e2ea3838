"""Interviews in progress (one per chat scope: the group's, or a user's in private), kept as
the engine's JSON, and which bot message asked which question.

Every change is an optimistic write: the row's `revision` must still be what was read. A
writer that lost the race gets `Conflict`; the unit of work is then run again from a fresh
read, so two people answering at once both keep their answers."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, insert, update
from sqlmodel import col, select

from flows.interview import Interview
from storage.pg_units import hot
from storage.records import Conflict, Loaded
from storage.sessions import AnySession
from storage.tables import InterviewRow, MapRow, QuestionMessageRow, core, now
from storage.upsert import dialect_of, per_dialect

# The statements every answer runs, built once (building one costs more than running it;
# issue 17). Parameters are bound at each run.
_ROW = core(InterviewRow).c
_SAVE = hot(
    update(core(InterviewRow))
    .where(_ROW.id == bindparam("row"), _ROW.revision == bindparam("read"))
    .values(
        data=bindparam("new_data"),
        state=bindparam("new_state"),
        revision=bindparam("new_revision"),
        updated_at=bindparam("at"),
    )
)
_LOAD = hot(
    select(_ROW.id, _ROW.revision, _ROW.data, _ROW.map_id).where(
        _ROW.chat_id == bindparam("chat"), _ROW.scope == bindparam("scope")
    )
)
_MAP_NUMBER = hot(select(core(MapRow).c.number).where(core(MapRow).c.id == bindparam("map")))
# Which question a message asked (the latest note counts); also run by the outbox inside its
# note of a post done with (storage/outbox.py).
REMEMBER = per_dialect(
    lambda insert: (
        stmt := insert(core(QuestionMessageRow)).values(
            chat_id=bindparam("chat"),
            message_id=bindparam("message"),
            scope=bindparam("scope"),
            position=bindparam("position"),
            created_at=bindparam("at"),
        )
    ).on_conflict_do_update(
        index_elements=["chat_id", "message_id"],
        set_={"scope": stmt.excluded.scope, "position": stmt.excluded.position},
    )
)

RECENT_INTERVIEWS = 4096  # interviews remembered between answers (a few MB at most)


@dataclass(frozen=True)
class Written:
    """An interview row as this process last wrote it."""

    id: int
    revision: int
    data: str


class RecentWrites:
    """The interviews this process wrote last, so the next answer can skip reading the row.
    A stale entry is harmless: the revision check then fails and the row is read."""

    def __init__(self, size: int = RECENT_INTERVIEWS) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], Written] = OrderedDict()

    def get(self, key: tuple[str, str]) -> Written | None:
        return self._items.get(key)

    def put(self, key: tuple[str, str], written: Written) -> None:
        self._items[key] = written
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)

    def forget(self, key: tuple[str, str]) -> None:
        self._items.pop(key, None)


class Interviews:
    def __init__(self, session: AnySession, recent: RecentWrites, on_commit) -> None:
        self.s = session
        self.recent = recent
        self._on_commit = on_commit

    async def load(self, chat_id: str, scope: str, *, cached: bool = False) -> Loaded | None:
        """The stored interview; with `cached`, what this process wrote last if it has it
        (only for a change that ends in an optimistic `save`)."""
        key = (chat_id, scope)
        written = self.recent.get(key) if cached else None
        map_id = None
        if written is None:
            row = (await self.s.execute(_LOAD, {"chat": chat_id, "scope": scope})).first()
            if row is None:
                return None
            written, map_id = Written(row.id, row.revision, row.data), row.map_id
        number = None
        if map_id is not None:
            number = (await self.s.execute(_MAP_NUMBER, {"map": map_id})).scalar()
        return Loaded(Interview.from_json(written.data), written.revision, number, written.id)

    async def map_number(self, loaded: Loaded) -> int | None:
        """The saved map an interview edits (None for a new map)."""
        if loaded.map_number is not None:
            return loaded.map_number
        found = await self.s.execute(
            select(MapRow.number)
            .join(InterviewRow, col(InterviewRow.map_id) == col(MapRow.id))
            .where(InterviewRow.id == loaded.row_id)
        )
        return found.scalar()

    async def save(self, chat_id: str, scope: str, loaded: Loaded, interview: Interview) -> int:
        """Write the interview over the row read as `loaded`, if nobody changed it since."""
        data = interview.to_json()
        result = await self.s.execute(
            _SAVE,
            {
                "row": loaded.row_id,
                "read": loaded.revision,
                "new_data": data,
                "new_state": interview.state,
                "new_revision": loaded.revision + 1,
                "at": now(),
            },
        )
        key = (chat_id, scope)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            self.recent.forget(key)
            raise Conflict(chat_id, scope)
        written = Written(loaded.row_id, loaded.revision + 1, data)
        self._on_commit(lambda: self.recent.put(key, written))
        return written.revision

    async def start(
        self, chat_id: str, scope: str, interview: Interview, map_id: int | None = None
    ) -> None:
        """Begin an interview, replacing an unfinished one in the same scope."""
        self.recent.forget((chat_id, scope))
        await self.discard(chat_id, scope)
        await self.s.execute(
            insert(InterviewRow).values(
                chat_id=chat_id,
                scope=scope,
                state=interview.state,
                data=interview.to_json(),
                revision=0,
                map_id=map_id,
                started_at=now(),
                updated_at=now(),
            )
        )

    async def discard(self, chat_id: str, scope: str) -> None:
        key = (chat_id, scope)
        self.recent.forget(key)
        self._on_commit(lambda: self.recent.forget(key))
        await self.s.execute(
            delete(InterviewRow).where(
                col(InterviewRow.chat_id) == chat_id, col(InterviewRow.scope) == scope
            )
        )

    async def in_progress(self) -> int:
        """Interviews started and not yet finished or cancelled, in every chat (a gauge)."""
        found = await self.s.execute(
            select(func.count())
            .select_from(InterviewRow)
            .where(col(InterviewRow.state).not_in(("done", "cancelled")))
        )
        return int(found.scalar() or 0)

    # --- which bot message asked which question ----------------------------------------

    async def remember_question(
        self, chat_id: str, message_id: int, scope: str, position: str
    ) -> None:
        """Note which question a message asked (a message asks one: the latest note counts)."""
        await self.s.execute(
            REMEMBER[dialect_of(self.s)],
            {
                "chat": chat_id,
                "message": message_id,
                "scope": scope,
                "position": position,
                "at": now(),
            },
        )

    async def question_of(self, chat_id: str, message_id: int) -> tuple[str, str] | None:
        """(scope, position token) of the question a bot message asked, if it asked one."""
        found = await self.s.execute(
            select(QuestionMessageRow.scope, QuestionMessageRow.position).where(
                QuestionMessageRow.chat_id == chat_id,
                QuestionMessageRow.message_id == message_id,
            )
        )
        row = found.first()
        return (row.scope, row.position) if row else None
