"""Groups as a team runs them, against the real bot (in the test's process, tests/inprocess.py;
the restart on the `journeybot run` process): within Telegram's posts per group and minute,
interviews in forum topics side by side, and a group upgraded to a supergroup (a new chat id)
that keeps its maps and its interview."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e import BotProcess, Person, seed_map, stored
from tests.fakebotapi import FakeBotApi
from tests.inprocess import InProcessBot

pytestmark = pytest.mark.timeout(300)
POSTS = ("sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup")


def topic_of(message) -> int | None:  # type: ignore[no-untyped-def]
    thread = message.params.get("message_thread_id")
    return int(thread) if thread is not None else None


def most_in_any_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    return max(
        (sum(1 for t in times if start <= t < start + seconds) for start in times), default=0
    )


async def group_interview(lead: Person, members: list[Person], stages: tuple[str, ...]) -> None:
    """Sari leads; the members add touchpoints and rate; the rest is skipped."""
    lead.command("new")
    await lead.sees("is starting a customer journey map")
    await lead.presses("Current state")
    await lead.sees("What business or product")
    lead.answers("Toko Sari")
    await lead.sees("What should this map help you achieve?")
    lead.answers("More regulars")
    await lead.sees("Who are your customers?")
    await lead.sees_reaction(lead.answers("Dewi: office worker"))
    await lead.presses("✔ Done")
    await lead.sees("What stages does your customer go through?")
    await lead.sees_reaction(lead.answers("\n".join(stages)))
    await lead.presses("✔ Done")
    for stage in stages:
        touch = await lead.sees(f"{stage}: where does the customer meet your business")
        for member in members:
            said = member.says(
                f"Instagram from {member.user.first_name}", reply_to=touch.message_id
            )
            await member.sees_reaction(said, timeout=40)
        await lead.presses("✔ Done")
        for asked in (
            "what does the customer do here",
            "what is the customer thinking",
            "what does the customer say out loud",
        ):
            await lead.sees(f"{stage}: {asked}")
            await lead.presses("⏭ Skip")
        rating = await lead.sees(f"{stage}: how does Dewi feel here")
        await lead.presses("🙂 +1 good", message_id=rating.message_id)
        await lead.presses("✔ Done", message_id=rating.message_id)
        for asked in ("what goes wrong", "what could you do better", "who in your business"):
            await lead.sees(f"{stage}: {asked}")
            await lead.presses("⏭ Skip")
    for asked in ("What resources do you already have", "what would you still need"):
        await lead.sees(asked)
        await lead.presses("⏭ Skip")
    await lead.sees("Here is your map so far")
    await lead.presses("✅ Finish and draw the map")
    await lead.sees("Tick off", timeout=120)


async def test_a_whole_group_interview_stays_within_the_group_limit(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    """Telegram's 20 posts a minute, scaled to 20 posts in 6 seconds so the test is quick."""
    sari, andi, maya = (api.new_user(n, n.lower()) for n in ("Sari", "Andi", "Maya"))
    chat = api.new_group("Toko Sari team", [sari, andi, maya])
    lead, *members = (Person(api, chat, u) for u in (sari, andi, maya))
    bot = InProcessBot(
        api,
        sqlite_url,
        tmp_path,
        extra_env={
            "JOURNEYBOT_GROUP_MESSAGES_PER_MINUTE": "20",
            "JOURNEYBOT_GROUP_WINDOW": "6",
        },
    )
    await bot.start()
    try:
        await group_interview(lead, members, ("Order", "Pickup", "Pay"))
    finally:
        await bot.stop()
    posted = [m.time for m in api.sent if m.chat_id == chat.id and m.method in POSTS]
    assert len(posted) > 20  # enough to have met the limit
    assert most_in_any_window(posted, 6.0) <= 20
    saved = await stored(sqlite_url, lambda s: s.get_map(str(chat.id), 1))
    assert saved is not None and len(saved.stages[0].items("touchpoints")) == 2


async def test_two_interviews_in_two_forum_topics_at_once(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    sari, andi = api.new_user("Sari", "sari"), api.new_user("Andi", "andi")
    chat = api.new_group("Toko Sari team", [sari, andi])
    bakery, delivery = api.new_topic(chat, "Bakery map"), api.new_topic(chat, "Delivery map")
    bot = InProcessBot(api, sqlite_url, tmp_path)
    await bot.start()
    try:
        api.user_command(chat, sari, "new", thread_id=bakery)
        api.user_command(chat, andi, "new", thread_id=delivery)
        for who, topic, title in ((sari, bakery, "Bakery"), (andi, delivery, "Delivery")):
            person = Person(api, chat, who)
            asked = await person.sees(
                lambda m, t=topic: "What kind of map" in m.content and topic_of(m) == t
            )
            api.press_button_text(chat, who, "Current state", message_id=asked.message_id)
            title_question = await person.sees(
                lambda m, t=topic: "What business or product" in m.content and topic_of(m) == t
            )
            api.user_text(chat, who, title, reply_to=title_question.message_id)
            await person.sees(
                lambda m, t=topic: "What should this map help" in m.content and topic_of(m) == t
            )
        first = await stored(sqlite_url, lambda s: s.load_interview(str(chat.id), f"topic{bakery}"))
        second = await stored(
            sqlite_url, lambda s: s.load_interview(str(chat.id), f"topic{delivery}")
        )
        assert first.interview.map.title == "Bakery" and first.interview.facilitator.name == "Sari"
        assert second.interview.map.title == "Delivery"
        assert second.interview.facilitator.name == "Andi"
        # Every message of the interviews went to its own topic.
        sent = [m for m in api.sent if m.chat_id == chat.id and m.method == "sendMessage"]
        assert all(topic_of(m) in (bakery, delivery) for m in sent)
    finally:
        await bot.stop()


async def test_a_group_upgraded_to_a_supergroup_keeps_its_maps_and_interview(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    sari, andi = api.new_user("Sari", "sari"), api.new_user("Andi", "andi")
    old = api.new_group("Toko Sari", [sari, andi], owner=sari, supergroup=False)
    await seed_map(sqlite_url, str(old.id), "Last month's map", "en")
    bot = InProcessBot(api, sqlite_url, tmp_path)
    await bot.start()
    try:
        lead = Person(api, old, sari)
        lead.command("new")
        await lead.sees("is starting a customer journey map")
        await lead.presses("Current state")
        await lead.sees("What business or product")
        lead.answers("Toko Sari online")
        await lead.sees("What should this map help you achieve?")

        new = api.upgrade_to_supergroup(old)
        moved = Person(api, new, sari)
        for _ in range(100):  # the bot reads the upgrade notice and moves everything
            if await stored(sqlite_url, lambda s: s.load_interview(str(new.id), "group")):
                break
            await asyncio.sleep(0.2)
        moved.command("new")
        await moved.presses("▶ Continue")
        await moved.sees("What should this map help you achieve?")
        moved.answers("Fewer late orders")
        await moved.sees("Who are your customers?")
        moved.command("maps")
        listing = await moved.sees("Maps in this chat")
        assert "Last month's map" in listing.content
        loaded = await stored(sqlite_url, lambda s: s.load_interview(str(new.id), "group"))
        assert (loaded.interview.map.title, loaded.interview.map.goal) == (
            "Toko Sari online",
            "Fewer late orders",
        )
        assert await stored(sqlite_url, lambda s: s.get_map(str(old.id), 1)) is None
    finally:
        await bot.stop()


async def test_a_reminder_follows_a_group_that_became_a_supergroup(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    """The bot learns of the upgrade only when sending fails (it missed the notice)."""
    sari = api.new_user("Sari", "sari")
    old = api.new_group("Toko Sari", [sari], owner=sari, supergroup=False)
    await seed_map(sqlite_url, str(old.id), "Toko Sari", "en")
    bot = BotProcess(api, sqlite_url, tmp_path)
    await bot.start()
    try:
        lead = Person(api, old, sari)
        lead.command("remind", "1 3s")
        await lead.sees("revisit map 1")
        await bot.stop()
        new = api.upgrade_to_supergroup(old)
        api.core.pending_updates.clear()  # the notice is lost
        await bot.start()
        moved = Person(api, new, sari)
        due = await moved.sees("Time to revisit map 1", timeout=30)
        assert "Toko Sari" in due.content
        assert await stored(sqlite_url, lambda s: s.get_map(str(new.id), 1)) is not None
    finally:
        await bot.stop()


async def test_every_member_rates_every_persona_until_the_facilitator_moves_on(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    """One message asks for the stage's faces; all three rate both personas by buttons (Maya
    says Rudi has no part there), a member's Done and /cancel are refused and change nothing,
    and the facilitator's Done moves on."""
    sari, andi, maya = (api.new_user(n, n.lower()) for n in ("Sari", "Andi", "Maya"))
    chat = api.new_group("Toko Sari team", [sari, andi, maya])
    lead, andi_p, maya_p = (Person(api, chat, u) for u in (sari, andi, maya))
    bot = InProcessBot(api, sqlite_url, tmp_path)
    await bot.start()
    try:
        lead.command("new")
        await lead.presses("Current state")
        await lead.sees("What business or product")
        lead.answers("Toko Sari")
        await lead.sees("What should this map help you achieve?")
        lead.answers("More regulars")
        await lead.sees("Who are your customers?")
        await lead.sees_reaction(lead.answers("Dewi: office worker\nRudi: student"))
        await lead.presses("✔ Done")
        await lead.sees("What stages does your customer go through?")
        await lead.sees_reaction(lead.answers("Order\nPickup"))
        await lead.presses("✔ Done")
        for _ in range(4):  # touchpoints, actions, thoughts, says
            await lead.sees("Order: ")
            await lead.presses("⏭ Skip")
        rating = await lead.sees("Order: how does each persona feel here")
        faces = [
            (lead, {"Dewi": "🙂", "Rudi": "😄"}),
            (andi_p, {"Dewi": "🙁", "Rudi": "😐"}),
            (maya_p, {"Dewi": "😠", "Rudi": "✕"}),
        ]
        pressed = len(api.callback_answers)
        for person, given in faces:
            for persona, face in given.items():
                await person.rates(persona, face, rating.message_id)
        await api.wait_until(lambda: len(api.callback_answers) >= pressed + 6, timeout=30)
        # Everyone sees who gave which face: the question itself shows them (edited in place).
        await lead.sees(
            lambda m: (
                m.message_id == rating.message_id
                and "Rudi: 😄 +2 (Sari), 😐 0 (Andi), ✕ (Maya)" in m.content
                and bool(m.buttons)
            ),
            timeout=30,
        )
        # Andi may rate but not move on: his Done and /cancel are refused.
        await andi_p.presses("✔ Done", message_id=rating.message_id)
        await api.wait_until(lambda: len(api.callback_answers) >= pressed + 7, timeout=20)
        assert "Only Sari" in (api.callback_answers[-1].text or "")
        andi_p.command("cancel")
        await andi_p.sees("Only Sari")
        # Sari's /cancel asks first; Andi's press of its "yes" is refused, Sari keeps the map.
        lead.command("cancel")
        confirm = await lead.sees("Cancel this map?")
        answered = len(api.callback_answers)
        await andi_p.presses("✖ Yes, cancel the map", message_id=confirm.message_id)
        await api.wait_until(lambda: len(api.callback_answers) > answered, timeout=20)
        assert "Only Sari" in (api.callback_answers[-1].text or "")
        await lead.presses("↩ No, carry on", message_id=confirm.message_id)
        await lead.sees("Good, we carry on.")
        loaded = await stored(sqlite_url, lambda s: s.load_interview(str(chat.id), "group"))
        assert loaded is not None and loaded.interview.state == "emotion"
        stage = loaded.interview.map.stages[0]
        assert sorted(r.score for r in stage.ratings_for("Dewi")) == [-2, -1, 1]
        assert stage.emotion_spread("Dewi") == (-2, 1)
        assert sorted(r.score for r in stage.ratings_for("Rudi")) == [0, 2]
        assert [a.author.name for a in stage.absent_for("Rudi")] == ["Maya"]
        # The keyboard stayed open for everyone until now; Sari moves on.
        await lead.presses("✔ Done", message_id=rating.message_id)
        await lead.sees("Order: what goes wrong")
        loaded = await stored(sqlite_url, lambda s: s.load_interview(str(chat.id), "group"))
        assert loaded.interview.state == "pains"
        assert len(loaded.interview.map.stages[0].emotions) == 5
    finally:
        await bot.stop()
