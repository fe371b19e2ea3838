"""Priorities and actions of a chat's maps: the ratings of each opportunity (one per person)
and the actions taken from them. An action that falls due is claimed by one bot instance with
a conditional update, in the same transaction that queues the question to its owner, so the
owner is asked once — as a map's reminder is (storage/reminders.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, update
from sqlmodel import col, select

from flows.priorities import Status, Vote
from storage.sessions import AnySession
from storage.tables import ActionRow, MapRow, OpportunityVoteRow, now
from storage.upsert import insert_for


@dataclass(frozen=True)
class ActionRecord:
    id: int
    chat_id: str
    map_number: int
    opportunity: str
    text: str
    owner_id: str
    owner_name: str
    due_on: date | None
    status: Status

    @property
    def ready(self) -> bool:
        """Its owner and due date are given (until then it is a draft being asked for)."""
        return bool(self.owner_name) and self.due_on is not None


def _record(row: ActionRow, number: int) -> ActionRecord:
    assert row.id is not None
    return ActionRecord(
        row.id,
        row.chat_id,
        number,
        row.opportunity,
        row.text,
        row.owner_id,
        row.owner_name,
        row.due_on,
        Status(row.status),
    )


class Actions:
    def __init__(self, session: AnySession) -> None:
        self.s = session

    async def _map_id(self, chat_id: str, number: int) -> int | None:
        found = await self.s.execute(
            select(MapRow.id).where(MapRow.chat_id == chat_id, MapRow.number == number)
        )
        return found.scalar()

    # --- ratings ----------------------------------------------------------------------------

    async def vote(
        self,
        chat_id: str,
        number: int,
        opportunity: str,
        voter: tuple[str, str],
        *,
        impact: int | None = None,
        effort: int | None = None,
    ) -> Vote | None:
        """Record a person's impact or effort rating (rating again replaces their own);
        their whole vote as it stands now, or None when the map is gone."""
        map_id = await self._map_id(chat_id, number)
        if map_id is None:
            return None
        values = {"impact": impact} if impact is not None else {"effort": effort}
        await self.s.execute(
            insert_for(self.s, OpportunityVoteRow)
            .values(
                map_id=map_id,
                opportunity=opportunity,
                voter_id=voter[0],
                voter_name=voter[1],
                at=now(),
                **values,
            )
            .on_conflict_do_update(
                index_elements=["map_id", "opportunity", "voter_id"],
                set_={**values, "at": now()},
            )
        )
        row = (
            await self.s.execute(
                select(OpportunityVoteRow).where(
                    OpportunityVoteRow.map_id == map_id,
                    OpportunityVoteRow.opportunity == opportunity,
                    OpportunityVoteRow.voter_id == voter[0],
                )
            )
        ).scalar_one()
        return Vote(row.opportunity, row.voter_id, row.impact, row.effort)

    async def votes(self, chat_id: str, number: int) -> list[Vote]:
        map_id = await self._map_id(chat_id, number)
        found = await self.s.execute(
            select(OpportunityVoteRow).where(OpportunityVoteRow.map_id == map_id)
        )
        return [Vote(r.opportunity, r.voter_id, r.impact, r.effort) for r in found.scalars().all()]

    # --- actions ----------------------------------------------------------------------------

    async def add(
        self, chat_id: str, number: int, opportunity: str, text: str, created_by: str
    ) -> ActionRecord | None:
        """A draft action from an opportunity (owner and due date asked for next)."""
        map_id = await self._map_id(chat_id, number)
        if map_id is None:
            return None
        row = ActionRow(
            chat_id=chat_id, map_id=map_id, opportunity=opportunity, text=text,
            created_by=created_by,
        )  # fmt: skip
        self.s.add(row)
        await self.s.flush()
        return _record(row, number)

    async def get(self, chat_id: str, action_id: int) -> ActionRecord | None:
        found = await self.s.execute(
            select(ActionRow, MapRow.number)
            .join(MapRow, col(MapRow.id) == ActionRow.map_id)
            .where(ActionRow.id == action_id, ActionRow.chat_id == chat_id)
        )
        row = found.first()
        return _record(row[0], row[1]) if row else None

    async def set_owner(self, chat_id: str, action_id: int, owner_id: str, name: str) -> bool:
        return await self._set(chat_id, action_id, owner_id=owner_id, owner_name=name[:200])

    async def set_due(
        self, chat_id: str, action_id: int, due_on: date, remind_at: datetime
    ) -> bool:
        return await self._set(chat_id, action_id, due_on=due_on, remind_at=remind_at)

    async def set_status(self, chat_id: str, action_id: int, status: Status) -> bool:
        """A done action is asked about no more; one reopened is asked about again only
        when it is snoozed or its date is set anew."""
        values: dict = {"status": status.value}
        if status == Status.DONE:
            values["remind_at"] = None
        return await self._set(chat_id, action_id, **values)

    async def snooze(self, chat_id: str, action_id: int, until: datetime) -> bool:
        return await self._set(chat_id, action_id, remind_at=until)

    async def _set(self, chat_id: str, action_id: int, **values) -> bool:
        result = await self.s.execute(
            update(ActionRow)
            .where(col(ActionRow.id) == action_id, col(ActionRow.chat_id) == chat_id)
            .values(updated_at=now(), **values)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def of_chat(
        self, chat_id: str, *, open_only: bool = True, number: int | None = None
    ) -> list[ActionRecord]:
        """The chat's actions whose owner and date are given, by due date (`number`: one
        map's)."""
        query = (
            select(ActionRow, MapRow.number)
            .join(MapRow, col(MapRow.id) == ActionRow.map_id)
            .where(
                ActionRow.chat_id == chat_id,
                col(ActionRow.due_on).is_not(None),
                ActionRow.owner_name != "",
            )
            .order_by(col(ActionRow.due_on), col(ActionRow.id))
        )
        if open_only:
            query = query.where(ActionRow.status != Status.DONE.value)
        if number is not None:
            query = query.where(MapRow.number == number)
        found = await self.s.execute(query)
        return [_record(row, n) for row, n in found.all()]

    # --- asking owners ----------------------------------------------------------------------

    async def next_reminder_at(self) -> datetime | None:
        found = await self.s.execute(select(func.min(ActionRow.remind_at)))
        return found.scalar()

    async def due(self, at: datetime | None = None) -> list[tuple[int, str]]:
        """(action id, chat id) of the actions whose owner should be asked now."""
        found = await self.s.execute(
            select(ActionRow.id, ActionRow.chat_id).where(
                col(ActionRow.remind_at).is_not(None), col(ActionRow.remind_at) <= (at or now())
            )
        )
        return [(row[0], row[1]) for row in found.all()]

    async def claim(self, action_id: int, instance: str, at: datetime | None = None) -> bool:
        """Take the question to the owner for this instance; False when another took it."""
        result = await self.s.execute(
            update(ActionRow)
            .where(
                col(ActionRow.id) == action_id,
                col(ActionRow.remind_at).is_not(None),
                col(ActionRow.remind_at) <= (at or now()),
            )
            .values(remind_at=None, reminded_by=instance)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]
