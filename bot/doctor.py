"""`journeybot doctor`: is this installation ready to run? One line per check, ✓ or ✗, and
for a ✗ what to do. Exit status 0 when every check passed, 1 otherwise. It changes nothing:
no database file is created, no webhook set, no message sent."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, Settings
from bot.startup import reason
from storage import database

# Letters the maps must draw: Polish diacritics (Indonesian needs only Latin letters) and the
# typographic marks the interview quotes with.
NEEDED_GLYPHS = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ„”–—…"
NEEDED_EMOJI = "😀😠🙂"  # the faces people type into answers
RENDER_TIMEOUT = 120.0


@dataclass
class Line:
    ok: bool
    what: str
    detail: str

    def __str__(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.what}: {self.detail}"


class Doctor:
    def __init__(self, settings: Settings, env_file: Path | None = None) -> None:
        self.settings = settings
        self.env_file = env_file
        self.lines: list[Line] = []

    def say(self, ok: bool, what: str, detail: str) -> None:
        line = Line(ok, what, detail)
        self.lines.append(line)
        print(line, flush=True)

    async def run(self) -> int:
        self.check_settings()
        await self.check_bot_api()
        await self.check_database()
        await self.check_redis()
        await self.check_render_pool()
        self.check_fonts()
        failed = sum(not line.ok for line in self.lines)
        print(f"{len(self.lines) - failed} of {len(self.lines)} checks passed")
        return 0 if not failed else 1

    # --- settings ---------------------------------------------------------------------------

    def check_settings(self) -> None:
        s = self.settings
        env = self.env_file or Path(".env")
        source = f"{env.resolve()}" if env.is_file() else "the environment (no .env here)"
        mode = f"webhook {s.webhook_url} at {s.served_path}" if s.webhook_url else "polling"
        port = f", HTTP server on {s.listen}:{s.http_port}" if s.http_port is not None else ""
        app = f"; the Mini App at {s.webapp_url.rstrip('/')}/app/" if s.webapp_url else ""
        self.say(True, "settings", f"from {source}; {mode}{port}{app}")

    # --- the Bot API ------------------------------------------------------------------------

    async def check_bot_api(self) -> None:
        s = self.settings
        try:
            token = s.require_token()
        except ConfigError as problem:
            self.say(False, "token", str(problem))
            return
        api = s.api_url
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0)) as client:
            started = time.perf_counter()
            try:
                response = await client.post(f"{s.base_url}{token}/getMe")
            except httpx.HTTPError as problem:
                self.say(
                    False,
                    "Bot API",
                    f"cannot reach {api} ({reason(problem) or type(problem).__name__}): check the "
                    "network, a firewall or proxy, and JOURNEYBOT_API_URL",
                )
                return
            took = (time.perf_counter() - started) * 1000
            if response.status_code == 404:
                self.say(
                    False,
                    "Bot API",
                    f"no Bot API at {api}: it answered 404 Not Found to getMe; check "
                    "JOURNEYBOT_API_URL",
                )
                return
            self.say(True, "Bot API", f"{api} answers ({took:.0f} ms)")
            body = _json(response)
            if response.status_code == 401:
                self.say(
                    False,
                    "token",
                    "rejected (401 Unauthorized): copy it again from @BotFather (or it was "
                    "revoked there)",
                )
                return
            if not body.get("ok"):
                self.say(False, "token", f"getMe answered {response.status_code}: {_said(body)}")
                return
            me = body["result"]
            groups = "can join groups" if me.get("can_join_groups") else "cannot join groups"
            privacy = (
                "privacy mode off (reads every group message)"
                if me.get("can_read_all_group_messages")
                else "privacy mode on (in groups it sees replies to it and commands)"
            )
            self.say(
                True, "token", f"@{me.get('username')} (id {me.get('id')}); {groups}; {privacy}"
            )
            response = await client.post(f"{s.base_url}{token}/getWebhookInfo")
            self.webhook(_json(response))

    def webhook(self, body: dict[str, Any]) -> None:
        s = self.settings
        if not body.get("ok"):
            self.say(False, "webhook", f"getWebhookInfo failed: {_said(body)}")
            return
        info = body["result"]
        url = info.get("url") or ""
        pending = info.get("pending_update_count", 0)
        error = ""
        if info.get("last_error_date"):
            when = datetime.fromtimestamp(info["last_error_date"], UTC).strftime("%Y-%m-%d %H:%M")
            error = f"; last error {when} UTC: {info.get('last_error_message', '?')}"
        if s.webhook_url:
            if not url:
                self.say(
                    False,
                    "webhook",
                    f"none set ({pending} pending updates): `journeybot run` sets "
                    f"{s.webhook_url} when it starts",
                )
            elif url != s.webhook_url:
                self.say(
                    False,
                    "webhook",
                    f"Telegram posts to {url}, the settings say {s.webhook_url}: `journeybot "
                    f"run` sets it again when it starts ({pending} pending){error}",
                )
            elif error:
                self.say(
                    False,
                    "webhook",
                    f"{url}, {pending} pending{error} — check that the URL reaches the bot "
                    "(reverse proxy, certificate, JOURNEYBOT_WEBHOOK_SECRET)",
                )
            else:
                self.say(True, "webhook", f"{url}, {pending} pending, no delivery errors")
        elif url:
            self.say(
                False,
                "webhook",
                f"Telegram posts to {url} but the settings say polling: `journeybot run` "
                f"removes the webhook when it starts polling, or set JOURNEYBOT_WEBHOOK_URL "
                f"({pending} pending){error}",
            )
        else:
            self.say(True, "webhook", f"none (polling); {pending} updates waiting")

    # --- the database -----------------------------------------------------------------------

    async def check_database(self) -> None:
        url = self.settings.database_url
        where = database.describe(url)
        path = database.sqlite_path(url)
        if path is not None and not path.exists():
            folder = path.resolve().parent
            hint = (
                "`journeybot run` creates it"
                if folder.is_dir()
                else f"the folder {folder} does not exist: create it or set JOURNEYBOT_DATABASE_URL"
            )
            self.say(
                path.resolve().parent.is_dir(), "database", f"{where} does not exist yet; {hint}"
            )
            return
        from storage.repository import Store

        store = Store(url)
        try:
            current = await asyncio.wait_for(database.current_revision(store.engine), 10)
        except (SQLAlchemyError, OSError, TimeoutError) as problem:
            self.say(
                False,
                "database",
                f"{where} unreachable ({reason(problem) or 'no answer in 10 s'}): is it "
                "running, and are the address, user and password in JOURNEYBOT_DATABASE_URL "
                "right?",
            )
            return
        finally:
            await store.close()
        self.say(True, "database", f"{where} answers")
        head = database.head_revision()
        if current == head:
            self.say(True, "schema", f"{current} (current)")
        elif current is None:
            self.say(False, "schema", f"none: run `journeybot db upgrade` (needs {head})")
        elif current not in database.known_revisions():
            self.say(False, "schema", f"{current} is newer than this journeybot ({head})")
        else:
            fix = (
                "SQLite is migrated on start" if path is not None else "run `journeybot db upgrade`"
            )
            self.say(path is not None, "schema", f"{current}, this version needs {head}: {fix}")

    # --- the shared posting budget -----------------------------------------------------------

    async def check_redis(self) -> None:
        url = self.settings.redis_url
        if not url:
            return  # one instance counts its own posts
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        parts = urlsplit(url)  # host, port and database: never the password
        where = f"{parts.hostname}:{parts.port or 6379}{parts.path}"
        client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        try:
            await client.ping()
        except (RedisError, OSError) as problem:
            self.say(
                False,
                "Redis",
                f"{where} unreachable ({reason(problem) or problem.__class__.__name__}): "
                "instances sharing JOURNEYBOT_REDIS_URL keep their posting budget there",
            )
            return
        finally:
            await client.aclose()
        self.say(True, "Redis", f"{where} answers (posting budget shared by instances)")

    # --- rendering --------------------------------------------------------------------------

    async def check_render_pool(self) -> None:
        from renderers.pool import RenderPool

        pool = RenderPool(workers=1, timeout=RENDER_TIMEOUT)
        started = time.perf_counter()
        try:
            await asyncio.wait_for(pool.start(), RENDER_TIMEOUT)
            png = await pool.render(sample_map(), "png")
        except Exception as problem:
            self.say(
                False,
                "render pool",
                f"a worker could not draw a map ({reason(problem)}): check memory limits "
                "and that matplotlib is installed",
            )
            return
        finally:
            await pool.aclose()
        took = time.perf_counter() - started
        ok = png.startswith(b"\x89PNG")
        self.say(ok, "render pool", f"a worker started and drew a map in {took:.1f} s")

    def check_fonts(self) -> None:
        from fontTools.ttLib import TTFont

        from renderers import theme

        wanted = {theme.REGULAR_FONT: NEEDED_GLYPHS, theme.BOLD_FONT: NEEDED_GLYPHS}
        emoji = getattr(theme, "EMOJI_FONT", None)
        if emoji is not None:
            wanted[emoji] = NEEDED_EMOJI
        missing: dict[str, str] = {}
        for path, glyphs in wanted.items():
            try:
                cmap = TTFont(path, lazy=True).getBestCmap()
            except Exception as problem:
                missing[Path(path).name] = f"cannot be read ({reason(problem)})"
                continue
            lacking = "".join(ch for ch in glyphs if ord(ch) not in cmap)
            if lacking:
                missing[Path(path).name] = f"lacks {lacking}"
        names = ", ".join(Path(p).name for p in wanted)
        if missing:
            detail = "; ".join(f"{n} {why}" for n, why in missing.items())
            self.say(
                False, "fonts", f"{detail}: reinstall journeybot and matplotlib (they ship them)"
            )
        else:
            self.say(True, "fonts", f"{names} draw Polish and Indonesian text and emoji")


def sample_map():
    from flows.model import Author, Item, JourneyMap, Persona, Rating, Stage

    who = Author(id="doctor", name="doctor")
    stage = Stage(name="Zamówienie", touchpoints=[Item(text="Łódź „x” – pesan", author=who)])
    stage.rate(Rating(persona="Dewi", score=-1, author=who))
    return JourneyMap(
        title="journeybot doctor",
        goal="a map drawn end to end",
        personas=[Persona(name="Dewi", author=who)],
        stages=[stage],
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"ok": False, "description": f"{response.status_code}, not JSON"}
    return body if isinstance(body, dict) else {"ok": False, "description": "not an object"}


def _said(body: dict[str, Any]) -> str:
    return str(body.get("description") or body.get("error_code") or "no description")


async def doctor(settings: Settings, env_file: Path | None = None) -> int:
    return await Doctor(settings, env_file).run()
