"""The database tables.

The interview in progress is kept as the engine's JSON (it changes on every answer and is
only ever read whole); a finished map is a row with its header (number, title, type,
version) and every version of it whole as JSON, so older versions stay readable and can be
compared. The map's content is read from that JSON only (the one-row-per-answer copy was
dropped in migration 0004: nothing read it).

A column used in a query expression goes through sqlmodel's `col()` where the type checker
would otherwise see the field's Python type (`OutboxRow.sent_at` is a `datetime | None`, and
`OutboxRow.sent_at.is_(None)` type-checks only as `col(OutboxRow.sent_at).is_(None)`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def now() -> datetime:
    return datetime.now(UTC)


class ChatRow(SQLModel, table=True):
    __tablename__ = "chats"

    id: str = Field(primary_key=True, max_length=64)  # Telegram chat id, or "console"
    kind: str = Field(max_length=16)  # private | group | supergroup | console
    language: str = Field(default="en", max_length=8)
    created_at: datetime = Field(default_factory=now)


class InterviewRow(SQLModel, table=True):
    """One interview in progress per chat scope: the chat's in a group, the user's in private."""

    __tablename__ = "interviews"
    __table_args__ = (UniqueConstraint("chat_id", "scope"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(foreign_key="chats.id", index=True, max_length=64)
    scope: str = Field(max_length=64)
    state: str = Field(max_length=32)  # the step it is at, for people reading the table
    data: str = Field(sa_column=Column(Text, nullable=False))  # flows.Interview as JSON
    revision: int = Field(default=0)  # bumped on every save: the optimistic lock
    map_id: int | None = Field(default=None, foreign_key="maps.id")  # set when editing a map
    started_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)


class MapRow(SQLModel, table=True):
    __tablename__ = "maps"
    __table_args__ = (UniqueConstraint("chat_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(foreign_key="chats.id", index=True, max_length=64)
    number: int  # 1, 2, 3 … within the chat: what users type in /map N
    title: str = Field(max_length=200)
    map_type: str = Field(max_length=16)
    language: str = Field(max_length=8)
    goal: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: str = Field(default="", max_length=64)
    created_by_name: str = Field(default="", max_length=200)
    copied_from_id: int | None = Field(default=None, foreign_key="maps.id")
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now, index=True)


class MapVersionRow(SQLModel, table=True):
    __tablename__ = "map_versions"
    __table_args__ = (UniqueConstraint("map_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    map_id: int = Field(foreign_key="maps.id", index=True)
    version: int
    data: str = Field(sa_column=Column(Text, nullable=False))  # flows.JourneyMap as JSON
    created_at: datetime = Field(default_factory=now)


class ChecklistTickRow(SQLModel, table=True):
    __tablename__ = "checklist_ticks"
    __table_args__ = (UniqueConstraint("map_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    map_id: int = Field(foreign_key="maps.id", index=True)
    item: str = Field(max_length=64)
    ticked_by: str = Field(default="", max_length=200)
    ticked_at: datetime = Field(default_factory=now)


class LedgerRow(SQLModel, table=True):
    """Updates already applied, so a redelivered one is applied once.

    The key names what the update carries (`m:<chat>:<message id>`, `cb:<callback id>`), not
    Telegram's update id: update ids start again at a random number after a week without
    updates, message ids in a chat never repeat. Rows older than the retention are purged."""

    __tablename__ = "update_ledger"

    key: str = Field(primary_key=True, max_length=96)
    processed_at: datetime = Field(default_factory=now, index=True)


class OutboxRow(SQLModel, table=True):
    """What the bot has still to send, written in the same transaction as the change that
    caused it. A sender delivers each chat's rows in order, marks them sent, and after a crash
    sends what was not confirmed. `payload` is the bot's own JSON (bot/posts.py)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=64, index=True)
    thread_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    progress: int = Field(default=0)  # parts of a several-message post already sent
    # The part whose request may be on its way (None: none). A sender that dies there leaves
    # it set; whoever takes the row over counts that part as delivered rather than risk
    # showing it twice.
    inflight: int | None = None
    attempts: int = Field(default=0)
    due_at: datetime = Field(default_factory=now)  # not before (a retry waits)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    sent_at: datetime | None = Field(default=None, index=True)
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=now)


class ReminderRow(SQLModel, table=True):
    __tablename__ = "reminders"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(foreign_key="chats.id", index=True, max_length=64)
    map_id: int = Field(foreign_key="maps.id")
    due_at: datetime = Field(index=True)
    sent_at: datetime | None = None
    claimed_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=now)


class QuestionMessageRow(SQLModel, table=True):
    """Which interview question a bot message asked, so a reply to it (or a button on it)
    lands on that question even after the interview moved on."""

    __tablename__ = "question_messages"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=64)
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    scope: str = Field(max_length=64)
    position: str = Field(max_length=64)  # flows Position.token()
    created_at: datetime = Field(default_factory=now)


class OpportunityVoteRow(SQLModel, table=True):
    """One person's rating of one opportunity of a map: impact and effort, low 1 to high 3
    (flows/priorities.py). The opportunity is named by its id (stage name and text)."""

    __tablename__ = "opportunity_votes"
    __table_args__ = (UniqueConstraint("map_id", "opportunity", "voter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    map_id: int = Field(foreign_key="maps.id", index=True)
    opportunity: str = Field(max_length=16)
    voter_id: str = Field(max_length=64)
    voter_name: str = Field(default="", max_length=200)
    impact: int | None = None
    effort: int | None = None
    at: datetime = Field(default_factory=now)


class ActionRow(SQLModel, table=True):
    """An opportunity the chat turned into an action: who does it, by when, how far it is.

    Made when someone presses "make it an action" (no owner or date yet: a draft, asked for
    next). `remind_at` is when the owner is asked whether it is done: set from the due date,
    cleared by the instance that claims the reminder (sent once), set again by a snooze."""

    __tablename__ = "actions"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(foreign_key="chats.id", index=True, max_length=64)
    map_id: int = Field(foreign_key="maps.id", index=True)
    opportunity: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner_id: str = Field(default="", max_length=64)  # a Telegram user id, or "" (a name)
    owner_name: str = Field(default="", max_length=200)  # "@andi", "Andi Saputra", "Sari"
    due_on: date | None = None
    status: str = Field(default="todo", max_length=8)  # flows.priorities.Status
    remind_at: datetime | None = Field(default=None, index=True)
    reminded_by: str = Field(default="", max_length=64)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)


def core(row: type[SQLModel]) -> Table:
    """A row class's table, for Core statements on the hot path: they skip the ORM's
    bulk-statement machinery, which cost a fifth of the bot's CPU per answer (issue 17)."""
    return SQLModel.metadata.tables[str(row.__tablename__)]


def is_core(statement: Any) -> bool:
    """A statement on tables only, with no ORM entity or column in it: a unit runs it on its
    connection, past the ORM session (storage/sqlite_units.py, storage/pg_units.py). The
    same test the ORM session makes to choose its own path."""
    return not statement._propagate_attrs.get("compile_state_plugin")
