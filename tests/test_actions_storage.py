"""Ratings and actions in storage, on SQLite and PostgreSQL: one rating per person and
opportunity, actions listed across a chat's maps, the owner asked once across instances."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from flows.priorities import HIGH, LOW, MEDIUM, Status
from storage.repository import Store
from storage.tables import now
from tests.test_storage import CHAT, finished_map


async def test_a_person_rates_once_and_rating_again_replaces_it(store: Store) -> None:
    number = await finished_map(store)

    async def vote(who: str, **rating: int):
        return await store.run(
            lambda u: u.actions.vote(CHAT, number, "abcd1234", (who, who.title()), **rating)
        )

    await vote("ani", impact=HIGH)
    both = await vote("ani", effort=LOW)
    assert (both.impact, both.effort) == (HIGH, LOW)
    await vote("ani", impact=MEDIUM)
    await vote("budi", impact=LOW)
    votes = await store.run(lambda u: u.actions.votes(CHAT, number))
    assert sorted((v.voter, v.impact, v.effort) for v in votes) == [
        ("ani", MEDIUM, LOW),
        ("budi", LOW, None),
    ]
    assert await store.run(lambda u: u.actions.vote(CHAT, 99, "x", ("a", "A"), impact=1)) is None


async def test_actions_are_listed_across_maps_and_asked_about_once(store: Store) -> None:
    first = await finished_map(store, title="One")
    second = await finished_map(store, title="Two")
    today = date.today()

    async def make(number: int, text: str, due: date, owner: str) -> int:
        async def body(u):
            action = await u.actions.add(CHAT, number, "id" + text[:6], text, "Ani")
            assert action is not None and not action.ready
            await u.actions.set_owner(CHAT, action.id, "", owner)
            await u.actions.set_due(CHAT, action.id, due, now() - timedelta(seconds=1))
            return action.id

        return await store.run(body)

    slot = await make(first, "Second packing slot", today + timedelta(days=3), "@andi")
    await make(second, "Tracking link", today + timedelta(days=1), "Sari")
    draft = await store.run(lambda u: u.actions.add(CHAT, first, "x", "No owner yet", "Ani"))
    listed = await store.run(lambda u: u.actions.of_chat(CHAT))
    assert [(a.text, a.map_number, a.owner_name) for a in listed] == [
        ("Tracking link", second, "Sari"),
        ("Second packing slot", first, "@andi"),
    ]
    assert draft is not None and all(a.id != draft.id for a in listed)
    assert await store.run(lambda u: u.actions.get("other chat", slot)) is None

    due = await store.run(lambda u: u.actions.due())
    assert {a for a, _ in due} >= {slot}
    # Two instances race for each due action: exactly one wins each.
    results = await asyncio.gather(
        *(
            store.run(lambda u, a=a, i=i: u.actions.claim(a, f"instance-{i}"))
            for a, _ in due
            for i in range(2)
        )
    )
    assert sum(results) == len(due)
    assert await store.run(lambda u: u.actions.due()) == []

    await store.run(lambda u: u.actions.set_status(CHAT, slot, Status.DONE))
    listed = await store.run(lambda u: u.actions.of_chat(CHAT))
    assert [a.text for a in listed] == ["Tracking link"]
    everything = await store.run(lambda u: u.actions.of_chat(CHAT, open_only=False))
    assert {a.status for a in everything} == {Status.DONE, Status.TODO}


async def test_actions_go_with_a_deleted_map(store: Store) -> None:
    number = await finished_map(store)
    await store.run(lambda u: u.actions.add(CHAT, number, "x", "Idea", "Ani"))
    await store.run(lambda u: u.actions.vote(CHAT, number, "x", ("a", "A"), impact=1))
    assert await store.run(lambda u: u.maps.delete(CHAT, number))
    assert await store.run(lambda u: u.actions.of_chat(CHAT, open_only=False)) == []


async def test_migration_0005_goes_down_and_up_again(store: Store) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from storage.database import alembic_config

    async def migrate(revision: str) -> set[str]:
        """Migrate to `revision`; the tables there."""

        def run(connection) -> set[str]:  # type: ignore[no-untyped-def]
            go = command.upgrade if revision == "head" else command.downgrade
            go(alembic_config(connection), revision)
            return set(inspect(connection).get_table_names())

        async with store.engine.begin() as connection:
            return await connection.run_sync(run)

    ours = {"actions", "opportunity_votes"}
    assert ours <= await migrate("head")
    assert not ours & await migrate("0004")
    assert ours <= await migrate("head")


async def test_the_picture_and_exports_get_the_map_with_its_actions_marked(store: Store) -> None:
    """What the courier hands the renderers for a map's picture and its exports."""
    from bot.maps import Desk
    from flows.priorities import opportunities

    number = await finished_map(store)
    journey_map = await store.get_map(CHAT, number)
    assert journey_map is not None
    found = opportunities(journey_map)
    assert found, "the scripted map has opportunities"
    first = found[0]

    async def act(u):  # type: ignore[no-untyped-def]
        action = await u.actions.add(CHAT, number, first.id, first.text, "Ani")
        await u.actions.set_owner(CHAT, action.id, "", "@andi")
        await u.actions.set_due(CHAT, action.id, date.today(), now())
        await u.actions.set_status(CHAT, action.id, Status.DONE)

    await store.run(act)
    marked = await Desk(store, renderer=None)._marked(CHAT, number, journey_map)  # type: ignore[arg-type]
    texts = marked.stages[first.stage].texts("opportunities")
    assert f"{first.text} · ✅ @andi" in texts
    assert first.text in journey_map.stages[first.stage].texts("opportunities")
