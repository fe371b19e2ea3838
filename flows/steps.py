"""The interview, declared as data: one line per question.

The `transitions` machine in `flows.machine` is built from this declaration, and so are the
progress line, the review screen and the order of the questions. Adding a lane is one `Step`
line here (plus its field on `Stage` and its words in the catalogs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows.spec import LIMITS, Lane, MapType


class Kind(StrEnum):
    CHOICE = "choice"  # one of a few fixed answers (map type)
    TEXT = "text"  # one free-text answer (title, goal, owner)
    LIST = "list"  # items, one per message or per line; `done` ends the list
    EMOTION = "emotion"  # a score −2..+2 per persona, optionally with a word
    REVIEW = "review"  # the summary with its jump-back choices


@dataclass(frozen=True)
class Step:
    state: str
    section: str  # the progress line's section ("Step k of n · <section>")
    kind: Kind
    optional: bool = False
    per_stage: bool = False  # asked once for every stage, in the stage loop
    per_persona: bool = False  # asked once for every persona (inside the stage loop)
    lane: Lane | None = None  # the map lane it fills, for stage steps
    max_chars: int = LIMITS.item_chars
    min_items: int = 0
    max_items: int = LIMITS.items_per_lane
    only_for: frozenset[MapType] | None = None  # asked only for these map types
    required_for: frozenset[MapType] = frozenset()  # not skippable for these map types

    @property
    def question(self) -> str:
        return f"q.{self.state}"

    def applies(self, map_type: MapType | None) -> bool:
        return self.only_for is None or map_type in self.only_for

    def skippable(self, map_type: MapType | None) -> bool:
        return self.optional and map_type not in self.required_for


BLUEPRINT = frozenset({MapType.BLUEPRINT})


def _lane(lane: Lane, kind: Kind = Kind.LIST, **options: object) -> Step:
    return Step(
        lane.value, "section.journey", kind, optional=True, per_stage=True, lane=lane, **options
    )


STEPS: tuple[Step, ...] = (
    Step("map_type", "section.map_type", Kind.CHOICE),
    Step("title", "section.title", Kind.TEXT, max_chars=LIMITS.title_chars),
    Step("goal", "section.goal", Kind.TEXT),
    Step(
        "personas",
        "section.personas",
        Kind.LIST,
        min_items=LIMITS.min_personas,
        max_items=LIMITS.max_personas,
    ),
    Step(
        "stages",
        "section.stages",
        Kind.LIST,
        max_chars=LIMITS.title_chars,
        min_items=LIMITS.min_stages,
        max_items=LIMITS.max_stages,
    ),
    _lane(Lane.TOUCHPOINTS),
    _lane(Lane.ACTIONS),
    _lane(Lane.THOUGHTS),
    _lane(Lane.EMOTION, Kind.EMOTION, per_persona=True),
    _lane(Lane.PAINS),
    _lane(Lane.OPPORTUNITIES),
    _lane(Lane.OWNER, Kind.TEXT, required_for=BLUEPRINT),
    _lane(Lane.BACKSTAGE, only_for=BLUEPRINT),
    Step("needs_have", "section.needs", Kind.LIST, optional=True, max_items=LIMITS.items_per_needs),
    Step("needs_need", "section.needs", Kind.LIST, optional=True, max_items=LIMITS.items_per_needs),
    Step("review", "section.review", Kind.REVIEW),
)

STEP: dict[str, Step] = {step.state: step for step in STEPS}
DONE = "done"
CANCELLED = "cancelled"
FINAL_STATES = (DONE, CANCELLED)

# The sections of the progress line, in order ("Step 6 of 8 · Delivery 3/5 · Pain points").
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(step.section for step in STEPS))

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
