"""The one place for the facts of a journey map: map types, lanes, limits, default stages,
the emotion scale and the languages. Everything else reads them from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class MapType(StrEnum):
    CURRENT = "current"
    DAY_IN_LIFE = "day_in_life"
    FUTURE = "future"
    BLUEPRINT = "blueprint"


class Depth(StrEnum):
    """How much an interview asks: a quick map asks the lanes declared `quick` (touchpoints,
    emotions, pain points) at every stage; a full map asks every lane, and the needs."""

    QUICK = "quick"
    FULL = "full"


@dataclass(frozen=True)
class Limits:
    title_chars: int = 120
    item_chars: int = 300
    min_personas: int = 1
    max_personas: int = 5
    min_stages: int = 2
    max_stages: int = 10
    items_per_lane: int = 12
    items_per_needs: int = 12


LIMITS = Limits()


class Shape(StrEnum):
    """What a lane holds at each stage."""

    LIST = "list"  # several items, typed one per line
    SINGLE = "single"  # one answer; answering again replaces it
    # A score per persona from each person: the emotion curve, kept as a stage's `emotions`
    # (one lane has this shape).
    RATINGS = "ratings"


ALL_TYPES: frozenset[MapType] = frozenset(MapType)
BLUEPRINT: frozenset[MapType] = frozenset({MapType.BLUEPRINT})


@dataclass(frozen=True)
class LaneSpec:
    """One row of the map, declared once. The interview asks it (a question per stage), the
    review offers it, the map draws it, the exports list it, the analysis checks it, the
    templates suggest for it, all from this declaration; a lane is never named in code.

    The words for a lane are catalog keys derived from its id: `lane.<id>` (its name on the
    map, in the review, the exports and the findings) and `q.<id>` (the question, with
    `{stage}`); `questions` gives a map type its own question (a future state asks about the
    touchpoints it should have, a blueprint's owner may not be skipped).

    More about a lane belongs here too, as a field with a default: the business templates
    already give suggestions under a lane's id; a quick map's lanes (a flag read where the
    steps are made, `flows.steps.lane_step`, or by `flows.interview.positions`) and a future
    state's own question (a `questions` entry) hang off this declaration the same way.
    """

    id: str  # the step's state, the catalog keys' suffix, the finding ids' lane
    shape: Shape = Shape.LIST
    key: str = ""  # a stage's JSON field (default: the id)
    map_types: frozenset[MapType] = ALL_TYPES  # the map types that have this lane
    required_for: frozenset[MapType] = frozenset()  # where it may not be skipped
    max_items: int = 0  # per stage (0: Limits.items_per_lane)
    max_chars: int = 0  # per answer (0: Limits.item_chars)
    # Its colour on the map and in the exports: the label's and the tint of its cells.
    colour: str = "#495057"
    tint: str = "#f1f3f5"
    # Out of the customer's sight (a blueprint's backstage): drawn under the line of visibility.
    hidden: bool = False
    # Its items are problems (pain points): they stand out on the map, and lanes with
    # `answers_problems` are expected to answer them at the same stage.
    problems: bool = False
    # The analysis, in finding kinds (flows.analysis.FindingKind values):
    answers_problems: str = ""  # raised for a stage whose problems this lane leaves unanswered
    needed_each_stage: str = ""  # raised for a stage where this lane is empty
    crowded: tuple[int, str] = (0, "")  # more items than this at a stage raise that finding
    # How much it matters that the lane is empty on the whole map (a finding's severity:
    # 60 and above is "fix first"), and how much where the map type requires the lane.
    empty_weight: float = 30.0
    empty_weight_required: float = 0.0
    # The finding's sentence when the lane is empty on the whole map (a checklist catalog key;
    # default: the generic one that names the lane).
    empty_wording: str = ""
    questions: tuple[tuple[MapType, str], ...] = ()  # (map type, question key) overrides
    # Asked in a quick map too (a quick map asks only these; a full map asks every lane).
    quick: bool = False

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"LaneSpec({self.id!r})"

    @property
    def field(self) -> str:
        return self.key or self.id

    @property
    def label_key(self) -> str:
        return f"lane.{self.id}"

    @property
    def question_key(self) -> str:
        return f"q.{self.id}"

    def question_for(self, map_type: MapType | None) -> str:
        return dict(self.questions).get(map_type or MapType.CURRENT, self.question_key)

    def item_limit(self, limits: Limits | None = None) -> int:
        return self.max_items or (limits or LIMITS).items_per_lane

    def char_limit(self, limits: Limits | None = None) -> int:
        return self.max_chars or (limits or LIMITS).item_chars

    def applies(self, map_type: MapType | None) -> bool:
        return (map_type or MapType.CURRENT) in self.map_types

    def empty_severity(self, map_type: MapType | None) -> float:
        if map_type in self.required_for and self.empty_weight_required:
            return self.empty_weight_required
        return self.empty_weight


# The lanes, in the order they are asked and drawn. The analysis weights: an empty emotion lane
# means there is no curve at all; no touchpoints or pains on a whole map usually means it was
# drawn from the inside (assumptions), not from customers; a blueprint is about who does what,
# so no owners anywhere matters more there.
LANES: tuple[LaneSpec, ...] = (
    LaneSpec(
        "touchpoints",
        quick=True,
        # A future state asks which touchpoints the journey should have (new ones included).
        questions=((MapType.FUTURE, "q.touchpoints.future"),),
        colour="#3b5bdb",
        tint="#edf2ff",
        empty_weight=55,
        needed_each_stage="no_touchpoints",
        # More channels than this in one stage leave the customer unsure where to go (the
        # method advises simplifying channels that cause indecision); six still covers the
        # usual mix (website, social media, chat, phone, shop, reviews).
        crowded=(6, "too_many_touchpoints"),
    ),
    LaneSpec(
        "actions",
        questions=((MapType.FUTURE, "q.actions.future"),),
        colour="#1971c2",
        tint="#e7f5ff",
        empty_weight=35,
    ),
    LaneSpec(
        "thoughts",
        questions=((MapType.FUTURE, "q.thoughts.future"),),
        colour="#6741d9",
        tint="#f3f0ff",
        empty_weight=35,
    ),
    # What the customer says out loud (the empathy map's "says"): questions to the staff,
    # complaints, what they write in reviews. Optional; a map without it is worth a low note.
    LaneSpec("says", colour="#9c36b5", tint="#f8f0fc", empty_weight=30),
    LaneSpec(
        "emotion",
        Shape.RATINGS,
        key="emotions",
        quick=True,
        colour="#e8590c",
        tint="#fff9e6",
        empty_weight=65,
    ),
    LaneSpec(
        "pains",
        quick=True,
        # A future state asks what should go away: the touchpoints, steps and waits to remove.
        questions=((MapType.FUTURE, "q.pains.future"),),
        colour="#c92a2a",
        tint="#fff0f0",
        problems=True,
        empty_weight=50,
    ),
    LaneSpec(
        "opportunities",
        # A future state asks how the business follows the customer up.
        questions=((MapType.FUTURE, "q.opportunities.future"),),
        colour="#2b8a3e",
        tint="#ebfbee",
        empty_weight=40,
        answers_problems="pain_no_idea",
    ),
    LaneSpec(
        "owner",
        Shape.SINGLE,
        required_for=BLUEPRINT,
        empty_weight=40,
        empty_weight_required=55,
        answers_problems="pain_no_owner",
        questions=((MapType.BLUEPRINT, "q.owner_required"),),
    ),
    LaneSpec(
        "backstage",
        map_types=BLUEPRINT,
        colour="#0b7285",
        tint="#e3fafc",
        hidden=True,
        empty_weight=50,
        answers_problems="pain_no_backstage",
    ),
)


def lanes() -> tuple[LaneSpec, ...]:
    """Every declared lane, in order. Read at call time: a test may declare one more by
    replacing `LANES`, and everything derived from it follows (see `derived`)."""
    return LANES


def derived(build: Callable[[], T]) -> Callable[[], T]:
    """`build()` made once per set of lane declarations: the interview's steps, its state
    machine, the lanes by id are derived from `LANES` and made again when it changes."""
    memo: list = []

    def get() -> T:
        current = LANES
        if not memo or memo[0] is not current:
            memo[:] = [current, build()]
        return memo[1]

    get.__doc__ = build.__doc__
    return get


@derived
def _by_id() -> dict[str, LaneSpec]:
    return {declared.id: declared for declared in LANES}


def lane(lane_id: str | LaneSpec) -> LaneSpec:
    """The declaration of a lane by its id. Raises KeyError for an undeclared one."""
    if isinstance(lane_id, LaneSpec):
        return lane_id
    try:
        return _by_id()[lane_id]
    except KeyError:
        raise KeyError(f"no lane {lane_id!r}; the lanes are {list(_by_id())}") from None


def lanes_for(map_type: MapType | None) -> tuple[LaneSpec, ...]:
    """The lanes a map of this type has, in order (a map without a type yet: a current
    state's)."""
    return tuple(declared for declared in LANES if declared.applies(map_type))


def ratings_lane() -> LaneSpec:
    """The lane of emotion scores (there is one: the map's curve)."""
    return next(declared for declared in LANES if declared.shape == Shape.RATINGS)


# Emotion scale: −2 very negative … +2 very positive.
EMOTION_MIN = -2
EMOTION_MAX = 2
EMOTION_SCORES: tuple[int, ...] = tuple(range(EMOTION_MIN, EMOTION_MAX + 1))
# The face of each score (on the buttons and in the catalogs' "emotion.<score>" labels), and
# the faces people type for a score: a phone's emoji keyboard offers many.
FACES: dict[int, str] = {-2: "😠", -1: "🙁", 0: "😐", 1: "🙂", 2: "😄"}
NOT_PART_MARK = "✕"  # a persona with no part in a stage
TYPED_FACES: dict[str, int] = {
    **{face: score for score, face in FACES.items()},
    **dict.fromkeys("😡😫😩😭🤬😖😣", -2),
    **dict.fromkeys("😞😕😟😒😔☹👎", -1),
    **dict.fromkeys("😶🤔😑", 0),
    **dict.fromkeys("😊👍☺😌", 1),
    **dict.fromkeys("😀😁😃😍🤩🥰❤", 2),
}

# Default stage lists per map type, as translation keys (the names are data once accepted,
# so they are translated into the interview's language at that moment).
DEFAULT_STAGES: dict[MapType, tuple[str, ...]] = {
    MapType.CURRENT: (
        "stage.awareness",
        "stage.consideration",
        "stage.purchase",
        "stage.delivery",
        "stage.loyalty",
    ),
    MapType.FUTURE: (
        "stage.awareness",
        "stage.consideration",
        "stage.purchase",
        "stage.delivery",
        "stage.loyalty",
    ),
    MapType.BLUEPRINT: (
        "stage.awareness",
        "stage.consideration",
        "stage.purchase",
        "stage.delivery",
        "stage.loyalty",
    ),
    MapType.DAY_IN_LIFE: (
        "stage.morning",
        "stage.afternoon",
        "stage.evening",
        "stage.night",
    ),
}

LANGUAGES: tuple[str, ...] = ("en", "id", "pl")
DEFAULT_LANGUAGE = "en"


def pick_language(code: str | None) -> str:
    """Telegram's language_code ('pl', 'id', 'en-US', 'in') to one of ours."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.lower().replace("_", "-").split("-")[0]
    if base == "in":  # the old ISO code for Indonesian, still sent by some clients
        base = "id"
    return base if base in LANGUAGES else DEFAULT_LANGUAGE
