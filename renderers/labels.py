"""Every word the renderers show, through the translation layer, in the map's language."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from babel.dates import format_date
from babel.numbers import get_decimal_symbol

from flows.i18n import domain
from flows.model import JourneyMap, Stage
from flows.spec import (
    DEFAULT_LANGUAGE,
    LaneSpec,
    MapType,
    Shape,
    lanes,
    lanes_for,
    pick_language,
)

LOCALES = Path(__file__).parent / "locales"
tr = domain(LOCALES)


def language_of(journey_map: JourneyMap, lang: str | None = None) -> str:
    """The language asked for, else the map's own."""
    return pick_language(lang or journey_map.language)


def lane_holds(journey_map: JourneyMap, lane: LaneSpec) -> bool:
    """Whether any stage holds something in the lane (even a blank answer from a file)."""
    if lane.shape == Shape.RATINGS:
        return any(stage.emotions for stage in journey_map.stages)
    return any(stage.items(lane) for stage in journey_map.stages)


def lanes_of(journey_map: JourneyMap) -> tuple[LaneSpec, ...]:
    """The map type's lanes; a map whose type is not chosen yet shows a current state's, plus
    any other lane someone already filled."""
    if journey_map.map_type is not None:
        return lanes_for(journey_map.map_type)
    common = lanes_for(MapType.CURRENT)
    return tuple(lane for lane in lanes() if lane in common or lane_holds(journey_map, lane))


def listed_lanes(journey_map: JourneyMap) -> tuple[LaneSpec, ...]:
    """The lanes the exports list: the map's own, plus any other lane that holds something, so
    no answer is left out of them."""
    shown = lanes_of(journey_map)
    return tuple(lane for lane in lanes() if lane in shown or lane_holds(journey_map, lane))


def persona_names(journey_map: JourneyMap) -> list[str]:
    """The personas, plus any name rated without being declared (a partial map keeps it)."""
    names = journey_map.persona_names()
    for stage in journey_map.stages:
        names += [r.persona for r in stage.emotions if r.persona not in names]
    return names


def lane_label(lang: str, lane: LaneSpec) -> str:
    return tr(lang, lane.label_key)


def map_type_label(lang: str, map_type: MapType | None) -> str:
    return tr(lang, f"maptype.{map_type.value}") if map_type else tr(lang, "render.no_type")


def title_of(journey_map: JourneyMap, lang: str) -> str:
    return journey_map.title.strip() or tr(lang, "render.untitled")


def stage_name(lang: str, stage: Stage, index: int) -> str:
    return stage.name.strip() or tr(lang, "render.stage_number", number=index + 1)


def score_text(score: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """+1, −2, 0, +0.5 (+0,5 in Polish and Indonesian): signed, a true minus sign, no
    trailing zeros, the language's decimal mark."""
    number = f"{abs(score):.1f}".removesuffix(".0")
    if number == "0":
        return "0"
    number = number.replace(".", get_decimal_symbol(lang))
    return ("+" if score > 0 else "−") + number


def date_text(moment: datetime, lang: str) -> str:
    return format_date(moment, format="medium", locale=lang)
