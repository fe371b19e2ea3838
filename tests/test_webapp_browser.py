"""The Mini App in a real browser: headless Chromium (Debian's package, installed by .ci/run)
driven by Playwright, at a phone's size (390 × 844) and a desktop's. The page is opened as
Telegram opens it (initData in the address's hash), an answer is changed by touch, and the
database and the re-rendered map have the change; a forged, an expired and another chat's
launch are refused, and too much text gets a clear message and changes nothing. Screenshots
of both sizes are saved in the test's temporary folder (the path is printed)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from flows.spec import LIMITS, lane
from renderers.htmlpage import html_text
from storage.repository import Store
from tests.fakebotapi import FakeBotApi
from tests.webapp import WebAppBot, saved, seed, start

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)"
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
async def browser():  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        await launched.close()


async def open_page(browser, url: str, *, phone: bool):  # type: ignore[no-untyped-def]
    context = await browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="en-US",
    )
    page = await context.new_page()
    await page.goto(url)
    return page


async def test_the_map_is_read_and_changed_by_touch_on_a_phone_and_a_desktop(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path, browser
) -> None:  # type: ignore[no-untyped-def]
    hannah = api.new_user("Hannah", "hannah")
    chat = api.private_chat(hannah)
    await seed(sqlite_url, str(chat.id), "private")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    app = await start(api, sqlite_url, tmp_path)
    try:
        for size, phone in (("phone", True), ("desktop", False)):
            page = await open_page(browser, app.page_url(hannah, chat.id), phone=phone)
            await page.wait_for_selector(".board-root")
            title = await page.locator("h1").inner_text()
            assert title == "Petal & Pot online plant shop — late deliveries"
            await page.screenshot(path=str(shots / f"{size}.png"))
            await check_layout(page, phone)

            # Change the first touchpoint of the first stage, by tapping it.
            _, version = await saved(sqlite_url, str(chat.id))
            new_text = f"Checkout page ({size})"
            item = page.locator('#stage-0 .cell[data-lane="touchpoints"] .item').first
            await (item.tap() if phone else item.click())
            await page.locator(".sheet textarea").fill(new_text)
            await page.screenshot(path=str(shots / f"{size}-editing.png"))
            await page.locator(".sheet button.primary").click()
            await page.wait_for_selector(".sheet", state="detached")
            await page.wait_for_selector(f'.board-root[data-version="{version + 1}"]')
            assert await item.inner_text() == new_text
            journey_map, stored_version = await saved(sqlite_url, str(chat.id))
            assert stored_version == version + 1
            assert journey_map.stages[0].texts("touchpoints")[0] == new_text
            assert new_text in html_text(journey_map, "en")  # the map, drawn again

            if phone:  # a face for Tom at the third stage, and a tick on the checklist
                face = page.locator('#stage-2 .rating[data-persona="Tom"] .face[data-score="-2"]')
                await face.scroll_into_view_if_needed()
                await face.tap()
                await page.wait_for_selector(f'.board-root[data-version="{version + 2}"]')
                mine = page.locator('#stage-2 .rating[data-persona="Tom"] .face.mine')
                assert await mine.get_attribute("data-score") == "-2"
                box = page.locator("input[data-tick]").first
                item = await box.get_attribute("data-tick")
                await box.tap()
                await page.locator(f'input[data-tick="{item}"]:checked').wait_for()
                store = Store(sqlite_url)
                try:
                    ticks = await store.run(lambda u: u.maps.ticks(str(chat.id), 1))
                finally:
                    await store.close()
                assert item in ticks
                journey_map, _ = await saved(sqlite_url, str(chat.id))
                rated = [r for r in journey_map.stages[2].ratings_for("Tom")]
                assert [r.score for r in rated if r.author.id == str(hannah.id)] == [-2]
                version += 1

            else:  # down one place, then into another stage, with Enter saving a new one
                first = page.locator('#stage-0 .cell[data-lane="touchpoints"] .item').first
                await first.click()
                assert await page.locator(".sheet button", has_text="Up").count() == 0
                await page.locator(".sheet button", has_text="Down").click()
                await page.wait_for_selector(f'.board-root[data-version="{version + 2}"]')
                journey_map, _ = await saved(sqlite_url, str(chat.id))
                assert journey_map.stages[0].texts("touchpoints")[1] == new_text
                moved = page.locator('#stage-0 .cell[data-lane="touchpoints"] .item').nth(1)
                await moved.click()
                await page.locator(".sheet select").select_option("3")
                await page.wait_for_selector(f'.board-root[data-version="{version + 3}"]')
                journey_map, _ = await saved(sqlite_url, str(chat.id))
                assert journey_map.stages[3].texts("touchpoints")[-1] == new_text
                assert new_text not in journey_map.stages[0].texts("touchpoints")
                await page.locator('#stage-1 .cell[data-lane="pains"] .add').click()
                await page.locator(".sheet textarea").fill("No tracking link in the email")
                await page.locator(".sheet textarea").press("Enter")
                await page.wait_for_selector(f'.board-root[data-version="{version + 4}"]')
                journey_map, _ = await saved(sqlite_url, str(chat.id))
                assert journey_map.stages[1].texts("pains")[-1] == "No tracking link in the email"
                version += 3

            # An answer over the lane's limit: the sheet says why, nothing is saved.
            limit = lane("pains").char_limit(LIMITS)
            await page.locator('#stage-0 .cell[data-lane="pains"] .add').click()
            await page.locator(".sheet textarea").fill("z" * (limit + 5))
            assert await page.locator(".sheet .count.over").count() == 1
            await page.locator(".sheet button.primary").click()
            error = page.locator(".sheet .error")
            await error.filter(has_text="the limit here is").wait_for()
            assert f"{limit + 5} characters" in await error.inner_text()
            await page.locator(".sheet button", has_text="Cancel").click()
            assert (await saved(sqlite_url, str(chat.id)))[1] == version + 1

            # Too big a body, sent from the page: 413 and a clear message.
            answer = await page.evaluate(
                """async (version) => {
                    const init = sessionStorage.getItem("jb-init");
                    const r = await fetch(location.pathname.replace("/app/map", "/app/api/map"), {
                      method: "POST",
                      headers: {Authorization: "tma " + init, "Content-Type": "application/json"},
                      body: JSON.stringify({version, op: "add", stage: 0, lane: "pains",
                                            text: "x".repeat(40000)}),
                    });
                    return [r.status, (await r.json()).error];
                }""",
                version + 1,
            )
            assert answer[0] == 413 and "at most 16 KB" in answer[1]
            assert (await saved(sqlite_url, str(chat.id)))[1] == version + 1
            await page.context.close()
        print(f"screenshots: {shots}")
        wanted = os.environ.get("JOURNEYBOT_SCREENSHOTS")  # e.g. docs/ to renew the README's
        if wanted:
            shutil.copy(shots / "phone.png", Path(wanted) / "webapp-phone.png")
            shutil.copy(shots / "desktop.png", Path(wanted) / "webapp-desktop.png")
        await refusals(app, browser, hannah, chat.id)
    finally:
        await app.process.stop()


async def check_layout(page, phone: bool) -> None:  # type: ignore[no-untyped-def]
    """A phone: one stage column in view, the others a swipe away. A desktop: stages side by
    side with the lanes as rows, their names in the first column."""
    board = await page.locator(".board").bounding_box()
    first = await page.locator("#stage-0").bounding_box()
    second = await page.locator("#stage-1").bounding_box()
    names = page.locator(".lane-names")
    body_width = await page.evaluate("document.documentElement.scrollWidth")
    assert body_width <= (PHONE if phone else DESKTOP)["width"]  # nothing sticks out
    if phone:
        # One column fills the screen; the next one peeks in at the edge, a swipe away.
        assert first["width"] > 300 and second["x"] > 0.85 * PHONE["width"]
        assert not await names.is_visible()
        assert await page.evaluate(
            "(() => { const b = document.querySelector('.board');"
            " return b.scrollWidth > b.clientWidth; })()"
        )
    else:
        assert await names.is_visible()
        assert first["y"] == second["y"] and second["x"] > first["x"] + first["width"] - 1
        touch = await page.locator('#stage-0 .cell[data-lane="touchpoints"]').bounding_box()
        touch2 = await page.locator('#stage-1 .cell[data-lane="touchpoints"]').bounding_box()
        assert touch["y"] == touch2["y"]  # one lane, one row
        assert board["width"] <= DESKTOP["width"]
    font = await page.locator(".item").first.evaluate("e => getComputedStyle(e).fontSize")
    assert float(font.removesuffix("px")) >= 15  # readable without zooming


async def refusals(app: WebAppBot, browser, hannah, chat_id: int) -> None:  # type: ignore[no-untyped-def]
    """The page says why it shows nothing: a forged, an expired, another chat's launch."""
    forged = app.init_data(hannah).replace("Hannah", "Hanna")
    expired = app.init_data(hannah, age=3 * 86400)
    stranger = app.api.new_user("Olek", "olek")
    cases = (
        (forged, chat_id, "Open the map again from the chat"),
        (expired, chat_id, "Open the map again from the chat"),
        (app.init_data(stranger), chat_id, "a chat you are not in"),
    )
    for data, chat, expected in cases:
        url = f"{app.base}/app/map/{chat}/1#tgWebAppData={quote(data)}"
        page = await open_page(browser, url, phone=True)
        await page.locator(".problem").filter(has_text=expected).wait_for()
        assert await page.locator(".board-root").count() == 0
        status = await page.evaluate(
            """async (init) => (await fetch(location.pathname.replace("/app/map", "/app/api/map"),
                {headers: {Authorization: "tma " + init}})).status""",
            data,
        )
        assert status == (403 if data is cases[2][0] else 401)
        await page.context.close()


async def test_the_menu_button_lists_the_persons_maps_and_opens_one(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path, browser
) -> None:  # type: ignore[no-untyped-def]
    hannah = api.new_user("Hannah", "hannah")
    chat = api.private_chat(hannah)
    await seed(sqlite_url, str(chat.id), "private")
    app = await start(api, sqlite_url, tmp_path)
    try:
        given = api.calls_of("setChatMenuButton")[-1].params["menu_button"]
        button = json.loads(given) if isinstance(given, str) else given
        assert button["type"] == "web_app" and button["web_app"]["url"] == f"{app.base}/app/"
        url = app.page_url(hannah, chat.id).replace(f"/app/map/{chat.id}/1", "/app/")
        page = await open_page(browser, url, phone=True)
        link = page.locator(".maps a").first
        await link.wait_for()
        assert "1. Petal & Pot online plant shop" in await link.inner_text()
        await link.tap()
        await page.wait_for_selector('.board-root[data-version="1"]')
        assert await page.locator("#stage-0 .item").count() > 0
        # The theme Telegram passed is still used on the map's page.
        colour = await page.locator(".stage-name").first.evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        assert colour == "rgb(36, 129, 204)"  # the theme's button_color, #2481cc
    finally:
        await app.process.stop()


async def test_two_members_of_a_group_edit_at_once_and_the_second_sees_the_first(
    api: FakeBotApi, sqlite_url: str, tmp_path: Path, browser
) -> None:  # type: ignore[no-untyped-def]
    """Opened from the group's t.me link (initData's start_param names the map); Andi saves
    first, Maya's save on the version she saw is refused and her page shows Andi's change."""
    maya, andi = api.new_user("Maya", "maya"), api.new_user("Andi", "andi")
    group = api.new_group("Petal team", [maya, andi])
    await seed(sqlite_url, str(group.id), "supergroup")
    app = await start(api, sqlite_url, tmp_path, env={"JOURNEYBOT_WEBAPP_SHORT_NAME": "map"})
    try:
        pages = {}
        for who in (maya, andi):
            pages[who.first_name] = await open_page(
                browser, app.direct_link_url(who, group.id), phone=True
            )
            await pages[who.first_name].wait_for_selector('.board-root[data-version="1"]')
        andis = pages["Andi"]
        await andis.locator("#stage-0 .rename").tap()
        await andis.locator(".sheet textarea").fill("Basket")
        await andis.locator(".sheet button.primary").tap()
        await andis.wait_for_selector('.board-root[data-version="2"]')

        mayas = pages["Maya"]
        await mayas.locator('#stage-0 .cell[data-lane="pains"] .add').tap()
        await mayas.locator(".sheet textarea").fill("Gift note is lost")
        await mayas.locator(".sheet button.primary").tap()
        said = mayas.locator(".sheet .error")
        await said.filter(has_text="Someone else saved the map first").wait_for()
        assert "Basket" in await said.inner_text()  # what Andi changed
        await mayas.wait_for_selector('.board-root[data-version="2"]')
        assert (await mayas.locator("#stage-0 .rename").inner_text()).strip() == "Basket"
        await mayas.screenshot(path=str(tmp_path / "conflict.png"))
        journey_map, version = await saved(sqlite_url, str(group.id))
        assert version == 2 and "Gift note is lost" not in journey_map.stages[0].texts("pains")
        # Her answer is still in the sheet: saved again, now on Andi's version.
        assert await mayas.locator(".sheet textarea").input_value() == "Gift note is lost"
        await mayas.locator(".sheet button.primary").tap()
        await mayas.wait_for_selector('.board-root[data-version="3"]')
        journey_map, version = await saved(sqlite_url, str(group.id))
        assert journey_map.stages[0].name == "Basket"
        assert journey_map.stages[0].texts("pains")[-1] == "Gift note is lost"
        for page in pages.values():
            await page.context.close()
        # The group's button is the t.me link that opens this Mini App.
        api.user_command(group, andi, "map", "1")
        photo = await api.wait_for(None, chat=group, method="sendPhoto", timeout=120)
        button = photo.reply_markup["inline_keyboard"][0][0]
        assert button["url"] == f"https://t.me/{api.bot_user.username}/map?startapp=c{group.id}_1"
    finally:
        await app.process.stop()
