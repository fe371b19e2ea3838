"""Where each question's answer lives in the map: one target per step, and the only code that
reads or writes the map for the interview. The engine writes through it, and the question,
back, edit and the review read what was answered through it, whatever the step is.

A target for a stage's lane is made from the lane's declaration (`flows.spec.LaneSpec`), so
a declared lane is asked, kept and shown again without code of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flows import answers
from flows.answers import Invalid
from flows.model import Author, Item, JourneyMap, Persona, Stage
from flows.spec import FACES, NOT_PART_MARK, LaneSpec, MapType, Shape


class Where(Protocol):
    """The question a target is asked about: a position's stage and persona."""

    @property
    def stage(self) -> int | None: ...

    @property
    def persona(self) -> int | None: ...


class Target:
    """Reads what was answered at a question, one line per item (for back, edit, review)."""

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        raise NotImplementedError


class TextTarget(Target):
    """One answer: typing it again replaces it."""

    def write(self, jm: JourneyMap, where: Where, item: Item) -> None:
        raise NotImplementedError


class ListTarget(Target):
    """Several answers, one per line; each message adds to them."""

    def entries(self, jm: JourneyMap, where: Where) -> list:
        """The list itself (the engine adds to it, or replaces it on a revisit)."""
        raise NotImplementedError

    def make(
        self, jm: JourneyMap, lines: list[str], author: Author, at: datetime | None, replacing: bool
    ) -> list:
        """New entries from typed lines (raises Invalid for a line it cannot take)."""
        return [Item(text=line, author=author, at=at) for line in lines]

    def changed(self, jm: JourneyMap) -> None:
        """After the list changed: keep the rest of the map consistent with it."""

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        return [f"• {item.text}" for item in self.entries(jm, where)]


@dataclass(frozen=True)
class MapTypeChoice(Target):
    def write(self, jm: JourneyMap, value: str) -> None:
        jm.map_type = MapType(value)

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        return []


@dataclass(frozen=True)
class Setting(Target):
    """A choice about the interview itself, kept with the interview rather than on the map:
    the kind of business (its template) and the depth."""

    field: str

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        return []


@dataclass(frozen=True)
class MapText(TextTarget):
    """A one-answer field of the map itself (title, goal)."""

    field: str

    def write(self, jm: JourneyMap, where: Where, item: Item) -> None:
        setattr(jm, self.field, item.text)

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        value = getattr(jm, self.field)
        return [value] if value else []


@dataclass(frozen=True)
class Personas(ListTarget):
    def entries(self, jm: JourneyMap, where: Where) -> list:
        return jm.personas

    def make(
        self, jm: JourneyMap, lines: list[str], author: Author, at: datetime | None, replacing: bool
    ) -> list:
        taken = set() if replacing else {n.casefold() for n in jm.persona_names()}
        out = []
        for line in lines:
            name, description = answers.parse_persona(line)
            if name.casefold() in taken:
                raise Invalid("error.duplicate", name=name)
            taken.add(name.casefold())
            out.append(Persona(name=name, description=description, author=author, at=at))
        return out

    def changed(self, jm: JourneyMap) -> None:
        jm.drop_unknown_ratings()  # a persona taken off the list takes its ratings along

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        return [
            f"• {p.name}: {p.description}" if p.description else f"• {p.name}" for p in jm.personas
        ]


@dataclass(frozen=True)
class Stages(ListTarget):
    def entries(self, jm: JourneyMap, where: Where) -> list:
        return jm.stages

    def make(
        self, jm: JourneyMap, lines: list[str], author: Author, at: datetime | None, replacing: bool
    ) -> list:
        """New stages; when the list is being replaced, a stage that keeps its name keeps its
        answers."""
        kept = {s.name.casefold(): s for s in jm.stages} if replacing else {}
        taken = set() if replacing else {s.name.casefold() for s in jm.stages}
        out = []
        for line in lines:
            if line.casefold() in taken:
                raise Invalid("error.duplicate", name=line)
            taken.add(line.casefold())
            out.append(kept.get(line.casefold()) or Stage(name=line, author=author))
        return out

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        return [f"{i}. {s.name}" for i, s in enumerate(jm.stages, 1)]


@dataclass(frozen=True)
class Needs(ListTarget):
    """What the business has (`have`) or would need (`need`)."""

    field: str

    def entries(self, jm: JourneyMap, where: Where) -> list:
        return getattr(jm.needs, self.field)


def _stage(jm: JourneyMap, where: Where) -> Stage:
    if where.stage is None:
        raise ValueError("a stage's lane is asked about a stage")
    return jm.stages[where.stage]


@dataclass(frozen=True)
class LaneItems(ListTarget):
    """A list lane of a stage."""

    lane: LaneSpec

    def entries(self, jm: JourneyMap, where: Where) -> list:
        return _stage(jm, where).items(self.lane)


@dataclass(frozen=True)
class LaneAnswer(TextTarget):
    """A one-answer lane of a stage."""

    lane: LaneSpec

    def write(self, jm: JourneyMap, where: Where, item: Item) -> None:
        _stage(jm, where).put(self.lane, [item])

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        answer = _stage(jm, where).answer(self.lane)
        return [answer.text] if answer else []


@dataclass(frozen=True)
class LaneRatings(Target):
    """The emotion scores of a stage: one question for all its personas."""

    lane: LaneSpec

    def answered(self, jm: JourneyMap, where: Where) -> list[str]:
        """A line per persona: everyone's faces and words, or who said it has no part here."""
        stage = _stage(jm, where)
        if not stage.emotions and not stage.absent:
            return []
        lines = []
        for persona in jm.persona_names():
            given = [
                f"{FACES[r.score]} {signed(r.score)} {r.word}".strip() + f" ({r.author.name})"
                for r in stage.ratings_for(persona)
            ]
            given += [f"{NOT_PART_MARK} ({a.author.name})" for a in stage.absent_for(persona)]
            lines.append(f"{persona}: {', '.join(given) or '—'}")
        return lines


def for_lane(lane: LaneSpec) -> Target:
    if lane.shape == Shape.RATINGS:
        return LaneRatings(lane)
    if lane.shape == Shape.SINGLE:
        return LaneAnswer(lane)
    return LaneItems(lane)


def signed(score: float) -> str:
    """+1, 0, −1.5: how scores are written in summaries."""
    if score == 0:
        return "0"
    return f"{score:+.0f}" if float(score).is_integer() else f"{score:+.1f}"
