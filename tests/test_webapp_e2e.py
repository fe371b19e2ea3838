"""The Mini App's API against the real `journeybot run` (polling, with --port): who may see
and change a map, the limits, the optimistic check, the group's summary and the buttons."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from flows.spec import LIMITS, lane
from renderers.htmlpage import html_text
from tests.fakebotapi import FakeBotApi
from tests.webapp import saved, seed, start


async def test_a_private_map_is_seen_and_changed_by_its_owner_only(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    """On SQLite and on PostgreSQL (the version check and the chat's lock on both)."""
    sqlite_url = db_url
    hannah, stranger = api.new_user("Hannah", "hannah"), api.new_user("Tom", "tom")
    chat = api.private_chat(hannah)
    await seed(sqlite_url, str(chat.id), "private")
    await seed(sqlite_url, str(stranger.id), "private")
    app = await start(api, sqlite_url, tmp_path)
    try:
        mine = app.init_data(hannah)
        seen = await app.call("GET", chat.id, init_data=mine)
        assert seen.status_code == 200, seen.text
        assert seen.json()["version"] == 1 and "Order placed" in seen.json()["html"]
        assert seen.headers["content-encoding"] == "gzip"  # ~60 KB of board, ~6 KB sent

        # Who is asking: nobody, a forgery, someone signed by another bot, an old launch.
        assert (await app.call("GET", chat.id)).status_code == 401
        forged = mine.replace(f"%22id%22%3A{hannah.id}", f"%22id%22%3A{stranger.id}")
        assert forged != mine
        for refused in (
            forged,
            app.init_data(hannah, token="999:another-bot"),
            app.init_data(hannah, age=2 * 86400),
        ):
            answer = await app.call("GET", chat.id, init_data=refused)
            assert answer.status_code == 401
            assert "Open the map again from the chat" in answer.json()["error"]
        # Another chat's map: 403, whoever signed in.
        other = await app.call("GET", stranger.id, init_data=mine)
        assert other.status_code == 403 and "not in" in other.json()["error"]
        assert (await app.call("GET", chat.id, 7, init_data=mine)).status_code == 404

        # Too big a body, too long an item, a wrong shape: clear answers, nothing changed.
        limit = lane("touchpoints").char_limit(LIMITS)
        add = {"version": 1, "op": "add", "stage": 0, "lane": "touchpoints"}
        big = await app.call("POST", chat.id, init_data=mine, json={**add, "text": "x" * 20000})
        assert big.status_code == 413 and "16 KB" in big.json()["error"]
        long = await app.call(
            "POST", chat.id, init_data=mine, json={**add, "text": "y" * (limit + 1)}
        )
        assert long.status_code == 422
        assert f"{limit + 1} characters; the limit here is {limit}" in long.json()["error"]
        odd = await app.call("POST", chat.id, init_data=mine, content=b"[1, 2")
        assert odd.status_code == 400 and "Nothing was saved" in odd.json()["error"]
        assert (await saved(sqlite_url, str(chat.id)))[1] == 1

        # An edit: the next version, in the database and in every rendering of the map.
        added = await app.call(
            "POST", chat.id, init_data=mine, json={**add, "text": "Order page on the phone"}
        )
        assert added.status_code == 200, added.text
        assert added.json()["version"] == 2 and "Order page on the phone" in added.json()["html"]
        journey_map, version = await saved(sqlite_url, str(chat.id))
        assert version == 2
        assert journey_map.stages[0].texts("touchpoints")[-1] == "Order page on the phone"
        assert "Order page on the phone" in html_text(journey_map, "en")

        # The same person's old tab, still on version 1: 409, the other change shown.
        stale = await app.call(
            "POST",
            chat.id,
            init_data=mine,
            json={"version": 1, "op": "rename_stage", "stage": 1, "name": "Checkout"},
        )
        assert stale.status_code == 409
        assert "Someone else saved the map first" in stale.json()["error"]
        assert "Order page on the phone" in stale.json()["error"]
        assert stale.json()["version"] == 2
        journey_map, version = await saved(sqlite_url, str(chat.id))
        assert version == 2 and journey_map.stages[1].name == "Confirmation"

        # While the map is open in the chat's /edit, whose save would undo this one: refused.
        api.user_command(chat, hannah, "edit", "1")
        await api.wait_for(None, chat=chat, method="sendMessage", timeout=20)
        held = await app.call(
            "POST",
            chat.id,
            init_data=mine,
            json={"version": 2, "op": "rename_stage", "stage": 1, "name": "Checkout"},
        )
        assert held.status_code == 409 and "/edit 1" in held.json()["error"]
        assert (await saved(sqlite_url, str(chat.id)))[1] == 2
        api.user_command(chat, hannah, "cancel")
        await api.wait_for("Cancel this map?", chat=chat, timeout=20)
        api.user_command(chat, hannah, "cancel")  # a second /cancel confirms
        await api.wait_for("Cancelled.", chat=chat, timeout=20)
        renamed = await app.call(
            "POST",
            chat.id,
            init_data=mine,
            json={"version": 2, "op": "rename_stage", "stage": 1, "name": "Checkout"},
        )
        assert renamed.status_code == 200, renamed.text
        assert (await saved(sqlite_url, str(chat.id)))[0].stages[1].name == "Checkout"

        # A tick is kept with the map (not a new version).
        item = re.findall(r'data-tick="([^"]+)"', stale.json()["html"])[0]
        ticked = await app.call(
            "POST", chat.id, init_data=mine, path="/tick", json={"item": item, "ticked": True}
        )
        assert ticked.status_code == 200, ticked.text
        assert f'data-tick="{item}" checked' in ticked.json()["html"]
        assert (await saved(sqlite_url, str(chat.id)))[1] == 3
    finally:
        await app.process.stop()


async def test_group_members_edit_and_the_group_gets_one_summary(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    maya, andi, outsider = (api.new_user(n, n.lower()) for n in ("Maya", "Andi", "Olek"))
    group = api.new_group("Kopi team", [maya, andi])
    await seed(sqlite_url, str(group.id), "supergroup")
    app = await start(api, sqlite_url, tmp_path)
    try:
        data = app.init_data(maya)
        version = 1
        for op in (
            {"op": "change", "stage": 0, "lane": "pains", "index": 0, "text": "Slow checkout"},
            {
                "op": "move",
                "stage": 0,
                "lane": "touchpoints",
                "index": 1,
                "to_stage": 0,
                "to_index": 0,
            },
            {"op": "emotion", "stage": 2, "persona": "Hannah", "score": 2},
        ):
            answer = await app.call(
                "POST", group.id, init_data=data, json={"version": version, **op}
            )
            assert answer.status_code == 200, answer.text
            version = answer.json()["version"]
        assert version == 4
        journey_map, _ = await saved(sqlite_url, str(group.id))
        assert journey_map.stages[0].texts("pains")[0] == "Slow checkout"
        rating = [r for r in journey_map.stages[2].emotions if r.author.id == str(maya.id)]
        assert [r.score for r in rating] == [2]
        # A member of the group sees it; someone outside gets 403.
        assert (await app.call("GET", group.id, init_data=app.init_data(andi))).status_code == 200
        away = await app.call("GET", group.id, init_data=app.init_data(outsider))
        assert away.status_code == 403
        # One message for Maya's session, once she has been quiet for a moment.
        summary = await api.wait_for("changed map 1", chat=group, timeout=20)
        assert "Maya" in summary.content and "3 changes" in summary.content
        # Under the map in a group: a link for the browser (no short name configured).
        api.user_command(group, andi, "map", "1")
        photo = await api.wait_for(None, chat=group, method="sendPhoto", timeout=120)
        button = photo.reply_markup["inline_keyboard"][0][0]
        assert button["text"] == "🗺 Open map" and "/app/view/" in button["url"]
        async with httpx.AsyncClient() as client:
            page = await client.get(button["url"])
            assert page.status_code == 200 and "Slow checkout" in page.text
            assert "app.js" not in page.text and 'data-editable="0"' in page.text
            assert "Read only: open the map from the chat" in page.text
            forged = button["url"].replace("/view/-", "/view/-1")
            assert (await client.get(forged)).status_code == 403
        sent = [m for m in api.sent if m.chat_id == group.id and "changed map" in m.content]
        assert len(sent) == 1
    finally:
        await app.process.stop()


async def test_the_map_in_a_private_chat_has_an_open_map_button(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path
) -> None:
    hannah = api.new_user("Hannah", "hannah")
    chat = api.private_chat(hannah)
    await seed(sqlite_url, str(chat.id), "private")
    app = await start(api, sqlite_url, tmp_path)
    try:
        api.user_command(chat, hannah, "map", "1")
        photo = await api.wait_for(None, chat=chat, method="sendPhoto", timeout=120)
        button = photo.reply_markup["inline_keyboard"][0][0]
        assert button["web_app"]["url"] == f"{app.base}/app/map/{chat.id}/1"
        async with httpx.AsyncClient() as client:
            page = await client.get(button["web_app"]["url"])
        assert page.status_code == 200 and "/app/static/app.js" in page.text
        opened = await app.call("GET", chat.id, init_data=app.init_data(hannah))
        assert json.loads(opened.text)["version"] == 1
        # Someone trying forged initData over and over is stopped at their address.
        forged = app.init_data(hannah, token="999:another-bot")
        statuses = [
            (await app.call("GET", chat.id, init_data=forged)).status_code for _ in range(61)
        ]
        assert statuses[:60] == [401] * 60 and statuses[60] == 429
        stopped = await app.call("GET", chat.id, init_data=app.init_data(hannah))
        assert stopped.status_code == 429 and "Too many requests" in stopped.json()["error"]
        async with httpx.AsyncClient() as client:
            counted = (await client.get(f"{app.base}/metrics")).text
        assert 'journeybot_webapp_requests_total{answer="refused"} 62.0' in counted
        assert 'journeybot_webapp_requests_total{answer="ok"} 1.0' in counted
    finally:
        await app.process.stop()
