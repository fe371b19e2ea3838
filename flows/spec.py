"""The one place for the facts of a journey map: map types, lanes, limits, default stages,
the emotion scale and the languages. Everything else reads them from here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MapType(StrEnum):
    CURRENT = "current"
    DAY_IN_LIFE = "day_in_life"
    FUTURE = "future"
    BLUEPRINT = "blueprint"


class Lane(StrEnum):
    """The rows of the map, in the order they are asked and drawn."""

    TOUCHPOINTS = "touchpoints"
    ACTIONS = "actions"
    THOUGHTS = "thoughts"
    EMOTION = "emotion"
    PAINS = "pains"
    OPPORTUNITIES = "opportunities"
    OWNER = "owner"
    BACKSTAGE = "backstage"


# Lanes that hold a list of text items (the others are the emotion ratings and the owner).
LIST_LANES: tuple[Lane, ...] = (
    Lane.TOUCHPOINTS,
    Lane.ACTIONS,
    Lane.THOUGHTS,
    Lane.PAINS,
    Lane.OPPORTUNITIES,
    Lane.BACKSTAGE,
)

# The backstage lane (what the company does out of the customer's sight) belongs to a
# service blueprint only; there the owner must be named too.
BLUEPRINT_ONLY_LANES: frozenset[Lane] = frozenset({Lane.BACKSTAGE})


def lanes_for(map_type: MapType) -> tuple[Lane, ...]:
    """The lanes a map of this type has, in order."""
    if map_type == MapType.BLUEPRINT:
        return tuple(Lane)
    return tuple(lane for lane in Lane if lane not in BLUEPRINT_ONLY_LANES)


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

# Emotion scale: −2 very negative … +2 very positive.
EMOTION_MIN = -2
EMOTION_MAX = 2
EMOTION_SCORES: tuple[int, ...] = tuple(range(EMOTION_MIN, EMOTION_MAX + 1))

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
