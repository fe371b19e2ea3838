"""Chats the bot has met, with the language each uses, and the ledger of applied updates."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import String, bindparam, delete, func, insert, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.pg_units import hot
from storage.records import Duplicate
from storage.sessions import AnySession
from storage.tables import (
    ActionRow,
    ChatRow,
    InterviewRow,
    LedgerRow,
    MapRow,
    OutboxRow,
    QuestionMessageRow,
    ReminderRow,
    core,
    now,
)
from storage.upsert import dialect_of, per_dialect

LANGUAGES_KEPT = 60.0  # seconds a chat's language is trusted from memory (another instance
# may change it; this one sees that within a minute)


_LANGUAGE = hot(select(core(ChatRow).c.language).where(core(ChatRow).c.id == bindparam("chat")))


class KnownLanguages:
    """The chats' languages this process read lately: one query fewer per update."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[float, str]] = {}

    def get(self, chat_id: str) -> str | None:
        found = self._known.get(chat_id)
        if found is None or time.monotonic() - found[0] > LANGUAGES_KEPT:
            return None
        return found[1]

    def put(self, chat_id: str, language: str) -> None:
        if len(self._known) > 50_000:
            self._known.clear()
        self._known[chat_id] = (time.monotonic(), language)

    def forget(self, chat_id: str) -> None:
        self._known.pop(chat_id, None)


class Chats:
    def __init__(self, session: AnySession, known: KnownLanguages, on_commit) -> None:
        self.s = session
        self.known = known
        self._on_commit = on_commit

    async def language(self, chat_id: str) -> str | None:
        return (await self.s.execute(_LANGUAGE, {"chat": chat_id})).scalar()

    async def ensure(self, chat_id: str, kind: str, language: str) -> str:
        """The chat's language (the chat is created on first contact with the given one)."""
        known = self.known.get(chat_id) or await self.language(chat_id)
        if known is not None:
            self.known.put(chat_id, known)
            return known
        try:
            async with self.s.begin_nested():
                await self.s.execute(
                    insert(ChatRow).values(
                        id=chat_id, kind=kind, language=language, created_at=now()
                    )
                )
        except IntegrityError:  # created by a concurrent first message
            return await self.language(chat_id) or language
        return language

    async def set_language(self, chat_id: str, language: str) -> None:
        self.known.forget(chat_id)
        self._on_commit(lambda: self.known.forget(chat_id))
        await self.s.execute(
            update(ChatRow).where(col(ChatRow.id) == chat_id).values(language=language)
        )

    async def migrate(self, old: str, new: str) -> bool:
        """A group became a supergroup with a new id: its maps (with their ticks and
        reminders), its interview and the replies still to send go with it. False when there
        was nothing to move."""
        language = await self.language(old)
        if language is None:
            return False
        await self.ensure(new, "supergroup", language)
        taken = (
            await self.s.execute(select(func.max(MapRow.number)).where(MapRow.chat_id == new))
        ).scalar() or 0
        # (Should the new chat have maps already, ours are numbered after theirs.)
        await self.s.execute(
            update(MapRow)
            .where(col(MapRow.chat_id) == old)
            .values(chat_id=new, number=MapRow.number + taken)
        )
        clash = select(InterviewRow.scope).where(InterviewRow.chat_id == new).scalar_subquery()
        await self.s.execute(
            delete(InterviewRow).where(
                col(InterviewRow.chat_id) == old, col(InterviewRow.scope).in_(clash)
            )
        )
        for table in (InterviewRow, ReminderRow, ActionRow, OutboxRow):
            await self.s.execute(update(table).where(col(table.chat_id) == old).values(chat_id=new))
        # Message ids are the old chat's own: in the new chat the same ids are other messages.
        await self.s.execute(
            delete(QuestionMessageRow).where(col(QuestionMessageRow.chat_id) == old)
        )
        return True


# Every update runs this (built once per dialect; parameters bound at each run).
_RECORD = per_dialect(
    lambda insert: insert(core(LedgerRow)).on_conflict_do_nothing(index_elements=["key"])
)
# PostgreSQL: a chat's turn, an advisory lock held until the transaction ends (so the chat's
# updates take turns whichever instance runs them).
_TURN = hot(select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("turn", String), 0))))
# … and the update's key recorded once the turn is taken, in one statement: one round trip
# less for every update (issue 17).
_RECORD_IN_TURN = hot(
    postgresql.insert(core(LedgerRow))
    .from_select(
        ["key", "processed_at"],
        select(
            bindparam("key", String), bindparam("processed_at", core(LedgerRow).c.processed_at.type)
        ).select_from(_TURN.subquery("turn")),
    )
    .on_conflict_do_nothing(index_elements=["key"])
)


class Ledger:
    """Keys of updates already applied; written first in the unit of work that applies one."""

    def __init__(self, session: AnySession) -> None:
        self.s = session

    async def record(self, key: str, turn: str | None = None) -> None:
        """Raises Duplicate when the key was recorded before (the unit is then abandoned).
        With `turn` (PostgreSQL), after waiting for that turn (see `take_turn`)."""
        values = {"key": key, "processed_at": now()}
        if turn is None:
            added = await self.s.execute(_RECORD[dialect_of(self.s)], values)
        else:
            added = await self.s.execute(_RECORD_IN_TURN, {**values, "turn": turn})
        if added.rowcount != 1:  # type: ignore[attr-defined]
            raise Duplicate(key)

    async def take_turn(self, turn: str) -> None:
        """PostgreSQL: wait until no other transaction holds `turn`, and hold it until this
        one ends."""
        await self.s.execute(_TURN, {"turn": turn})

    async def purge(self, before: datetime) -> int:
        result = await self.s.execute(delete(LedgerRow).where(col(LedgerRow.processed_at) < before))
        return result.rowcount or 0  # type: ignore[attr-defined]
