"""The map image: the layout drawn with matplotlib's object-oriented API on an Agg canvas."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from functools import cache

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyBboxPatch, Polygon, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox, Transform
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from flows.model import JourneyMap
from flows.spec import Lane, MapType
from renderers import theme as th
from renderers.emotion import PlacedFace, draw_emotion
from renderers.labels import language_of, title_of
from renderers.layout import Box, Cell, Chevron, Kind, Layout, Line, build_layout
from renderers.textfit import clean

Z_BACK, Z_BULLET, Z_TEXT = 1, 2.5, 3


@dataclass
class DrawnCell:
    cell: Cell
    texts: list[Text]
    to_display: Transform

    def extent(self) -> Bbox:
        """The cell's rectangle in display pixels, at the figure's current dpi."""
        box = self.cell.box
        corners = self.to_display.transform([(box.x, box.bottom), (box.right, box.y)])
        return Bbox(corners)


@dataclass
class MapDrawing:
    """The figure plus what was placed where: for the exports and for layout tests."""

    figure: Figure
    layout: Layout
    cells: list[DrawnCell] = field(default_factory=list)
    faces: list[PlacedFace] = field(default_factory=list)
    emotion_axes: Axes | None = None

    @property
    def size_in_points(self) -> tuple[float, float]:
        return self.layout.width, self.layout.height


@cache
def font(style: th.TextStyle) -> FontProperties:
    path = th.BOLD_FONT if style.bold else th.REGULAR_FONT
    return FontProperties(fname=path, size=style.size)


def points_transform(figure: Figure, height: float) -> Transform:
    """Points measured from the top-left corner, as the layouts use them, to display pixels
    at whatever dpi the figure is saved with."""
    return Affine2D().scale(1 / 72, -1 / 72).translate(0, height / 72) + figure.dpi_scale_trans


def draw_lines(figure: Figure, transform: Transform, lines: list[Line]) -> list[Text]:
    texts = []
    for line in lines:
        # Wrapped text is clean already; this also catches labels and footers, so that no
        # string can reach the canvas with a glyph the font lacks.
        # parse_math off: "$5 or $10" in user text must stay text, not become mathtext.
        text = Text(
            line.x, line.y, clean(line.text), color=line.style.color,
            fontproperties=font(line.style), ha=line.ha, va="baseline", parse_math=False,
            zorder=Z_TEXT, transform=transform,
        )  # fmt: skip
        texts.append(figure.add_artist(text))
    return texts


@cache
def _ramp(stops: tuple[str, ...]) -> LinearSegmentedColormap:
    return LinearSegmentedColormap.from_list("ramp", stops)


def ramp_colour(stops: tuple[str, ...], at: float) -> str:
    return to_hex(_ramp(stops)(at))


def persona_colours(count: int) -> list[str]:
    palette = th.PERSONA_COLOURS
    return [palette[i % len(palette)] for i in range(count)]


class Painter:
    """Draws a laid-out sheet (boxes, chevrons, text, faces) on a Figure; the map and the
    comparison chart share it."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.figure = Figure(figsize=(layout.width / 72, layout.height / 72), dpi=100)
        self.figure.set_facecolor(th.PAGE)
        FigureCanvasAgg(self.figure)
        self.pt = points_transform(self.figure, layout.height)

    def add(self, artist):
        artist.set_transform(self.pt)
        self.figure.add_artist(artist)
        return artist

    def box(self, box: Box, face: str, edge: str = "none", width: float = 0.0, **kw) -> None:
        style = f"round,pad=0,rounding_size={kw.pop('corner', th.CORNER)}"
        patch = FancyBboxPatch(
            (box.x, box.y), box.w, box.h, boxstyle=style, facecolor=face, edgecolor=edge,
            linewidth=width, zorder=Z_BACK, **kw,
        )  # fmt: skip
        self.add(patch)

    def bullets(self, points: list[tuple[float, float]], colour: str) -> None:
        if points:
            xs, ys = zip(*points, strict=True)
            dots = Line2D(
                xs, ys, linestyle="none", marker="o", markersize=3.4, markerfacecolor=colour,
                markeredgecolor="none", zorder=Z_BULLET,
            )  # fmt: skip
            self.add(dots)

    def background(self, cell: Cell, colours: list[str]) -> None:
        kind, lane = cell.kind, cell.lane
        if kind == Kind.PILL:
            pill = th.PILL_COLOURS[self.layout.map_type]
            self.box(cell.box, pill, corner=cell.box.h / 2)
        elif kind == Kind.PERSONA:
            self.box(cell.box, "#f8f9fb", th.CELL_EDGE, 0.8)
            self.swatch(cell, colours[cell.persona or 0])
        elif kind == Kind.STAGE and cell.stage is None:
            self.box(cell.box, "none", th.FAINT, 1.0, linestyle=(0, (4, 3)))
        elif kind == Kind.LABEL:
            self.box(cell.box, th.LANE_COLOURS[lane][0] if lane else th.NEEDS_COLOURS[0])
        elif kind == Kind.LANE and lane == Lane.PAINS:
            self.box(cell.box, th.LANE_COLOURS[lane][1], th.PAIN_EDGE, 1.1)
            accent = Rectangle((cell.box.x, cell.box.y + 3), 3, cell.box.h - 6, zorder=Z_BACK)
            accent.set_color(th.PAIN_EDGE)
            self.add(accent)
        elif kind in (Kind.LANE, Kind.EMOTION):
            self.box(cell.box, th.LANE_COLOURS[lane][1], th.CELL_EDGE, 0.8)
        elif kind == Kind.NEEDS:
            self.box(cell.box, th.NEEDS_COLOURS[1], th.CELL_EDGE, 0.8)

    def swatch(self, cell: Cell, colour: str) -> None:
        """The persona's line-and-dot, as its curve looks in the emotion lane."""
        y = cell.lines[0].y - 0.35 * th.PERSONA_NAME.size if cell.lines else cell.box.y + 10
        x = cell.box.x + 7
        self.add(Line2D([x, x + 16], [y, y], color=colour, linewidth=2.6, zorder=Z_BULLET))
        dot = Line2D(
            [x + 8], [y], marker="o", markersize=7, markerfacecolor=colour,
            markeredgecolor="white", markeredgewidth=1.2, zorder=Z_BULLET,
        )  # fmt: skip
        self.add(dot)

    def chevron(self, chevron: Chevron) -> None:
        box, tip = chevron.box, th.CHEVRON_TIP
        mid = box.y + box.h / 2
        notch = box.x if chevron.first else box.x + tip
        shape = [
            (box.x, box.y), (box.right - tip, box.y), (box.right, mid),
            (box.right - tip, box.bottom), (box.x, box.bottom), (notch, mid),
        ]  # fmt: skip
        if self.layout.map_type == MapType.DAY_IN_LIFE:
            colour = th.DAY_STEPS[round(chevron.at * (len(th.DAY_STEPS) - 1))]
        else:
            colour = ramp_colour(th.JOURNEY_RAMP, chevron.at)
        self.add(Polygon(shape, closed=True, facecolor=colour, edgecolor="none", zorder=Z_BACK))
        if chevron.icon:
            self.time_of_day(chevron, colour)

    def time_of_day(self, chevron: Chevron, sky: str) -> None:
        """A sun for the day's first stages, a moon for the late ones."""
        box = chevron.box
        cx, cy, r = box.x + th.CHEVRON_TIP + 4 + 9, box.y + box.h / 2, 4.6
        if chevron.icon == "sun":
            rays = Line2D(
                [], [], color=th.SUN, linewidth=1.2, solid_capstyle="round", zorder=Z_TEXT
            )
            xs, ys = [], []
            for k in range(8):
                dx, dy = math.cos(k * math.pi / 4), math.sin(k * math.pi / 4)
                xs += [cx + 1.45 * r * dx, cx + 1.95 * r * dx, math.nan]  # nan: lift the pen
                ys += [cy + 1.45 * r * dy, cy + 1.95 * r * dy, math.nan]
            rays.set_data(xs, ys)
            self.add(rays)
            self.add(Circle((cx, cy), r, facecolor=th.SUN, edgecolor="none", zorder=Z_TEXT))
        else:
            self.add(Circle((cx, cy), r + 0.6, facecolor=th.MOON, edgecolor="none", zorder=Z_TEXT))
            self.add(
                Circle((cx + 2.6, cy - 1.6), r, facecolor=sky, edgecolor="none", zorder=Z_TEXT)
            )

    def visibility(self) -> None:
        if self.layout.visibility_y is None:
            return
        y, x0, x1 = self.layout.visibility_y
        line = Line2D([x0, x1], [y, y], color=th.MUTED, linewidth=1.0, linestyle=(0, (5, 3)))
        self.add(line)


def draw_map(journey_map: JourneyMap, lang: str | None = None) -> MapDrawing:
    """Lay the map out and draw it; the figure is not rendered to pixels yet."""
    lang = language_of(journey_map, lang)
    layout = build_layout(journey_map, lang)
    painter = Painter(layout)
    colours = persona_colours(len(layout.personas))
    drawing = MapDrawing(painter.figure, layout)
    for chevron in layout.chevrons:
        painter.chevron(chevron)
    for cell in layout.cells:
        painter.background(cell, colours)
        lane_colour = th.LANE_COLOURS[cell.lane][0] if cell.lane else th.NEEDS_COLOURS[0]
        painter.bullets(cell.bullets, lane_colour)
        texts = draw_lines(painter.figure, painter.pt, cell.lines)
        drawing.cells.append(DrawnCell(cell, texts, painter.pt))
    painter.visibility()
    if layout.emotion is not None:
        drawing.emotion_axes, drawing.faces = draw_emotion(
            painter.figure, layout, journey_map.stages, colours
        )
    painter.figure.set_label(title_of(journey_map, lang))
    return drawing


# -- pixel sizes --------------------------------------------------------------------------
def preview_dpi(layout: Layout) -> float:
    """The resolution whose long side is what Telegram keeps of a photo: sharp on a phone,
    and far inside sendPhoto's limits (width + height ≤ 10000, ratio ≤ 20, < 10 MB)."""
    long_side = max(layout.width, layout.height) / 72
    return min(th.FULL_DPI, int(th.PREVIEW_LONG_SIDE / long_side * 100) / 100)


def png_bytes(drawing: MapDrawing, dpi: float) -> bytes:
    """The figure rasterized at `dpi`, as an RGB PNG with light compression: the map has no
    transparency, and zlib's fastest level costs a third less time than the default for
    files about 10% larger, far under any Telegram limit."""
    figure = drawing.figure
    saved = figure.dpi
    figure.set_dpi(dpi)
    try:
        figure.canvas.draw()
        rgba = figure.canvas.buffer_rgba()
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
        info = PngInfo()
        info.add_text("Title", figure.get_label())
        info.add_text("Software", "journeybot")
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="png", compress_level=1, pnginfo=info)
    finally:
        figure.set_dpi(saved)
    return buffer.getvalue()


def render_png(journey_map: JourneyMap, *, lang: str | None = None, preview: bool = False) -> bytes:
    """The map as PNG: the phone-sized preview for sendPhoto, or the full resolution."""
    drawing = draw_map(journey_map, lang)
    return png_bytes(drawing, preview_dpi(drawing.layout) if preview else th.FULL_DPI)
