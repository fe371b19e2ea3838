"""The Mini App under test: the real `journeybot run` with `--port` and a web app URL, maps
seeded in its database, and people who open it with initData signed like Telegram's."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.webapp import initdata
from flows.model import JourneyMap
from storage.repository import Store
from tests.e2e import ROOT, BotProcess, free_port
from tests.fakebotapi import FakeBotApi, FakeUser

EXAMPLE = ROOT / "examples" / "late-deliveries.json"


async def seed(url: str, chat_id: str, kind: str, example: Path = EXAMPLE) -> JourneyMap:
    journey_map = JourneyMap.from_json(example.read_text())
    store = Store(url)
    try:
        await store.upgrade()
        await store.ensure_chat(chat_id, kind, "en")
        await store.finish_map(chat_id, journey_map)
    finally:
        await store.close()
    return journey_map


async def saved(url: str, chat_id: str, number: int = 1) -> tuple[JourneyMap, int]:
    store = Store(url)
    try:

        async def read(u):  # type: ignore[no-untyped-def]
            found = await u.maps.get(chat_id, number)
            summary = await u.maps.summary(chat_id, number)
            return found, summary.version

        return await store.run(read)
    finally:
        await store.close()


@dataclass
class WebAppBot:
    api: FakeBotApi
    process: BotProcess
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def init_data(
        self, user: FakeUser, *, age: float = 0, token: str | None = None, start_param: str = ""
    ) -> str:
        return initdata.init_data_for(
            user.id,
            token or self.api.token,
            first_name=user.first_name,
            language=user.language_code or "en",
            auth_date=time.time() - age,
            start_param=start_param,
        )

    def direct_link_url(self, user: FakeUser, chat_id: int | str, number: int = 1) -> str:
        """What Telegram opens for a t.me/<bot>/<app>?startapp=… link (a group's button): the
        Mini App's own URL, the map named in initData's start_param."""
        from urllib.parse import quote

        data = self.init_data(user, start_param=f"c{chat_id}_{number}")
        return f"{self.base}/app/#tgWebAppData={quote(data)}&tgWebAppVersion=8.0"

    def page_url(self, user: FakeUser, chat_id: int | str, number: int = 1) -> str:
        """What Telegram opens for a web_app button: the URL, the launch data in its hash."""
        from urllib.parse import quote

        theme = '{"bg_color":"#ffffff","button_color":"#2481cc","button_text_color":"#ffffff"}'
        return (
            f"{self.base}/app/map/{chat_id}/{number}#tgWebAppData={quote(self.init_data(user))}"
            f"&tgWebAppVersion=8.0&tgWebAppThemeParams={quote(theme)}"
        )

    async def call(
        self,
        method: str,
        chat_id: int | str,
        number: int = 1,
        *,
        init_data: str | None = None,
        path: str = "",
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if init_data is not None:
            headers["Authorization"] = f"tma {init_data}"
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.request(
                method,
                f"{self.base}/app/api/map/{chat_id}/{number}{path}",
                headers=headers,
                **kwargs,
            )


async def start(
    api: FakeBotApi, url: str, workdir: Path, env: dict[str, str] | None = None
) -> WebAppBot:
    port = free_port()
    process = BotProcess(
        api,
        url,
        workdir,
        extra_env={
            "JOURNEYBOT_WEBAPP_URL": f"http://127.0.0.1:{port}",
            "JOURNEYBOT_WEBAPP_SESSION_IDLE": "1",
            **(env or {}),
        },
        args=("--listen", "127.0.0.1", "--port", str(port)),
    )
    await process.start()
    return WebAppBot(api, process, port)
