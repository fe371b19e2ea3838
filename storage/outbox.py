"""The outbox: what the bot must still send, one chat's rows in the order they were written.

Rows are added inside the unit of work that caused them (so a reply exists exactly when its
cause was stored). A sender claims a chat's oldest unsent row for a lease, sends it, and marks
it sent; a row claimed by a process that died is taken over when its lease runs out. A row
that carries this instance's own claim is free to it at once: a sender sends a chat's rows
under a lock of its own, so such a claim is a leftover (of a crashed run, or of a note the
database refused). Only the oldest unsent row of a chat can be claimed, so
a chat's messages never overtake each other, across instances too.

The moment a part's request has been written whole (Telegram may act on it from then on) the
part is marked in flight. Whoever takes over a row with a part in flight counts that part as
delivered: its sender died between sending and noting it, and sending it again could show it
twice. A sender that dies before that moment leaves nothing in flight: the part is sent again,
and Telegram never saw the first, incomplete request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, update
from sqlalchemy import select as core_select
from sqlmodel import col, select

from storage.interviews import REMEMBER
from storage.pg_units import hot
from storage.records import Asked, Parcel
from storage.sessions import AnySession
from storage.tables import OutboxRow, core, now
from storage.upsert import dialect_of

ERROR_CHARS = 300


TABLE = core(OutboxRow)
ROW = TABLE.c


def _free_now():
    """Nobody holds the row, its holder's lease ran out, or the holder is the claimant."""
    return or_(
        ROW.claimed_until.is_(None),
        ROW.claimed_until < bindparam("at"),
        ROW.claimed_by == bindparam("by"),
    )


# The statements every reply runs, built once: building one costs more than running it
# (issue 17). Parameters are bound at each run.
_ADD = hot(
    insert(TABLE).values(
        chat_id=bindparam("chat"),
        thread_id=bindparam("thread"),
        payload=bindparam("body"),
        progress=0,
        attempts=0,
        due_at=bindparam("at"),
        created_at=bindparam("at"),
    )
)


def _oldest_unsent(*columns: Any) -> Any:
    """A chat's oldest unsent row: the only one that may be claimed."""
    return (
        core_select(*columns)
        .where(ROW.chat_id == bindparam("chat"), ROW.sent_at.is_(None))
        .order_by(ROW.id)
        .limit(1)
    )


_OLDEST = _oldest_unsent(
    ROW.id, ROW.thread_id, ROW.payload, ROW.progress, ROW.attempts, ROW.inflight
)
_CLAIM = (
    update(TABLE)
    .where(
        ROW.id == bindparam("row"),
        ROW.sent_at.is_(None),
        ROW.due_at <= bindparam("at"),
        _free_now(),
    )
    .values(
        claimed_by=bindparam("by"),
        claimed_until=bindparam("until"),
        progress=bindparam("from_part"),
        inflight=None,
    )
)


def _claim_oldest(*, after_row: bool = False) -> Any:
    """PostgreSQL: `_OLDEST` and `_CLAIM` in one statement (a round trip fewer for each claim;
    issue 17). The oldest row as read, joined to the update, gives RETURNING its values from
    before the claim (SQLite's RETURNING cannot name a joined table; its round trips are
    free). `after_row`: the oldest but the row `row`, which the same statement finishes."""
    oldest = _oldest_unsent(ROW.id, ROW.progress, ROW.inflight)
    if after_row:
        oldest = oldest.where(ROW.id != bindparam("row"))
    was = oldest.subquery("was")
    interrupted = and_(was.c.inflight.is_not(None), was.c.inflight >= was.c.progress)
    return (
        update(TABLE)
        .where(
            ROW.id == was.c.id, ROW.sent_at.is_(None), ROW.due_at <= bindparam("at"), _free_now()
        )
        .values(
            claimed_by=bindparam("by"),
            claimed_until=bindparam("until"),
            progress=case((interrupted, was.c.inflight + 1), else_=was.c.progress),
            inflight=None,
        )
        .returning(ROW.id, ROW.thread_id, ROW.payload, ROW.progress, ROW.attempts, interrupted)
    )


_CLAIM_OLDEST = hot(_claim_oldest())
_SENDING = hot(update(TABLE).where(ROW.id == bindparam("row")).values(inflight=bindparam("part")))
_SENT = (
    update(TABLE)
    .where(ROW.id == bindparam("row"))
    .values(
        sent_at=bindparam("at"),
        inflight=None,
        claimed_by=None,
        claimed_until=None,
        error=bindparam("note"),
    )
)
# PostgreSQL: a post done with, the question its last message asked and the claim of the
# chat's next post, as one statement run on its own: one round trip where a transaction took
# five (issue 17). Its parts all see the rows as they were before it: the claim passes over
# the finished row by its id.
_FINISH = hot(_claim_oldest(after_row=True).add_cte(_SENT.cte("finished")))
_FINISH_ASKED = hot(_FINISH.add_cte(REMEMBER["postgresql"].cte("asked")))


class Outbox:
    def __init__(self, session: AnySession) -> None:
        self.s = session

    async def add(self, chat_id: str, payload: str, thread_id: int | None = None) -> None:
        await self.s.execute(
            _ADD, {"chat": chat_id, "thread": thread_id, "body": payload, "at": now()}
        )

    async def claim(self, chat_id: str, by: str, lease: float) -> Parcel | None:
        """The chat's oldest unsent row, if it is due and nobody else holds it; claimed for
        `lease` seconds."""
        at = now()
        if dialect_of(self.s) == "postgresql":
            until = at + timedelta(seconds=lease)
            values = {"chat": chat_id, "at": at, "by": by, "until": until}
            return _claimed(chat_id, (await self.s.execute(_CLAIM_OLDEST, values)).first())
        oldest = (await self.s.execute(_OLDEST, {"chat": chat_id})).first()
        if oldest is None:
            return None
        progress = oldest.progress
        interrupted = oldest.inflight is not None and oldest.inflight >= progress
        if interrupted:  # its sender died with this part on its way: count it as delivered
            progress = oldest.inflight + 1
        claimed = await self.s.execute(
            _CLAIM,
            {
                "row": oldest.id,
                "at": at,
                "by": by,
                "until": at + timedelta(seconds=lease),
                "from_part": progress,
            },
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return Parcel(
            oldest.id,
            chat_id,
            oldest.thread_id,
            oldest.payload,
            progress,
            oldest.attempts,
            interrupted,
        )

    async def sending(self, parcel_id: int, part: int) -> None:
        """The part's request has gone out whole."""
        await self.s.execute(_SENDING, {"row": parcel_id, "part": part})

    async def extend(self, parcel_id: int, by: str, lease: float) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == parcel_id, col(OutboxRow.claimed_by) == by)
            .values(claimed_until=now() + timedelta(seconds=lease))
        )

    async def progressed(self, parcel_id: int, parts: int) -> None:
        """`parts` parts of a several-message row are out (a resend starts after them)."""
        await self.s.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == parcel_id)
            .values(progress=parts, inflight=None)
        )

    async def finish(
        self,
        parcel: Parcel,
        by: str,
        lease: float,
        note: str | None = None,
        asked: Asked | None = None,
    ) -> Parcel | None:
        """Done with the post (sent, or given up: `note` says why), with the question its last
        message asked; the chat's next post, claimed for `by` as `claim` does. On PostgreSQL
        one statement, which needs no transaction around it."""
        at = now()
        values: dict[str, Any] = {
            "row": parcel.id,
            "chat": parcel.chat_id,
            "at": at,
            "note": note[:ERROR_CHARS] if note else None,
        }
        if asked is not None:
            values |= {
                "message": asked.message_id,
                "scope": asked.scope,
                "position": asked.position,
            }
        if dialect_of(self.s) == "postgresql":
            values |= {"by": by, "until": at + timedelta(seconds=lease)}
            statement = _FINISH if asked is None else _FINISH_ASKED
            return _claimed(parcel.chat_id, (await self.s.execute(statement, values)).first())
        if asked is not None:
            await self.s.execute(REMEMBER["sqlite"], values)
        await self.s.execute(_SENT, values)
        return await self.claim(parcel.chat_id, by, lease)

    async def retry_at(self, parcel_id: int, due: datetime, error: str) -> None:
        """The send failed for now: release the row, to be tried again from `due`."""
        await self.s.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == parcel_id)
            .values(
                due_at=due,
                inflight=None,
                attempts=OutboxRow.attempts + 1,
                claimed_by=None,
                claimed_until=None,
                error=error[:ERROR_CHARS],
            )
        )

    async def defer(self, parcel_id: int, seconds: float) -> None:
        """Not now (the chat's share of posts is used up): release the row until then,
        without counting a failed attempt."""
        await self.s.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == parcel_id)
            .values(
                due_at=now() + timedelta(seconds=seconds),
                inflight=None,
                claimed_by=None,
                claimed_until=None,
            )
        )

    async def due_chats(self, by: str, limit: int = 100) -> list[str]:
        """Chats with rows waiting that `by` could send now."""
        at = now()
        found = await self.s.execute(
            select(OutboxRow.chat_id)
            .where(
                col(OutboxRow.sent_at).is_(None),
                OutboxRow.due_at <= at,
                _free(at, by),
            )
            .group_by(OutboxRow.chat_id)
            .limit(limit)
        )
        return list(found.scalars())

    async def backlog(self) -> int:
        found = await self.s.execute(
            select(func.count()).select_from(OutboxRow).where(col(OutboxRow.sent_at).is_(None))
        )
        return found.scalar() or 0

    async def pending(self, chat_id: str) -> list[str]:
        """The payloads still to send to a chat, oldest first (for tests and `doctor`)."""
        found = await self.s.execute(
            select(OutboxRow.payload)
            .where(OutboxRow.chat_id == chat_id, col(OutboxRow.sent_at).is_(None))
            .order_by(col(OutboxRow.id))
        )
        return list(found.scalars())

    async def purge(self, before: datetime) -> int:
        """Forget rows sent before `before`."""
        result = await self.s.execute(delete(OutboxRow).where(col(OutboxRow.sent_at) < before))
        return result.rowcount or 0  # type: ignore[attr-defined]


def _claimed(chat_id: str, row: Any) -> Parcel | None:
    """The Parcel of a row `_claim_oldest` claimed, if it claimed one."""
    if row is None:
        return None
    row_id, thread_id, payload, progress, attempts, interrupted = row
    return Parcel(row_id, chat_id, thread_id, payload, progress, attempts, interrupted)


def _free(at: datetime, by: str):
    """Nobody holds the row, its holder's lease ran out, or the holder is `by` itself."""
    return or_(
        col(OutboxRow.claimed_until).is_(None),
        col(OutboxRow.claimed_until) < at,
        col(OutboxRow.claimed_by) == by,
    )
