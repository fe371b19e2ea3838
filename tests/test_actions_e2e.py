"""From map to action against the real bot (in the test's process, tests/inprocess.py) and the
fake Bot API: a group of three rates six opportunities, gets the priority matrix, turns two
into actions with owners and dates; after a restart (a clean stop and start) the due question
reaches the owner once, and "done" takes the action off /actions. The same in a private chat.
In English, Indonesian and Polish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.priorities import short
from bot.replies import tr
from flows.model import Author, Item, JourneyMap, Persona, Stage
from flows.priorities import HIGH, LOW, MEDIUM, opportunities, rate
from flows.spec import MapType
from storage.repository import Store
from storage.tables import ActionRow, now
from tests.e2e import Person, png_size, stored
from tests.fakebotapi import FakeBotApi
from tests.inprocess import InProcessBot

pytestmark = pytest.mark.timeout(300)
ME = Author(id="1", name="Sari")
IDEAS = {
    "en": [
        "Second packing slot at 3 pm",
        "Menu photos on Instagram",
        "Tracking link by WhatsApp",
        "Own delivery rider",
        "Loyalty card: tenth coffee free",
        "Ask for a review after delivery",
    ],
    "id": [
        "Slot pengemasan kedua jam 3 sore",
        "Foto menu di Instagram",
        "Tautan pelacakan lewat WhatsApp",
        "Kurir antar sendiri",
        "Kartu member: kopi kesepuluh gratis",
        "Minta ulasan setelah pesanan sampai",
    ],
    "pl": [
        "Drugie pakowanie o 15:00",
        "Zdjęcia menu na Instagramie",
        "Link do śledzenia przez WhatsApp",
        "Własny kurier",
        "Karta stałego klienta: dziesiąta kawa gratis",
        "Prośba o opinię po dostawie",
    ],
}
# How each of the six opportunities is rated (impact, effort): the first a quick win.
PLAN = [(HIGH, LOW), (HIGH, HIGH), (LOW, LOW), (LOW, HIGH), (MEDIUM, LOW), (HIGH, MEDIUM)]
# Owner and due date as people type them, in the chat's language.
TYPED = {
    "en": ("me", "in 2 weeks", "next friday"),
    "id": ("saya", "dalam 2 minggu", "15 Des"),
    "pl": ("ja", "za 2 tygodnie", "piątek"),
}


def the_map(lang: str) -> JourneyMap:
    ideas = IDEAS[lang]
    stages = [
        Stage(
            name=name,
            opportunities=[Item(text=text, author=ME) for text in ideas[2 * i : 2 * i + 2]],
        )
        for i, name in enumerate(("Order", "Packing", "Delivery"))
    ]
    return JourneyMap(
        title="Toko Sari",
        language=lang,
        map_type=MapType.CURRENT,
        personas=[Persona(name="Dewi", author=ME)],
        stages=stages,
    )


async def seed(url: str, chat_id: str, kind: str, lang: str) -> JourneyMap:
    store = Store(url)
    try:
        await store.upgrade()
        await store.ensure_chat(chat_id, kind, lang)
        journey_map = the_map(lang)
        await store.finish_map(chat_id, journey_map)
        return journey_map
    finally:
        await store.close()


async def time_passes(url: str) -> None:
    """The due dates arrive while the bot is down: every action's question is due now."""

    async def body(u):  # type: ignore[no-untyped-def]
        await u.session.execute(
            update(ActionRow)
            .where(ActionRow.remind_at.is_not(None))  # type: ignore[union-attr]
            .values(remind_at=now() - timedelta(seconds=1))
        )

    await stored(url, lambda s: s.run(body))


async def rate_all(people: list[Person], lang: str) -> None:
    lead = people[0]
    lead.command("prioritize", "1")
    await lead.sees(tr(lang, "bot.rate_then_matrix"))
    asked = [
        m
        for m in lead.api.messages_in(lead.chat)
        if any("🎯" in b.get("text", "") for row in (m.inline_keyboard or []) for b in row)
    ]
    assert len(asked) == 6
    for message, (impact, effort) in zip(asked, PLAN, strict=True):
        for k, person in enumerate(people):
            if k == 2:  # the third member thinks it helps a little less: the mean counts
                impact = max(LOW, impact - 1)
            await person.presses(f"🎯 {impact}", message_id=message.message_id)
            await person.presses(f"🛠 {effort}", message_id=message.message_id)
    await lead.api.wait_until(
        lambda: len(lead.api.callback_answers) >= 2 * 6 * len(people), timeout=30
    )
    last = lead.api.callback_answers[-1]
    assert tr(lang, "bot.rated", impact="", effort="").split(":")[0] in (last.text or "")


async def make_action(
    asker: Person, owner: Person, lang: str, number: int, text: str, who: str, when: str
) -> None:
    await asker.presses(short(f"➕ {number}. {text}"))
    question = await asker.sees(
        lambda m: text in m.content and bool((m.reply_markup or {}).get("force_reply"))
    )
    owner.says(who, reply_to=question.message_id)
    due_question = await owner.sees(
        lambda m: (
            bool((m.reply_markup or {}).get("force_reply"))
            and text in m.content
            and m.message_id != question.message_id
        )
    )
    owner.says(when, reply_to=due_question.message_id)
    await owner.sees(lambda m: m.content.startswith("✅") and text in m.content)


async def journey(api: FakeBotApi, url: str, tmp_path: Path, people: list[Person], lang: str):
    chat_id = str(people[0].chat.id)
    journey_map = await seed(url, chat_id, "group" if people[0].group else "private", lang)
    found = opportunities(journey_map)
    bot = InProcessBot(api, url, tmp_path)
    await bot.start()
    lead, owner = people[0], people[-1]
    try:
        await rate_all(people, lang)
        if lead.group:
            votes = await stored(url, lambda s: s.run(lambda u: u.actions.votes(chat_id, 1)))
            means = {r.opportunity.id: r for r in rate(found, votes)}
            assert len(votes) == 18 and means[found[0].id].impact == pytest.approx(8 / 3)
        await lead.presses(tr(lang, "bot.button.matrix"))
        photo = await lead.sees(lambda m: m.method == "sendPhoto", timeout=60)
        width, height = png_size(photo.files["photo"].data)
        assert width > height > 300, "the matrix is a picture"
        start = tr(lang, "bot.start_with", items="").split(":")[0].replace("<b>", "")
        advice = await lead.sees(lambda m: start in m.content)
        assert found[0].text in advice.content  # the one quick win

        first, other = found[0], found[5]
        typed_me, in_two_weeks, later = TYPED[lang]
        if lead.group:
            mention = f"@{owner.user.username}"
            await make_action(lead, lead, lang, 1, first.text, mention, in_two_weeks)
            await make_action(lead, owner, lang, 6, other.text, typed_me, later)
        else:
            await make_action(lead, lead, lang, 1, first.text, "Andi", in_two_weeks)
            await make_action(lead, lead, lang, 6, other.text, typed_me, later)
        lead.command("actions")
        listed = await lead.sees(
            tr(lang, "bot.actions_header", count=2).replace("<b>", "").replace("</b>", "")
        )
        assert first.text in listed.content and other.text in listed.content
    finally:
        await bot.stop()

    await time_passes(url)
    bot = InProcessBot(api, url, tmp_path)
    lead.since = api.mark()
    await bot.start()
    try:
        owner_name = f"@{owner.user.username}" if lead.group else "Andi"
        asked = await lead.sees(
            lambda m: m.content.startswith(owner_name) and first.text in m.content, timeout=30
        )
        done = f"✅ {tr(lang, 'bot.status.done')}"
        await owner.presses(done, message_id=asked.message_id)
        await owner.api.wait_until(
            lambda: (
                first.text in api.message(lead.chat, asked.message_id).text
                and not (api.message(lead.chat, asked.message_id).reply_markup or {}).get(
                    "inline_keyboard"
                )
            ),
            timeout=20,
        )
        # The other action fell due too: its owner asks to be reminded tomorrow.
        later_label = tr(lang, "bot.button.snooze")
        second = await api.wait_until(
            lambda: next(
                (
                    m
                    for m in api.sent
                    if m.chat_id == lead.chat.id
                    and other.text in m.content
                    and any(b.get("text") == later_label for b in m.buttons)
                ),
                None,
            ),
            timeout=30,
        )
        await owner.presses(later_label, message_id=second.message_id)
        snoozed = tr(lang, "bot.snoozed")
        await owner.api.wait_until(
            lambda: any(a.text == snoozed for a in api.callback_answers), timeout=20
        )

        async def next_ask(u):  # type: ignore[no-untyped-def]
            found = await u.session.execute(
                select(ActionRow.remind_at).where(ActionRow.status != "done")
            )
            return found.scalar()

        asked_again = await stored(url, lambda s: s.run(next_ask))
        if asked_again.tzinfo is None:  # SQLite: naive UTC
            asked_again = asked_again.replace(tzinfo=UTC)
        waits = asked_again - datetime.now(UTC)
        assert timedelta(hours=23) < waits <= timedelta(days=1)
        lead.command("actions")
        listed = await lead.sees(
            tr(lang, "bot.actions_header", count=1).replace("<b>", "").replace("</b>", "")
        )
        assert first.text not in listed.content and other.text in listed.content
        # The map's exports (drawn from the same marked map as its picture) show the status.
        lead.command("export", "1")
        csv = await lead.sees(
            lambda m: m.method == "sendDocument" and m.files["document"].filename.endswith(".csv"),
            timeout=60,
        )
        exported = csv.files["document"].data.decode("utf-8-sig")
        assert f"{first.text} · ✅ {owner_name}" in exported
        assert f"{other.text} · ⬜ " in exported
        # A future-state copy compared with the map lists the actions done.
        lead.command("copy", "1")
        await lead.sees(lambda m: "2" in m.content and "1" in m.content)
        lead.command("compare", "1 2")
        done_heading = tr(lang, "bot.compare_actions_done", count=1).replace("<b>", "")
        compared = await lead.sees(lambda m: done_heading.replace("</b>", "") in m.content)
        assert first.text in compared.content and other.text not in compared.content
    finally:
        await bot.stop()
    questions = [
        m
        for m in api.sent
        if m.chat_id == lead.chat.id
        and m.content.startswith(owner_name)
        and m.method == "sendMessage"
        and first.text in m.content
        and any(b.get("text") == tr(lang, "bot.button.snooze") for b in m.buttons)
    ]
    assert len(questions) == 1, "the owner is asked once"


@pytest.mark.parametrize("lang", ["en", "id", "pl"])
async def test_a_group_rates_acts_and_is_followed_up(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path, lang: str
) -> None:
    sari, andi, maya = (api.new_user(n, n.lower()) for n in ("Sari", "Andi", "Maya"))
    chat = api.new_group("Toko Sari team", [sari, andi, maya])
    people = [Person(api, chat, u) for u in (sari, maya, andi)]
    await journey(api, sqlite_url, tmp_path, people, lang)


@pytest.mark.parametrize("lang", ["en", "id", "pl"])
async def test_one_person_rates_acts_and_is_followed_up_in_private(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path, lang: str
) -> None:
    sari = api.new_user("Sari", "sari")
    chat = api.private_chat(sari)
    await journey(api, sqlite_url, tmp_path, [Person(api, chat, sari)], lang)
