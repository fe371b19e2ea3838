"""The interview in progress: the map being filled and where the interview stands.

Everything here is plain data that serialises to JSON, so storage can keep an interview and
bring it back after a restart. The order of the questions is derived from `flows.steps`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from flows.model import Author, Item, JourneyMap
from flows.spec import Depth, MapType, derived, ratings_lane
from flows.steps import BEFORE_STAGES, CANCELLED, DONE, Step, step, steps


class Position(BaseModel):
    """One question: a step, and for the stage loop the stage and persona it is about."""

    model_config = ConfigDict(frozen=True)

    state: str
    stage: int | None = None
    persona: int | None = None

    # Compared many times per answer (where a question stands in the order): on the three
    # fields, not pydantic's general field-by-field comparison.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Position):
            return NotImplemented
        return (self.state, self.stage, self.persona) == (other.state, other.stage, other.persona)

    def __hash__(self) -> int:
        return hash((self.state, self.stage, self.persona))

    @property
    def step(self) -> Step:
        return step(self.state)

    def token(self) -> str:
        """A short stable name for the question, e.g. for Telegram callback data."""
        return ":".join(str(p) for p in (self.state, self.stage, self.persona) if p is not None)

    @classmethod
    def from_token(cls, token: str) -> Position:
        state, *rest = token.split(":")
        numbers = [int(x) for x in rest]
        return cls(
            state=state,
            stage=numbers[0] if numbers else None,
            persona=numbers[1] if len(numbers) > 1 else None,
        )


@dataclass(frozen=True)
class Route:
    """Which questions an interview asks beyond the map's type: with business templates
    (`guided`: the kind of business and the depth are asked) and how deep (`quick`)."""

    guided: bool = False
    quick: bool = False


PLAIN = Route()


def positions(journey_map: JourneyMap, route: Route = PLAIN) -> list[Position]:
    """Every question of this map's interview, in order (the stage loop unrolled)."""
    # Asked several times per answer (progress, back, the next question): built once per
    # shape of interview (Positions are frozen), and again when the lanes change.
    shape = (journey_map.map_type, route, len(journey_map.stages))
    built = _orders()
    if shape not in built:
        built[shape] = _positions(*shape)
    return list(built[shape])


@derived
def _orders() -> dict[tuple[MapType | None, Route, int], tuple[Position, ...]]:
    return {}


def _positions(map_type: MapType | None, route: Route, stages: int) -> tuple[Position, ...]:
    out: list[Position] = []
    asked = [s for s in steps() if s.asked(map_type, route.guided, route.quick)]
    stage_steps = [s for s in asked if s.per_stage]
    loop_done = False
    for each in asked:
        if not each.per_stage:
            out.append(Position(state=each.state))
            continue
        if loop_done:
            continue
        loop_done = True
        for stage in range(stages):
            out += [Position(state=lane_step.state, stage=stage) for lane_step in stage_steps]
    return tuple(out)


class Interview(BaseModel):
    map: JourneyMap
    state: str = BEFORE_STAGES[0].state
    stage: int | None = None
    persona: int | None = None
    # Came here from the review screen: go back to it once this question is answered.
    editing: bool = False
    # Came back to an answered list (via back or edit): the first new item replaces the old list.
    revisit: bool = False
    # On the review screen, the stage whose lanes are being offered for editing.
    review_stage: int | None = None
    # Deepening a stage from the review (a quick map's other lanes): the stage whose empty
    # lanes are asked one after another before going back to the review.
    deepen: int | None = None
    # The personas rated (or said to have no part) since the emotion question was asked: in a
    # private chat the interview moves on once each has an answer.
    rated_here: list[int] = []
    # A group's proposals for a one-answer question (who proposed what); the facilitator
    # picks one, or the latest stands when they move on.
    proposals: list[Item] = []
    # An answer over the limit, kept until the person says whether to keep its first part.
    pending: Item | None = None
    # Where `/edit` was typed in the middle of the interview: back there after the edit.
    return_to: Position | None = None
    # The answer of a list whose new text is typed next (picked with ✎ while editing).
    changing: int | None = None
    # `/cancel` was asked to be confirmed by the event before: another /cancel confirms it.
    cancel_asked: bool = False
    group: bool = False
    facilitator: Author | None = None
    # With business templates: the interview asks the kind of business and the depth, and
    # offers the template's stages, personas and suggestions. Interviews saved before the
    # templates have none of these and go on as they were.
    guided: bool = False
    kind: str | None = None  # the template's kind ("bakery"; "other" for something else)
    depth: Depth | None = None

    @model_validator(mode="before")
    @classmethod
    def _forget_ratings_of_removed_personas(cls, data: Any) -> Any:
        """Interviews saved before the engine dropped a removed persona's ratings may still
        hold them; the map would not validate with them, and the interview must go on."""
        journey_map = data.get("map") if isinstance(data, dict) else None
        if isinstance(journey_map, dict):
            known = {
                p.get("name") for p in journey_map.get("personas") or [] if isinstance(p, dict)
            }
            for stage in journey_map.get("stages") or []:
                for key in ("emotions", "absent"):
                    if isinstance(stage, dict) and isinstance(stage.get(key), list):
                        stage[key] = [
                            r
                            for r in stage[key]
                            if not isinstance(r, dict) or r.get("persona") in known
                        ]
        return data

    @model_validator(mode="before")
    @classmethod
    def _one_emotion_question_per_stage(cls, data: Any) -> Any:
        """Interviews saved when emotions were asked persona by persona: the question is now
        the stage's, for all personas at once."""
        if isinstance(data, dict) and data.get("state") == ratings_lane().id:
            data["persona"] = None
        return data

    @property
    def lang(self) -> str:
        return self.map.language

    @property
    def position(self) -> Position:
        return Position(state=self.state, stage=self.stage, persona=self.persona)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, CANCELLED)

    @property
    def tapping(self) -> bool:
        """Lists end with a button (Next) rather than a typed /done: an interview with
        templates, or a saved map reopened with its template's suggestions."""
        return self.guided or self.kind is not None

    @property
    def route(self) -> Route:
        return Route(guided=self.guided, quick=self.depth == Depth.QUICK)

    def positions(self) -> list[Position]:
        return positions(self.map, self.route)

    def neighbour(self, offset: Literal[1, -1]) -> Position | None:
        """The question after (1) or before (-1) the current one, None at either end."""
        order = self.positions()
        try:
            index = order.index(self.position)
        except ValueError:
            return None
        index += offset
        return order[index] if 0 <= index < len(order) else None

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> Interview:
        """An interview as stored. Its answers met the limits when they were given; reading
        them back does not count them again (a fifth of every answer's time), and a limit
        lowered since does not lock an interview in progress out."""
        return cls.model_validate_json(text, context={"limits": None})


@dataclass(frozen=True)
class Event:
    """Something the user did: typed text, pressed a choice, or gave a command.

    `target` names the question the answer was meant for (the message it replies to in a
    group); a late answer to an earlier list question is still kept there."""

    kind: Literal["text", "choice", "command", "unsupported"]
    value: str
    author: Author
    at: datetime | None = None
    target: Position | None = None
    argument: str = ""  # for commands: `/edit stage:2:pains`, `/language pl`
    admin: bool = False  # a group administrator may cancel someone else's interview

    @classmethod
    def text(cls, value: str, author: Author, **kw: object) -> Event:
        return cls("text", value, author, **kw)  # type: ignore[arg-type]

    @classmethod
    def choice(cls, value: str, author: Author, **kw: object) -> Event:
        return cls("choice", value, author, **kw)  # type: ignore[arg-type]

    @classmethod
    def command(cls, name: str, author: Author, argument: str = "", **kw: object) -> Event:
        return cls("command", name, author, argument=argument, **kw)  # type: ignore[arg-type]
