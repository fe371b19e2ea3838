"""A bakery owner makes a quick map in Telegram by tapping (issue 11): the real bot (in the
test's process, tests/inprocess.py) against the fake Bot API, business templates on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import callbacks
from flows import templates
from tests.e2e import Person, stored
from tests.fakebotapi import FakeBotApi, SentMessage
from tests.inprocess import InProcessBot

pytestmark = pytest.mark.timeout(240)


async def test_a_bakery_quick_map_by_tapping(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    bot = InProcessBot(api, sqlite_url, tmp_path, extra_env={"JOURNEYBOT_TEMPLATES": "1"})
    await bot.start()
    try:
        await _interview(api, sqlite_url)
    finally:
        await bot.stop()


def shows(message: SentMessage, label: str) -> bool:
    return any(button.get("text") == label for button in message.buttons)


async def _interview(api: FakeBotApi, sqlite_url: str) -> None:
    owner = api.new_user("Ani", "ani", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    typed = 0

    def answers(text: str) -> None:
        nonlocal typed
        typed += 1
        me.answers(text)

    me.command("new")
    await me.presses("Current state")
    await me.sees("What kind of business do you run?")
    bakery = dict(templates.kind_labels("en"))["bakery"]
    await me.presses(bakery)
    depth = await me.sees("How deep shall we go?")
    assert "Quick map" in depth.content
    await me.presses("⚡ Quick map")
    title = await me.sees("What business or product is this map about?")
    assert "Question 4 of about 23" in title.content
    answers("Roti Ani")
    await me.sees("What should this map help you achieve?")
    answers("More cake orders for birthdays")
    asked = await me.sees("Who are your customers?")
    for persona in templates.personas("bakery", "en"):
        await me.presses(persona.line(), message_id=asked.message_id)
        await me.sees(
            lambda m, p=persona: m.method == "editMessageText" and shows(m, f"✓ {p.line()}")
        )
    await me.presses("Next ▶", message_id=asked.message_id)
    stages = templates.default_stages("bakery", "current", "en")
    await me.sees("What stages does your customer go through?")
    await me.presses(f"Use: {' → '.join(stages)}")
    own_items = 0
    for index, stage in enumerate(stages):
        for lane, words in (("touchpoints", "meet your business"), ("pains", "goes wrong")):
            asked = await me.sees(lambda m, s=stage, w=words: s in m.content and w in m.content)
            offered = templates.suggestions("bakery", "current", index, lane, "en")
            for label in offered[:2]:
                await me.presses(label, message_id=asked.message_id)
                edited = await me.sees(
                    lambda m, x=label: m.method == "editMessageText" and shows(m, f"✓ {x}")
                )
                assert edited.message_id == asked.message_id  # shown in place, not posted
            if own_items < 3:
                own_items += 1
                answers(f"Our own {lane} {index}")
                asked = await me.sees("Saved (1 added")
            await me.presses("Next ▶", message_id=asked.message_id)
            if lane == "touchpoints":  # one question for both personas: a face for each
                rating = await me.sees(lambda m, s=stage: "feel" in m.content and s in m.content)
                for persona in range(2):
                    data = callbacks.pack(callbacks.ANSWER, f"emotion:{index}", f"{persona}:1")
                    mark = api.mark()
                    api.press_button(me.chat, owner, rating.message_id, data)
                    await api.wait_for(
                        lambda m, r=rating: m.message_id == r.message_id, chat=me.chat, since=mark
                    )
    await me.sees("Here is your map so far")
    await me.presses("✅ Finish and draw the map")
    await me.sees(lambda m: m.method == "sendPhoto", timeout=60)
    assert typed <= 10

    maps = await stored(sqlite_url, lambda store: store.get_map(str(me.chat.id), 1))
    assert [s.name for s in maps.stages] == stages
    assert maps.persona_names() == [p.name for p in templates.personas("bakery", "en")]
    first = templates.suggestions("bakery", "current", 0, "touchpoints", "en")[:2]
    assert maps.stages[0].texts("touchpoints") == [*first, "Our own touchpoints 0"]
    assert all(len(s.emotions) == 2 and len(s.texts("pains")) >= 2 for s in maps.stages)
    assert maps.stages[0].items("touchpoints")[0].author.name == "Ani"

    # Later: the quick map deepened, with its template's suggestions.
    me.command("edit", "1")
    await me.sees("Editing map 1")
    await me.presses(f"Stage 2: {stages[1]}")
    await me.presses("➕ Ask the rest of this stage")
    actions = await me.sees(f"{stages[1]}: what does the customer do here")
    action = templates.suggestions("bakery", "current", 1, "actions", "en")[0]
    await me.presses(action, message_id=actions.message_id)
    await me.sees(lambda m: m.method == "editMessageText" and shows(m, f"✓ {action}"))


async def test_in_a_group_a_members_tap_is_their_item_and_costs_no_post(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    sari, andi = (api.new_user(n, n.lower()) for n in ("Sari", "Andi"))
    chat = api.new_group("Roti Ani team", [sari, andi])
    lead, member = Person(api, chat, sari), Person(api, chat, andi)
    bot = InProcessBot(api, sqlite_url, tmp_path, extra_env={"JOURNEYBOT_TEMPLATES": "1"})
    await bot.start()
    try:
        lead.command("new")
        await lead.presses("Current state")
        await lead.presses(dict(templates.kind_labels("en"))["bakery"])
        await lead.presses("⚡ Quick map")
        await lead.sees("What business or product")
        lead.answers("Roti Ani")
        await lead.sees("What should this map help you achieve?")
        lead.answers("More cake orders")
        asked = await lead.sees("Who are your customers?")
        await lead.presses(templates.personas("bakery", "en")[0].line(), asked.message_id)
        await lead.sees(lambda m: m.method == "editMessageText" and "So far" in m.content)
        await lead.presses("Next ▶", message_id=asked.message_id)
        stages = templates.default_stages("bakery", "current", "en")
        await lead.presses(f"Use: {' → '.join(stages)}")
        touch = await lead.sees(f"{stages[0]}: where does the customer meet your business")
        label = templates.suggestions("bakery", "current", 0, "touchpoints", "en")[1]
        posts_before = len(api.calls_of("sendMessage"))
        await member.presses(label, message_id=touch.message_id)
        await member.sees(lambda m: m.method == "editMessageText" and shows(m, f"✓ {label}"))
        assert len(api.calls_of("sendMessage")) == posts_before  # shown in place
        await lead.presses("Next ▶", message_id=touch.message_id)
        await lead.sees(f"{stages[0]}: how does Sarah feel here")
    finally:
        await bot.stop()

    async def read(store):  # type: ignore[no-untyped-def]
        return await store.load_interview(str(chat.id), "group")

    loaded = await stored(sqlite_url, read)
    (item,) = loaded.interview.map.stages[0].items("touchpoints")
    assert (item.text, item.author.name) == (label, "Andi")
