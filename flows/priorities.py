"""From map to action: the map's opportunities rated for impact and effort, placed on a 2 × 2
priority matrix (quick wins, big bets, fill-ins, time sinks), and the state an action taken
from one is in. Pure: the votes come from storage, the pictures from the renderers.

In a group every member rates; the mean of their ratings counts, as the emotion curve's does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from statistics import mean

from flows.model import JourneyMap

# The rating scale: low, medium, high. An opportunity counts as high impact (or high effort)
# when the mean of its ratings is above the middle.
LOW, MEDIUM, HIGH = 1, 2, 3
SCALE: tuple[int, ...] = (LOW, MEDIUM, HIGH)
MIDDLE = MEDIUM
START_WITH = 3  # quick wins named in "Start with: …"


class Quadrant(StrEnum):
    QUICK_WIN = "quick_win"  # high impact, low effort: do these first
    BIG_BET = "big_bet"  # high impact, high effort: plan them
    FILL_IN = "fill_in"  # low impact, low effort: when there is time
    TIME_SINK = "time_sink"  # low impact, high effort: leave them


class Status(StrEnum):
    """Where an action taken from an opportunity stands."""

    TODO = "todo"
    DOING = "doing"
    DONE = "done"


STATUSES: tuple[Status, ...] = tuple(Status)


@dataclass(frozen=True)
class Opportunity:
    id: str  # stable while the stage's name and the text stay as they are (see opportunity_id)
    stage: int  # the stage's index in the map
    stage_name: str
    text: str


@dataclass(frozen=True)
class Vote:
    opportunity: str
    voter: str
    impact: int | None = None
    effort: int | None = None


@dataclass(frozen=True)
class Rated:
    opportunity: Opportunity
    impact: float | None  # the mean of the ratings given, None before any
    effort: float | None
    voters: int

    @property
    def rated(self) -> bool:
        return self.impact is not None and self.effort is not None

    @property
    def quadrant(self) -> Quadrant | None:
        if self.impact is None or self.effort is None:
            return None
        return quadrant(self.impact, self.effort)


def opportunity_id(stage_name: str, text: str) -> str:
    """Eight hex digits from the stage's name and the opportunity's text: the same
    opportunity keeps its id in the map's next version (an edit elsewhere moves nothing), and
    it fits in a button's data."""
    key = f"{' '.join(stage_name.split()).casefold()}\n{' '.join(text.split())}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]


def opportunities(journey_map: JourneyMap) -> list[Opportunity]:
    """Every opportunity on the map, stage by stage (the same one twice at a stage: once)."""
    found: dict[str, Opportunity] = {}
    for index, stage in enumerate(journey_map.stages):
        for text in stage.texts("opportunities"):
            key = opportunity_id(stage.name, text)
            found.setdefault(key, Opportunity(key, index, stage.name, text))
    return list(found.values())


def quadrant(impact: float, effort: float) -> Quadrant:
    high_impact, high_effort = impact > MIDDLE, effort > MIDDLE
    if high_impact:
        return Quadrant.BIG_BET if high_effort else Quadrant.QUICK_WIN
    return Quadrant.TIME_SINK if high_effort else Quadrant.FILL_IN


def rate(found: Iterable[Opportunity], votes: Iterable[Vote]) -> list[Rated]:
    """Each opportunity with the mean of everyone's ratings (a vote for an opportunity no
    longer on the map is left out)."""
    by_id: dict[str, list[Vote]] = {}
    for vote in votes:
        by_id.setdefault(vote.opportunity, []).append(vote)
    out = []
    for opportunity in found:
        given = by_id.get(opportunity.id, [])
        impacts = [v.impact for v in given if v.impact is not None]
        efforts = [v.effort for v in given if v.effort is not None]
        out.append(
            Rated(
                opportunity,
                mean(impacts) if impacts else None,
                mean(efforts) if efforts else None,
                len({v.voter for v in given}),
            )
        )
    return out


def start_with(rated: Iterable[Rated], count: int = START_WITH) -> list[Rated]:
    """The quick wins to start with: the most impact first, then the least effort."""
    wins = [r for r in rated if r.quadrant == Quadrant.QUICK_WIN]
    wins.sort(key=lambda r: (-(r.impact or 0), r.effort or 0, r.opportunity.stage))
    return wins[:count]


def by_quadrant(rated: Iterable[Rated]) -> dict[Quadrant, list[Rated]]:
    out: dict[Quadrant, list[Rated]] = {q: [] for q in Quadrant}
    for r in rated:
        if r.quadrant is not None:
            out[r.quadrant].append(r)
    return out


# How an action's status is marked wherever the opportunity it came from is shown: in the chat,
# on the map and in its exports.
MARKS: dict[Status, str] = {Status.TODO: "⬜", Status.DOING: "▶️", Status.DONE: "✅"}


@dataclass(frozen=True)
class Progress:
    """Where the action taken from an opportunity stands, and who owns it."""

    status: Status
    owner: str


def with_progress(journey_map: JourneyMap, progress: dict[str, Progress]) -> JourneyMap:
    """A copy of the map whose opportunities that became actions say how far they are
    (“Second packing slot at 3 pm · ✅ @andi”), for the picture and the exports; the stored
    map stays as it was written."""
    if not progress:
        return journey_map
    marked = journey_map.model_copy(deep=True)
    for stage in marked.stages:
        for item in stage.items("opportunities"):
            found = progress.get(opportunity_id(stage.name, item.text))
            if found is not None:
                item.text = f"{item.text} · {MARKS[found.status]} {found.owner}"
    return marked
