"""The journey map the interview fills: plain typed data that round-trips through JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from statistics import mean

from pydantic import BaseModel, ConfigDict, Field

from flows.spec import DEFAULT_LANGUAGE, LIST_LANES, Lane, MapType


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


class Stage(BaseModel):
    name: str
    author: Author | None = None
    touchpoints: list[Item] = Field(default_factory=list)
    actions: list[Item] = Field(default_factory=list)
    thoughts: list[Item] = Field(default_factory=list)
    pains: list[Item] = Field(default_factory=list)
    opportunities: list[Item] = Field(default_factory=list)
    backstage: list[Item] = Field(default_factory=list)
    owner: Item | None = None
    emotions: list[Rating] = Field(default_factory=list)

    def items(self, lane: Lane) -> list[Item]:
        """The list of a list lane (touchpoints, actions, …)."""
        if lane not in LIST_LANES:
            raise ValueError(f"{lane} is not a list lane")
        return getattr(self, lane.value)

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
        """Record a rating; a person rating the same persona again replaces their own."""
        self.emotions = [
            r
            for r in self.emotions
            if not (r.persona == rating.persona and r.author.id == rating.author.id)
        ]
        self.emotions.append(rating)


class Needs(BaseModel):
    have: list[Item] = Field(default_factory=list)
    need: list[Item] = Field(default_factory=list)


class JourneyMap(BaseModel):
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

    def contributors(self) -> list[Author]:
        """Everyone who wrote something in the map, in order of first appearance."""
        seen: dict[str, Author] = {}
        candidates: list[Author | None] = [self.created_by]
        candidates += [p.author for p in self.personas]
        for stage in self.stages:
            candidates.append(stage.author)
            for lane in LIST_LANES:
                candidates += [i.author for i in stage.items(lane)]
            candidates += [r.author for r in stage.emotions]
            candidates.append(stage.owner.author if stage.owner else None)
        candidates += [i.author for i in self.needs.have + self.needs.need]
        for author in candidates:
            if author is not None and author.id not in seen:
                seen[author.id] = author
        return list(seen.values())

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> JourneyMap:
        return cls.model_validate_json(text)
