"""`journeybot chat`: the whole interview in the terminal, on the same engine as the bot.

Works interactively and from a pipe (one message per line; it ends cleanly at EOF)."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from flows.engine import Outcome, handle, start
from flows.i18n import Join, Text, domain
from flows.interview import Event, Interview
from flows.model import Author, JourneyMap
from flows.questions import NEXT, Reply, question, rating_label
from flows.spec import EMOTION_SCORES, pick_language
from flows.steps import Kind
from storage.database import is_sqlite
from storage.repository import Store, Unit

tr = domain(Path(__file__).parent / "locales")
# The person at the terminal; their name is asked once (or given with --name) and then read
# back from their last map or interview. Unknown (a script from a pipe): no name at all, never
# the system's login ("root").
CONSOLE_USER = Author(id="console", name="")
# Messages worded for buttons, and their terminal wording (`console.alt.<key>`).
TERMINAL_WORDING = ("error.unknown_choice",)


def terminal_text(text: object) -> object:
    """A message as the terminal says it: the keys that speak of buttons swapped for their
    terminal wording."""
    if isinstance(text, Text):
        key = f"console.alt.{text.key}" if text.key in TERMINAL_WORDING else text.key
        return Text(key, {k: terminal_text(v) for k, v in text.params.items()})
    if isinstance(text, Join):
        return Join(tuple(terminal_text(item) for item in text.items), text.sep)
    return text


def faces_legend(lang: str) -> str:
    """The faces one can type, in one line (the terminal's stand-in for the face buttons)."""
    labels = [tr.render(rating_label(score), lang) for score in (*EMOTION_SCORES, None)]
    return tr(lang, "console.faces", faces=" · ".join(labels))


def parse_command(line: str) -> tuple[str, str] | None:
    """`/edit stage:2` → ('edit', 'stage:2'); None when the line is not a command."""
    if not line.startswith("/"):
        return None
    name, _, argument = line[1:].partition(" ")
    return name.split("@")[0].strip().lower(), argument.strip()


def to_event(line: str, last: Reply | None, author: Author) -> Event:
    """A typed line: a command, a choice (its number or label) or free text."""
    return to_events(line, last, author)[0]


def to_events(line: str, last: Reply | None, author: Author) -> list[Event]:
    """A typed line as what it does: a command, a choice (its number or label), several
    suggestions picked at once ("1 3 4"), or free text. An empty line goes on where the
    question offers that (a list of suggestions), and does nothing elsewhere."""
    command = parse_command(line)
    if command:
        return [Event.command(command[0], author, command[1])]
    stripped = line.strip()
    if not stripped:
        goes_on = last is not None and NEXT in last.commands
        return [Event.command(NEXT, author)] if goes_on else []
    if last is not None and last.choices and last.numbered:
        numbers = stripped.replace(",", " ").split()
        count = len(last.choices)
        chosen = [int(n) for n in numbers if re.fullmatch(r"[0-9]{1,3}", n)]
        several = len(numbers) == 1 or last.toggles
        if several and len(chosen) == len(numbers) and all(1 <= n <= count for n in chosen):
            return [Event.choice(last.choices[n - 1].value, author) for n in chosen]
    return [Event.text(line, author)]


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
    # Business templates: the kind of business is asked and its suggestions offered by
    # number. Off (`--no-template`): the questions in the order answer files expect.
    template: bool = True

    @property
    def scope(self) -> str:
        return self.author.id

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, outcome: Outcome, quiet: bool = False) -> None:
        """Print the replies (`quiet`: not the question shown again after a pick, when more
        picks of the same line follow)."""
        lang = outcome.interview.lang
        for reply in outcome.replies:
            if quiet and reply.refresh:
                self.last = reply
                continue
            if reply.progress is not None:
                self.say(f"\n[{tr.render(reply.progress, lang)}]")
            self.say(tr.render(terminal_text(reply.text), lang))  # type: ignore[arg-type]
            rating = reply.position is not None and reply.position.step.kind == Kind.EMOTION
            if rating and reply.choices:  # the faces to type, not a button per persona
                self.say(faces_legend(lang))
            else:
                self._choices(reply, lang)
            if reply.toggles:
                self.say(tr(lang, "console.toggle_hint"))
            if reply.commands:
                listed = " ".join(f"/{c}" for c in reply.commands)
                self.say(tr(lang, "console.commands", commands=listed))
            if reply.position is not None:
                self.last = reply

    def _choices(self, reply: Reply, lang: str) -> None:
        """The choices by number; choices that share a row of buttons share a line."""
        labels = [
            f"{number}) {tr.render(choice.label, lang)}"
            if reply.numbered
            else f"• {tr.render(choice.label, lang)}"
            for number, choice in enumerate(reply.choices, 1)
        ]
        rows = reply.rows or (1,) * len(labels)
        at = 0
        for size in rows:
            if labels[at : at + size]:
                self.say("  " + "   ".join(labels[at : at + size]))
            at += size
        for label in labels[at:]:
            self.say(f"  {label}")

    async def run(self, new: bool = False) -> Interview:
        """Ask until the interview ends or the input does; returns the interview."""
        interview = await self._begin(new)
        lines = _Lines(self.inp)
        while not interview.finished:
            line = await lines.next()
            if not line:  # end of input
                key = "console.stopped_saved" if self.store else "console.stopped"
                self.say(tr(interview.lang, key))
                break
            events = to_events(line.rstrip("\r\n"), self.last, self.author)
            for number, event in enumerate(events, 1):
                interview, outcome = await self._apply(interview, event)
                self.show(outcome, quiet=number < len(events))
                if outcome.finished:
                    self._write(interview)
                if interview.finished:
                    break
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
        outcome = start(self.author, self.lang, template=self.template)
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
        self.say("")
        self.say(checklist_text(journey_map))


def checklist_text(journey_map: JourneyMap) -> str:
    """The findings and the analysis checklist, as Telegram sends them after the map."""
    from renderers.checklist import checklist_blocks

    blocks = checklist_blocks(journey_map, journey_map.language)
    return "\n\n".join(block.text() for block in blocks)


class _Lines:
    """Lines of the input, read by a daemon thread: Ctrl-C never waits for a blocked read
    (the interpreter does not wait for a daemon thread on its way out)."""

    def __init__(self, inp: TextIO) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.inp = inp
        threading.Thread(target=self._read, name="console-input", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                line = self.inp.readline()
            except (OSError, ValueError):  # closed under us
                line = ""
            try:
                self.loop.call_soon_threadsafe(self.queue.put_nowait, line)
            except RuntimeError:  # the loop is closed: the console finished, nobody reads on
                return
            if not line:
                return

    async def next(self) -> str:
        return await self.queue.get()


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


async def known_name(store: Store) -> str | None:
    """The name the terminal's person gave before: of their interview in progress, else of
    their newest map (None: never asked)."""
    loaded = await store.load_interview(CONSOLE_CHAT, CONSOLE_USER.id)
    if loaded is not None and loaded.interview.facilitator is not None:
        return loaded.interview.facilitator.name
    listing = await store.list_maps(CONSOLE_CHAT, page=1, per_page=20)
    mine = [m for m in listing.maps if m.created_by_id == CONSOLE_USER.id]
    if mine:
        return max(mine, key=lambda m: m.updated_at).created_by
    return None


def ask_name(inp: TextIO, out: TextIO, lang: str | None) -> str:
    """Asked once, at a terminal: the name the map credits (empty: none)."""
    print(tr(pick_language(lang), "console.ask_name"), end="", file=out, flush=True)
    return inp.readline().strip()[:64]


async def chat(
    lang: str | None,
    output_dir: Path,
    new: bool = False,
    name: str | None = None,
    url: str | None = None,
    template: bool = True,
) -> int:
    store = await open_store(url)
    try:
        if name is None or not name.strip():
            name = await known_name(store)
        if name is None and sys.stdin.isatty():
            name = ask_name(sys.stdin, sys.stdout, lang)
        author = Author(id=CONSOLE_USER.id, name=(name or "").strip())
        console = Console(
            sys.stdin,
            sys.stdout,
            lang=lang,
            output_dir=output_dir,
            store=store,
            author=author,
            on_finish=[write_image],
            template=template,
        )
        await console.run(new=new)
    finally:
        await store.close()
    return 0
