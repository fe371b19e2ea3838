"""`journeybot chat`: the whole interview in the terminal, on the same engine as the bot.

Works interactively and from a pipe (one message per line; it ends cleanly at EOF)."""

from __future__ import annotations

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
from flows.questions import Reply

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


@dataclass
class Console:
    inp: TextIO
    out: TextIO
    lang: str | None = None
    output_dir: Path = Path(".")
    author: Author = CONSOLE_USER
    # Called after every event with the interview, so a store can keep it (None: nowhere).
    save: Callable[[Interview], None] | None = None
    # Called with the finished map; returns the files it wrote (renderers plug in here).
    on_finish: list[Callable[[JourneyMap, Path], Iterable[Path]]] = field(default_factory=list)
    last: Reply | None = None

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

    def run(self, interview: Interview | None = None) -> Interview:
        """Ask until the interview ends or the input does; returns the interview."""
        if interview is None:
            outcome = start(self.author, self.lang)
        else:
            from flows.questions import question

            outcome = Outcome(interview, [question(interview)], changed=False)
        self.show(outcome)
        interview = outcome.interview
        self._saved(interview)
        for raw in self.inp:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            outcome = handle(interview, to_event(line, self.last, self.author))
            self.show(outcome)
            self._saved(interview)
            if outcome.finished:
                self._finish(interview.map)
                break
            if outcome.cancelled:
                break
        else:
            self.say(
                tr(interview.lang, "console.stopped_saved" if self.save else "console.stopped")
            )
        return interview

    def _saved(self, interview: Interview) -> None:
        if self.save is not None:
            self.save(interview)

    def _finish(self, journey_map: JourneyMap) -> None:
        path = write_map(journey_map, self.output_dir)
        self.say(tr(journey_map.language, "console.saved_json", path=path))
        for hook in self.on_finish:
            for written in hook(journey_map, self.output_dir):
                self.say(tr(journey_map.language, "console.saved_image", path=written))


def chat(lang: str | None, output_dir: Path) -> int:
    Console(sys.stdin, sys.stdout, lang=lang, output_dir=output_dir).run()
    return 0
