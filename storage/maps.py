"""Finished maps of a chat: numbered 1, 2, 3 … per chat, every version kept whole as JSON,
and the checklist ticks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from flows.model import Author, JourneyMap
from flows.spec import MapType
from storage.records import Conflict, MapSummary, Page, StaleVersion, VersionInfo
from storage.sessions import AnySession
from storage.tables import (
    ActionRow,
    ChecklistTickRow,
    InterviewRow,
    MapRow,
    MapVersionRow,
    OpportunityVoteRow,
    ReminderRow,
    now,
)

NUMBER_ATTEMPTS = 20
# Tables that hang off a map and go with it.
_MAP_TABLES = (MapVersionRow, ChecklistTickRow, ReminderRow, OpportunityVoteRow, ActionRow)


class Maps:
    def __init__(self, session: AnySession) -> None:
        self.s = session

    async def save(
        self,
        chat_id: str,
        journey_map: JourneyMap,
        number: int | None = None,
        *,
        expected_version: int | None = None,
    ) -> MapSummary:
        """Keep a finished map: a new map, or (with `number`) its next version. With
        `expected_version`, only if that is still the current version (else StaleVersion:
        someone saved in between; the unit's chat lock makes the check and the write one)."""
        s = self.s
        if number is None:
            row = await self._new_row(chat_id, journey_map)
        else:
            found = await self.row(chat_id, number)
            if found is None:
                raise LookupError(number)
            row = found
            if expected_version is not None and row.version != expected_version:
                raise StaleVersion(row.version)
            row.version += 1
            _copy_header(row, journey_map)
            row.updated_at = now()
            s.add(row)
            await s.flush()
        assert row.id is not None
        s.add(MapVersionRow(map_id=row.id, version=row.version, data=journey_map.to_json()))
        await s.flush()
        return _summary(row)

    async def _new_row(self, chat_id: str, jm: JourneyMap) -> MapRow:
        for _ in range(NUMBER_ATTEMPTS):
            highest = await self.s.execute(
                select(func.max(MapRow.number)).where(MapRow.chat_id == chat_id)
            )
            row = MapRow(
                chat_id=chat_id,
                number=(highest.scalar() or 0) + 1,
                title="",
                map_type="",
                language="",
                created_by_id=jm.created_by.id if jm.created_by else "",
                created_by_name=jm.created_by.name if jm.created_by else "",
                created_at=jm.created_at,
            )
            _copy_header(row, jm)
            try:
                async with self.s.begin_nested():
                    self.s.add(row)
                    await self.s.flush()
                return row
            except IntegrityError:  # another map took that number at the same moment
                continue
        raise Conflict("no free map number")

    async def row(self, chat_id: str, number: int) -> MapRow | None:
        found = await self.s.execute(
            select(MapRow).where(MapRow.chat_id == chat_id, MapRow.number == number)
        )
        return found.scalars().first()

    async def listing(self, chat_id: str, page: int = 1, per_page: int = 5) -> Page:
        """One page of the chat's maps, the latest changed first; a page past the end is the
        last page."""
        total = (
            await self.s.execute(
                select(func.count()).select_from(MapRow).where(MapRow.chat_id == chat_id)
            )
        ).scalar() or 0
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        rows = await self.s.execute(
            select(MapRow)
            .where(MapRow.chat_id == chat_id)
            .order_by(col(MapRow.updated_at).desc(), col(MapRow.number).desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        return Page([_summary(r) for r in rows.scalars()], total, page, per_page)

    async def get(self, chat_id: str, number: int, version: int | None = None) -> JourneyMap | None:
        """A chat's map by its number (the current version unless one is asked for)."""
        row = await self.row(chat_id, number)
        if row is None:
            return None
        found = await self.s.execute(
            select(MapVersionRow.data).where(
                MapVersionRow.map_id == row.id, MapVersionRow.version == (version or row.version)
            )
        )
        data = found.scalar()
        return JourneyMap.from_json(data) if data else None

    async def being_edited(self, chat_id: str, number: int) -> bool:
        """Whether an interview in the chat (`/edit N`) holds a copy of this map to save."""
        row = await self.row(chat_id, number)
        if row is None:
            return False
        found = await self.s.execute(
            select(func.count()).select_from(InterviewRow).where(InterviewRow.map_id == row.id)
        )
        return bool(found.scalar())

    async def summary(self, chat_id: str, number: int) -> MapSummary | None:
        row = await self.row(chat_id, number)
        return _summary(row) if row else None

    async def rename(self, chat_id: str, number: int, title: str) -> MapSummary | None:
        journey_map = await self.get(chat_id, number)
        if journey_map is None:
            return None
        journey_map.title = title
        return await self.save(chat_id, journey_map, number)

    async def copy(
        self, chat_id: str, number: int, map_type: MapType | None, author: Author
    ) -> MapSummary | None:
        """A new map from an existing one, e.g. a future state from the current state."""
        journey_map = await self.get(chat_id, number)
        source = await self.row(chat_id, number)
        if journey_map is None or source is None:
            return None
        journey_map.map_type = map_type or journey_map.map_type
        journey_map.created_by = author
        journey_map.created_at = datetime.now(UTC)
        summary = await self.save(chat_id, journey_map)
        await self.s.execute(
            update(MapRow)
            .where(col(MapRow.chat_id) == chat_id, col(MapRow.number) == summary.number)
            .values(copied_from_id=source.id)
        )
        return summary

    async def copied_from(self, chat_id: str, number: int) -> int | None:
        """The number of the map this one was copied from."""
        row = await self.row(chat_id, number)
        if row is None or row.copied_from_id is None:
            return None
        source = await self.s.get(MapRow, row.copied_from_id)
        return source.number if source and source.chat_id == chat_id else None

    async def source_of(self, chat_id: str, number: int) -> JourneyMap | None:
        """The map this one was copied from (a future state's current state), if any."""
        source = await self.copied_from(chat_id, number)
        return await self.get(chat_id, source) if source else None

    async def delete(self, chat_id: str, number: int) -> bool:
        row = await self.row(chat_id, number)
        if row is None:
            return False
        for table in _MAP_TABLES:
            await self.s.execute(delete(table).where(col(table.map_id) == row.id))
        await self.s.execute(
            update(MapRow).where(col(MapRow.copied_from_id) == row.id).values(copied_from_id=None)
        )
        await self.s.execute(
            update(InterviewRow).where(col(InterviewRow.map_id) == row.id).values(map_id=None)
        )
        await self.s.delete(row)
        return True

    async def versions(self, chat_id: str, number: int) -> list[VersionInfo]:
        row = await self.row(chat_id, number)
        if row is None:
            return []
        found = await self.s.execute(
            select(MapVersionRow.version, MapVersionRow.created_at)
            .where(MapVersionRow.map_id == row.id)
            .order_by(col(MapVersionRow.version))
        )
        return [VersionInfo(v, at) for v, at in found.all()]

    # --- checklist ticks --------------------------------------------------------------

    async def set_tick(
        self, chat_id: str, number: int, item: str, ticked: bool, by: str = ""
    ) -> bool:
        row = await self.row(chat_id, number)
        if row is None:
            return False
        await self.s.execute(
            delete(ChecklistTickRow).where(
                col(ChecklistTickRow.map_id) == row.id, col(ChecklistTickRow.item) == item
            )
        )
        if ticked:
            self.s.add(ChecklistTickRow(map_id=row.id, item=item, ticked_by=by))  # type: ignore[arg-type]
            await self.s.flush()
        return True

    async def ticks(self, chat_id: str, number: int) -> set[str]:
        row = await self.row(chat_id, number)
        if row is None:
            return set()
        found = await self.s.execute(
            select(ChecklistTickRow.item).where(ChecklistTickRow.map_id == row.id)
        )
        return set(found.scalars())


def _copy_header(row: MapRow, jm: JourneyMap) -> None:
    row.title = jm.title
    row.map_type = (jm.map_type or MapType.CURRENT).value
    row.language = jm.language
    row.goal = jm.goal


def _summary(row: MapRow) -> MapSummary:
    return MapSummary(
        number=row.number,
        title=row.title,
        map_type=MapType(row.map_type),
        language=row.language,
        version=row.version,
        created_by=row.created_by_name,
        created_by_id=row.created_by_id,
        updated_at=row.updated_at,
    )
