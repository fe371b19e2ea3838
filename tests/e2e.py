"""End-to-end harness: the `journeybot run` process against the fake Bot API over HTTP
(`BotProcess`; the bot in the test's own process is tests/inprocess.py `InProcessBot`), and
people who use either like a person would: read the last question, type or press a button,
wait for the answer."""

from __future__ import annotations

import asyncio
import itertools
import os
import resource
import signal
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storage.repository import Store
from tests.fakebotapi import FakeBotApi, FakeChat, FakeUser, SentMessage
from tests.ports import free_port as free_port  # the tests import it from here too

ROOT = Path(__file__).resolve().parents[1]


def journeybot() -> list[str]:
    script = Path(sys.executable).with_name("journeybot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def bot_env(api: FakeBotApi, database_url: str, extra: dict[str, str]) -> dict[str, str]:
    """The settings a test bot runs with, in a process or in the test's own (tests/inprocess.py)."""
    return {
        "TELEGRAM_BOT_TOKEN": api.token,
        "JOURNEYBOT_API_URL": api.url,
        "JOURNEYBOT_DATABASE_URL": database_url,
        "JOURNEYBOT_LOG_LEVEL": "INFO",
        # The fake server has no flood limits; real groups keep Telegram's 20 a minute.
        "JOURNEYBOT_GROUP_MESSAGES_PER_MINUTE": "600",
        # The tests written before business templates answer the questions without them;
        # a test of the templates turns them on (extra).
        "JOURNEYBOT_TEMPLATES": "0",
        **extra,
    }


@dataclass
class BotProcess:
    """`journeybot run` as a separate process, pointed at the fake server."""

    api: FakeBotApi
    database_url: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    max_open_files: int | None = None  # RLIMIT_NOFILE of the process, as systemd may set it
    process: asyncio.subprocess.Process | None = None
    log: Path | None = None

    async def start(self, ready: bool = True) -> None:
        """Start it; with `ready`, wait until it registered its commands (post_init ran)."""
        env = {**os.environ, **bot_env(self.api, self.database_url, self.extra_env)}
        self.log = self.workdir / f"bot-{len(list(self.workdir.glob('bot-*.log')))}.log"
        handle = self.log.open("wb")
        limit = self.max_open_files

        def limit_files() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.process = await asyncio.create_subprocess_exec(
            *journeybot(),
            "run",
            *self.args,
            cwd=self.workdir,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=limit_files if limit is not None else None,
        )
        if ready:  # once it registered its commands (post_init ran) and said it runs
            await self.api.wait_until(lambda: bool(self.api.calls_of("setMyCommands")), timeout=60)
            if env["JOURNEYBOT_LOG_LEVEL"].upper() in ("DEBUG", "INFO"):
                await self.wait_for_line("journeybot is running", timeout=60)

    async def kill(self) -> None:
        """SIGKILL: no clean-up, as in a crash or a hard restart."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            await self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""

    async def wait_for_line(self, text: str, timeout: float = 30) -> str:
        """The first log line containing `text`, once it appears."""
        return await self.api.wait_until(
            lambda: next((line for line in self.output().splitlines() if text in line), None),
            timeout,
            f"no log line with {text!r} within {timeout} s:\n{self.output()[-3000:]}",
        )

    async def wait_exit(self, timeout: float = 60) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)


@dataclass
class Person:
    """Someone using the bot in a chat."""

    api: FakeBotApi
    chat: FakeChat
    user: FakeUser
    since: int = 0

    @property
    def group(self) -> bool:
        return self.chat.is_group

    def _mark(self) -> None:
        self.since = self.api.mark()

    def says(self, text: str, reply_to: int | None = None) -> int:
        """Writes a message; its message id."""
        self._mark()
        update = self.api.user_text(self.chat, self.user, text, reply_to=reply_to)
        return update["message"]["message_id"] if update else 0

    def answers(self, text: str) -> int:
        """Types an answer; in a group, as a reply to the bot's latest question."""
        reply_to = self.last_question().message_id if self.group else None
        return self.says(text, reply_to=reply_to)

    async def sees_reaction(self, message_id: int, emoji: str = "👍", timeout: float = 20) -> None:
        """Waits until the bot reacted to that message."""
        await self.api.wait_until(
            lambda: emoji in self.api.reaction_on(self.chat, message_id), timeout=timeout
        )

    def command(self, name: str, args: str = "") -> None:
        self._mark()
        self.api.user_command(self.chat, self.user, name, args)

    async def presses(self, label: str, message_id: int | None = None, timeout: float = 20) -> str:
        """Taps a button, once a message showing it has arrived."""

        def shown() -> bool:
            return any(
                button.get("text") == label
                for message in self.api.messages_in(self.chat)
                if message_id is None or message.message_id == message_id
                for row in (message.inline_keyboard or [])
                for button in row
            )

        await self.api.wait_until(shown, timeout=timeout)
        self._mark()
        return self.api.press_button_text(self.chat, self.user, label, message_id=message_id)

    async def rates(self, persona: str, face: str, message_id: int, timeout: float = 20) -> str:
        """Taps a face in the persona's row of the emotion question (the row under the
        button with the persona's name)."""

        def button() -> dict | None:
            for message in self.api.messages_in(self.chat):
                if message.message_id != message_id:
                    continue
                rows = message.inline_keyboard or []
                for above, row in itertools.pairwise(rows):
                    if any(b.get("text", "").startswith(persona) for b in above):
                        return next((b for b in row if b.get("text") == face), None)
            return None

        await self.api.wait_until(lambda: button() is not None, timeout=timeout)
        self._mark()
        found = button()
        assert found is not None
        return self.api.press_button(self.chat, self.user, message_id, found["callback_data"])

    async def sees(
        self,
        predicate: str | Callable[[SentMessage], bool],
        timeout: float = 20,
        method: str | None = None,
    ) -> SentMessage:
        return await self.api.wait_for(
            predicate, timeout, chat=self.chat, method=method, since=self.since
        )

    def last_question(self) -> SentMessage:
        """The newest bot message in this chat that asks something (buttons or ForceReply)."""
        for sent in reversed(self.api.sent):
            if (
                sent.chat_id == self.chat.id
                and sent.method == "sendMessage"
                and (sent.buttons or (sent.reply_markup or {}).get("force_reply"))
            ):
                return sent
        raise AssertionError("no question was asked in this chat")

    def texts(self) -> list[str]:
        return [s.content for s in self.api.sent if s.chat_id == self.chat.id]


async def settled(api: FakeBotApi, url: str, timeout: float = 30) -> None:
    """Quiet for good: every update applied (the bot confirms an update only once its unit of
    work committed, replies in the outbox) and every reply sent (the outbox has nothing left).
    After this nothing more can reach a chat, so counting what arrived is final; a fixed
    sleep would only guess."""
    await api.wait_delivered(timeout)
    store = Store(url)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while (left := await store.outbox_backlog()) > 0:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{left} post(s) still unsent after {timeout} s")
            await asyncio.sleep(0.1)
    finally:
        await store.close()


async def stored(url: str, read):  # type: ignore[no-untyped-def]
    """What the bot's database holds, read the way the bot reads it."""
    store = Store(url)
    try:
        return await read(store)
    finally:
        await store.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


async def seed_map(url: str, chat_id: str, title: str, lang: str = "id") -> None:
    from tests.scripted import Interviewee

    store = Store(url)
    try:
        await store.upgrade()
        await store.ensure_chat(chat_id, "private", lang)
        journey_map = Interviewee(personas=2, stages=3, lang=lang).run().interview.map
        journey_map.title = title
        await store.finish_map(chat_id, journey_map)
    finally:
        await store.close()


async def open_map(person: Person, kind: str) -> None:
    """/new, pick the kind of map, and wait for the first typed question (the title)."""
    person.command("new")
    await person.sees("What kind of map shall we make?")
    await person.presses(kind)
    await person.sees("What business or product")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may hold spaces and parentheses
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def render_workers(bot: BotProcess) -> list[int]:
    """The bot's render worker processes (children of its multiprocessing fork server)."""
    assert bot.process is not None
    workers = []
    for child in children(bot.process.pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"forkserver" in command:
            workers += children(child)
    return workers
