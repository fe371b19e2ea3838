"""The priority matrix: the map's opportunities on a 2 × 2 of impact against effort — quick
wins, big bets, fill-ins, time sinks — in the map's style (its fonts, colours and map-type
pill) and language.

Laid out first, in points, like the map (renderers/layout.py): each quadrant lists its
opportunities, most impact first, each with its stage and mean scores, so nothing is placed
where another could already be; a quadrant is as tall as the fuller one beside it. Opportunities
nobody rated yet are listed under the matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from babel.numbers import format_decimal
from matplotlib.text import Text

from flows.model import JourneyMap
from flows.priorities import Quadrant, Rated, by_quadrant
from flows.spec import MapType
from renderers import theme as th
from renderers.image import DrawnCell, MapDrawing, Painter, TextMode, encode_png, rasterize
from renderers.labels import language_of, stage_name, title_of, tr
from renderers.layout import ASCENT, DESCENT, Box, Line
from renderers.textfit import wrap

QUAD_W = 300.0
AXIS_W = 92.0
HEADER_H = 30.0
CAPTION = th.TextStyle(9.5, bold=True, color=th.MUTED)
QUAD_TITLE = th.TextStyle(11, bold=True, color=th.WHITE, leading=1.25)
ITEM = th.TextStyle(9)
SCORES = th.TextStyle(7.5, color=th.MUTED)
TOP, BOTTOM = (Quadrant.QUICK_WIN, Quadrant.BIG_BET), (Quadrant.FILL_IN, Quadrant.TIME_SINK)
# A quadrant's colour and tint, from the lanes' palette: green to do, blue to plan, grey for
# later, red to leave.
COLOURS: dict[Quadrant, tuple[str, str]] = {
    Quadrant.QUICK_WIN: ("#2b8a3e", "#ebfbee"),
    Quadrant.BIG_BET: ("#1971c2", "#e7f5ff"),
    Quadrant.FILL_IN: ("#495057", "#f1f3f5"),
    Quadrant.TIME_SINK: ("#c92a2a", "#fff0f0"),
}


@dataclass
class MatrixCell:
    role: str  # "title", "caption", "quadrant", "heading" or "unrated"
    box: Box
    lines: list[Line] = field(default_factory=list)
    quadrant: Quadrant | None = None
    face: str = "none"
    edge: str = "none"
    # The numbers of the opportunities it lists (1-based, as the chat's buttons have them).
    numbers: list[int] = field(default_factory=list)


@dataclass
class MatrixLayout:
    width: float
    height: float
    map_type: MapType | None
    cells: list[MatrixCell] = field(default_factory=list)


def number_text(value: float, lang: str) -> str:
    return format_decimal(round(value, 1), format="0.#", locale=lang)


def _text_block(
    texts: list[tuple[str, th.TextStyle]], x: float, top: float, width: float
) -> tuple[list[Line], float]:
    """Wrapped lines from the top down; returns them and the height they take."""
    lines: list[Line] = []
    y = top
    for text, style in texts:
        for part in wrap(text, width, style):
            lines.append(Line(x, y + style.size * ASCENT, part, style))
            y += style.pitch
    return lines, y - top + DESCENT * (texts[-1][1].size if texts else 0)


def build_matrix(
    journey_map: JourneyMap, rated: list[Rated], lang: str, numbers: dict[str, int]
) -> MatrixLayout:
    """`numbers`: each opportunity's number in the chat's list (by its id)."""
    pad, gap, margin = th.PAD, th.GAP, th.MARGIN
    width = margin * 2 + AXIS_W + gap + QUAD_W * 2 + gap
    inner = width - 2 * margin
    layout = MatrixLayout(width, 0, journey_map.map_type)
    y = margin
    title = tr(lang, "matrix.title", title=title_of(journey_map, lang))
    lines, used = _text_block([(title, th.TITLE)], margin, y, inner)
    layout.cells.append(MatrixCell("title", Box(margin, y, inner, used), lines))
    y += used + gap * 2
    placed = by_quadrant(rated)
    grid_x = margin + AXIS_W + gap
    # The column captions (effort).
    for column, key in enumerate(("matrix.low_effort", "matrix.high_effort")):
        x = grid_x + column * (QUAD_W + gap)
        lines, used = _text_block([(tr(lang, key), CAPTION)], x + pad, y, QUAD_W - 2 * pad)
        layout.cells.append(MatrixCell("caption", Box(x, y, QUAD_W, used), lines))
    y += HEADER_H - gap
    for quads, key in ((TOP, "matrix.high_impact"), (BOTTOM, "matrix.low_impact")):
        contents = [
            _quadrant(q, placed[q], grid_x + c * (QUAD_W + gap), y, lang, numbers, journey_map)
            for c, q in enumerate(quads)
        ]
        height = max(h for _, h in contents)
        for cell, _ in contents:
            cell.box = Box(cell.box.x, cell.box.y, cell.box.w, height)
            layout.cells.append(cell)
        lines, used = _text_block([(tr(lang, key), CAPTION)], margin, y + pad, AXIS_W)
        layout.cells.append(MatrixCell("caption", Box(margin, y + pad, AXIS_W, used), lines))
        y += height + gap
    waiting = [r for r in rated if r.quadrant is None]
    if waiting:
        y += gap
        texts = [(tr(lang, "matrix.unrated"), th.HEADING)]
        texts += [
            (f"{numbers.get(r.opportunity.id, 0)}. {r.opportunity.text}", ITEM) for r in waiting
        ]
        lines, used = _text_block(texts, margin + pad, y + pad, inner - 2 * pad)
        cell = MatrixCell("unrated", Box(margin, y, inner, used + 2 * pad), lines)
        cell.edge, cell.face = th.CELL_EDGE, "#f8f9fb"
        cell.numbers = [numbers.get(r.opportunity.id, 0) for r in waiting]
        layout.cells.append(cell)
        y += used + 2 * pad
    layout.height = y + margin
    return layout


def _quadrant(
    quadrant: Quadrant,
    rated: list[Rated],
    x: float,
    y: float,
    lang: str,
    numbers: dict[str, int],
    journey_map: JourneyMap,
) -> tuple[MatrixCell, float]:
    colour, tint = COLOURS[quadrant]
    pad = th.PAD
    heading, used = _text_block(
        [(tr(lang, f"matrix.{quadrant.value}"), QUAD_TITLE)], x + pad, y + pad, QUAD_W - 2 * pad
    )
    band = used + 2 * pad
    cell = MatrixCell("quadrant", Box(x, y, QUAD_W, 0), list(heading), quadrant, tint, colour)
    top = y + band + pad
    ordered = sorted(rated, key=lambda r: (-(r.impact or 0), r.effort or 0))
    for r in ordered:
        number = numbers.get(r.opportunity.id, 0)
        stage = journey_map.stages[r.opportunity.stage]
        scores = tr(
            lang,
            "matrix.scores",
            stage=stage_name(lang, stage, r.opportunity.stage),
            impact=number_text(r.impact or 0, lang),
            effort=number_text(r.effort or 0, lang),
            votes=r.voters,
        )
        lines, used = _text_block(
            [(f"{number}. {r.opportunity.text}", ITEM), (scores, SCORES)],
            x + pad,
            top,
            QUAD_W - 2 * pad,
        )
        cell.lines += lines
        cell.numbers.append(number)
        top += used + th.ITEM_GAP * 2
    if not ordered:
        lines, used = _text_block([(tr(lang, "matrix.empty"), SCORES)], x + pad, top, QUAD_W)
        cell.lines += lines
        top += used
    return cell, max(top - y + pad, band + 48.0)


def draw_matrix(
    journey_map: JourneyMap,
    rated: list[Rated],
    numbers: dict[str, int],
    lang: str | None = None,
    text: TextMode = "artists",
) -> tuple[MapDrawing, MatrixLayout]:
    lang = language_of(journey_map, lang)
    layout = build_matrix(journey_map, rated, lang, numbers)
    painter = Painter(layout, text)  # type: ignore[arg-type]  # it reads width, height, map_type
    drawing = MapDrawing(painter.figure, layout)  # type: ignore[arg-type]
    for cell in layout.cells:
        if cell.role == "quadrant" and cell.quadrant is not None:
            colour, tint = COLOURS[cell.quadrant]
            painter.box(cell.box, tint, colour, 1.1)
            head = cell.lines[0].y - QUAD_TITLE.size * ASCENT - th.PAD
            heads = [line for line in cell.lines if line.style is QUAD_TITLE]
            band = (heads[-1].y + QUAD_TITLE.size * DESCENT + th.PAD) - head
            painter.box(Box(cell.box.x, cell.box.y, cell.box.w, band), colour)
        elif cell.face != "none" or cell.edge != "none":
            painter.box(cell.box, cell.face, cell.edge, 0.8)
        texts: list[Text] = painter.text(cell.lines)
        drawing.cells.append(DrawnCell(cell, texts, painter.pt))  # type: ignore[arg-type]
    drawing.overlay = painter.overlay
    painter.figure.set_label(tr(lang, "matrix.title", title=title_of(journey_map, lang)))
    return drawing, layout


def render_matrix(
    journey_map: JourneyMap, rated: list[Rated], numbers: dict[str, int], lang: str | None = None
) -> bytes:
    """The matrix as a PNG, at the map's full resolution (it is small: a phone shows it whole)."""
    drawing, _ = draw_matrix(journey_map, rated, numbers, lang, text="raster")
    return encode_png(rasterize(drawing, th.FULL_DPI), drawing.title)
