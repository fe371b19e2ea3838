"""The map as a web page for the Mini App and the read-only browser link: stages as columns
(swiped on a phone), lanes as rows (on a wide screen), the emotion curve as inline SVG, the
checklist with its ticks. Server-rendered Jinja2; the page's small script (static/app.js)
only sends edits and swaps in the board the server renders back. No Telegram here: the bot's
web app (bot/webapp/) decides who sees what."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from flows.model import JourneyMap
from flows.spec import EMOTION_MAX, EMOTION_MIN, EMOTION_SCORES, LIMITS, Shape
from renderers.checklist import checklist_items, render_text
from renderers.faces import score_colour
from renderers.labels import (
    lane_label,
    lanes_of,
    language_of,
    map_type_label,
    persona_names,
    score_text,
    stage_name,
    title_of,
    tr,
)
from renderers.theme import PERSONA_COLOURS

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
# The words the page's script shows (its dialog and messages), by key.
SCRIPT_WORDS = (
    "add",
    "save",
    "delete",
    "cancel",
    "up",
    "down",
    "move_to",
    "rename",
    "saving",
    "saved",
    "conflict",
    "failed",
    "offline",
    "new_item",
    "edit_item",
)


@dataclass
class Cell:
    lane: str
    items: list[str]
    room: bool  # another item fits


@dataclass
class Rating:
    persona: str
    colour: str
    mine: int | None  # this person's score here
    mean: float | None
    mean_text: str


@dataclass
class StageView:
    index: int
    name: str
    cells: list[Cell] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)


@dataclass
class LaneView:
    id: str
    name: str
    colour: str
    tint: str
    problems: bool
    single: bool
    limit: int


@dataclass
class Tick:
    id: str
    text: str
    ticked: bool
    level: str | None


@dataclass
class ChecklistView:
    heading: str
    notes: list[str]
    items: list[Tick]


@dataclass
class Face:
    score: int
    colour: str
    mouth: str  # an SVG path on a 24×24 face
    label: str


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def mouth(score: int) -> str:
    """A smile for a positive score, a frown for a negative one, flat at 0."""
    bend = score / max(EMOTION_MAX, -EMOTION_MIN)
    return f"M7 {15 - 2 * bend:g} Q12 {15 + 4 * bend:g} 17 {15 - 2 * bend:g}"


def faces(lang: str) -> list[Face]:
    return [Face(s, score_colour(s), mouth(s), score_text(s, lang)) for s in EMOTION_SCORES]


def curve(stages: list[StageView], personas: list[str], width: int = 100) -> dict:
    """The emotion curve per persona over the stages, in a viewBox `width` × 40 (x: stage
    centres; y: +2 at the top)."""
    count = max(len(stages), 1)
    xs = [width * (i + 0.5) / count for i in range(count)]
    span = EMOTION_MAX - EMOTION_MIN

    def y(score: float) -> float:
        return round(4 + 32 * (EMOTION_MAX - score) / span, 2)

    lines = []
    for k, persona in enumerate(personas):
        points = []
        for stage, x in zip(stages, xs, strict=True):
            rating = next((r for r in stage.ratings if r.persona == persona), None)
            if rating is not None and rating.mean is not None:
                points.append((round(x, 2), y(rating.mean), score_colour(rating.mean)))
        lines.append(
            {
                "persona": persona,
                "colour": PERSONA_COLOURS[k % len(PERSONA_COLOURS)],
                "points": points,
                "path": " ".join(f"{x},{yy}" for x, yy, _ in points),
            }
        )
    grid = [{"score": s, "y": y(s)} for s in EMOTION_SCORES]
    return {"width": width, "xs": [round(x, 2) for x in xs], "lines": lines, "grid": grid}


def board(
    journey_map: JourneyMap,
    *,
    lang: str | None = None,
    ticked: set[str] | frozenset[str] = frozenset(),
    before: JourneyMap | None = None,
    viewer_id: str | None = None,
) -> dict:
    """What the templates show, worked out once."""
    lang = language_of(journey_map, lang)
    lanes = [lane for lane in lanes_of(journey_map) if lane.shape != Shape.RATINGS]
    lane_views = [
        LaneView(
            lane.id,
            lane_label(lang, lane),
            lane.colour,
            lane.tint,
            lane.problems,
            lane.shape == Shape.SINGLE,
            lane.char_limit(LIMITS),
        )
        for lane in lanes
    ]
    personas = persona_names(journey_map)
    stages = []
    for i, stage in enumerate(journey_map.stages):
        view = StageView(i, stage_name(lang, stage, i))
        for lane in lanes:
            items = [item.text for item in stage.items(lane)]
            limit = 1 if lane.shape == Shape.SINGLE else lane.item_limit(LIMITS)
            view.cells.append(Cell(lane.id, items, len(items) < limit))
        for k, persona in enumerate(personas):
            mine = next(
                (
                    r.score
                    for r in stage.ratings_for(persona)
                    if viewer_id is not None and r.author.id == viewer_id
                ),
                None,
            )
            mean = stage.emotion_of(persona)
            view.ratings.append(
                Rating(
                    persona,
                    PERSONA_COLOURS[k % len(PERSONA_COLOURS)],
                    mine,
                    mean,
                    score_text(mean, lang) if mean is not None else "",
                )
            )
        stages.append(view)
    checklist = [
        ChecklistView(
            render_text(section.heading, lang),
            [render_text(note, lang) for note in section.notes],
            [
                Tick(item.id, render_text(item.text, lang), item.id in ticked, item.level)
                for item in section.items
            ],
        )
        for section in checklist_items(journey_map, before)
    ]
    emotion_lane = next(
        (lane for lane in lanes_of(journey_map) if lane.shape == Shape.RATINGS), None
    )
    return {
        "lang": lang,
        "title": title_of(journey_map, lang),
        "map_type": map_type_label(lang, journey_map.map_type),
        "goal": journey_map.goal,
        "personas": [
            {
                "name": p.name,
                "description": p.description,
                "colour": PERSONA_COLOURS[k % len(PERSONA_COLOURS)],
            }
            for k, p in enumerate(journey_map.personas)
        ],
        "lanes": lane_views,
        "stages": stages,
        "emotion_name": lane_label(lang, emotion_lane) if emotion_lane else "",
        "curve": curve(stages, personas),
        "faces": faces(lang),
        "checklist": checklist,
        "stage_limit": LIMITS.title_chars,
    }


def words(lang: str) -> dict[str, str]:
    return {key: tr(lang, f"web.{key}") for key in SCRIPT_WORDS}


def _render(template: str, **context: object) -> str:
    lang = str(context.get("lang", "en"))
    return (
        environment()
        .get_template(template)
        .render(t=lambda key, **params: tr(lang, f"web.{key}", **params), **context)
    )


def board_html(
    journey_map: JourneyMap,
    *,
    version: int,
    lang: str | None = None,
    ticked: set[str] | frozenset[str] = frozenset(),
    before: JourneyMap | None = None,
    viewer_id: str | None = None,
    editable: bool = True,
) -> str:
    """The board alone: what the Mini App's script puts into its page."""
    view = board(journey_map, lang=lang, ticked=ticked, before=before, viewer_id=viewer_id)
    return _render(
        "webapp/board.html.j2",
        **view,
        version=version,
        editable=editable,
        words_json=json.dumps(words(view["lang"]), ensure_ascii=False).replace("<", "\\u003c"),
    )


def list_html(maps: list[dict], lang: str) -> str:
    """The person's maps (from the menu button): `number`, `title`, `kind`, `version`,
    `date`, `href` each."""
    return _render(
        "webapp/list.html.j2",
        lang=lang,
        maps=maps,
        words_json=json.dumps(words(lang), ensure_ascii=False).replace("<", "\\u003c"),
    )


def page_html(
    *,
    lang: str,
    static: str,
    board: str = "",
    title: str = "",
    read_only: bool = False,
    api: str = "",
) -> str:
    """The whole page: the Mini App's (empty until its script fetches the board) or the
    read-only link's (with the board in it, and no script)."""
    return _render(
        "webapp/page.html.j2",
        lang=lang,
        static=static,
        board=board,
        title=title or "journeybot",
        read_only=read_only,
        api=api,
    )


def static_file(name: str) -> tuple[bytes, str] | None:
    """A file of the page (its style sheet or script), and its media type."""
    types = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
    path = STATIC / name
    if path.parent != STATIC or path.suffix not in types or not path.is_file():
        return None
    return path.read_bytes(), types[path.suffix]
