"""Reminders to revisit a map (`/remind N 30d`). Each is claimed by exactly one bot instance:
the claim is a conditional update, and the claimer queues the reminder's message in the same
transaction, so a reminder is sent once and is never lost to a failed send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select

from storage.records import DueReminder
from storage.sessions import AnySession
from storage.tables import MapRow, ReminderRow, now


class Reminders:
    def __init__(self, session: AnySession) -> None:
        self.s = session

    async def add(self, chat_id: str, number: int, due_at: datetime) -> bool:
        map_id = (
            await self.s.execute(
                select(MapRow.id).where(MapRow.chat_id == chat_id, MapRow.number == number)
            )
        ).scalar()
        if map_id is None:
            return False
        self.s.add(ReminderRow(chat_id=chat_id, map_id=map_id, due_at=due_at))
        await self.s.flush()
        return True

    async def next_at(self) -> datetime | None:
        found = await self.s.execute(
            select(func.min(ReminderRow.due_at)).where(col(ReminderRow.sent_at).is_(None))
        )
        return found.scalar()

    async def due(self, at: datetime | None = None) -> list[DueReminder]:
        found = await self.s.execute(
            select(ReminderRow.id, ReminderRow.chat_id, MapRow.number)
            .join(MapRow, col(MapRow.id) == col(ReminderRow.map_id))
            .where(col(ReminderRow.sent_at).is_(None), col(ReminderRow.due_at) <= (at or now()))
        )
        return [DueReminder(*row) for row in found.all()]

    async def claim(self, reminder_id: int, instance: str, at: datetime | None = None) -> bool:
        """Take the reminder for this instance; False when another took it first."""
        result = await self.s.execute(
            update(ReminderRow)
            .where(col(ReminderRow.id) == reminder_id, col(ReminderRow.sent_at).is_(None))
            .values(sent_at=at or now(), claimed_by=instance)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]
