"""The repository: the only place with queries. Everything is async and never lazy-loads
(sessions are made with expire_on_commit=False, results are copied into plain objects).

Concurrency: every change to an interview is an optimistic update (`revision` must still be
what was read); a writer that lost the race reloads and applies its event again, so two
people answering at once both keep their answers, in arrival order. A Telegram update id is
recorded in the same transaction as its effect, so a redelivered update is applied once."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from flows.analysis import Comparison, compare
from flows.interview import Interview
from flows.model import Author, JourneyMap
from flows.spec import LIST_LANES, MapType
from storage import database
from storage.tables import (
    ChatRow,
    ChecklistTickRow,
    InterviewRow,
    LaneItemRow,
    MapRow,
    MapVersionRow,
    PersonaRow,
    ProcessedUpdateRow,
    QuestionMessageRow,
    RatingRow,
    ReminderRow,
    StageRow,
    now,
)

MAX_RETRIES = 20
RECENT_INTERVIEWS = 4096  # interviews remembered between answers (a few MB at most)


@dataclass(frozen=True)
class _Stored:
    """An interview row as read or written: which row, at which revision, with what data."""

    id: int
    revision: int
    data: str


class Conflict(Exception):
    """Someone else changed the interview between our read and our write."""


class Duplicate(Exception):
    """This Telegram update was applied before."""


@dataclass(frozen=True)
class MapSummary:
    number: int
    title: str
    map_type: MapType
    language: str
    version: int
    created_by: str
    created_by_id: str
    updated_at: datetime


@dataclass(frozen=True)
class VersionInfo:
    version: int
    created_at: datetime


@dataclass(frozen=True)
class Page:
    maps: list[MapSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Loaded:
    """An interview as stored, with the revision the optimistic lock checks."""

    interview: Interview
    revision: int
    map_number: int | None


@dataclass(frozen=True)
class DueReminder:
    id: int
    chat_id: str
    map_number: int


class Store:
    def __init__(self, url: str | None = None, engine: AsyncEngine | None = None) -> None:
        self.url = database.database_url(url)
        self.engine = engine or database.make_engine(self.url)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # The interviews this process wrote last, as written: (chat, scope) -> _Stored.
        self._recent: OrderedDict[tuple[str, str], _Stored] = OrderedDict()

    def session(self) -> AsyncSession:
        return self._sessions()

    async def upgrade(self) -> None:
        await database.upgrade(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    # --- chats ------------------------------------------------------------------------

    async def ensure_chat(self, chat_id: str, kind: str, language: str) -> str:
        """The chat's language (created on first contact with the given one)."""
        async with self.session() as s:
            row = await s.get(ChatRow, chat_id)
            if row is not None:
                return row.language
            s.add(ChatRow(id=chat_id, kind=kind, language=language))
            try:
                await s.commit()
            except IntegrityError:  # created by a concurrent first message
                await s.rollback()
            return language

    async def set_language(self, chat_id: str, language: str) -> None:
        async with self.session() as s:
            await s.execute(update(ChatRow).where(ChatRow.id == chat_id).values(language=language))
            await s.commit()

    # --- interviews -------------------------------------------------------------------

    async def load_interview(self, chat_id: str, scope: str) -> Loaded | None:
        async with self.session() as s:
            row = await self._interview_row(s, chat_id, scope)
            if row is None:
                return None
            number = None
            if row.map_id is not None:
                number = (await s.get(MapRow, row.map_id)).number  # type: ignore[union-attr]
            return Loaded(Interview.from_json(row.data), row.revision, number)

    async def start_interview(
        self, chat_id: str, scope: str, interview: Interview, map_number: int | None = None
    ) -> None:
        """Begin an interview, replacing an unfinished one in the same scope."""
        self._recent.pop((chat_id, scope), None)
        async with self.session() as s:
            map_id = None
            if map_number is not None:
                map_id = (await self._map_row(s, chat_id, map_number)).id  # type: ignore[union-attr]
            await s.execute(
                delete(InterviewRow).where(
                    InterviewRow.chat_id == chat_id, InterviewRow.scope == scope
                )
            )
            s.add(
                InterviewRow(
                    chat_id=chat_id,
                    scope=scope,
                    state=interview.state,
                    data=interview.to_json(),
                    map_id=map_id,
                )
            )
            await s.commit()

    async def save_interview(
        self, chat_id: str, scope: str, interview: Interview, revision: int
    ) -> int:
        """Store the interview if nobody changed it since `revision`; the new revision."""
        async with self.engine.connect() as s:
            current = await self._read_interview(s, chat_id, scope)
            if current is None or current.revision != revision:
                raise Conflict(chat_id, scope)
            data = interview.to_json()
            await self._write_interview(s, current, interview.state, data)
            await s.commit()
        self._remember((chat_id, scope), _Stored(current.id, revision + 1, data))
        return revision + 1

    async def discard_interview(self, chat_id: str, scope: str) -> None:
        self._recent.pop((chat_id, scope), None)
        async with self.session() as s:
            await s.execute(
                delete(InterviewRow).where(
                    InterviewRow.chat_id == chat_id, InterviewRow.scope == scope
                )
            )
            await s.commit()

    async def apply(
        self,
        chat_id: str,
        scope: str,
        change: Callable[[Interview], Awaitable[object] | object],
        update_id: int | None = None,
    ) -> tuple[Interview, object] | None:
        """Apply `change` to the stored interview and store the result atomically.

        Returns (interview, whatever `change` returned), or None when there is no interview.
        Raises Duplicate when `update_id` was applied before. Retries on a conflict."""
        key = (chat_id, scope)
        for attempt in range(MAX_RETRIES):
            try:
                # A plain connection, not an ORM session: this is the hot path of every answer.
                async with self.engine.connect() as s:
                    if update_id is not None:
                        await s.execute(
                            insert(ProcessedUpdateRow).values(
                                update_id=update_id, processed_at=now()
                            )
                        )
                    # What this process wrote last is usually still what is stored; if not,
                    # the optimistic write below fails and the next attempt reads the row.
                    stored = self._recent.get(key) if attempt == 0 else None
                    if stored is None:
                        stored = await self._read_interview(s, chat_id, scope)
                    if stored is None:
                        await s.commit()
                        return None
                    interview = Interview.from_json(stored.data)
                    result = change(interview)
                    if asyncio.iscoroutine(result):
                        result = await result
                    data = interview.to_json()
                    await self._write_interview(s, stored, interview.state, data)
                    await s.commit()
                    self._remember(key, _Stored(stored.id, stored.revision + 1, data))
                    return interview, result
            except IntegrityError:
                raise Duplicate(update_id) from None
            except Conflict:
                self._recent.pop(key, None)
                await asyncio.sleep(0.002 * attempt)
        raise Conflict(f"gave up after {MAX_RETRIES} attempts")

    def _remember(self, key: tuple[str, str], stored: _Stored) -> None:
        self._recent[key] = stored
        self._recent.move_to_end(key)
        if len(self._recent) > RECENT_INTERVIEWS:
            self._recent.popitem(last=False)

    async def _read_interview(self, s: AsyncConnection, chat_id: str, scope: str) -> _Stored | None:
        found = await s.execute(
            select(InterviewRow.id, InterviewRow.revision, InterviewRow.data).where(
                InterviewRow.chat_id == chat_id, InterviewRow.scope == scope
            )
        )
        row = found.first()
        return _Stored(row.id, row.revision, row.data) if row else None

    async def mark_update(self, update_id: int) -> None:
        """Record an update id on its own; Duplicate if it was recorded before."""
        async with self.session() as s:
            s.add(ProcessedUpdateRow(update_id=update_id))
            try:
                await s.commit()
            except IntegrityError:
                raise Duplicate(update_id) from None

    async def _write_interview(
        self, s: AsyncSession | AsyncConnection, stored: _Stored, state: str, data: str
    ) -> None:
        """Write over the row read as `stored`, if it is still that row at that revision."""
        result = await s.execute(
            update(InterviewRow)
            .where(InterviewRow.id == stored.id, InterviewRow.revision == stored.revision)
            .values(data=data, state=state, revision=stored.revision + 1, updated_at=now())
        )
        if result.rowcount != 1:
            await s.rollback()
            raise Conflict(stored.id)

    async def _interview_row(self, s: AsyncSession, chat_id: str, scope: str):  # type: ignore[no-untyped-def]
        found = await s.execute(
            select(InterviewRow).where(InterviewRow.chat_id == chat_id, InterviewRow.scope == scope)
        )
        return found.scalars().first()

    # --- maps ---------------------------------------------------------------------------

    async def finish_map(
        self, chat_id: str, journey_map: JourneyMap, map_number: int | None = None
    ) -> MapSummary:
        """Keep a finished map: a new map, or (with `map_number`) its next version."""
        async with self.session() as s:
            if map_number is None:
                row = await self._new_map_row(s, chat_id, journey_map)
            else:
                row = await self._map_row(s, chat_id, map_number)
                if row is None:
                    raise LookupError(map_number)
                row.version += 1
                _copy_header(row, journey_map)
                row.updated_at = now()
                await s.execute(delete(PersonaRow).where(PersonaRow.map_id == row.id))
                await s.execute(delete(StageRow).where(StageRow.map_id == row.id))
                await s.execute(delete(LaneItemRow).where(LaneItemRow.map_id == row.id))
                await s.execute(delete(RatingRow).where(RatingRow.map_id == row.id))
                s.add(row)
                await s.flush()
            assert row.id is not None
            s.add(MapVersionRow(map_id=row.id, version=row.version, data=journey_map.to_json()))
            s.add_all(_content_rows(row.id, journey_map))
            await s.commit()
            return _summary(row)

    async def finish_interview(
        self, chat_id: str, scope: str, journey_map: JourneyMap, map_number: int | None
    ) -> MapSummary:
        summary = await self.finish_map(chat_id, journey_map, map_number)
        await self.discard_interview(chat_id, scope)
        return summary

    async def _new_map_row(self, s: AsyncSession, chat_id: str, jm: JourneyMap) -> MapRow:
        for _ in range(MAX_RETRIES):
            highest = await s.execute(
                select(func.max(MapRow.number)).where(MapRow.chat_id == chat_id)
            )
            number = (highest.scalar() or 0) + 1
            row = MapRow(
                chat_id=chat_id,
                number=number,
                title="",
                map_type="",
                language="",
                created_by_id=jm.created_by.id if jm.created_by else "",
                created_by_name=jm.created_by.name if jm.created_by else "",
                created_at=jm.created_at,
            )
            _copy_header(row, jm)
            try:
                async with s.begin_nested():
                    s.add(row)
                    await s.flush()
                return row
            except IntegrityError:  # another map took that number at the same moment
                continue
        raise Conflict("no free map number")

    async def list_maps(self, chat_id: str, page: int = 1, per_page: int = 5) -> Page:
        page = max(1, page)
        async with self.session() as s:
            total = (
                await s.execute(
                    select(func.count()).select_from(MapRow).where(MapRow.chat_id == chat_id)
                )
            ).scalar() or 0
            rows = await s.execute(
                select(MapRow)
                .where(MapRow.chat_id == chat_id)
                .order_by(MapRow.updated_at.desc(), MapRow.number.desc())  # type: ignore[attr-defined]
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
            return Page([_summary(r) for r in rows.scalars()], total, page, per_page)

    async def get_map(
        self, chat_id: str, number: int, version: int | None = None
    ) -> JourneyMap | None:
        """A chat's map by its number (the current version unless one is asked for)."""
        async with self.session() as s:
            row = await self._map_row(s, chat_id, number)
            if row is None:
                return None
            found = await s.execute(
                select(MapVersionRow.data).where(
                    MapVersionRow.map_id == row.id,
                    MapVersionRow.version == (version or row.version),
                )
            )
            data = found.scalar()
            return JourneyMap.from_json(data) if data else None

    async def map_summary(self, chat_id: str, number: int) -> MapSummary | None:
        async with self.session() as s:
            row = await self._map_row(s, chat_id, number)
            return _summary(row) if row else None

    async def rename(self, chat_id: str, number: int, title: str) -> bool:
        journey_map = await self.get_map(chat_id, number)
        if journey_map is None:
            return False
        journey_map.title = title
        await self.finish_map(chat_id, journey_map, number)
        return True

    async def copy(
        self, chat_id: str, number: int, map_type: MapType | None, author: Author
    ) -> MapSummary | None:
        """A new map from an existing one, e.g. a future state from the current state."""
        journey_map = await self.get_map(chat_id, number)
        if journey_map is None:
            return None
        journey_map.map_type = map_type or journey_map.map_type
        journey_map.created_by = author
        journey_map.created_at = datetime.now(UTC)
        summary = await self.finish_map(chat_id, journey_map)
        async with self.session() as s:
            source = await self._map_row(s, chat_id, number)
            copy = await self._map_row(s, chat_id, summary.number)
            assert source is not None and copy is not None
            copy.copied_from_id = source.id
            s.add(copy)
            await s.commit()
        return summary

    async def copied_from(self, chat_id: str, number: int) -> int | None:
        """The number of the map this one was copied from."""
        async with self.session() as s:
            row = await self._map_row(s, chat_id, number)
            if row is None or row.copied_from_id is None:
                return None
            source = await s.get(MapRow, row.copied_from_id)
            return source.number if source and source.chat_id == chat_id else None

    async def delete_map(self, chat_id: str, number: int) -> bool:
        async with self.session() as s:
            row = await self._map_row(s, chat_id, number)
            if row is None:
                return False
            for table in (
                PersonaRow,
                StageRow,
                LaneItemRow,
                RatingRow,
                MapVersionRow,
                ChecklistTickRow,
                ReminderRow,
            ):
                await s.execute(delete(table).where(table.map_id == row.id))
            await s.execute(
                update(MapRow).where(MapRow.copied_from_id == row.id).values(copied_from_id=None)
            )
            await s.execute(
                update(InterviewRow).where(InterviewRow.map_id == row.id).values(map_id=None)
            )
            await s.delete(row)
            await s.commit()
            return True

    async def versions(self, chat_id: str, number: int) -> list[VersionInfo]:
        async with self.session() as s:
            row = await self._map_row(s, chat_id, number)
            if row is None:
                return []
            found = await s.execute(
                select(MapVersionRow.version, MapVersionRow.created_at)
                .where(MapVersionRow.map_id == row.id)
                .order_by(MapVersionRow.version)
            )
            return [VersionInfo(v, at) for v, at in found.all()]

    async def diff(self, chat_id: str, number: int, old: int, new: int) -> Comparison | None:
        """What changed between two versions of a map (None when either is missing)."""
        before = await self.get_map(chat_id, number, old)
        after = await self.get_map(chat_id, number, new)
        return compare(before, after) if before and after else None

    async def _map_row(self, s: AsyncSession, chat_id: str, number: int) -> MapRow | None:
        found = await s.execute(
            select(MapRow).where(MapRow.chat_id == chat_id, MapRow.number == number)
        )
        return found.scalars().first()

    # --- which question a bot message asked ----------------------------------------------

    async def remember_question(
        self, chat_id: str, message_id: int, scope: str, position: str
    ) -> None:
        async with self.session() as s:
            s.add(
                QuestionMessageRow(
                    chat_id=chat_id, message_id=message_id, scope=scope, position=position
                )
            )
            try:
                await s.commit()
            except IntegrityError:  # the same message remembered twice: keep the first
                await s.rollback()

    async def question_of(self, chat_id: str, message_id: int) -> tuple[str, str] | None:
        """(scope, position token) of the question a bot message asked, if it asked one."""
        async with self.session() as s:
            found = await s.execute(
                select(QuestionMessageRow.scope, QuestionMessageRow.position).where(
                    QuestionMessageRow.chat_id == chat_id,
                    QuestionMessageRow.message_id == message_id,
                )
            )
            row = found.first()
            return (row.scope, row.position) if row else None

    # --- checklist ticks --------------------------------------------------------------------

    async def set_tick(
        self, chat_id: str, number: int, item: str, ticked: bool, by: str = ""
    ) -> bool:
        async with self.session() as s:
            row = await self._map_row(s, chat_id, number)
            if row is None:
                return False
            await s.execute(
                delete(ChecklistTickRow).where(
                    ChecklistTickRow.map_id == row.id, ChecklistTickRow.item == item
                )
            )
            if ticked:
                s.add(ChecklistTickRow(map_id=row.id, item=item, ticked_by=by))
            await s.commit()
            return True

    async def ticks(self, chat_id: str, number: int) -> set[str]:
        async with self.session() as s:
            row = await self._map_row(s, chat_id, number)
            if row is None:
                return set()
            found = await s.execute(
                select(ChecklistTickRow.item).where(ChecklistTickRow.map_id == row.id)
            )
            return set(found.scalars())

    # --- reminders ----------------------------------------------------------------------------

    async def add_reminder(self, chat_id: str, number: int, due_at: datetime) -> bool:
        async with self.session() as s:
            row = await self._map_row(s, chat_id, number)
            if row is None:
                return False
            s.add(ReminderRow(chat_id=chat_id, map_id=row.id, due_at=due_at))  # type: ignore[arg-type]
            await s.commit()
            return True

    async def next_reminder_at(self) -> datetime | None:
        async with self.session() as s:
            found = await s.execute(
                select(func.min(ReminderRow.due_at)).where(ReminderRow.sent_at.is_(None))  # type: ignore[union-attr]
            )
            return found.scalar()

    async def claim_due_reminders(
        self, instance: str, at: datetime | None = None
    ) -> list[DueReminder]:
        """Reminders that are due, each claimed by exactly one bot instance."""
        at = at or now()
        async with self.session() as s:
            found = await s.execute(
                select(ReminderRow.id, ReminderRow.chat_id, MapRow.number)
                .join(MapRow, MapRow.id == ReminderRow.map_id)
                .where(ReminderRow.sent_at.is_(None), ReminderRow.due_at <= at)  # type: ignore[union-attr]
            )
            candidates = found.all()
        claimed = []
        for reminder_id, chat_id, number in candidates:
            async with self.session() as s:
                result = await s.execute(
                    update(ReminderRow)
                    .where(ReminderRow.id == reminder_id, ReminderRow.sent_at.is_(None))  # type: ignore[union-attr]
                    .values(sent_at=at, claimed_by=instance)
                )
                await s.commit()
            if result.rowcount == 1:  # the conditional update is the claim: one winner
                claimed.append(DueReminder(reminder_id, chat_id, number))
        return claimed

    # --- monitoring ---------------------------------------------------------------------------

    async def interviews_in_progress(self) -> int:
        """Interviews started and not yet finished or cancelled, in every chat (a gauge)."""
        async with self.session() as s:
            found = await s.execute(
                select(func.count())
                .select_from(InterviewRow)
                .where(InterviewRow.state.not_in(("done", "cancelled")))  # type: ignore[attr-defined]
            )
            return int(found.scalar() or 0)


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


def _content_rows(map_id: int, jm: JourneyMap) -> list:
    """The map written out one row per persona, stage, lane item and rating."""
    rows: list = [
        PersonaRow(
            map_id=map_id,
            position=i,
            name=p.name,
            description=p.description,
            author_id=p.author.id,
            author_name=p.author.name,
            created_at=p.at,
        )
        for i, p in enumerate(jm.personas)
    ]

    def item(stage: int | None, lane: str, position: int, it) -> LaneItemRow:  # type: ignore[no-untyped-def]
        return LaneItemRow(
            map_id=map_id,
            stage_position=stage,
            lane=lane,
            position=position,
            text=it.text,
            author_id=it.author.id,
            author_name=it.author.name,
            created_at=it.at,
        )

    for s_index, stage in enumerate(jm.stages):
        rows.append(StageRow(map_id=map_id, position=s_index, name=stage.name))
        for lane in LIST_LANES:
            rows += [item(s_index, lane.value, i, it) for i, it in enumerate(stage.items(lane))]
        if stage.owner is not None:
            rows.append(item(s_index, "owner", 0, stage.owner))
        rows += [
            RatingRow(
                map_id=map_id,
                stage_position=s_index,
                persona=r.persona,
                score=r.score,
                word=r.word,
                author_id=r.author.id,
                author_name=r.author.name,
                created_at=r.at,
            )
            for r in stage.emotions
        ]
    rows += [item(None, "needs_have", i, it) for i, it in enumerate(jm.needs.have)]
    rows += [item(None, "needs_need", i, it) for i, it in enumerate(jm.needs.need)]
    return rows
