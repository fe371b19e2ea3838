"""A business owner answering the interview the way the effort model counts it: reads each
question, taps what the interview offers and types only what is theirs. Used by the effort
benchmark (benchmarks/bench_effort.py) and the tests that hold the interview to its budget.

The owner taps `picks` suggestions on every list question that offers some, types one item of
their own at the first `own_items` stage questions, accepts the default stages and the
template's personas, taps a face for every emotion and finishes at the review. Where nothing
is offered they type: two items, one message each, then /done — today's interview for all."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows import effort
from flows.engine import Outcome, handle, start
from flows.interview import Event, Interview, Position
from flows.model import Author
from flows.questions import Reply
from flows.spec import MapType
from flows.steps import Kind

OWNER = Author(id="1", name="Sari")
OWN_WORDS = {"en": "Our own idea", "id": "Ide kami sendiri", "pl": "Nasz własny pomysł"}


@dataclass
class Effort:
    questions: int = 0
    taps: int = 0
    typed: int = 0
    chars: int = 0

    @property
    def seconds(self) -> int:
        return effort.seconds(self.questions, self.taps, self.typed)

    @property
    def minutes(self) -> float:
        return self.seconds / 60


@dataclass
class Owner:
    lang: str = "en"
    kind: str | None = "bakery"  # None: the interview without templates
    depth: str = "quick"
    map_type: MapType = MapType.CURRENT
    picks: int = 2
    own_items: int = 3
    author: Author = OWNER
    effort: Effort = field(default_factory=Effort)
    _last: Position | None = None
    _done_here: dict[Position, int] = field(default_factory=dict)
    _owned: set[Position] = field(default_factory=set)
    events: int = 0

    def run(self, outcome: Outcome | None = None, limit: int = 2000) -> Interview:
        """Answers until the map is finished; returns the finished interview."""
        if outcome is None:
            outcome = start(self.author, self.lang, template=self.kind is not None)
        iv = outcome.interview
        asked = self._read(outcome)
        while not iv.finished:
            self.events += 1
            assert self.events < limit, f"no end in sight at {iv.position}"
            event = self._answer(iv, asked)
            outcome = handle(iv, event)
            asked = self._read(outcome) or asked
        return iv

    # --- what the owner sees ---------------------------------------------------------------

    def _read(self, outcome: Outcome) -> Reply | None:
        newest = None
        for reply in outcome.replies:
            if reply.position is None:
                continue
            newest = reply
            if not reply.quiet and reply.position != self._last:
                self.effort.questions += 1
                self._last = reply.position
        return newest

    # --- what the owner does ---------------------------------------------------------------

    def _tap(self, value: str) -> Event:
        self.effort.taps += 1
        return Event.choice(value, self.author)

    def _type(self, text: str) -> Event:
        self.effort.typed += 1
        self.effort.chars += len(text)
        return Event.text(text, self.author)

    def _move(self, reply: Reply, name: str) -> Event:
        """Ends a list: a tap where the question offers Next, else a typed command."""
        if "next" in reply.commands:
            self.effort.taps += 1
            return Event.command("next", self.author)
        self.effort.typed += 1
        self.effort.chars += len(name) + 1
        return Event.command(name, self.author)

    def _answer(self, iv: Interview, reply: Reply | None) -> Event:
        assert reply is not None and reply.position is not None
        position = iv.position
        step = position.step
        values = [choice.value for choice in reply.choices]
        if step.kind == Kind.REVIEW:
            return self._tap("finish")
        if position.state == "map_type":
            return self._tap(self.map_type.value)
        if position.state == "business":
            return self._tap(self.kind or "other")
        if position.state == "depth":
            return self._tap(self.depth)
        if step.kind == Kind.EMOTION:  # a face (+1) for each persona in turn
            done = self._done_here.get(position, 0)
            self._done_here[position] = done + 1
            return self._tap(f"{done % max(1, len(iv.map.personas))}:1")
        if step.kind == Kind.TEXT:
            if values:
                return self._tap(values[0])
            return self._type(f"{position.state} of the map" if position.stage is None else "Me")
        if step.kind == Kind.CHOICE:
            return self._tap(values[0])
        return self._list(iv, reply, position, values)

    def _list(self, iv: Interview, reply: Reply, position: Position, values: list[str]) -> Event:
        if "default" in values and not iv.map.stages:
            return self._tap("default")
        done = self._done_here.get(position, 0)
        suggested = [v for v in values if v.startswith("s")]
        if suggested:
            if done < min(self.picks, len(suggested)):
                self._done_here[position] = done + 1
                return self._tap(suggested[done])
            own = position.stage is not None and position not in self._owned
            if own and len(self._owned) < self.own_items:
                self._owned.add(position)
                return self._type(OWN_WORDS.get(iv.lang, OWN_WORDS["en"]))
            return self._move(reply, "done")
        if done < self.picks:
            self._done_here[position] = done + 1
            if position.state == "personas":
                return self._type(f"Persona {done + 1}: a regular customer")
            if position.state == "stages":
                return self._type(f"Stage {done + 1}")
            return self._type(f"item {done + 1} at {position.token()}")
        return self._move(reply, "done")
