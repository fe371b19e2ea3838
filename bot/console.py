"""`journeybot chat`: the whole interview in the terminal, on the same engine as the bot.

Works interactively and from a pipe (one message per line; it ends cleanly at EOF)."""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from flows.engine import Outcome, handle, start
from flows.i18n import domain
from flows.interview import Event, Interview
from flows.model import Author, JourneyMap
from flows.questions import Reply, question
from flows.spec import pick_language
from storage.database import is_sqlite
from storage.repository import Store, Unit

tr = domain(Path(__file__).parent / "locales")
CONSOLE_USER = Author(id="console", name=getpass.getuser())


def parse_command(line: str) -> tuple[str, str] | None:
    """`/edit stage:2` → ('edit', 'stage:2'); None when the line is not a command."""
    if not line.startswith("/"):
        return None
    name, _, argument = line[1:].partition(" ")
    return name.split("@")[0].strip().lower(), argument.strip()


def to_event(line: str, last: Reply | None, author: Author) -> Event:
    """A typed line: a command, a choice (its number or label) or free text."""
    command = parse_command(line)
    if command:
        return Event.command(command[0], author, command[1])
    if last is not None and last.choices:
        stripped = line.strip()
        if last.numbered and stripped.isdigit() and 1 <= int(stripped) <= len(last.choices):
            return Event.choice(last.choices[int(stripped) - 1].value, author)
    return Event.text(line, author)


def slug(text: str) -> str:
    cleaned = re.sub(r"[^\w]+", "-", text.casefold()).strip("-")
    return cleaned[:60] or "journey-map"


def write_map(journey_map: JourneyMap, output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = journey_map.created_at.strftime("%Y%m%d-%H%M%S")
    path = output_dir / f"{slug(journey_map.title)}-{stamp}.json"
    path.write_text(journey_map.to_json(), encoding="utf-8")
    return path


CONSOLE_CHAT = "console"


@dataclass
class Console:
    inp: TextIO
    out: TextIO
    lang: str | None = None
    output_dir: Path = Path(".")
    author: Author = CONSOLE_USER
    # Where the interview is kept between answers (None: only in memory).
    store: Store | None = None
    # Called with the finished map; returns the files it wrote (the renderers plug in here).
    on_finish: list[Callable[[JourneyMap, Path], Iterable[Path]]] = field(default_factory=list)
    last: Reply | None = None

    @property
    def scope(self) -> str:
        return self.author.id

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, outcome: Outcome) -> None:
        lang = outcome.interview.lang
        for reply in outcome.replies:
            if reply.progress is not None:
                self.say(f"\n[{tr.render(reply.progress, lang)}]")
            self.say(tr.render(reply.text, lang))
            for number, choice in enumerate(reply.choices, 1):
                label = tr.render(choice.label, lang)
                self.say(f"  {number}) {label}" if reply.numbered else f"  • {label}")
            if reply.commands:
                listed = " ".join(f"/{c}" for c in reply.commands)
                self.say(tr(lang, "console.commands", commands=listed))
            if reply.position is not None:
                self.last = reply

    async def run(self, new: bool = False) -> Interview:
        """Ask until the interview ends or the input does; returns the interview."""
        interview = await self._begin(new)
        while not interview.finished:
            line = await asyncio.to_thread(self.inp.readline)
            if not line:  # end of input
                key = "console.stopped_saved" if self.store else "console.stopped"
                self.say(tr(interview.lang, key))
                break
            if not line.strip():
                continue
            event = to_event(line.rstrip("\r\n"), self.last, self.author)
            interview, outcome = await self._apply(interview, event)
            self.show(outcome)
            if outcome.finished:
                self._write(interview)
        return interview

    async def _begin(self, new: bool) -> Interview:
        loaded = None
        if self.store is not None:
            language = pick_language(self.lang)
            await self.store.ensure_chat(CONSOLE_CHAT, "console", language)
            loaded = None if new else await self.store.load_interview(CONSOLE_CHAT, self.scope)
        if loaded is not None:
            interview = loaded.interview
            if self.lang:
                interview.map.language = pick_language(self.lang)
            self.say(tr(interview.lang, "console.continuing"))
            self.show(Outcome(interview, [question(interview)]))
            return interview
        outcome = start(self.author, self.lang)
        if self.store is not None:
            await self.store.start_interview(CONSOLE_CHAT, self.scope, outcome.interview)
        self.show(outcome)
        return outcome.interview

    async def _apply(self, interview: Interview, event: Event) -> tuple[Interview, Outcome]:
        """Apply the event to the stored interview; a finished map is saved (and the
        interview ended) in the same transaction, so no crash can lose it."""
        if self.store is None:
            return interview, handle(interview, event)

        async def body(u: Unit) -> tuple[Interview, Outcome] | None:
            loaded = await u.interviews.load(CONSOLE_CHAT, self.scope, cached=True)
            if loaded is None:
                return None
            outcome = handle(loaded.interview, event)
            if outcome.finished:
                number = await u.interviews.map_number(loaded)
                await u.maps.save(CONSOLE_CHAT, loaded.interview.map, number)
            if outcome.finished or outcome.cancelled:
                await u.interviews.discard(CONSOLE_CHAT, self.scope)
            else:
                await u.interviews.save(CONSOLE_CHAT, self.scope, loaded, loaded.interview)
            return loaded.interview, outcome

        applied = await self.store.run(body)
        if applied is None:  # the stored interview vanished (another terminal finished it)
            return interview, handle(interview, event)
        return applied

    def _write(self, interview: Interview) -> None:
        journey_map = interview.map
        path = write_map(journey_map, self.output_dir)
        self.say(tr(journey_map.language, "console.saved_json", path=path))
        for hook in self.on_finish:
            for written in hook(journey_map, self.output_dir):
                self.say(tr(journey_map.language, "console.saved_image", path=written))


async def open_store(url: str | None = None) -> Store:
    """The configured store; the default SQLite file is brought up to date on the way."""
    store = Store(url)
    if is_sqlite(store.url):
        await store.upgrade()
    return store


def write_image(journey_map: JourneyMap, output_dir: Path) -> list[Path]:
    """The finished map drawn as a PNG next to its JSON."""
    from renderers.export import export_map

    stamp = journey_map.created_at.strftime("%Y%m%d-%H%M%S")
    path = output_dir / f"{slug(journey_map.title)}-{stamp}.png"
    path.write_bytes(export_map(journey_map, "png"))
    return [path]


async def chat(
    lang: str | None,
    output_dir: Path,
    new: bool = False,
    name: str | None = None,
    url: str | None = None,
) -> int:
    author = Author(id=CONSOLE_USER.id, name=name.strip()) if name and name.strip() else None
    store = await open_store(url)
    try:
        console = Console(
            sys.stdin,
            sys.stdout,
            lang=lang,
            output_dir=output_dir,
            store=store,
            author=author or CONSOLE_USER,
            on_finish=[write_image],
        )
        await console.run(new=new)
    finally:
        await store.close()
    return 0
