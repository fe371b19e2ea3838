"""`journeybot run`: start-up checks, then the PTB Application (polling or webhook) beside
the HTTP server of bot/server.py, until SIGINT or SIGTERM.

Every start-up failure is one clear line, then a retry or an exit — never a traceback:

- the Bot API unreachable (no network, DNS, 5xx): a line per attempt, backing off to a minute;
- the Bot API answers 404 to getMe: "no Bot API at URL" (exit 2); 401: the token is rejected;
- the database unreachable: a line at once and then once a minute while waiting;
- the schema missing or old: SQLite is migrated; PostgreSQL with `--migrate` too (under an
  advisory lock), otherwise a line naming `journeybot db upgrade`, once a minute, until done;
- a SQLite file that cannot be opened or written: one line naming the file (exit 2);
- setWebhook refused (e.g. an unresolvable host): a line per attempt, backing off.

Telegram keeps the updates while the bot waits, so nothing is lost by waiting."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest

from bot import logs, metrics
from bot.config import TELEGRAM_API_URL, Settings
from bot.server import Endpoints, HttpServer, ListenError
from storage import database

log = logging.getLogger("journeybot")
T = TypeVar("T")
DATABASE_POLL = 5.0  # seconds between looks at a database we are waiting for
SAY_EVERY = 60.0  # seconds between repeated "still waiting" lines
LONGEST_PAUSE = 60.0  # the backoff's ceiling, seconds


class StartupError(Exception):
    """Start-up cannot go on; the message says why and what to do, in one line."""


class Backoff:
    def __init__(self, first: float = 1.0, longest: float = LONGEST_PAUSE) -> None:
        self.next = first
        self.longest = longest

    def pause(self) -> float:
        pause = self.next
        self.next = min(self.next * 2, self.longest)
        return pause


class Throttle:
    """True at once, then at most once every `every` seconds."""

    def __init__(self, every: float = SAY_EVERY) -> None:
        self.every = every
        self._last: float | None = None

    def due(self) -> bool:
        now = time.monotonic()
        if self._last is None or now - self._last >= self.every:
            self._last = now
            return True
        return False


def reason(problem: BaseException) -> str:
    """What went wrong, in a few words: the driver's own error, first line only."""
    inner: BaseException = problem
    if isinstance(problem, DBAPIError) and problem.orig is not None:
        inner = problem.orig
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    name = type(inner).__name__
    return (f"{name}: {text}" if text and name not in text else text or name)[:200]


async def _sleep(stopping: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds` unless asked to stop; True when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
    return stopping.is_set()


# --- the Bot API -----------------------------------------------------------------------------


def _api_name(settings: Settings) -> str:
    return (
        "Telegram" if settings.api_url == TELEGRAM_API_URL else f"the Bot API at {settings.api_url}"
    )


async def probe_bot_api(settings: Settings, client: httpx.AsyncClient) -> dict[str, Any]:
    """getMe, told apart: the bot's user (dict), or StartupError for an answer that waiting
    will not change (401 token rejected, 404 no Bot API there); httpx.HTTPError or
    ConnectionError to retry."""
    response = await client.post(f"{settings.base_url}{settings.token}/getMe")
    if response.status_code == 401:
        raise StartupError(
            f"{_api_name(settings)} rejected the token (TELEGRAM_BOT_TOKEN): check it with "
            "@BotFather"
        )
    if response.status_code == 404:
        raise StartupError(
            f"no Bot API at {settings.api_url}: it answered 404 Not Found to getMe; check "
            "JOURNEYBOT_API_URL"
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and body.get("ok"):
        return dict(body["result"])
    raise ConnectionError(f"it answered {response.status_code} {response.reason_phrase}")


async def wait_for_bot_api(settings: Settings, stopping: asyncio.Event) -> dict[str, Any] | None:
    """The bot's user once the Bot API answers; None when asked to stop first."""
    backoff = Backoff()
    attempt = 0
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0)) as client:
        while not stopping.is_set():
            attempt += 1
            try:
                return await probe_bot_api(settings, client)
            except (httpx.HTTPError, ConnectionError, ssl.SSLError) as problem:
                pause = backoff.pause()
                metrics.count_error("api")
                log.warning(
                    "cannot reach %s (%s); attempt %d, trying again in %g s",
                    _api_name(settings),
                    reason(problem) or type(problem).__name__,
                    attempt,
                    pause,
                )
                if await _sleep(stopping, pause):
                    return None
    return None


# --- the database ----------------------------------------------------------------------------


def _sqlite_problem(url: str, problem: BaseException) -> str | None:
    """For a SQLite file that cannot be used, the line that says why (else None)."""
    path = database.sqlite_path(url)
    if path is None:
        return None
    text = reason(problem)
    if "locked" in text:
        return None  # another writer: waiting helps
    folder = path.resolve().parent
    if not folder.is_dir():
        why = f"the folder {folder} does not exist"
    elif _read_only_file_system(folder):
        why = f"{folder} is on a read-only file system"
    elif not os.access(folder, os.W_OK):  # SQLite writes its journal next to the file
        why = f"the folder {folder} is not writable"
    elif path.exists() and not os.access(path, os.W_OK):
        why = "the file is read-only"
    else:
        why = text
    return (
        f"cannot use the SQLite database {path.resolve()}: {why}; set JOURNEYBOT_DATABASE_URL "
        "to a writable place"
    )


def _read_only_file_system(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


async def prepare_database(settings: Settings, engine: Any, stopping: asyncio.Event) -> bool:
    """Wait until the database answers and has the current schema (migrating SQLite, and
    PostgreSQL with `migrate`). False when asked to stop first."""
    url = settings.database_url
    where = database.describe(url)
    sqlite = database.is_sqlite(url)
    unreachable, outdated = Throttle(), Throttle()
    head = database.head_revision()
    waited = False
    while not stopping.is_set():
        try:
            current = await asyncio.wait_for(database.current_revision(engine), 15)
        except (SQLAlchemyError, OSError, TimeoutError) as problem:
            if sqlite and (line := _sqlite_problem(url, problem)):
                raise StartupError(line) from None
            metrics.count_error("database")
            if unreachable.due():
                log.warning(
                    "database unreachable: %s (%s); waiting for it, checking every %g s",
                    where,
                    reason(problem),
                    DATABASE_POLL,
                )
            waited = True
            if await _sleep(stopping, DATABASE_POLL):
                return False
            continue
        if waited:
            log.info("database reachable again: %s", where)
            waited = False
        if current == head:
            return True
        if current is not None and current not in database.known_revisions():
            line = (
                f"the database schema ({current}) is newer than this journeybot knows "
                f"({head}): run the newer journeybot"
            )
        elif sqlite or settings.migrate:
            try:
                await database.upgrade(engine)
            except (SQLAlchemyError, OSError) as problem:
                if sqlite and (line := _sqlite_problem(url, problem)):
                    raise StartupError(line) from None
                raise StartupError(f"migrating {where} failed: {reason(problem)}") from None
            log.info("database schema brought to %s (was %s): %s", head, current or "empty", where)
            continue
        else:
            have = "has no schema" if current is None else f"has schema {current}"
            line = (
                f"{where} {have}; this journeybot needs {head}: run `journeybot db upgrade` "
                "(or start with --migrate); waiting"
            )
        if outdated.due():
            log.warning("%s", line)
        if await _sleep(stopping, DATABASE_POLL):
            return False
    return False


# --- health ----------------------------------------------------------------------------------


_WARMING: set[asyncio.Task[None]] = set()  # replacement pools warming up (kept referenced)


async def render_pool_state(renderer: Any) -> str:
    """ "ok", or why the render pool cannot draw now. A pool broken by a dead worker is
    replaced here and now (as the next render would do) rather than reported. Its workers
    warm up in the background: each imports matplotlib, which on a busy machine takes longer
    than a health check may (a monitor would have seen 503 and restarted a working bot)."""
    pool = getattr(renderer, "pool", None)
    executor = getattr(pool, "_executor", None)
    if pool is None or executor is None:
        return "ok"  # started on the next render
    broken = getattr(executor, "_broken", False)
    if broken:
        replace = getattr(pool, "_replace", None)
        if replace is None:
            return f"broken: {broken}"
        replace(executor)
        warming = asyncio.ensure_future(_warm(pool, broken))
        _WARMING.add(warming)
        warming.add_done_callback(_WARMING.discard)
        return "ok"
    processes = getattr(executor, "_processes", None) or {}
    if processes and not any(p.is_alive() for p in processes.values()):
        return "no render worker is alive"
    return "ok"


async def _warm(pool: Any, broken: object) -> None:
    try:
        await asyncio.wait_for(pool.start(), 30)
    except Exception as problem:  # the next render starts workers again
        log.error("render pool was broken (%s) and not replaced: %s", broken, reason(problem))
        return
    log.warning("render pool was broken (%s); replaced", broken)


# --- running ---------------------------------------------------------------------------------


def is_self_signed(certfile: str) -> bool:
    try:
        decoded = ssl._ssl._test_decode_cert(certfile)  # type: ignore[attr-defined]
    except Exception:
        return False
    return decoded.get("issuer") == decoded.get("subject")


class Service:
    def __init__(
        self,
        settings: Settings,
        request: BaseRequest | None = None,
        get_updates_request: BaseRequest | None = None,
    ) -> None:
        self.settings = settings
        # build_application's request objects; None: over HTTP (the tests' in-process
        # harness passes its own, tests/inprocess.py)
        self.request = request
        self.get_updates_request = get_updates_request
        self.stopping = asyncio.Event()
        self.phase = "starting"
        self.store: Any = None
        self.renderer: Any = None
        self.endpoints = Endpoints(
            webhook_path=settings.served_path if settings.webhook_url else None,
            secret=settings.secret,
            checks={
                "bot": self._check_bot,
                "database": self._check_database,
                "render_pool": self._check_render_pool,
            },
        )
        self.http: HttpServer | None = None
        self.webapp: Any = None
        if settings.webapp_url:
            from bot.webapp.service import WebApp

            self.webapp = WebApp(settings)
            self.endpoints.routes = self.webapp.routes()

    # health checks
    async def _check_bot(self) -> str:
        return "ok" if self.phase == "running" else self.phase

    async def _check_database(self) -> str:
        if self.store is None:
            return "not opened yet"
        try:
            await asyncio.wait_for(database.ping(self.store.engine), 3.0)
        except (SQLAlchemyError, OSError, TimeoutError) as problem:
            metrics.count_error("database")
            return f"unreachable: {reason(problem) or 'no answer within 3 s'}"
        return "ok"

    async def _check_render_pool(self) -> str:
        return await render_pool_state(self.renderer)

    # the steps
    def _mode(self) -> str:
        s = self.settings
        if s.webhook_url:
            return f"webhook {s.webhook_url} served at {s.served_path}"
        return "polling"

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        return await self.serve()

    async def serve(self) -> int:
        """All of `run` but the signals: until `stopping` is set (the tests' in-process
        harness sets it)."""
        from bot.rendering import PoolRenderer
        from storage.repository import Store

        s = self.settings
        log.info(
            "journeybot starting: database %s; %s; %s",
            database.describe(s.database_url),
            _api_name(s),
            self._mode(),
        )
        self.store = Store(s.database_url)
        self.renderer = PoolRenderer()
        try:
            if s.http_port is not None:
                self.http = HttpServer(
                    self.endpoints,
                    s.listen,
                    s.http_port,
                    certfile=str(s.cert) if s.cert else None,
                    keyfile=str(s.key) if s.key else None,
                )
                await self.http.start()
                served = ["/healthz", "/metrics"]
                if self.webapp is not None:
                    served.append(f"/app (the Mini App, public at {s.webapp_url})")
                if s.webhook_url:
                    served.insert(0, f"{s.served_path} (webhook)")
                scheme = "https" if s.cert else "http"
                log.info(
                    "HTTP server on %s://%s:%d: %s",
                    scheme,
                    s.listen,
                    self.http.port,
                    ", ".join(served),
                )
            self.phase = "starting: waiting for the Bot API"
            me = await wait_for_bot_api(s, self.stopping)
            if me is None:
                return 0
            self.phase = "starting: waiting for the database"
            if not await prepare_database(s, self.store.engine, self.stopping):
                return 0
            metrics.set_interviews_in_progress(self.store.interviews_in_progress)
            metrics.set_outbox_backlog(self.store.outbox_backlog)
            self.phase = "starting"
            return await self._serve(me)
        finally:
            self.phase = "stopping"
            self.endpoints.deliver = None
            # The gauges read this store, closed below: a Service stopped in a process that
            # goes on (the in-process tests) leaves them unregistered, absent from /metrics.
            metrics.set_interviews_in_progress(None)
            metrics.set_outbox_backlog(None)
            if self.http is not None:
                await self.http.stop()
            with contextlib.suppress(Exception):
                await self.renderer.stop()
            with contextlib.suppress(Exception):
                await self.store.close()

    async def _serve(self, me: dict[str, Any]) -> int:
        from bot.app import ALLOWED_UPDATES, build_application
        from bot.polling import Poller
        from bot.updates import readable

        s = self.settings
        app = build_application(
            s,
            store=self.store,
            renderer=self.renderer,
            request=self.request,
            get_updates_request=self.get_updates_request,
        )
        await self._retrying("connecting to the Bot API", app.initialize)
        if self.stopping.is_set():
            return 0
        try:
            if app.post_init is not None:
                await app.post_init(app)
            await app.start()
            if s.webhook_url:
                await self._retrying("setting the webhook", lambda: self._set_webhook(app))

                async def deliver(data: dict[str, Any]) -> None:
                    """Applied before Telegram gets its 200, as polling confirms a batch only
                    once applied: a process killed meanwhile gets the update again. An update
                    PTB cannot read is logged by its id and handed on empty."""
                    update = Update.de_json(readable(data), app.bot)
                    await app.update_processor.process_update(update, app.process_update(update))

                self.endpoints.deliver = deliver
            if self.webapp is not None:
                self.webapp.attach(self.store, app.bot, app.bot_data["courier"])
            if self.stopping.is_set():
                return 0
            self.phase = "running"
            log.info("journeybot is running as @%s (%s)", me.get("username"), self._mode())
            if s.webhook_url:
                await self.stopping.wait()
            else:  # bot/polling.py: confirms a batch only once every update in it is applied
                await Poller(app, list(ALLOWED_UPDATES)).run(self.stopping)
            self.phase = "stopping"
            self.endpoints.deliver = None
            log.info("journeybot stopping")
            if self.webapp is not None:  # the open editing sessions' summaries, into the outbox
                await self.webapp.stop()
            if app.running:
                await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        finally:
            with contextlib.suppress(Exception):
                await app.shutdown()
            if app.post_shutdown is not None:
                with contextlib.suppress(Exception):
                    await app.post_shutdown(app)
        return 0

    async def _set_webhook(self, app: Application) -> None:
        from bot.app import ALLOWED_UPDATES

        s = self.settings
        certificate = None
        if s.cert is not None and is_self_signed(str(s.cert)):
            certificate = s.cert.read_bytes()  # Telegram trusts a self-signed one once sent
        await app.bot.set_webhook(
            url=s.webhook_url or "",
            secret_token=s.secret,
            max_connections=s.webhook_max_connections,
            allowed_updates=list(ALLOWED_UPDATES),
            certificate=certificate,
        )

    async def _retrying(self, what: str, step: Callable[[], Awaitable[Any]]) -> None:
        backoff = Backoff()
        attempt = 0
        while True:
            attempt += 1
            try:
                await step()
                return
            except (NetworkError, BadRequest) as problem:
                if self.stopping.is_set():
                    raise StartupError(f"{what} was interrupted") from None
                pause = backoff.pause()
                metrics.count_error("api")
                hint = " — check JOURNEYBOT_WEBHOOK_URL" if isinstance(problem, BadRequest) else ""
                log.warning(
                    "%s failed (%s%s); attempt %d, trying again in %g s",
                    what,
                    problem.message,
                    hint,
                    attempt,
                    pause,
                )
                if await _sleep(self.stopping, pause):
                    return


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on uvloop's event loop where it is installed (not on Windows): asyncio's own
    loop cost a twentieth of the bot's work per answer (issue 17)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def run(settings: Settings) -> int:
    logs.setup(settings.log_level, settings.log_format, settings.secrets)
    try:
        return run_loop(Service(settings).run())
    except (StartupError, ListenError) as problem:
        log.error("%s", problem)
        return 2
    except InvalidToken:
        log.error("the Bot API rejected the token (TELEGRAM_BOT_TOKEN): check it with @BotFather")
        return 2
    except TelegramError as problem:  # e.g. the network gone between the checks and the start
        log.error(
            "start-up failed: %s; run journeybot again (or let systemd/Docker)", problem.message
        )
        return 1
    except KeyboardInterrupt:
        return 130
