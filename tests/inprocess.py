"""The real bot in the test's own process: `journeybot run`'s Service and PTB Application,
handlers and database as in production, but every Bot API call handed straight to the fake
server's dispatch (no socket, no subprocess). A subprocess costs seconds per test (imports,
matplotlib); this is for the handler-level tests. Process-level ones (kill -9, webhook,
signals, start-up lines, rlimits) keep `tests.e2e.BotProcess`.

- `FakeRequest`: PTB's request seam (`BaseRequest`) onto `FakeBotApi.answer`, the same
  path the fake's HTTP handler takes, so faults, getUpdates long polling and the recorded
  calls behave as over HTTP. It notes a post "in flight" (bot/wire.py) as WireTransport does.
- `InProcessBot`: the same shape as `BotProcess` (start, stop, output, wait_for_line). Its
  start-up check (one getMe, bot/startup.py) still goes over HTTP: the fake listens anyway."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot import logs
from bot.config import Settings
from bot.polling import POLL_TIMEOUT
from bot.startup import Service
from bot.updates import UpdatesRequest
from bot.wire import ON_THE_WIRE
from tests.e2e import bot_env
from tests.fakebotapi import FakeBotApi
from tests.fakebotapi.models import UploadedFile
from tests.fakebotapi.params import Params
from tests.fakebotapi.server import Answer

_METHOD_URL = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/?]+)$")
_FILE_URL = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


class FakeRequest(BaseRequest):
    """PTB's requests answered by `api` in this event loop."""

    def __init__(self, api: FakeBotApi, read_timeout: float = 30.0) -> None:
        self.api = api
        self._read_timeout = read_timeout
        # Calls the bot gave up on (timed out, cancelled) run on, as on a server that
        # got the whole request; kept here so they are not garbage-collected.
        self._running: set[asyncio.Task[Answer]] = set()

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if (found := _FILE_URL.search(url)) is not None:
            answer = self.api.file(found["token"], found["path"])
            return answer.status, answer.payload()
        found = _METHOD_URL.search(url)
        if found is None:
            raise NetworkError(f"no Bot API at {url}")
        # WireTransport's moment: the request is written, so the courier notes it in flight.
        written = ON_THE_WIRE.get()
        if written is not None:
            await written()

        async def read() -> Params:  # the form fields httpx would send, all strings
            return params_of(request_data)

        task = asyncio.ensure_future(self.api.answer(found["token"], found["method"], read))
        self._running.add(task)
        task.add_done_callback(_forget(self._running))
        timeout = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        try:
            answer = await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            raise TimedOut from None
        if answer.drop:  # as HTTPXRequest reports a connection closed without an answer
            raise NetworkError(
                "httpx.RemoteProtocolError: Server disconnected without sending a response."
            )
        return answer.status, answer.payload()


def _forget(running: set[asyncio.Task[Answer]]):  # type: ignore[no-untyped-def]
    def done(task: asyncio.Task[Answer]) -> None:
        running.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: an abandoned call's error is not "never retrieved"

    return done


def params_of(request_data: RequestData | None) -> Params:
    """What the fake's HTTP side reads from PTB's form or multipart body: string values
    (JSON for objects), uploads by field name."""
    if request_data is None:
        return Params({})
    files = {
        name: UploadedFile(
            field=name,
            filename=filename,
            content_type=mime,
            data=content if isinstance(content, bytes) else content.read(),
        )
        for name, (filename, content, mime) in (request_data.multipart_data or {}).items()
    }
    return Params(dict(request_data.json_parameters), files)


class FakeUpdatesRequest(FakeRequest):
    """getUpdates: read the answer as the bot's UpdatesRequest does (bot/updates.py)."""

    parse_json_payload = staticmethod(UpdatesRequest.parse_json_payload)


class LogLines(logging.Handler):
    """The bot's log as `journeybot run` writes it (bot/logs.py: format, filters, quiet
    libraries), kept in memory."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter(logs.TEXT_FORMAT))
        self.addFilter(logs.NetworkErrorsInOneLine())
        self.addFilter(logs.Redact(secrets))
        self._levels: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.extend(self.format(record).splitlines())

    def attach(self) -> None:
        for name in ("", *logs.CHATTY):
            self._levels[name] = logging.getLogger(name).level
        logging.getLogger().setLevel(logging.INFO)
        for name in logs.CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger().addHandler(self)

    def detach(self) -> None:
        logging.getLogger().removeHandler(self)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)


@dataclass
class InProcessBot:
    """`journeybot run` (its Service, less the signal handlers) in this event loop, with the
    environment `BotProcess` gives its process."""

    api: FakeBotApi
    database_url: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    service: Service | None = None
    task: asyncio.Task[int] | None = None
    log: LogLines | None = None

    def settings(self) -> Settings:
        env = bot_env(self.api, self.database_url, self.extra_env)
        with mock.patch.dict(os.environ, env):
            return Settings(_env_file=None)  # type: ignore[call-arg]

    async def start(self, ready: bool = True) -> None:
        """Start it; with `ready`, wait until it registered its commands and runs."""
        settings = self.settings()
        self.service = Service(
            settings,
            request=FakeRequest(self.api, settings.read_timeout),
            get_updates_request=FakeUpdatesRequest(self.api, POLL_TIMEOUT + settings.read_timeout),
        )
        self.log = LogLines(settings.secrets)
        self.log.attach()
        self.task = asyncio.ensure_future(self.service.serve())
        if ready:
            await self.api.wait_until(
                lambda: bool(self.api.calls_of("setMyCommands")) or self.task.done(), timeout=60
            )
            await self.wait_for_line("journeybot is running", timeout=60)

    async def stop(self) -> None:
        if self.service is None or self.task is None:
            return
        self.service.stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), 30)
        except TimeoutError:  # BotProcess kills a process that will not stop; this, cancelled
            self.task.cancel()
            raise
        finally:
            if self.log is not None:
                self.log.detach()

    def output(self) -> str:
        return "\n".join(self.log.lines) + "\n" if self.log else ""

    async def wait_for_line(self, text: str, timeout: float = 30) -> str:
        """The first log line containing `text`, once it appears."""

        def found() -> str | None:
            if self.task is not None and self.task.done():
                self.task.result()  # it ended: say why
                raise AssertionError(f"the bot stopped:\n{self.output()[-3000:]}")
            return next((line for line in self.output().splitlines() if text in line), None)

        return await self.api.wait_until(
            found,
            timeout,
            f"no log line with {text!r} within {timeout} s:\n{self.output()[-3000:]}",
        )
