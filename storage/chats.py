"""Chats the bot has met, with the language each uses, and the ledger of applied updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Duplicate
from storage.tables import (
    ChatRow,
    InterviewRow,
    LedgerRow,
    MapRow,
    OutboxRow,
    QuestionMessageRow,
    ReminderRow,
    now,
)


class Chats:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def language(self, chat_id: str) -> str | None:
        found = await self.s.execute(select(ChatRow.language).where(ChatRow.id == chat_id))
        return found.scalar()

    async def ensure(self, chat_id: str, kind: str, language: str) -> str:
        """The chat's language (the chat is created on first contact with the given one)."""
        known = await self.language(chat_id)
        if known is not None:
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
        await self.s.execute(update(ChatRow).where(ChatRow.id == chat_id).values(language=language))

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
            .where(MapRow.chat_id == old)
            .values(chat_id=new, number=MapRow.number + taken)
        )
        clash = select(InterviewRow.scope).where(InterviewRow.chat_id == new).scalar_subquery()
        await self.s.execute(
            delete(InterviewRow).where(InterviewRow.chat_id == old, InterviewRow.scope.in_(clash))
        )
        for table in (InterviewRow, ReminderRow, OutboxRow):
            await self.s.execute(update(table).where(table.chat_id == old).values(chat_id=new))
        # Message ids are the old chat's own: in the new chat the same ids are other messages.
        await self.s.execute(delete(QuestionMessageRow).where(QuestionMessageRow.chat_id == old))
        return True


class Ledger:
    """Keys of updates already applied; written first in the unit of work that applies one."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def record(self, key: str) -> None:
        """Raises Duplicate when the key was recorded before (the unit is then abandoned)."""
        try:
            async with self.s.begin_nested():
                await self.s.execute(insert(LedgerRow).values(key=key, processed_at=now()))
        except IntegrityError:
            raise Duplicate(key) from None

    async def purge(self, before: datetime) -> int:
        result = await self.s.execute(delete(LedgerRow).where(LedgerRow.processed_at < before))
        return result.rowcount or 0  # type: ignore[attr-defined]
