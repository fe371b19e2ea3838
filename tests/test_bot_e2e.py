"""The product as its users meet it: the real bot against the fake Bot API, used by people in
a private chat and in a group. The conversations run the bot in the test's process
(tests/inprocess.py); restarts, the webhook, start-up lines and injected 429/5xx answers run
the `journeybot run` process over HTTP."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from flows.model import JourneyMap
from tests.e2e import (
    BotProcess,
    Person,
    free_port,
    open_map,
    png_size,
    seed_map,
    settled,
    stored,
)
from tests.fakebotapi import FakeBotApi
from tests.fakebotapi.media import image_info
from tests.inprocess import InProcessBot

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(params=["inprocess"])
async def bot(request: pytest.FixtureRequest, api: FakeBotApi, sqlite_url: str, tmp_path: Path):
    """The bot: in this process ("inprocess"), or `journeybot run` polling over HTTP
    ("process"), or in webhook mode listening on a local port the fake posts to."""
    process: BotProcess | InProcessBot
    if request.param == "inprocess":
        process = InProcessBot(api, sqlite_url, tmp_path)
    elif request.param == "webhook":
        port = free_port()
        process = BotProcess(
            api,
            sqlite_url,
            tmp_path,
            extra_env={"JOURNEYBOT_WEBHOOK_SECRET": "s3cret-token"},
            args=(
                "--webhook-url",
                # Any path: the server serves the webhook at the path of the URL it registers.
                f"http://127.0.0.1:{port}/journeybot/updates",
                "--listen",
                "127.0.0.1",
                "--port",
                str(port),
            ),
        )
    else:
        process = BotProcess(api, sqlite_url, tmp_path)
    await process.start()
    yield process
    await process.stop()
    # Our own code never failed (PTB may log a traceback for an injected 502 page).
    errors = [
        line
        for line in process.output().splitlines()
        if " ERROR journeybot" in line or " ERROR bot." in line
    ]
    assert not errors, process.output()[-3000:]


async def walk_through_a_stage(
    person: Person, touchpoint: str, score_label: str, pain: str | None, said: str | None = None
) -> None:
    """Touchpoints typed, actions skipped by button, thoughts skipped by command, what the
    customer says typed (or skipped), an emotion face pressed, a pain typed (or skipped), ideas
    skipped, an owner typed."""
    await person.sees("where does the customer meet your business")
    person.answers(touchpoint)
    await person.sees("Saved (1 added")
    await person.presses("✔ Done")
    await person.sees("what does the customer do here")
    await person.presses("⏭ Skip")
    await person.sees("what is the customer thinking")
    person.command("skip")
    await person.sees("what does the customer say out loud")
    if said:
        person.answers(said)
        await person.sees("Saved (1 added")
        await person.presses("✔ Done")
    else:
        await person.presses("⏭ Skip")
    await person.sees("how does Dewi feel here")
    await person.presses(score_label)
    await person.sees("what goes wrong")
    if pain:
        person.answers(pain)
        await person.sees("Saved (1 added")
        await person.presses("✔ Done")
    else:
        await person.presses("⏭ Skip")
    await person.sees("what could you do better")
    await person.presses("⏭ Skip")
    await person.sees("who in your business is responsible")
    person.answers("Barista team")


@pytest.mark.parametrize("bot", ["inprocess", "webhook"], indirect=True)
async def test_a_whole_interview_in_a_private_chat(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    owner = api.new_user("Sari", "sari", language_code="en")
    me = Person(api, api.private_chat(owner), owner)

    me.command("start")
    await me.sees("map their customers")
    await me.presses("🗺 Start a new map")
    await me.sees("What kind of map shall we make?")
    await me.presses("Current state")
    edited = await me.sees(
        lambda m: m.method == "editMessageText" and "✓ Current state" in m.content
    )
    assert not edited.buttons  # the answered question lost its keyboard
    await me.sees("What business or product is this map about?")
    me.answers("Kopi Kita <online> & co")
    await me.sees("What should this map help you achieve?")
    me.answers("Fewer complaints about late delivery")
    await me.sees("Who are your customers?")
    me.answers("Dewi: office worker, orders before 9")
    await me.sees("Saved (1 added")
    me.command("done")
    await me.sees("What stages does your customer go through?")
    me.answers("Order\nDelivery")
    await me.sees("Saved (2 added")
    await me.presses("✔ Done")
    await walk_through_a_stage(me, "Instagram", "🙂 +1 good", None, "Can I pay by card?")
    await walk_through_a_stage(me, "Courier app", "😠 −2 very bad", "Courier is late")
    await me.sees("What resources do you already have")
    await me.presses("⏭ Skip")
    await me.sees("what would you still need")
    await me.presses("⏭ Skip")
    review = await me.sees("Here is your map so far")
    assert "Kopi Kita <online> & co" in review.content  # escaped on the way, shown as typed
    await me.presses("✅ Finish and draw the map")

    photo = await me.sees(lambda m: m.method == "sendPhoto", timeout=60)
    seen = image_info(photo.files["photo"].data)  # a JPEG downsized from the full PNG
    assert seen is not None and seen.format in ("png", "jpeg")
    width, height = seen.width, seen.height
    (Path(sqlite_url.removeprefix("sqlite:///")).parent / f"map.{seen.extension}").write_bytes(
        photo.files["photo"].data
    )
    assert width + height <= 10000 and max(width, height) / min(width, height) <= 20
    assert width >= 1000 and len(photo.files["photo"].data) < 10 * 1024 * 1024
    full = await me.sees(lambda m: m.method == "sendDocument", timeout=60)
    assert png_size(full.files["document"].data)[0] >= width
    await me.sees("Tick off what you have already checked", timeout=30)
    checklist = next(text for text in me.texts() if "Analysis checklist" in text)
    assert "Dewi feels worst at “Delivery” (-2)" in checklist
    assert "Kopi Kita <online> & co" in checklist

    journey_map = await stored(sqlite_url, lambda store: store.get_map(str(owner.id), 1))
    assert journey_map is not None and journey_map.title == "Kopi Kita <online> & co"
    assert [i.text for i in journey_map.stages[1].items("pains")] == ["Courier is late"]
    assert journey_map.stages[1].emotions[0].score == -2
    assert journey_map.stages[0].answer("owner") is not None
    assert journey_map.stages[0].texts("says") == ["Can I pay by card?"]


async def test_a_map_too_wide_for_one_photo_arrives_as_an_album(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    from storage.repository import Store
    from tests.test_render_everything import wide_map

    owner = api.new_user("Ania", "ania", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    store = Store(sqlite_url)
    try:
        await store.ensure_chat(str(owner.id), "private", "en")
        await store.finish_map(str(owner.id), wide_map())
    finally:
        await store.close()
    me.command("map", "1")
    document = await me.sees(lambda m: m.method == "sendDocument", timeout=90)
    photos = [m for m in api.sent[me.since :] if m.method == "sendPhoto"]
    assert len(photos) == 2  # stages 1-5 and 6-10, one album
    assert photos[0].caption and not photos[1].caption  # the album's caption on its first
    sizes = []
    for photo in photos:
        info = image_info(photo.files["photo"].data)
        assert info is not None and info.width + info.height <= 10_000
        sizes.append(info.width)
    # The document is the whole map at full size.
    assert png_size(document.files["document"].data)[0] > max(sizes)
    await settled(api, sqlite_url)
    assert sum(m.method == "sendPhoto" for m in api.sent[me.since :]) == 2  # once each


async def test_maps_map_and_exports(api: FakeBotApi, bot: BotProcess, sqlite_url: str) -> None:
    owner = api.new_user("Budi", "budi", language_code="id")
    me = Person(api, api.private_chat(owner), owner)
    await seed_map(sqlite_url, str(owner.id), "Warung Bu Sari")

    me.command("maps")
    listing = await me.sees("Peta di chat ini")
    assert "Warung Bu Sari" in listing.content
    await me.presses("1. Warung Bu Sari")
    await me.sees(lambda m: m.method == "sendPhoto", timeout=60)

    me.command("export", "1")
    documents = []
    for _ in range(4):
        documents.append(
            await me.sees(
                lambda m: (
                    m.method == "sendDocument"
                    and m not in documents
                    and not m.files["document"].filename.endswith(".png")
                ),
                timeout=60,
            )
        )
    names = sorted(d.files["document"].filename for d in documents)
    assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "html", "json", "pdf"]
    by_ext = {
        n.rsplit(".", 1)[1]: d.files["document"].data
        for n, d in zip(
            names, sorted(documents, key=lambda d: d.files["document"].filename), strict=True
        )
    }
    assert JourneyMap.from_json(by_ext["json"]).title == "Warung Bu Sari"
    assert len(PdfReader(io.BytesIO(by_ext["pdf"])).pages) >= 1
    assert b"Warung Bu Sari" in by_ext["html"] and b"http://" not in by_ext["html"]
    assert "Apakah pelanggan tahu" in by_ext["html"].decode()  # the checklist goes along
    assert by_ext["csv"].decode().count("\n") > 20

    me.command("map", "7")
    await me.sees("Tidak ada peta 7")


async def test_a_restart_in_the_middle_of_an_interview(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    owner = api.new_user("Ania", "ania", language_code="pl")
    me = Person(api, api.private_chat(owner), owner)
    first = BotProcess(api, sqlite_url, tmp_path)
    await first.start()
    me.command("new")
    await me.sees("Jaką mapę robimy?")
    await me.presses("Stan obecny")
    await me.sees("Jakiej firmy lub produktu dotyczy mapa?")
    me.answers("Studio Fit")
    await me.sees("Co ta mapa ma pomóc osiągnąć?")
    await first.kill()

    me.answers("Mniej rezygnacji")  # typed while the bot is down
    second = BotProcess(api, sqlite_url, tmp_path)
    await second.start()
    try:
        await me.sees("Kim są Twoi klienci?", timeout=30)
        me.command("new")
        choice = await me.sees("niedokończona mapa")
        assert "Studio Fit" in choice.content
        await me.presses("▶ Kontynuuj")
        resumed = await me.sees("Kim są Twoi klienci?")
        assert "Pytanie 4 z około" in resumed.content
    finally:
        await second.stop()


async def test_a_missing_token_is_one_clear_line(tmp_path: Path) -> None:
    import os

    from tests.e2e import journeybot

    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        *journeybot(),
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 2
    assert err.decode().strip().count("\n") == 0 and "TELEGRAM_BOT_TOKEN" in err.decode()


async def test_a_rejected_token_is_one_clear_line(api: FakeBotApi, tmp_path: Path) -> None:
    import os

    from tests.e2e import journeybot

    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:wrong",
        "JOURNEYBOT_API_URL": api.url,
        "JOURNEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    process = await asyncio.create_subprocess_exec(
        *journeybot(),
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2, err.decode()[-2000:]
    assert "rejected the token" in err.decode() and "Traceback" not in err.decode()
    assert "wrong" not in err.decode()  # the token is never printed


async def test_a_group_of_three_where_two_answer_at_once(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    ania = api.new_user("Ania", "ania")
    budi = api.new_user("Budi", "budi", language_code="id")
    citra = api.new_user("Citra", "citra")
    chat = api.new_group("Kopi Kita team", [ania, budi, citra], admins=[ania])
    lead, b, c = (Person(api, chat, u) for u in (ania, budi, citra))

    lead.command("new")
    await lead.sees("is starting a customer journey map")
    await lead.presses("Current state")
    await lead.sees("What business or product")
    lead.answers("Kopi Kita")
    goal = await lead.sees("What should this map help you achieve?")
    posted = len(api.calls_of("sendMessage"))
    proposal = b.answers("More repeat customers")  # a member's answer is a proposal
    await b.sees_reaction(proposal)
    # The goal question shows it, edited in place: the group's posts are not spent on it.
    await lead.presses("Budi: More repeat customers", message_id=goal.message_id)
    assert len(api.calls_of("sendMessage")) == posted
    await lead.sees("Who are your customers?")
    question = lead.last_question()
    # Two members answer the same question at the same moment.
    dewi = b.says("Dewi: office worker", reply_to=question.message_id)
    rudi = c.says("Rudi: student", reply_to=question.message_id)
    await b.sees_reaction(dewi)  # kept: a 👍 on each answer, no message of its own
    await c.sees_reaction(rudi)
    b.command("done")
    await b.sees("Only Ania")
    await lead.presses("✔ Done")
    await lead.sees("What stages does your customer go through?")
    await lead.sees_reaction(lead.answers("Order\nPickup"))
    await lead.presses("✔ Done")

    for stage in ("Order", "Pickup"):
        touch = await lead.sees(f"{stage}: where does the customer meet your business")
        first = b.says(f"Instagram ({stage})", reply_to=touch.message_id)
        second = c.says(f"WhatsApp ({stage})", reply_to=touch.message_id)
        await b.sees_reaction(first)
        await c.sees_reaction(second)
        await lead.presses("✔ Done")
        for asked in (
            "what does the customer do here",
            "what is the customer thinking",
            "what does the customer say out loud",
        ):
            await lead.sees(asked)
            await lead.presses("⏭ Skip")
        rating = await lead.sees("how does each persona feel here")
        pressed = len(api.callback_answers)
        await b.rates("Dewi", "🙁", rating.message_id)
        await c.rates("Dewi", "🙂", rating.message_id)
        await lead.rates("Dewi", "😐", rating.message_id)
        await lead.rates("Rudi", "😄", rating.message_id)
        await api.wait_until(lambda n=pressed: len(api.callback_answers) >= n + 4, timeout=20)
        await lead.presses("✔ Done", message_id=rating.message_id)
        for asked in ("what goes wrong", "what could you do better"):
            await lead.sees(asked)
            await lead.presses("⏭ Skip")
        await lead.sees("who in your business is responsible")
        lead.answers("Barista team")
    for asked in ("What resources do you already have", "what would you still need"):
        await lead.sees(asked)
        await lead.presses("⏭ Skip")
    await lead.sees("Here is your map so far")
    await lead.presses("✅ Finish and draw the map")
    await lead.sees(lambda m: m.method == "sendPhoto", timeout=60)
    checklist = await lead.sees("Budi", timeout=30)  # contributors are named
    assert checklist

    journey_map = await stored(sqlite_url, lambda store: store.get_map(str(chat.id), 1))
    assert journey_map is not None
    assert [(p.name, p.author.name) for p in journey_map.personas] == [
        ("Dewi", "Budi"),
        ("Rudi", "Citra"),
    ] or [(p.name, p.author.name) for p in journey_map.personas] == [
        ("Rudi", "Citra"),
        ("Dewi", "Budi"),
    ]
    first = journey_map.stages[0]
    assert sorted((i.text, i.author.name) for i in first.items("touchpoints")) == [
        ("Instagram (Order)", "Budi"),
        ("WhatsApp (Order)", "Citra"),
    ]
    assert first.emotion_spread("Dewi") == (-1, 1)
    assert len(first.ratings_for("Dewi")) == 3
    assert journey_map.goal == "More repeat customers"


@pytest.mark.parametrize("bot", ["process"], indirect=True)
async def test_429_and_5xx_lose_and_duplicate_nothing(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    owner = api.new_user("Rina", "rina")
    me = Person(api, api.private_chat(owner), owner)
    await open_map(me, "Day in the life")
    api.fail_next("sendMessage", status=429, retry_after=1, times=2)
    me.answers("Warung Rina")
    await me.sees("What should this map help you achieve?", timeout=30)
    api.fail_next("sendMessage", status=502, times=1)
    me.answers("Know when students are hungry")
    await me.sees("Who are your customers?", timeout=30)
    update = api.user_text(me.chat, owner, "Rina: student")
    await me.sees("Saved (1 added")
    api.redeliver(update)  # the same update once more: applied once
    me.command("done")
    await me.sees("What stages")

    loaded = await stored(
        sqlite_url, lambda store: store.load_interview(str(owner.id), str(owner.id))
    )
    assert loaded is not None
    jm = loaded.interview.map
    assert (jm.title, jm.goal) == ("Warung Rina", "Know when students are hungry")
    assert [p.name for p in jm.personas] == ["Rina"]
    asked = [t for t in me.texts() if "Who are your customers?" in t]
    assert len(asked) == 1


async def test_ticks_are_kept_across_a_restart(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    owner = api.new_user("Dewi", "dewi")
    me = Person(api, api.private_chat(owner), owner)
    await seed_map(sqlite_url, str(owner.id), "Kopi Senja", "en")
    first = BotProcess(api, sqlite_url, tmp_path)
    await first.start()
    try:
        me.command("map", "1")
        ticks = await me.sees("Tick off what you have already checked", timeout=60)
        label = ticks.buttons[0]["text"]
        assert label.startswith("⬜")
        await me.presses(label, message_id=ticks.message_id)
        await api.wait_until(
            lambda: (
                (api.reply_markup_of(me.chat, ticks.message_id) or {})
                .get("inline_keyboard", [[{}]])[0][0]
                .get("text", "")
                .startswith("✅")
            ),
            timeout=20,
        )
    finally:
        await first.stop()

    second = BotProcess(api, sqlite_url, tmp_path)
    await second.start()
    try:
        me.command("map", "1")
        checklist = await me.sees(lambda m: "Done: 1 of" in m.content, timeout=60)
        assert "✅" in checklist.content
        again = await me.sees("Tick off what you have already checked", timeout=30)
        assert again.buttons[0]["text"].startswith("✅")
    finally:
        await second.stop()


async def test_a_reminder_fires_once_across_a_restart(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    owner = api.new_user("Citra", "citra")
    me = Person(api, api.private_chat(owner), owner)
    await seed_map(sqlite_url, str(owner.id), "Toko Citra", "en")
    first = BotProcess(api, sqlite_url, tmp_path)
    await first.start()
    me.command("remind", "1 2s")
    await me.sees("remind this chat to revisit map 1")
    await first.kill()  # down when the reminder falls due
    await asyncio.sleep(2.5)
    second = BotProcess(api, sqlite_url, tmp_path)
    await second.start()
    try:
        due = await me.sees("Time to revisit map 1", timeout=30)
        assert "Toko Citra" in due.content and "⬜" in due.content
        await settled(api, sqlite_url)
        assert sum("Time to revisit map 1" in text for text in me.texts()) == 1
    finally:
        await second.stop()


async def test_faces_for_two_personas_in_one_message_in_a_private_chat(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    owner = api.new_user("Eko", "eko", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    await open_map(me, "Current state")
    me.answers("Toko Eko")
    await me.sees("What should this map help you achieve?")
    me.answers("More regulars")
    await me.sees("Who are your customers?")
    me.answers("Dewi: office worker\nRudi: student")
    await me.sees("Saved (2 added")
    me.command("done")
    await me.sees("What stages does your customer go through?")
    me.answers("Order\nPickup")
    await me.sees("Saved (2 added")
    me.command("done")
    for _ in range(4):  # touchpoints, actions, thoughts, says
        await me.sees("Order: ")
        me.command("skip")
    rating = await me.sees("Order: how does each persona feel here")
    await me.rates("Dewi", "🙂", rating.message_id)
    shown = await me.sees(
        lambda m: m.method == "editMessageText" and m.message_id == rating.message_id
    )
    assert "Dewi: 🙂 +1 (Eko)" in shown.content and "Rudi: —" in shown.content
    assert shown.buttons  # still open for Rudi
    await me.rates("Rudi", "✕", rating.message_id)
    await me.sees("Order: what goes wrong")
    loaded = await stored(sqlite_url, lambda s: s.load_interview(str(owner.id), str(owner.id)))
    stage = loaded.interview.map.stages[0]
    assert [r.score for r in stage.ratings_for("Dewi")] == [1]
    assert stage.ratings_for("Rudi") == [] and len(stage.absent_for("Rudi")) == 1


async def test_no_traps_keep_the_start_did_you_mean_edit_and_a_confirmed_cancel(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    owner = api.new_user("Eko", "eko", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    await open_map(me, "Current state")
    me.answers("Toko Eko, the corner shop " * 8)  # 208 characters, over the title's 120
    await me.sees("Keep the first part?")
    await me.presses("✂ Keep the first part")
    await me.sees("What should this map help you achieve?")
    me.answers("2")  # a number alone: questioned, not kept
    await me.sees("A number alone (“2”)")
    me.answers("More regulars")
    await me.sees("Who are your customers?")
    me.command("edit", "title")  # mid-interview: there, then back here
    await me.sees("What business or product")
    me.answers("Toko Eko")
    await me.sees("Who are your customers?")
    me.command("cancel")
    await me.presses("↩ No, carry on")
    await me.sees("Good, we carry on.")
    loaded = await stored(sqlite_url, lambda s: s.load_interview(str(owner.id), str(owner.id)))
    assert loaded is not None
    assert (loaded.interview.map.title, loaded.interview.map.goal) == ("Toko Eko", "More regulars")
    me.command("cancel")
    await me.presses("✖ Yes, cancel the map")
    await me.sees("Cancelled.")
    assert (
        await stored(sqlite_url, lambda s: s.load_interview(str(owner.id), str(owner.id))) is None
    )


async def test_bad_input_gets_a_clear_answer_and_loses_nothing(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    owner = api.new_user("Eko", "eko", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    await open_map(me, "Future state")
    me.since = api.mark()
    api.user_sticker(me.chat, owner)
    await me.sees("I can only read text here")
    await me.sees("What business or product")
    me.command("frobnicate")
    await me.sees("I don't know the command /frobnicate")
    me.answers("T" * 121)
    await me.sees("the limit here is 120")
    me.answers("Toko Eko")
    await me.sees("What should this map help you achieve?")
    me.command("language")
    await me.presses("Polski")
    await me.sees("kontynuujemy po polsku")
    await me.sees("Co ta mapa ma pomóc osiągnąć?")
    me.answers("Więcej stałych klientów")
    await me.sees("Kim są Twoi klienci?")

    loaded = await stored(
        sqlite_url, lambda store: store.load_interview(str(owner.id), str(owner.id))
    )
    assert loaded is not None
    jm = loaded.interview.map
    assert (jm.title, jm.goal, jm.language) == ("Toko Eko", "Więcej stałych klientów", "pl")


async def test_copy_as_future_state_then_compare(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    owner = api.new_user("Fajar", "fajar", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    await seed_map(sqlite_url, str(owner.id), "Kopi Fajar", "en")
    me.command("copy", "1")
    await me.sees("Map 2 is a copy of map 1, as Future state")
    me.command("rename", "2 Kopi Fajar tomorrow")
    await me.sees("Map 2 is now called “Kopi Fajar tomorrow”")
    me.command("compare", "1 2")
    picture = await me.sees(lambda m: m.method == "sendPhoto", timeout=60)
    width, height = png_size(picture.files["photo"].data)
    assert width + height <= 10000
    await me.sees("What changed from Map 1 · v1 to Map 2 · v2")
    me.command("edit", "2")
    await me.sees("Editing map 2")
    await me.presses("Goal")
    await me.sees("What should this map help you achieve?")
    me.answers("Half the waiting time at the counter")
    await me.sees("Here is your map so far")
    await me.presses("✅ Finish and draw the map")
    await me.sees("Saved as map 2, version 3")
    edited = await stored(sqlite_url, lambda store: store.get_map(str(owner.id), 2))
    assert edited.goal == "Half the waiting time at the counter"
    me.command("compare", "2 v1 v2")
    await me.sees("What changed from Map 2 · v1 to Map 2 · v2")
    me.command("compare", "2")
    await me.sees("Usage: /compare N M")
    me.command("delete", "2")
    await me.sees("Delete map 2")
    await me.presses("🗑 Yes, delete")
    await me.sees("Map 2 is deleted")
    me.command("map", "2")
    await me.sees("There is no map 2 in this chat")


async def test_a_stale_button_gets_a_polite_no(
    api: FakeBotApi, bot: BotProcess, sqlite_url: str
) -> None:
    owner = api.new_user("Gita", "gita", language_code="en")
    me = Person(api, api.private_chat(owner), owner)
    await open_map(me, "Current state")
    me.answers("Gita's bakery")
    await me.sees("What should this map help you achieve?")
    me.answers("More regulars")
    await me.sees("Who are your customers?")
    me.answers("Ola: neighbour")
    await me.sees("Saved (1 added")
    me.command("done")
    stages = await me.sees("What stages does your customer go through?")
    me.answers("Bread\nCoffee")  # typed instead of pressing the suggested list
    await me.sees("Saved (2 added")
    me.command("done")
    await me.sees("where does the customer meet your business")
    query = await me.presses(
        "Use: Awareness → Consideration → Purchase → Delivery → Loyalty",
        message_id=stages.message_id,
    )
    answer = await api.wait_for_callback_answer(query)
    assert answer.text == "This question is closed."
    jm = await stored(sqlite_url, lambda store: store.load_interview(str(owner.id), str(owner.id)))
    assert [s.name for s in jm.interview.map.stages] == ["Bread", "Coffee"]
