"""The fake Telegram Bot API HTTP server (aiohttp).

Usage in an asyncio test::

    async with FakeBotApi() as api:
        app = (
            ApplicationBuilder().token(api.token)
            .base_url(api.base_url).base_file_url(api.base_file_url).build()
        )
        ...
        alice = api.new_user("Alice", "alice")
        chat = api.private_chat(alice)
        api.user_command(chat, alice, "start")
        reply = await api.wait_for(lambda m: m.chat_id == chat.id)

Or from synchronous code (server in a background thread)::

    with FakeBotApi() as api:
        subprocess.run([... "journeybot", "run"], env={..., "TELEGRAM_API_URL": api.url})
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from .core import BotCore, Described
from .formatting import LengthUnit
from .models import JSON, ApiCall, ApiError, FakeUser, Fault, SentMessage, Webhook
from .params import Params, read_params
from .simulation import Simulation

DEFAULT_TOKEN = "123456789:AAFakeTokenForJourneybotTests0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)

SentPredicate = Callable[[SentMessage], bool] | str | None


@dataclass
class Answer:
    """What the fake answers to one request, before it is put on the wire: a JSON envelope,
    nginx's HTML page, a file's bytes, or nothing at all (`drop`: the connection is cut)."""

    status: int
    body: JSON | None = None
    html: str | None = None
    data: bytes | None = None
    content_type: str | None = None
    drop: bool = False

    def payload(self) -> bytes:
        """The response body's bytes, as the HTTP server sends them."""
        if self.data is not None:
            return self.data
        if self.html is not None:
            return self.html.encode()
        return json.dumps(self.body).encode()

    def response(self) -> web.Response:
        if self.data is not None:
            return web.Response(
                body=self.data, content_type=self.content_type or "application/octet-stream"
            )
        if self.html is not None:
            return web.Response(status=self.status, text=self.html, content_type="text/html")
        return web.json_response(self.body, status=self.status)


class WaitTimeout(AssertionError):
    """Raised by the ``wait_*`` helpers when nothing matched in time."""


class FakeBotApi(Simulation):
    """An in-process fake of https://api.telegram.org for one bot token.

    Start it with ``async with FakeBotApi() as api`` (same event loop as the test) or
    ``with FakeBotApi() as api`` (own event loop in a daemon thread). Point the bot at
    ``api.base_url`` / ``api.base_file_url``.

    Options:

    * ``token`` - the only accepted token; any other well-formed token gets 401 Unauthorized
      (malformed ones 404, as on Telegram). The bot's user id is the token's numeric prefix.
    * ``bot_username`` / ``bot_first_name`` - what getMe returns.
    * ``privacy_mode`` - group privacy (see :mod:`.simulation`).
    * ``length_unit`` - how the 4096 (text) / 1024 (caption) limits are counted after entity
      parsing: ``"chars"`` (Unicode code points, the default - a live measurement showed
      Telegram accepts 4096 astral emoji) or ``"utf16"`` (stricter, UTF-16 code units).
    * ``strict_html_entities`` - reject a bare ``&`` in HTML (the real server keeps it as text).
    * ``webhook_retry_delay`` / ``webhook_timeout`` - webhook redelivery pace and POST timeout.
    * ``control_api`` - enable ``/_fake/...`` endpoints (used by ``python -m tests.fakebotapi``).
    * ``clock`` - time source for message dates.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "journey_test_bot",
        bot_first_name: str = "Journey Test Bot",
        privacy_mode: bool = True,
        length_unit: LengthUnit = "chars",
        strict_html_entities: bool = False,
        webhook_retry_delay: float = 0.2,
        webhook_timeout: float = 10.0,
        webhook_parallel: bool = False,
        control_api: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        prefix = token.split(":", 1)[0]
        bot_user = FakeUser(
            id=int(prefix) if prefix.isdigit() else 123456789,
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
            language_code=None,
        )
        super().__init__(
            BotCore(
                token,
                bot_user,
                privacy_mode=privacy_mode,
                length_unit=length_unit,
                strict_html_entities=strict_html_entities,
                clock=clock,
            )
        )
        self.host = host
        self.port = port
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        # Telegram's Bot API server posts to a webhook over up to `max_connections` connections
        # at once, one chat's updates strictly one after another; off by default, where every
        # update waits for the one before it (simpler to reason about in most tests).
        self.webhook_parallel = webhook_parallel
        self.control_api = control_api
        self.webhook_deliveries: list[tuple[int, int | str]] = []  # (update_id, status | error)

        self._methods = self.core.method_table()
        self._canonical = {name.lower(): name for name in [*self._methods, "getUpdates"]}
        self._calls: list[ApiCall] = []
        self._faults: list[Fault] = []
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._closing = False
        self._poll_generation = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ addresses

    @property
    def token(self) -> str:
        return self.core.token

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` once started."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self.url}/file/bot"

    @property
    def calls(self) -> list[ApiCall]:
        """Every request received (all methods, including failed ones and getUpdates)."""
        with self.core.lock:
            return list(self._calls)

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    # ------------------------------------------------------------------ lifecycle

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        if self.control_api:
            app.router.add_post("/_fake/updates", self._control_update)
            app.router.add_get("/_fake/sent", self._control_sent)
            app.router.add_post("/_fake/fail_next", self._control_fail_next)
        return app

    async def start(self) -> FakeBotApi:
        """Bind on ``host`` (free port if ``port == 0``) in the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._closing = False
        self._runner = web.AppRunner(self._build_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._fire()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> FakeBotApi:
        """Run the server on its own event loop in a daemon thread (for synchronous tests)."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # pragma: no cover - reported to the caller
                errors.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="FakeBotApi", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("FakeBotApi did not start in time")
        if errors:
            raise errors[0]
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> FakeBotApi:
        return self.start_in_thread()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_thread()

    # ------------------------------------------------------------------ wake-ups

    def _fire(self) -> None:
        event = self._changed
        if event is not None:
            self._changed = asyncio.Event()
            event.set()

    def _notify(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._fire()
        else:
            loop.call_soon_threadsafe(self._fire)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = 1,
        times: int = 1,
        description: str | None = None,
        drop: bool = False,
        delay: float = 0.0,
        processed: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any) fail.

        * ``status=429`` answers ``Too Many Requests: retry after N`` with
          ``parameters.retry_after`` (PTB raises ``RetryAfter``);
        * ``500`` / other codes answer the JSON envelope with that code (``description`` to
          override), ``502`` answers nginx's HTML page like the real front end does;
        * ``drop=True`` closes the connection without any HTTP response;
        * ``delay`` waits before answering (to trigger client timeouts);
        * ``processed=True`` executes the method first (message really sent) and only then
          replaces the response - the "did my message go out?" case; with ``status=200`` the
          real answer comes, only ``delay`` seconds late.
        """
        name = "*" if method == "*" else self._canonical.get(method.lower(), method)
        with self.core.lock:
            self._faults.append(
                Fault(
                    method=name,
                    status=status,
                    retry_after=retry_after,
                    times=times,
                    description=description,
                    drop=drop,
                    delay=delay,
                    processed=processed,
                )
            )

    def drop_next(self, method: str, *, times: int = 1, processed: bool = False) -> None:
        """Close the connection of the next ``times`` calls of ``method`` without a response."""
        self.fail_next(method, status=0, times=times, drop=True, processed=processed)

    def clear_faults(self) -> None:
        with self.core.lock:
            self._faults.clear()

    def revoke_token(self) -> None:
        """From now on every call answers 401 Unauthorized (token revoked in @BotFather)."""
        self.core.token_revoked = True

    def _take_fault(self, method: str) -> Fault | None:
        with self.core.lock:
            for fault in self._faults:
                if fault.method in (method, "*"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # ------------------------------------------------------------------ HTTP handlers

    def _auth_error(self, token: str) -> ApiError | None:
        if token == self.core.token and not self.core.token_revoked:
            return None
        if _TOKEN_RE.match(token):
            return ApiError(401, "Unauthorized")
        return ApiError(404, "Not Found")

    def _record(self, method: str, params: Params, status: int, body: JSON | None) -> None:
        with self.core.lock:
            self._calls.append(ApiCall(method, params.summary(), status, body, time.time()))

    async def answer(self, token: str, name: str, read: Callable[[], Awaitable[Params]]) -> Answer:
        """One Bot API call, whoever carries it: the HTTP handler below, or the bot's
        request object in the same process (tests/inprocess.py). `read` gives the parameters
        (it may raise ApiError, e.g. for a body that is not JSON)."""
        params = Params({})
        try:
            params = await read()
            auth = self._auth_error(token)
            if auth is not None:
                raise auth
            method = self._canonical.get(name.lower())
            if method is None:
                raise ApiError(404, "Not Found: method not found")
        except ApiError as exc:
            self._record(name, params, exc.status, exc.body())
            return Answer(exc.status, exc.body())

        fault = self._take_fault(method)
        if fault is None:
            status, body = await self._execute(method, params)
            self._record(method, params, status, body)
            return Answer(status, body)

        result: tuple[int, JSON] | None = None
        if fault.processed:  # carried out at once; only the answer is late or lost
            result = await self._execute(method, params)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if result is not None and fault.status == 200 and not fault.drop:  # a slow answer
            self._record(method, params, *result)
            return Answer(*result)
        if fault.drop:
            self._record(method, params, 0, None)
            return Answer(0, drop=True)
        body = fault.body()
        self._record(method, params, fault.status, body)
        if fault.status == 502 and fault.description is None:
            return Answer(502, html=_NGINX_502)
        return Answer(fault.status, body)

    def file(self, token: str, path: str) -> Answer:
        """A file download (``/file/bot<token>/<path>``): its bytes, or the JSON error."""
        auth = self._auth_error(token)
        if auth is not None:
            return Answer(auth.status, auth.body())
        with self.core.lock:
            stored = self.core.files_by_path.get(path)
        if stored is None:
            return Answer(404, ApiError(404, "Not Found").body())
        return Answer(200, data=stored.data, content_type=stored.mime_type)

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        answer = await self.answer(
            request.match_info["token"], request.match_info["method"], lambda: read_params(request)
        )
        if answer.drop:  # the connection closed without any HTTP response
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)
        return answer.response()

    async def _execute(self, method: str, params: Params) -> tuple[int, JSON]:
        try:
            if method == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                with self.core.lock:
                    result = self._methods[method](params)
                if method in ("setWebhook", "deleteWebhook"):
                    self._sync_webhook_task()
        except ApiError as exc:
            return exc.status, exc.body()
        if isinstance(result, Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        return self.file(request.match_info["token"], request.match_info["path"]).response()

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, params: Params) -> list[JSON]:
        conflict = ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
        with self.core.lock:
            if self.core.webhook is not None:
                raise conflict
            offset = params.get_int("offset", 0) or 0
            limit = min(max(params.get_int("limit", 100) or 100, 1), 100)
            timeout = max(params.get_float("timeout", 0.0) or 0.0, 0.0)
            allowed = params.get_json("allowed_updates")
            if allowed is not None:
                if not isinstance(allowed, list):
                    raise ApiError.bad_request("can't parse allowed_updates JSON object")
                self.core.allowed_updates = [str(kind) for kind in allowed] or None
            self.core.confirm(offset)
            self._poll_generation += 1
            generation = self._poll_generation
        self._fire()  # an older long poll gets "terminated by other getUpdates request"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            with self.core.lock:
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                if self.core.webhook is not None:
                    raise conflict
                batch = self.core.take_for_polling(limit)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0 or event is None:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # ------------------------------------------------------------------ webhook delivery

    def _sync_webhook_task(self) -> None:
        if self.core.webhook is not None and (
            self._webhook_task is None or self._webhook_task.done()
        ):
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        self._fire()

    async def _webhook_loop(self) -> None:
        if self.webhook_parallel:
            await self._webhook_loop_per_chat()
            return
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._closing:
                event = self._changed
                with self.core.lock:
                    hook = self.core.webhook
                    if hook is None:
                        return
                    item = self.core.next_for_webhook()
                if item is None:
                    if event is not None:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(event.wait(), 1.0)
                    continue
                update, redelivery = item
                status, error = await self._post_update(session, hook, update)
                with self.core.lock:
                    self.webhook_deliveries.append((update["update_id"], status or error))
                    if error is None:
                        self.core.ack_webhook(update, redelivery)
                    elif self.core.webhook is hook:
                        hook.last_error_date = self.core.now()
                        hook.last_error_message = error
                if error is not None:
                    await asyncio.sleep(self.webhook_retry_delay)

    async def _webhook_loop_per_chat(self) -> None:
        """Different chats at once, up to the webhook's max_connections; one chat in order."""
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        busy: dict[object, asyncio.Task[None]] = {}

        async def deliver(hook: Webhook, key: object, update: JSON) -> None:
            try:
                status, error = await self._post_update(session, hook, update)
                with self.core.lock:
                    self.webhook_deliveries.append((update["update_id"], status or error))
                    if error is None:
                        self.core.ack_webhook_update(update)
                if error is not None:
                    await asyncio.sleep(self.webhook_retry_delay)
            finally:
                del busy[key]
                self._fire()

        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._closing:
                event = self._changed
                with self.core.lock:
                    hook = self.core.webhook
                    if hook is None:
                        break
                    found = (
                        self.core.next_for_webhook_chat(set(busy))
                        if len(busy) < hook.max_connections
                        else None
                    )
                if found is None:
                    if event is not None:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(event.wait(), 1.0)
                    continue
                key, update = found
                busy[key] = asyncio.get_running_loop().create_task(deliver(hook, key, update))
            await asyncio.gather(*busy.values(), return_exceptions=True)

    async def _post_update(
        self, session: aiohttp.ClientSession, hook: Webhook, update: JSON
    ) -> tuple[int, str | None]:
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        try:
            async with session.post(hook.url, data=json.dumps(update), headers=headers) as resp:
                body = await resp.read()
                if not 200 <= resp.status < 300:
                    return (
                        resp.status,
                        f"Wrong response from the webhook: {resp.status} {resp.reason}",
                    )
                await self._webhook_reply(resp.content_type, body)
                return resp.status, None
        except aiohttp.ClientConnectorError:
            return 0, "Connection refused"
        except TimeoutError:
            return 0, "Read timeout expired"
        except aiohttp.ClientError as exc:
            return 0, f"Connection error: {exc}"

    async def _webhook_reply(self, content_type: str, body: bytes) -> None:
        """Telegram executes a method returned in the webhook response body."""
        if content_type != "application/json" or not body:
            return
        try:
            data = json.loads(body)
        except ValueError:
            return
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            method = self._canonical.get(data.pop("method").lower())
            if method is not None and method != "getUpdates":
                params = Params(data)
                status, result = await self._execute(method, params)
                self._record(method, params, status, result)

    # ------------------------------------------------------------------ waiting helpers

    @staticmethod
    def _matcher(
        predicate: SentPredicate, chat_id: int | None, method: str | None
    ) -> Callable[[SentMessage], bool]:
        def match(record: SentMessage) -> bool:
            if chat_id is not None and record.chat_id != chat_id:
                return False
            if method is not None and record.method.lower() != method.lower():
                return False
            if predicate is None:
                return True
            if isinstance(predicate, str):
                return predicate in record.plain_text or predicate in (
                    record.text or record.caption
                )
            return bool(predicate(record))

        return match

    def find_sent(
        self,
        predicate: SentPredicate = None,
        *,
        chat: Any = None,
        method: str | None = None,
        since: int = 0,
    ) -> SentMessage | None:
        """First recorded message (index >= ``since``) matching, or None."""
        chat_id = chat.id if hasattr(chat, "id") else chat
        match = self._matcher(predicate, chat_id, method)
        return next((r for r in self.sent[since:] if match(r)), None)

    async def wait_for(
        self,
        predicate: SentPredicate = None,
        timeout: float = 10.0,
        *,
        chat: Any = None,
        method: str | None = None,
        since: int = 0,
    ) -> SentMessage:
        """Wait until a recorded send/edit/delete matches and return it.

        ``predicate`` is a callable on :class:`SentMessage`, a substring of the message text /
        caption, or None (anything). ``chat`` (FakeChat or id) and ``method`` narrow it down;
        ``since=api.mark()`` ignores messages recorded before that point.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.find_sent(predicate, chat=chat, method=method, since=since)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise WaitTimeout(
                    f"no matching message within {timeout}s; last messages:\n"
                    + self.describe_sent()
                )
            await asyncio.sleep(0.01)

    def wait_for_sync(
        self,
        predicate: SentPredicate = None,
        timeout: float = 10.0,
        *,
        chat: Any = None,
        method: str | None = None,
        since: int = 0,
    ) -> SentMessage:
        """Blocking :meth:`wait_for` for synchronous tests (server running in a thread)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find_sent(predicate, chat=chat, method=method, since=since)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise WaitTimeout(
                    f"no matching message within {timeout}s; last messages:\n"
                    + self.describe_sent()
                )
            time.sleep(0.01)

    async def wait_until(
        self, condition: Callable[[], Any], timeout: float = 10.0, message: str = ""
    ) -> Any:
        """Poll ``condition()`` until it returns something truthy; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise WaitTimeout(message or f"condition not met within {timeout}s")
            await asyncio.sleep(0.01)

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 10.0) -> Any:
        """Wait for the bot's answerCallbackQuery to the given button press."""
        return await self.wait_until(
            lambda: next(
                (a for a in self.callback_answers if a.callback_query_id == query_id), None
            ),
            timeout,
            f"callback query {query_id} was not answered within {timeout}s",
        )

    async def wait_delivered(self, timeout: float = 10.0) -> None:
        """Wait until every queued update was confirmed (polling) or acknowledged (webhook)."""
        await self.wait_until(
            lambda: self.pending_updates == 0,
            timeout,
            f"{self.pending_updates} update(s) still pending after {timeout}s",
        )

    # ------------------------------------------------------------------ control API

    async def _control_update(self, request: web.Request) -> web.Response:
        update = await request.json()
        return web.json_response(self.send_raw_update(update))

    async def _control_sent(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "method": r.method,
                    "chat_id": r.chat_id,
                    "message_id": r.message_id,
                    "text": r.text,
                    "caption": r.caption,
                    "plain_text": r.plain_text,
                    "reply_markup": r.reply_markup,
                    "files": {k: f.file_id for k, f in r.files.items()},
                }
                for r in self.sent
            ]
        )

    async def _control_fail_next(self, request: web.Request) -> web.Response:
        spec = await request.json()
        self.fail_next(
            spec["method"],
            int(spec.get("status", 429)),
            retry_after=spec.get("retry_after", 1),
            times=int(spec.get("times", 1)),
            description=spec.get("description"),
            drop=bool(spec.get("drop", False)),
        )
        return web.json_response({"ok": True})
