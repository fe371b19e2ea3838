"""Storage guarantees, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event as sa_event
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from flows import spec
from flows.analysis import compare
from flows.engine import handle, start
from flows.interview import Event, Interview
from flows.model import Author
from flows.spec import MapType
from storage.database import POOL_SIZE
from storage.records import Asked
from storage.repository import Conflict, Duplicate, StaleVersion, Store
from storage.tables import ChatRow
from tests.conftest import BACKENDS
from tests.scripted import ANIA, BUDI, Interviewee

CHAT = "-100123"
OTHER_CHAT = "555"
TRICKY = [
    "Kopi susu ☕️ — „najlepsza” kawa, żółć ąęłńóśźż",
    "<b>bold</b> & <i>not closed",
    "*stars* _under_ [link](http://x) `code` ~strike~",
    "Sate ayam 🍢 enak sekali!",
    "z" * 300,
]


async def started(store: Store, chat: str = CHAT, scope: str = "group", until: str = "touchpoints"):
    await store.ensure_chat(chat, "group", "en")
    interview = Interviewee(personas=2, stages=3).run(until_state=until).interview
    await store.start_interview(chat, scope, interview)
    return interview


async def finished_map(store: Store, chat: str = CHAT, title: str = "Kopi Kita") -> int:
    await store.ensure_chat(chat, "group", "en")
    journey_map = Interviewee(MapType.CURRENT, personas=2, stages=3).run().interview.map
    journey_map.title = title
    return (await store.finish_map(chat, journey_map)).number


def answer(text: str, author: Author):
    return lambda iv: handle(iv, Event.text(text, author))


async def test_an_interview_is_kept_and_comes_back_whole(store: Store) -> None:
    interview = await started(store)
    loaded = await store.load_interview(CHAT, "group")
    assert loaded is not None and loaded.interview == interview and loaded.revision == 0
    assert await store.load_interview(CHAT, "someone-else") is None


async def test_a_stale_write_is_refused(store: Store) -> None:
    interview = await started(store)
    await store.save_interview(CHAT, "group", interview, revision=0)
    with pytest.raises(Conflict):
        await store.save_interview(CHAT, "group", interview, revision=0)


async def test_the_same_update_delivered_twice_is_applied_once(store: Store) -> None:
    await started(store)
    await store.apply(CHAT, "group", answer("Instagram", ANIA), ledger_key="u:9001")
    with pytest.raises(Duplicate):
        await store.apply(CHAT, "group", answer("Instagram", ANIA), ledger_key="u:9001")
    loaded = await store.load_interview(CHAT, "group")
    assert loaded is not None
    assert [i.text for i in loaded.interview.map.stages[0].items("touchpoints")] == ["Instagram"]


async def test_members_answering_at_the_same_moment_all_keep_their_answers(store: Store) -> None:
    await started(store)
    members = [Author(id=str(200 + n), name=f"Member {n}") for n in range(10)]
    await asyncio.gather(
        *(
            store.apply(
                CHAT, "group", answer(f"touchpoint of {m.name}", m), ledger_key=f"u:{7000 + n}"
            )
            for n, m in enumerate(members)
        )
    )
    loaded = await store.load_interview(CHAT, "group")
    assert loaded is not None and loaded.revision == len(members)
    items = loaded.interview.map.stages[0].items("touchpoints")
    assert sorted((i.text, i.author.id) for i in items) == sorted(
        (f"touchpoint of {m.name}", m.id) for m in members
    )


async def test_answers_arriving_one_after_another_keep_their_order(store: Store) -> None:
    await started(store)
    for n, text in enumerate(["first", "second", "third"]):
        await store.apply(CHAT, "group", answer(text, BUDI), ledger_key=f"u:{100 + n}")
    loaded = await store.load_interview(CHAT, "group")
    assert loaded is not None
    assert [i.text for i in loaded.interview.map.stages[0].items("touchpoints")] == [
        "first",
        "second",
        "third",
    ]


async def test_text_comes_back_exactly_as_typed(store: Store) -> None:
    await started(store)
    for n, text in enumerate(TRICKY):
        await store.apply(CHAT, "group", answer(text, ANIA), ledger_key=f"u:{300 + n}")
    loaded = await store.load_interview(CHAT, "group")
    assert loaded is not None
    assert [i.text for i in loaded.interview.map.stages[0].items("touchpoints")] == TRICKY
    summary = await store.finish_map(CHAT, loaded.interview.map)
    again = await store.get_map(CHAT, summary.number)
    assert again is not None and [i.text for i in again.stages[0].items("touchpoints")] == TRICKY


async def test_the_dropped_row_copy_comes_back_filled_on_a_downgrade(store: Store) -> None:
    """Migration 0004 drops the one-row-per-answer copy nothing read; going back to 0003 makes
    the tables again from each map's current version, as the old code wrote them."""
    from alembic import command
    from sqlalchemy import text

    from storage.database import alembic_config

    number = await finished_map(store)
    journey_map = await store.get_map(CHAT, number)
    assert journey_map is not None

    def migrate(revision: str):  # type: ignore[no-untyped-def]
        def run(connection) -> None:  # type: ignore[no-untyped-def]
            go = command.downgrade if revision != "head" else command.upgrade
            go(alembic_config(connection), revision)

        return run

    async with store.engine.begin() as connection:
        await connection.run_sync(migrate("0003"))
    async with store.engine.connect() as connection:
        lanes = await connection.execute(text("SELECT lane, text FROM lane_items"))
        items = lanes.all()
        ratings = (await connection.execute(text("SELECT count(*) FROM emotion_ratings"))).scalar()
        stages = (await connection.execute(text("SELECT name FROM stages"))).scalars().all()
    expected = [
        (lane.id, item.text)
        for stage in journey_map.stages
        for lane in spec.lanes()
        if lane.shape != spec.Shape.RATINGS
        for item in stage.items(lane)
    ]
    expected += [("needs_have", i.text) for i in journey_map.needs.have]
    expected += [("needs_need", i.text) for i in journey_map.needs.need]
    assert sorted(items) == sorted(expected) and len(expected) > 30
    assert ratings == sum(len(stage.emotions) for stage in journey_map.stages) > 0
    assert stages == [stage.name for stage in journey_map.stages]
    async with store.engine.begin() as connection:
        await connection.run_sync(migrate("head"))
    assert await store.get_map(CHAT, number) == journey_map


async def test_a_chat_sees_only_its_own_maps(store: Store) -> None:
    number = await finished_map(store, CHAT)
    await store.ensure_chat(OTHER_CHAT, "private", "pl")
    assert await store.get_map(OTHER_CHAT, number) is None
    assert not await store.rename(OTHER_CHAT, number, "Stolen")
    assert not await store.delete_map(OTHER_CHAT, number)
    assert await store.copy(OTHER_CHAT, number, MapType.FUTURE, BUDI) is None
    assert (await store.list_maps(OTHER_CHAT)).total == 0
    kept = await store.get_map(CHAT, number)
    assert kept is not None and kept.title == "Kopi Kita"


async def test_maps_are_numbered_per_chat_and_listed_newest_first(store: Store) -> None:
    for n in range(7):
        await finished_map(store, CHAT, title=f"Map {n}")
    other = await finished_map(store, OTHER_CHAT, title="Elsewhere")
    assert other == 1
    first = await store.list_maps(CHAT, page=1, per_page=5)
    second = await store.list_maps(CHAT, page=2, per_page=5)
    assert first.total == 7 and first.pages == 2
    assert [m.title for m in first.maps] == [f"Map {n}" for n in (6, 5, 4, 3, 2)]
    assert [m.number for m in second.maps] == [2, 1]


async def test_a_save_on_a_stale_version_is_refused_and_changes_nothing(store: Store) -> None:
    """The Mini App's optimistic check: an edit made on version 1 after someone saved 2."""
    number = await finished_map(store)
    first = await store.get_map(CHAT, number)
    assert first is not None
    first.title = "Edited on version 1"
    saved = await store.run(lambda u: u.maps.save(CHAT, first, number, expected_version=1))
    assert saved.version == 2
    first.title = "Also edited on version 1"
    with pytest.raises(StaleVersion) as stale:
        await store.run(lambda u: u.maps.save(CHAT, first, number, expected_version=1))
    assert stale.value.current == 2
    kept = await store.get_map(CHAT, number)
    assert kept is not None and kept.title == "Edited on version 1"
    assert [v.version for v in await store.versions(CHAT, number)] == [1, 2]


async def test_versions_rename_copy_and_delete(store: Store) -> None:
    number = await finished_map(store)
    assert await store.rename(CHAT, number, "Kopi Kita 2.0")
    versions = await store.versions(CHAT, number)
    assert [v.version for v in versions] == [1, 2]
    old = await store.get_map(CHAT, number, version=1)
    new = await store.get_map(CHAT, number)
    assert old is not None and new is not None
    assert not compare(old, new).emotion_changes  # a rename moves no emotion
    assert await store.get_map(CHAT, number, version=9) is None
    assert (old.title, new.title) == ("Kopi Kita", "Kopi Kita 2.0")

    copy = await store.copy(CHAT, number, MapType.FUTURE, BUDI)
    assert copy is not None and copy.number == number + 1 and copy.map_type == MapType.FUTURE
    assert await store.copied_from(CHAT, copy.number) == number
    copied = await store.get_map(CHAT, copy.number)
    assert copied is not None and copied.stages == new.stages

    assert await store.set_tick(CHAT, number, "customer.expectations", True, "Ania")
    assert await store.ticks(CHAT, number) == {"customer.expectations"}
    assert await store.delete_map(CHAT, number)
    assert await store.get_map(CHAT, number) is None
    assert await store.copied_from(CHAT, copy.number) is None
    assert (await store.list_maps(CHAT)).total == 1


async def test_finishing_an_edit_bumps_the_version(store: Store) -> None:
    number = await finished_map(store)
    journey_map = await store.get_map(CHAT, number)
    assert journey_map is not None
    interview = Interview(map=journey_map, state="review")
    await store.start_interview(CHAT, "group", interview, map_number=number)
    loaded = await store.load_interview(CHAT, "group")
    assert loaded is not None and loaded.map_number == number
    loaded.interview.map.goal = "Fewer late deliveries"
    summary = await store.finish_interview(CHAT, "group", loaded.interview.map, number)
    assert summary.version == 2 and summary.number == number
    assert await store.load_interview(CHAT, "group") is None


async def test_ticks_are_per_map(store: Store) -> None:
    first = await finished_map(store)
    second = await finished_map(store)
    await store.set_tick(CHAT, first, "a", True)
    await store.set_tick(CHAT, first, "b", True)
    await store.set_tick(CHAT, first, "a", False)
    assert await store.ticks(CHAT, first) == {"b"}
    assert await store.ticks(CHAT, second) == set()


async def test_the_migrations_match_the_tables(store: Store) -> None:
    def differences(connection) -> list:  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    async with store.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_an_interview_started_afresh_replaces_the_unfinished_one(store: Store) -> None:
    await started(store)
    fresh = start(ANIA, "pl").interview
    await store.start_interview(CHAT, "group", fresh)
    loaded = await store.load_interview(CHAT, "group")
    assert loaded is not None and loaded.interview.state == "map_type"
    assert loaded.interview.lang == "pl"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///journeybot.db", "sqlite+aiosqlite:///journeybot.db"),
        ("postgresql://u:p@db:5432/jb", "postgresql+asyncpg://u:p@db:5432/jb"),
        ("postgres://u@db/jb", "postgresql+asyncpg://u@db/jb"),
        ("postgresql+psycopg://u@db/jb", "postgresql+psycopg://u@db/jb"),
        ("postgresql+asyncpg://u@db/jb", "postgresql+asyncpg://u@db/jb"),
    ],
)
def test_database_urls_get_an_async_driver(given: str, used: str) -> None:
    from storage.database import database_url

    assert database_url(given) == used


def test_the_default_database_is_a_sqlite_file_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.database import database_url

    monkeypatch.delenv("JOURNEYBOT_DATABASE_URL", raising=False)
    assert database_url() == "sqlite+aiosqlite:///journeybot.db"


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_psycopg_urls_work_too(db_url: str) -> None:
    store = Store(db_url.replace("postgresql+asyncpg", "postgresql+psycopg"))
    try:
        await store.upgrade()
        number = await finished_map(store)
        assert (await store.get_map(CHAT, number)) is not None
    finally:
        await store.close()


async def test_a_due_reminder_is_claimed_by_exactly_one_instance(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    number = await finished_map(store)
    past = datetime.now(UTC) - timedelta(seconds=1)
    assert await store.add_reminder(CHAT, number, past)
    assert await store.add_reminder(CHAT, number, past + timedelta(days=30))

    async def claim_due(instance: str) -> list:
        """What the bot's reminder loop does (bot/reminders.py): each due one, claimed."""
        due = await store.run(lambda u: u.reminders.due())
        return [r for r in due if await store.run(lambda u, r=r: u.reminders.claim(r.id, instance))]

    claims = await asyncio.gather(*(claim_due(f"bot{i}") for i in range(4)))
    assert sum(len(c) for c in claims) == 1
    (claimed,) = [c for batch in claims for c in batch]
    assert (claimed.chat_id, claimed.map_number) == (CHAT, number)
    assert await claim_due("late") == []
    later = await store.next_reminder_at()
    assert later is not None and later > datetime.now(UTC) + timedelta(days=29)
    assert not await store.add_reminder(OTHER_CHAT, number, past)  # not that chat's map


async def test_a_chat_s_oldest_post_is_claimed_and_taken_over(store: Store) -> None:
    """The outbox's claim: only a chat's oldest unsent post, only when nobody else holds it;
    taken over once the holder's lease ran out, a part the holder had in flight counted as
    delivered (sending it again could show it twice), parts it noted as out skipped."""
    chat = "outbox-chat"

    async def add(payload: str) -> None:
        await store.run(lambda u: u.outbox.add(chat, payload))

    def claim(by: str, lease: float = 60.0):  # type: ignore[no-untyped-def]
        return store.run(lambda u: u.outbox.claim(chat, by, lease))

    assert await claim("a") is None  # nothing to send
    await add("first")
    await add("second")
    held = await claim("a", lease=0.3)
    assert (held.payload, held.progress, held.interrupted) == ("first", 0, False)
    assert await claim("b") is None  # "a" holds the oldest; the next one must wait for it
    await store.run(lambda u: u.outbox.progressed(held.id, 2))  # two parts out …
    await store.run(lambda u: u.outbox.sending(held.id, 2))  # … the third on its way
    await asyncio.sleep(0.4)  # "a" died: its lease runs out
    taken = await claim("b")
    assert (taken.id, taken.progress, taken.interrupted) == (held.id, 3, True)
    assert taken.attempts == 0 and taken.chat_id == chat and taken.thread_id is None
    await store.run(lambda u: u.outbox.finish(taken, "b", 60.0))
    second = await claim("b")
    assert (second.payload, second.progress, second.interrupted) == ("second", 0, False)
    await store.run(lambda u: u.outbox.progressed(second.id, 1))  # a part out, none in flight
    again = await claim("b")  # its own claim is free to it at once
    assert (again.id, again.progress, again.interrupted) == (second.id, 1, False)


async def test_a_post_done_with_notes_its_question_and_claims_the_chat_s_next(
    store: Store,
) -> None:
    """The courier's note after a post's last part (one statement on PostgreSQL): the post
    is sent, the question its message asked is noted, the chat's next post is claimed — and
    the first two hold when there is no next post to claim."""
    chat = "finish-chat"
    for payload in ("first", "second"):
        await store.run(lambda u, p=payload: u.outbox.add(chat, p))
    await store.run(lambda u: u.outbox.add("another-chat", "not this chat's"))

    def finish(parcel, **how):  # type: ignore[no-untyped-def]
        return store.run(lambda u: u.outbox.finish(parcel, "a", 60, **how), one_statement=True)

    first = await store.run(lambda u: u.outbox.claim(chat, "a", 60))
    second = await finish(first, asked=Asked(77, "group", "stage:0"))
    assert (second.payload, second.progress, second.interrupted) == ("second", 0, False)
    assert await store.question_of(chat, 77) == ("group", "stage:0")
    assert await store.run(lambda u: u.outbox.pending(chat)) == ["second"]
    assert await store.run(lambda u: u.outbox.claim(chat, "b", 60)) is None  # "a" holds it

    assert await finish(second, note="dropped: Forbidden", asked=Asked(78, "group", "x")) is None
    assert await store.run(lambda u: u.outbox.pending(chat)) == []
    assert await store.question_of(chat, 78) == ("group", "x")
    async with store.engine.connect() as c:
        found = await c.execute(
            sql("SELECT payload, error FROM outbox WHERE chat_id = :c ORDER BY id"), {"c": chat}
        )
        assert [tuple(row) for row in found] == [
            ("first", None),
            ("second", "dropped: Forbidden"),
        ]
    assert await store.run(lambda u: u.outbox.pending("another-chat")) == ["not this chat's"]


async def test_two_bot_instances_share_one_database(store: Store) -> None:
    """Each instance remembers what it wrote last; the revision check keeps them honest."""
    other = Store(store.url)
    try:
        await started(store)
        for n in range(6):
            instance = store if n % 2 == 0 else other
            await instance.apply(
                CHAT, "group", answer(f"item {n}", ANIA), ledger_key=f"u:{500 + n}"
            )
        loaded = await store.load_interview(CHAT, "group")
        assert loaded is not None
        assert [i.text for i in loaded.interview.map.stages[0].items("touchpoints")] == [
            f"item {n}" for n in range(6)
        ]
        # The other instance starts afresh; this one's memory of the old interview is stale.
        await other.start_interview(CHAT, "group", start(BUDI, "en").interview)
        applied = await store.apply(
            CHAT, "group", lambda iv: handle(iv, Event.choice("future", ANIA)), ledger_key="u:600"
        )
        assert applied is not None and applied[0].map.map_type == MapType.FUTURE
        assert applied[0].map.stages == []  # the new interview, not the old one revived
    finally:
        await other.close()


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
@pytest.mark.parametrize("with_keys", [False, True], ids=["no update", "an update's key"])
async def test_units_of_one_chat_take_turns_across_instances(db_url: str, with_keys: bool) -> None:
    """Two instances (two Stores) working on one chat: the second waits for the first. With
    an update's key, the turn is taken in the statement that records the key."""
    first, second = Store(db_url), Store(db_url)
    order: list[str] = []
    keys = iter(range(100))

    def run(store: Store, body, lock: str):  # type: ignore[no-untyped-def]
        key = f"turns:{next(keys)}" if with_keys else None
        return store.run(body, key, lock=lock)

    async def slow(u) -> None:  # type: ignore[no-untyped-def]
        order.append("first in")
        await asyncio.sleep(0.5)
        order.append("first out")

    async def quick(u) -> None:  # type: ignore[no-untyped-def]
        order.append("second")

    try:
        holding = asyncio.create_task(run(first, slow, lock="chat-1"))
        await asyncio.sleep(0.1)
        await run(second, quick, lock="chat-1")
        await holding
        assert order == ["first in", "first out", "second"]
        order.clear()  # another chat does not wait
        holding = asyncio.create_task(run(first, slow, lock="chat-1"))
        await asyncio.sleep(0.1)
        await run(second, quick, lock="chat-2")
        await holding
        assert order == ["first in", "second", "first out"]
        if with_keys:  # … and a key applied before is still refused
            with pytest.raises(Duplicate):
                await second.run(quick, "turns:0", lock="chat-1")
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_a_unit_of_one_statement_runs_without_a_transaction(db_url: str) -> None:
    """The courier's in-flight note is one statement: on PostgreSQL it runs on its own (no
    BEGIN and COMMIT, two round trips of three), so it holds for everyone the moment it
    ran, before the unit ends; a unit that records a key or takes a turn is refused."""
    store = Store(db_url)
    try:
        await store.run(lambda u: u.outbox.add("chat-1", "{}"))
        parcel = await store.run(lambda u: u.outbox.claim("chat-1", "me", 60))
        assert parcel is not None
        seen = []

        async def note(u) -> None:  # type: ignore[no-untyped-def]
            await u.outbox.sending(parcel.id, 0)
            async with store.engine.connect() as elsewhere:  # another connection looks
                found = await elsewhere.execute(
                    sql("SELECT inflight FROM outbox WHERE id = :id"), {"id": parcel.id}
                )
                seen.append(found.scalar())

        await store.run(note, one_statement=True)
        await store.run(lambda u: u.outbox.progressed(parcel.id, 0))  # no part in flight again
        await store.run(note)
        assert seen == [0, None]  # at once on its own; in a transaction, only at its end
        with pytest.raises(ValueError):
            await store.run(note, "update-key", one_statement=True)
    finally:
        await store.close()


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_connections_the_server_dropped_cost_no_answer(db_url: str) -> None:
    """The server closes every connection the store holds (a restart, an administrator):
    the next answer still lands, at once, with no wait for an outage."""
    store = Store(db_url)
    try:
        await started(store)
        # Busy chats open several connections, all kept in the pool.
        await asyncio.gather(
            *(store.run(lambda u: u.interviews.load(CHAT, "group")) for _ in range(5))
        )
        admin = Store(db_url)
        try:
            async with admin.session() as session:
                closed = await session.execute(
                    sql(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                assert closed.scalar_one() >= 1
        finally:
            await admin.close()
        event = Event.text("after the drop", ANIA)
        applied = await store.apply(CHAT, "group", lambda iv: handle(iv, event), ledger_key="k1")
        assert applied is not None
        loaded = await store.load_interview(CHAT, "group")
        assert loaded is not None
        assert "after the drop" in loaded.interview.to_json()
    finally:
        await store.close()


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_many_chats_at_once_reuse_the_pooled_connections(db_url: str) -> None:
    """Fifty chats answering together wait their turn for a pooled connection instead of
    each opening (and closing) one: the server starts no backend per answer."""
    store = Store(db_url)
    opened = 0

    def count(*_args: object) -> None:
        nonlocal opened
        opened += 1

    sa_event.listen(store.engine.sync_engine, "connect", count)
    try:
        for n in range(50):
            await started(store, chat=f"chat{n}")

        async def answer(n: int, k: int) -> None:
            event = Event.text(f"answer {k}", ANIA)
            await store.run(lambda u: u.interviews.load(f"chat{n}", "group"), lock=f"chat{n}")
            await store.apply(f"chat{n}", "group", lambda iv: handle(iv, event), f"{n}:{k}")

        for k in range(3):
            await asyncio.gather(*(answer(n, k) for n in range(50)))
        assert opened <= POOL_SIZE
    finally:
        await store.close()


async def _posts_and_chats(store: Store) -> tuple[int, int]:
    async with store.unit() as work:
        posts = await work.session.scalar(sql("SELECT count(*) FROM outbox"))
        chats = await work.session.scalar(sql("SELECT count(*) FROM chats"))
    return posts, chats


async def test_a_unit_s_core_and_orm_statements_commit_or_roll_back_together(
    store: Store,
) -> None:
    """An answer's Core statements run on the unit's connection, rows as objects in an ORM
    session joined to the same transaction: one unit is all of them or none."""
    await store.ensure_chat("1", "private", "en")
    with pytest.raises(RuntimeError):
        async with store.unit() as work:
            await work.outbox.add("1", "{}")
            assert work.session._orm is None  # the Core insert did not need the ORM
            work.session.add(ChatRow(id="2", kind="private", language="pl"))
            await work.session.flush()
            raise RuntimeError("the answer's handler failed")
    assert await _posts_and_chats(store) == (0, 1)
    async with store.unit() as work:
        await work.outbox.add("1", "{}")
        work.session.add(ChatRow(id="2", kind="private", language="pl"))
        # A statement after a row the ORM holds sees it: the row is flushed before it.
        assert (await work.session.execute(sql("SELECT count(*) FROM chats"))).scalar() == 2
        await work.outbox.add("2", "{}")
    assert await _posts_and_chats(store) == (2, 2)
    # A savepoint rolled back (a chat created by someone else meanwhile) keeps the rest.
    async with store.unit() as work:
        await work.outbox.add("1", "{}")
        with pytest.raises(IntegrityError):
            async with work.session.begin_nested():
                work.session.add(ChatRow(id="1", kind="private", language="id"))
                await work.session.flush()
    assert await _posts_and_chats(store) == (3, 2)


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_a_hot_statement_fails_as_sqlalchemy_s_own_would(db_url: str) -> None:
    """An answer's statements skip SQLAlchemy's execution context on PostgreSQL
    (storage/pg_units.py): a refused one still raises SQLAlchemy's exception and leaves
    nothing behind; one cancelled while it waits (for a chat's turn) drops its connection
    instead of lending it out busy, and the next unit goes ahead."""
    store, other = Store(db_url), Store(db_url)
    try:
        with pytest.raises(IntegrityError):  # a post with no chat: NOT NULL
            async with store.unit() as work:
                await work.outbox.add("chat-1", "kept only with the rest")
                await work.outbox.add(None, "refused")  # type: ignore[arg-type]
        assert await store.run(lambda u: u.outbox.pending("chat-1")) == []

        holding, release = asyncio.Event(), asyncio.Event()

        async def hold(u) -> None:  # type: ignore[no-untyped-def]
            holding.set()
            await release.wait()

        holder = asyncio.create_task(other.run(hold, lock="chat-1"))
        await holding.wait()

        async def wait_for_the_turn() -> None:
            async with store.unit(lock="chat-1"):
                pass

        dropped: list[object] = []
        sa_event.listen(store.engine.sync_engine, "invalidate", lambda *a: dropped.append(a))
        waiting = asyncio.create_task(wait_for_the_turn())
        await asyncio.sleep(0.3)  # blocked in the turn's statement, on the server
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert len(dropped) == 1  # that connection, not lent again
        release.set()
        await holder
        for n in range(POOL_SIZE + 1):  # every pooled connection lent again works
            await store.run(lambda u, n=n: u.outbox.add("chat-1", f"post {n}"), lock="chat-1")
        assert len(await store.run(lambda u: u.outbox.pending("chat-1"))) == POOL_SIZE + 1
    finally:
        await store.close()
        await other.close()
