"""A scripted interviewee: answers whatever the engine asks, so tests and benchmarks can run
whole interviews of any shape. Answers rotate between the given authors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from flows.engine import Outcome, handle, start
from flows.interview import Event, Interview
from flows.model import Author
from flows.spec import MapType
from flows.steps import Kind, step

ANIA = Author(id="101", name="Ania")
BUDI = Author(id="102", name="Budi")
CITRA = Author(id="103", name="Citra")


class Interviewee:
    def __init__(
        self,
        map_type: MapType = MapType.CURRENT,
        personas: int = 2,
        stages: int | None = 5,
        authors: tuple[Author, ...] = (ANIA,),
        lang: str = "en",
    ) -> None:
        self.map_type, self.personas, self.stages, self.lang = map_type, personas, stages, lang
        self.authors = authors
        self._turn: Iterator[Author] = itertools.cycle(authors)
        self.events = 0

    def answer(self, iv: Interview) -> Event:
        """The next event for the question the interview is at."""
        author = next(self._turn)
        pos, jm = iv.position, iv.map
        asked = step(pos.state)
        where = f"{pos.state} {pos.stage}"
        if asked.kind == Kind.REVIEW:
            return Event.choice("finish", author)
        if pos.state == "map_type":
            return Event.choice(self.map_type.value, author)
        if pos.state in ("title", "goal"):
            return Event.text(f"{pos.state} by {author.name}", author)
        if pos.state == "personas":
            if jm.personas:
                return Event.command("done", author)
            lines = [f"Persona{i}: who they are {i}" for i in range(1, self.personas + 1)]
            return Event.text("\n".join(lines), author)
        if pos.state == "stages":
            if self.stages is None:
                return Event.choice("default", author)
            if jm.stages:
                return Event.command("done", author)
            return Event.text("\n".join(f"Stage {i}" for i in range(1, self.stages + 1)), author)
        if asked.kind == Kind.EMOTION:  # the personas in turn, a face each
            stage = jm.stages[pos.stage or 0]
            persona = next(
                (i for i in range(len(jm.personas)) if i not in iv.rated_here),
                len(jm.personas) - 1,
            )
            if iv.group and all(stage.ratings_for(p.name) for p in jm.personas):
                return Event.command("done", author)
            score = ((pos.stage or 0) + persona) % 5 - 2
            return Event.choice(f"{persona}:{score}", author)
        if asked.kind == Kind.TEXT:
            return Event.text(f"{where} owner by {author.name}", author)
        answered = len(_items_at(iv))
        if answered >= 2:
            return Event.command("done", author)
        return Event.text(f"{where} item {answered + 1} by {author.name}", author)

    def run(self, until_state: str | None = None) -> Outcome:
        outcome = start(self.authors[0], self.lang)
        iv = outcome.interview
        while not iv.finished and iv.state != until_state:
            outcome = handle(iv, self.answer(iv))
            self.events += 1
        return outcome


def _items_at(iv: Interview) -> list:
    from flows.questions import current_items

    return current_items(iv, iv.position)
