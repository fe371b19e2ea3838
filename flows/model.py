"""The journey map the interview fills: plain typed data that round-trips through JSON.

Validated on every way in — a JSON file (`journeybot render`, an import), a stored map or
interview, a map built in code, an assignment (`/rename`): scores within the emotion scale,
ratings only for the map's own personas (named once each), and the interview's limits
(`flows.spec.LIMITS`: stages, personas, items per lane, characters per answer). Each problem is
reported at its place in the map (`stages[2].emotions[0].score: 7 is outside −2..+2`).

The limits can be lifted for a map made in code on purpose beyond them (the renderers' tests
and benchmarks): `JourneyMap.model_validate(fields, context={"limits": None})`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from statistics import mean
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from flows import spec
from flows.spec import (
    DEFAULT_LANGUAGE,
    EMOTION_MAX,
    EMOTION_MIN,
    LIMITS,
    LaneSpec,
    Limits,
    MapType,
    Shape,
)

# A problem found in a whole map: where (a pydantic location) and what, already worded.
Problem = tuple[tuple[str | int, ...], str, Any]


def scale_text() -> str:
    """−2..+2, with true minus signs."""

    def signed(n: int) -> str:
        return f"+{n}" if n > 0 else f"−{-n}" if n < 0 else "0"

    return f"{signed(EMOTION_MIN)}..{signed(EMOTION_MAX)}"


class Author(BaseModel):
    """Who wrote an answer: a Telegram user, or the person at the console."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str


class Item(BaseModel):
    """One answer in a lane: its text, who wrote it and when."""

    text: str
    author: Author
    at: datetime | None = None


class Persona(BaseModel):
    name: str
    description: str = ""
    author: Author
    at: datetime | None = None


class Rating(BaseModel):
    """One person's emotion score for one persona at one stage."""

    persona: str  # the persona's name; names are unique within a map
    score: int
    word: str = ""
    author: Author
    at: datetime | None = None

    @field_validator("score")
    @classmethod
    def _on_the_scale(cls, score: int) -> int:
        if not EMOTION_MIN <= score <= EMOTION_MAX:
            raise PydanticCustomError(
                "score_range", "{score} is outside {scale}", {"score": score, "scale": scale_text()}
            )
        return score


class Absence(BaseModel):
    """One person's answer that a persona has no part in a stage: the map draws no point for
    the persona there (unless someone else rated it)."""

    persona: str
    author: Author
    at: datetime | None = None


class Stage(BaseModel):
    """One column of the map. Each lane's answers are kept under the lane's id and read and
    written through its declaration (`flows.spec.LaneSpec`): `items`, `answer`, `put`,
    `texts`, `filled`. In JSON every lane is a field of the stage, as it always was
    (`"pains": [...]`, `"owner": {...}` or null); the ratings lane is `emotions`."""

    name: str
    author: Author | None = None
    lanes: dict[str, list[Item]] = Field(default_factory=dict)
    emotions: list[Rating] = Field(default_factory=list)
    # A moment of truth: a stage where the customer decides whether to stay (flagged on the
    # review screen; the map draws it, the analysis weighs its pain points higher). In JSON
    # only when set, so maps without one read and write as they always did.
    moment_of_truth: bool = False
    absent: list[Absence] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _gather_lanes(cls, data: Any) -> Any:
        """The lanes' fields (`"pains": [...]`, `"owner": {...}`) into `lanes`, by lane id;
        a declared lane that is not there yet is empty."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        given = dict(data.pop("lanes", None) or {})
        gathered: dict[str, Any] = {}
        for declared in spec.lanes():
            if declared.shape == Shape.RATINGS:
                continue
            value = data.pop(declared.field, None)
            if value is None:
                value = given.pop(declared.id, [])
            elif declared.shape == Shape.SINGLE:
                value = [value]
            gathered[declared.id] = value
        data["lanes"] = gathered | given
        return data

    @model_serializer(mode="wrap")
    def _lanes_as_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if not data.get("moment_of_truth"):
            data.pop("moment_of_truth", None)
        held: dict[str, Any] = dict(data.pop("lanes", None) or {})
        emotions = data.pop("emotions", [])
        for declared in spec.lanes():
            if declared.shape == Shape.RATINGS:
                data[declared.field] = emotions
                continue
            items = held.pop(declared.id, [])
            if declared.shape == Shape.SINGLE:
                data[declared.field] = items[0] if items else None
            else:
                data[declared.field] = items
        data.setdefault("emotions", emotions)
        if not data.get("absent"):  # kept out of the JSON of maps that never used it
            data.pop("absent", None)
        return data | held  # a lane no longer declared keeps its items

    def items(self, lane: LaneSpec | str) -> list[Item]:
        """What a list or one-answer lane holds here (a one-answer lane: its answer or nothing),
        in order. A list lane's list is the stage's own: adding to it adds to the lane."""
        declared = spec.lane(lane)
        if declared.shape == Shape.RATINGS:
            raise ValueError(f"{declared.id} holds ratings, not items")
        return self.lanes.setdefault(declared.id, [])

    def answer(self, lane: LaneSpec | str) -> Item | None:
        """A one-answer lane's answer (the first item of any other lane)."""
        items = self.items(lane)
        return items[0] if items else None

    def put(self, lane: LaneSpec | str, items: list[Item]) -> None:
        """Replace what a lane holds here."""
        declared = spec.lane(lane)
        if declared.shape == Shape.SINGLE and len(items) > 1:
            raise ValueError(f"{declared.id} holds one answer")
        self.items(declared)[:] = items

    def texts(self, lane: LaneSpec | str) -> list[str]:
        """The lane's answers as text, blanks left out (the ratings lane has none)."""
        declared = spec.lane(lane)
        if declared.shape == Shape.RATINGS:
            return []
        return [item.text.strip() for item in self.items(declared) if item.text.strip()]

    def filled(self, lane: LaneSpec | str) -> bool:
        """Whether the lane holds something here."""
        declared = spec.lane(lane)
        if declared.shape == Shape.RATINGS:
            return bool(self.emotions)
        return bool(self.texts(declared))

    def authors(self) -> list[Author]:
        """Who wrote something at this stage, lane by lane (repeats included)."""
        found = [self.author] if self.author else []
        for declared in spec.lanes():
            if declared.shape == Shape.RATINGS:
                found += [r.author for r in self.emotions] + [a.author for a in self.absent]
            else:
                found += [item.author for item in self.items(declared)]
        return found

    def ratings_for(self, persona: str) -> list[Rating]:
        return [r for r in self.emotions if r.persona == persona]

    def emotion_of(self, persona: str) -> float | None:
        """The persona's score here: the mean of everyone's ratings, None when unrated."""
        scores = [r.score for r in self.ratings_for(persona)]
        return mean(scores) if scores else None

    def emotion_spread(self, persona: str) -> tuple[int, int] | None:
        """Lowest and highest rating given for the persona here (a group's disagreement)."""
        scores = [r.score for r in self.ratings_for(persona)]
        return (min(scores), max(scores)) if scores else None

    def words_for(self, persona: str) -> list[str]:
        return [r.word for r in self.ratings_for(persona) if r.word]

    def rate(self, rating: Rating) -> None:
        """Record a rating; a person rating the same persona again replaces their own (and
        their "no part here")."""
        self._forget(rating.persona, rating.author)
        self.emotions.append(rating)

    def mark_absent(self, absence: Absence) -> None:
        """A person says the persona has no part here (replacing their own rating of it)."""
        self._forget(absence.persona, absence.author)
        self.absent.append(absence)

    def absent_for(self, persona: str) -> list[Absence]:
        return [a for a in self.absent if a.persona == persona]

    def answered_by(self, persona: str, author: Author) -> bool:
        """Whether the person rated the persona here, or said it has no part here."""
        return any(r.author.id == author.id for r in self.ratings_for(persona)) or any(
            a.author.id == author.id for a in self.absent_for(persona)
        )

    def _forget(self, persona: str, author: Author) -> None:
        def other(entry: Rating | Absence) -> bool:
            return not (entry.persona == persona and entry.author.id == author.id)

        self.emotions = [r for r in self.emotions if other(r)]
        self.absent = [a for a in self.absent if other(a)]


class Needs(BaseModel):
    have: list[Item] = Field(default_factory=list)
    need: list[Item] = Field(default_factory=list)


class JourneyMap(BaseModel):
    # An assignment is checked like the rest (`/rename` with a title past the limit raises).
    model_config = ConfigDict(validate_assignment=True)

    map_type: MapType | None = None
    title: str = ""
    goal: str = ""
    language: str = DEFAULT_LANGUAGE
    personas: list[Persona] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)
    needs: Needs = Field(default_factory=Needs)
    created_by: Author | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def persona_names(self) -> list[str]:
        return [p.name for p in self.personas]

    def drop_unknown_ratings(self) -> None:
        """Forget the ratings of personas that are no longer on the map (after an edit)."""
        known = set(self.persona_names())
        for stage in self.stages:
            stage.emotions = [r for r in stage.emotions if r.persona in known]
            stage.absent = [a for a in stage.absent if a.persona in known]

    def contributors(self) -> list[Author]:
        """Everyone who wrote something in the map, in order of first appearance."""
        seen: dict[str, Author] = {}
        candidates: list[Author | None] = [self.created_by]
        candidates += [p.author for p in self.personas]
        for stage in self.stages:
            candidates += stage.authors()
        candidates += [i.author for i in self.needs.have + self.needs.need]
        for author in candidates:  # (someone whose name is unknown is not listed)
            if author is not None and author.name and author.id not in seen:
                seen[author.id] = author
        return list(seen.values())

    def __setattr__(self, name: str, value: Any) -> None:
        """A rejected assignment leaves the map as it was."""
        before = self.__dict__.get(name)
        try:
            super().__setattr__(name, value)
        except ValidationError:
            if name in self.__dict__:
                self.__dict__[name] = before
            raise

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes, *, limits: Limits | None = LIMITS) -> JourneyMap:
        """A map from its JSON, validated (see the module's docstring); `limits=None` reads a
        map made beyond the interview's limits on purpose."""
        return cls.model_validate_json(text, context={"limits": limits})

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> JourneyMap:
        context = info.context if isinstance(info.context, dict) else {}
        limits = context.get("limits", LIMITS)
        problems = list(self._persona_problems())
        if limits is not None:
            problems += self._limit_problems(limits)
        if problems:
            details = [
                InitErrorDetails(
                    type=PydanticCustomError("journey_map", message), loc=loc, input=value
                )
                for loc, message, value in problems
            ]
            raise ValidationError.from_exception_data(type(self).__name__, details)
        return self

    def _persona_problems(self) -> Iterator[Problem]:
        names = self.persona_names()
        seen: set[str] = set()
        for i, persona in enumerate(self.personas):
            key = persona.name.casefold()
            if key in seen:
                yield ("personas", i, "name"), f"{persona.name!r} is named twice", persona.name
            seen.add(key)
        known = set(names)
        listed = ", ".join(names) or "none"
        for i, stage in enumerate(self.stages):
            for j, rating in enumerate(stage.emotions):
                if rating.persona not in known:
                    yield (
                        ("stages", i, "emotions", j, "persona"),
                        f"{rating.persona!r} is not one of the map's personas ({listed})",
                        rating.persona,
                    )

    def _limit_problems(self, limits: Limits) -> Iterator[Problem]:
        def count(loc: tuple, things: list, limit: int, what: str) -> Iterator[Problem]:
            if len(things) > limit:
                yield loc, f"{len(things)} {what}, at most {limit}", len(things)

        def chars(loc: tuple, text: str, limit: int) -> Iterator[Problem]:
            if len(text) > limit:
                yield loc, f"{len(text)} characters, at most {limit}", text[:40] + "…"

        yield from chars(("title",), self.title, limits.title_chars)
        yield from chars(("goal",), self.goal, limits.item_chars)
        yield from count(("personas",), self.personas, limits.max_personas, "personas")
        for i, persona in enumerate(self.personas):
            yield from chars(("personas", i, "name"), persona.name, limits.item_chars)
            yield from chars(("personas", i, "description"), persona.description, limits.item_chars)
        yield from count(("stages",), self.stages, limits.max_stages, "stages")
        for i, stage in enumerate(self.stages):
            yield from chars(("stages", i, "name"), stage.name, limits.title_chars)
            for declared in spec.lanes():
                if declared.shape == Shape.RATINGS:
                    continue
                items = stage.items(declared)
                where: tuple[str | int, ...] = ("stages", i, declared.field)
                if declared.shape == Shape.LIST:
                    yield from count(where, items, declared.item_limit(limits), "items")
                listed = declared.shape == Shape.LIST
                for k, item in enumerate(items):
                    place = (*where, k, "text") if listed else (*where, "text")
                    yield from chars(place, item.text, declared.char_limit(limits))
            for j, rating in enumerate(stage.emotions):
                yield from chars(
                    ("stages", i, "emotions", j, "word"), rating.word, limits.item_chars
                )
        for key in ("have", "need"):
            items = getattr(self.needs, key)
            yield from count(("needs", key), items, limits.items_per_needs, "items")
            for k, item in enumerate(items):
                yield from chars(("needs", key, k, "text"), item.text, limits.item_chars)


def problem_path(loc: tuple[str | int, ...]) -> str:
    """`("stages", 2, "emotions", 0, "score")` → `stages[2].emotions[0].score`."""
    out = ""
    parts = list(loc)
    for index, part in enumerate(parts):
        if part == "lanes" and index + 1 < len(parts) and isinstance(parts[index + 1], str):
            continue  # a stage's lanes are its fields in JSON: `stages[0].pains`
        if index and parts[index - 1] == "lanes" and isinstance(part, str):
            part = spec.lane(part).field if part in {d.id for d in spec.lanes()} else part
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(error: ValidationError) -> str:
    """A validation error in one line: the first problem's place and reason, and how many more
    there are."""
    problems = error.errors(include_url=False)
    if not problems:
        return str(error).splitlines()[0]
    first = problems[0]
    where = problem_path(tuple(first["loc"]))
    line = f"{where}: {first['msg']}" if where else first["msg"]
    if len(problems) > 1:
        line += f" (and {len(problems) - 1} more)"
    return line
