"""The interview, declared as data: one `Step` per question.

The `transitions` machine in `flows.machine` is built from this declaration, and so are the
progress line, the review screen and the order of the questions. The map-level questions are
listed here; the stage loop asks one question per declared lane (`flows.spec.LANES`), so a lane
is added by declaring it there, with its words in the catalogs. Each step names its target
(`flows.targets`): where its answer is written and read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows import targets
from flows.spec import LIMITS, LaneSpec, MapType, Shape, derived, lanes


class Kind(StrEnum):
    CHOICE = "choice"  # one of a few fixed answers (map type)
    TEXT = "text"  # one free-text answer (title, goal, owner)
    LIST = "list"  # items, one per message or per line; `done` ends the list
    EMOTION = "emotion"  # a score −2..+2 (or "no part here") for each persona, at once
    REVIEW = "review"  # the summary with its jump-back choices


@dataclass(frozen=True)
class Step:
    state: str
    section: str  # the progress line's section ("Step k of n · <section>")
    kind: Kind
    target: targets.Target | None = None  # where the answer goes (None: the review)
    optional: bool = False
    per_stage: bool = False  # asked once for every stage, in the stage loop
    lane: LaneSpec | None = None  # the map lane it fills, for stage steps
    max_chars: int = LIMITS.item_chars
    min_items: int = 0
    max_items: int = LIMITS.items_per_lane
    only_for: frozenset[MapType] | None = None  # asked only for these map types
    required_for: frozenset[MapType] = frozenset()  # not skippable for these map types
    # Asked only in an interview with business templates (the kind of business, the depth):
    # interviews begun before them, and `journeybot chat --no-template`, go without.
    guided: bool = False
    # Asked only in a full map (a quick map leaves it for later: the review, `/edit`).
    full_only: bool = False

    def question(self, map_type: MapType | None = None) -> str:
        """The question's catalog key (a lane may word it differently for a map type)."""
        if self.lane is not None:
            return self.lane.question_for(map_type)
        return f"q.{self.state}"

    def applies(self, map_type: MapType | None) -> bool:
        return self.only_for is None or map_type in self.only_for

    def asked(self, map_type: MapType | None, guided: bool, quick: bool) -> bool:
        """Whether an interview of this kind asks this step."""
        if not self.applies(map_type) or (self.guided and not guided):
            return False
        return not (self.full_only and quick)

    def skippable(self, map_type: MapType | None) -> bool:
        return self.optional and map_type not in self.required_for


_KIND = {Shape.LIST: Kind.LIST, Shape.SINGLE: Kind.TEXT, Shape.RATINGS: Kind.EMOTION}


def lane_step(lane: LaneSpec) -> Step:
    """The question a declared lane asks at every stage."""
    return Step(
        lane.id,
        "section.journey",
        _KIND[lane.shape],
        targets.for_lane(lane),
        optional=True,
        per_stage=True,
        lane=lane,
        max_chars=lane.char_limit(),
        max_items=lane.item_limit(),
        only_for=None if lane.map_types == frozenset(MapType) else lane.map_types,
        required_for=lane.required_for,
        full_only=not lane.quick,
    )


BEFORE_STAGES: tuple[Step, ...] = (
    Step("map_type", "section.map_type", Kind.CHOICE, targets.MapTypeChoice()),
    Step("business", "section.business", Kind.CHOICE, targets.Setting("kind"), guided=True),
    Step("depth", "section.depth", Kind.CHOICE, targets.Setting("depth"), guided=True),
    Step(
        "title", "section.title", Kind.TEXT, targets.MapText("title"), max_chars=LIMITS.title_chars
    ),
    Step("goal", "section.goal", Kind.TEXT, targets.MapText("goal")),
    Step(
        "personas",
        "section.personas",
        Kind.LIST,
        targets.Personas(),
        min_items=LIMITS.min_personas,
        max_items=LIMITS.max_personas,
    ),
    Step(
        "stages",
        "section.stages",
        Kind.LIST,
        targets.Stages(),
        max_chars=LIMITS.title_chars,
        min_items=LIMITS.min_stages,
        max_items=LIMITS.max_stages,
    ),
)
AFTER_STAGES: tuple[Step, ...] = (
    Step(
        "needs_have",
        "section.needs",
        Kind.LIST,
        targets.Needs("have"),
        optional=True,
        full_only=True,
        max_items=LIMITS.items_per_needs,
    ),
    Step(
        "needs_need",
        "section.needs",
        Kind.LIST,
        targets.Needs("need"),
        optional=True,
        full_only=True,
        max_items=LIMITS.items_per_needs,
    ),
    Step("review", "section.review", Kind.REVIEW),
)


@derived
def steps() -> tuple[Step, ...]:
    """Every step in order: the map's questions, a question per lane, the needs, the review."""
    return (*BEFORE_STAGES, *(lane_step(lane) for lane in lanes()), *AFTER_STAGES)


@derived
def _by_state() -> dict[str, Step]:
    return {s.state: s for s in steps()}


def step(state: str) -> Step:
    """The step of a state. Raises KeyError for a state that is not a step."""
    return _by_state()[state]


@derived
def sections() -> tuple[str, ...]:
    """The sections of the progress line, in order ("Step 6 of 8 · Delivery 3/5 · Pain
    points")."""
    return tuple(dict.fromkeys(s.section for s in steps()))


DONE = "done"
CANCELLED = "cancelled"

# What the review screen lets the user jump back to (map-level answers; stages come on top).
EDITABLE_STEPS: tuple[str, ...] = (
    "map_type",
    "title",
    "goal",
    "personas",
    "stages",
    "needs_have",
    "needs_need",
)
