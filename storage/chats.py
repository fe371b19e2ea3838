"""Chats the bot has met, with the language each uses, and the ledger of applied updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Duplicate
from storage.tables import ChatRow, LedgerRow, now


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
