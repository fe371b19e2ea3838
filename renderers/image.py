"""The map image: the layout drawn with matplotlib's object-oriented API on an Agg canvas.

Shapes (cells, chevrons, curves, faces) are matplotlib artists. Text is drawn one of two ways,
from the same laid-out lines:
- as matplotlib Text artists (`text="artists"`): the PDF, whose text stays vector, selectable
  and searchable, and the layout tests, which hold matplotlib's own extents against the cells;
- onto the rendered pixels with Pillow (`text="raster"`, every PNG): one call per run of a line,
  with the fonts' FreeType objects cached per size. matplotlib 3.11 lays text out and draws it a
  glyph at a time, which made a map 1.5–2.2× slower than on 3.10; this route is faster than
  either, and uses only public API of both libraries.
Both use the same fonts: DejaVu Sans, falling back to the bundled Noto Emoji (theme.FONT_CHAIN).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyBboxPatch, Polygon, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox, Transform
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from flows.model import JourneyMap
from flows.spec import MapType
from renderers import theme as th
from renderers.emotion import PlacedFace, draw_emotion, draw_swatches, line_style
from renderers.labels import language_of, title_of
from renderers.layout import Box, Cell, Chevron, Kind, Layout, Line, build_layout
from renderers.pictures import PREVIEW, MapPictures, PhotoLimits
from renderers.textfit import clean, metrics

Z_BACK, Z_BULLET, Z_TEXT = 1, 2.5, 3
TextMode = Literal["artists", "raster"]


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
    emotion_axes: Axes | None = None  # the comparison's panels; the map draws without one
    emotion_lines: list[Line2D] = field(default_factory=list)  # curves and spread bars
    overlay: list[Line] = field(default_factory=list)  # text drawn onto the pixels (raster)

    @property
    def title(self) -> str:
        """The map's title, kept as the figure's label (the PNG's and PDF's title)."""
        return str(self.figure.get_label())


@cache
def _families() -> list[str]:
    """The family names of the font chain, for matplotlib's per-glyph font fallback; the
    bundled emoji font is registered with matplotlib's font manager once per process."""
    fontManager.addfont(str(th.EMOJI_FONT))
    names = []
    for path in th.FONT_CHAIN[False]:
        name = FontProperties(fname=path).get_name()
        if name not in names:
            names.append(name)
    return names


@cache
def font(style: th.TextStyle) -> FontProperties:
    return FontProperties(
        family=_families(), weight="bold" if style.bold else "normal", size=style.size
    )


@cache
def pil_font(bold: bool, index: int, pixels: float) -> ImageFont.FreeTypeFont:
    """A FreeType face of the chain at a pixel size, loaded once per process."""
    return ImageFont.truetype(str(th.FONT_CHAIN[bold][index]), pixels)


@dataclass(frozen=True)
class Glyph:
    """One character drawn once at one size: its coverage, where it sits from the pen
    position on the baseline, and how far it moves the pen."""

    coverage: np.ndarray | None  # 8-bit alpha, None for a blank (a space)
    left: int
    top: int
    advance: float


@lru_cache(maxsize=8_192)
def glyph(bold: bool, index: int, pixels: float, ch: str) -> Glyph:
    face = pil_font(bold, index, pixels)
    # The font's own advance, unhinted: the widths the layout measured with (textfit), so a
    # line never comes out wider than its cell allowed for.
    advance = metrics(bold).advances.get(ch, 0.0) * pixels
    left, top, right, bottom = map(int, face.getbbox(ch, anchor="ls"))  # ints: no stroke
    if right <= left or bottom <= top:
        return Glyph(None, 0, 0, advance)
    canvas = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(canvas).text((-left, -top), ch, font=face, fill=255, anchor="ls")
    return Glyph(np.asarray(canvas), left, top, advance)


@lru_cache(maxsize=20_000)  # ~2 KB a word at 200 dpi: a bounded few tens of MB per worker
def word_glyph(bold: bool, pixels: float, word: str) -> Glyph:
    """A word's characters composed once into one coverage mask (words repeat across a map
    far more than lines do), each at its unhinted advance from the word's start."""
    which = metrics(bold).font_of
    x, placed = 0.0, []
    for ch in word:
        g = glyph(bold, which.get(ch, 0), pixels, ch)
        if g.coverage is not None:
            placed.append((round(x) + g.left, g.top, g.coverage))
        x += g.advance
    if not placed:
        return Glyph(None, 0, 0, x)
    if len(placed) == 1:
        left, top, coverage = placed[0]
        return Glyph(coverage, left, top, x)
    x0 = min(p[0] for p in placed)
    y0 = min(p[1] for p in placed)
    x1 = max(p[0] + p[2].shape[1] for p in placed)
    y1 = max(p[1] + p[2].shape[0] for p in placed)
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    for gx, gy, coverage in placed:
        height, width = coverage.shape
        area = mask[gy - y0 : gy - y0 + height, gx - x0 : gx - x0 + width]
        np.maximum(area, coverage, out=area)
    return Glyph(mask, x0, y0, x)


def raster_text(
    image: Image.Image, lines: Sequence[Line], dpi: float
) -> list[tuple[Line, tuple[int, int, int, int]]]:
    """Draw the lines onto the image (y from the top, as the layout has it).

    Each character is drawn once per font and size (FreeType, through Pillow), each word
    composed once from those, both cached for the life of the worker; a line is then its
    words set side by side at their advance widths into one coverage mask, pasted in the
    line's colour. Kerning pairs are not applied (the layout's widths never count on them).
    Returns each line drawn with the pixel box its ink covers (x0, y0, x1, y1)."""
    scale = dpi / 72
    inked: list[tuple[Line, tuple[int, int, int, int]]] = []
    for line in lines:
        text = clean(line.text)
        if not text:
            continue
        style = line.style
        pixels = round(style.size * scale, 2)
        space = metrics(style.bold).advances.get(" ", 0.0) * pixels
        words = [word_glyph(style.bold, pixels, word) for word in text.split(" ")]
        x = line.x * scale
        if line.ha != "left":
            width = sum(w.advance for w in words) + space * (len(words) - 1)
            x -= width / 2 if line.ha == "center" else width
        y = round(line.y * scale)
        placed = []
        for w in words:
            if w.coverage is not None:
                placed.append((round(x) + w.left, y + w.top, w.coverage))
            x += w.advance + space
        if not placed:
            continue
        x0 = min(p[0] for p in placed)
        y0 = min(p[1] for p in placed)
        x1 = max(p[0] + p[2].shape[1] for p in placed)
        y1 = max(p[1] + p[2].shape[0] for p in placed)
        mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
        for gx, gy, coverage in placed:
            height, width = coverage.shape
            area = mask[gy - y0 : gy - y0 + height, gx - x0 : gx - x0 + width]
            np.maximum(area, coverage, out=area)
        image.paste(style.color, (x0, y0), Image.fromarray(mask, mode="L"))
        inked.append((line, (x0, y0, x1, y1)))
    return inked


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
        figure.add_artist(text)
        texts.append(text)
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

    def __init__(self, layout: Layout, text: TextMode = "artists") -> None:
        self.layout = layout
        self.text_mode = text
        self.overlay: list[Line] = []
        self.figure = Figure(figsize=(layout.width / 72, layout.height / 72), dpi=100)
        self.figure.set_facecolor(th.PAGE)
        FigureCanvasAgg(self.figure)
        self.pt = points_transform(self.figure, layout.height)

    def text(self, lines: list[Line]) -> list[Text]:
        """The lines as Text artists, or kept for drawing onto the pixels (see the module)."""
        if self.text_mode == "artists":
            return draw_lines(self.figure, self.pt, lines)
        self.overlay += lines
        return []

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
            self.box(cell.box, lane.colour if lane else th.NEEDS_COLOURS[0])
        elif kind == Kind.LANE and lane is not None and lane.problems:
            self.box(cell.box, lane.tint, th.PAIN_EDGE, 1.1)
            accent = Rectangle((cell.box.x, cell.box.y + 3), 3, cell.box.h - 6, zorder=Z_BACK)
            accent.set_color(th.PAIN_EDGE)
            self.add(accent)
        elif kind in (Kind.LANE, Kind.EMOTION) and lane is not None:
            self.box(cell.box, lane.tint, th.CELL_EDGE, 0.8)
        elif kind == Kind.NEEDS:
            self.box(cell.box, th.NEEDS_COLOURS[1], th.CELL_EDGE, 0.8)

    def swatch(self, cell: Cell, colour: str) -> None:
        """The persona's line-and-dot, as its curve looks in the emotion lane."""
        y = cell.lines[0].y - 0.35 * th.PERSONA_NAME.size if cell.lines else cell.box.y + 10
        x = cell.box.x + 7
        style = line_style(cell.persona or 0)
        self.add(
            Line2D(
                [x, x + 16],
                [y, y],
                color=colour,
                linewidth=2.6,
                linestyle=style,
                dash_capstyle="round",
                zorder=Z_BULLET,
            )
        )
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


def draw_map(
    journey_map: JourneyMap,
    lang: str | None = None,
    *,
    stages: tuple[int, ...] | None = None,
    text: TextMode = "artists",
) -> MapDrawing:
    """Lay the map (or the given stages of it) out and draw it; the figure is not rendered to
    pixels yet. `text`: see the module's docstring."""
    lang = language_of(journey_map, lang)
    return draw_layout(journey_map, build_layout(journey_map, lang, stages), lang, text)


def draw_layout(
    journey_map: JourneyMap, layout: Layout, lang: str, text: TextMode = "artists"
) -> MapDrawing:
    painter = Painter(layout, text)
    colours = persona_colours(len(layout.personas))
    drawing = MapDrawing(painter.figure, layout)
    for chevron in layout.chevrons:
        painter.chevron(chevron)
    for cell in layout.cells:
        painter.background(cell, colours)
        lane_colour = cell.lane.colour if cell.lane else th.NEEDS_COLOURS[0]
        painter.bullets(cell.bullets, lane_colour)
        texts = painter.text(cell.lines)
        drawing.cells.append(DrawnCell(cell, texts, painter.pt))
    painter.visibility()
    if layout.emotion is not None:
        stages = [journey_map.stages[i] for i in layout.stages]
        drawing.emotion_lines, drawing.faces = draw_emotion(painter, layout, stages, colours)
        draw_swatches(painter, layout, colours)
    drawing.overlay = painter.overlay
    painter.figure.set_label(title_of(journey_map, lang))
    return drawing


# -- pixel sizes --------------------------------------------------------------------------
def preview_dpi(layout: Layout, long_side: int = th.PREVIEW_LONG_SIDE) -> float:
    """The resolution whose long side is what Telegram keeps of a photo: sharp on a phone,
    and far inside sendPhoto's limits (width + height ≤ 10000, ratio ≤ 20, < 10 MB)."""
    longest = max(layout.width, layout.height) / 72
    return min(th.FULL_DPI, int(long_side / longest * 100) / 100)


def full_dpi(layout: Layout) -> float:
    """The full resolution: FULL_DPI, or less for a map so big that its pixels would pass
    FULL_MAX_PIXELS (a tall map is still drawn whole, only less finely)."""
    area = (layout.width / 72) * (layout.height / 72)
    return min(float(th.FULL_DPI), int(math.sqrt(th.FULL_MAX_PIXELS / area) * 100) / 100)


def rasterize(drawing: MapDrawing, dpi: float) -> Image.Image:
    """The figure's pixels at `dpi` as an RGB image, with the raster text drawn on."""
    figure = drawing.figure
    saved = figure.dpi
    figure.set_dpi(dpi)
    try:
        canvas = figure.canvas
        assert isinstance(canvas, FigureCanvasAgg)  # the Painter's
        canvas.draw()
        rgba = canvas.buffer_rgba()
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
        image = image.convert("RGB")
    finally:
        figure.set_dpi(saved)
    raster_text(image, drawing.overlay, dpi)
    return image


def encode_png(image: Image.Image, title: str) -> bytes:
    """An RGB PNG with light compression: the map has no transparency, and zlib's fastest
    level costs a third less time than the default for files about 10% larger, far under any
    Telegram limit."""
    info = PngInfo()
    info.add_text("Title", title)
    info.add_text("Software", "journeybot")
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1, pnginfo=info)
    return buffer.getvalue()


def png_bytes(drawing: MapDrawing, dpi: float) -> bytes:
    """The figure rasterized at `dpi`, as PNG."""
    return encode_png(rasterize(drawing, dpi), drawing.title)


def render_png(journey_map: JourneyMap, *, lang: str | None = None, preview: bool = False) -> bytes:
    """The map as PNG: the phone-sized preview (the whole map scaled to PREVIEW's long side
    with Pillow), or the full resolution."""
    drawing = draw_map(journey_map, lang, text="raster")
    image = rasterize(drawing, full_dpi(drawing.layout))
    if preview:
        image = fit_photo(image, PREVIEW)
    return encode_png(image, drawing.title)


# -- photos -------------------------------------------------------------------------------
def legible(layout: Layout, limits: PhotoLimits) -> bool:
    """Body text at least MIN_BODY_PX tall once the picture is scaled to the photo's size."""
    scale = limits.long_side / max(layout.width, layout.height)  # pixels per point
    return th.BODY.size * min(scale, th.FULL_DPI / 72) >= th.MIN_BODY_PX


def balanced(count: int, parts: int) -> list[tuple[int, ...]]:
    """0..count-1 cut into `parts` runs as even as can be, the longer ones first."""
    size, extra = divmod(count, parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        out.append(tuple(range(start, end)))
        start = end
    return out


def plan_parts(
    journey_map: JourneyMap, lang: str, whole: Layout, limits: PhotoLimits
) -> list[Layout] | None:
    """The layouts of the parts a map is sent in as photos, or None for one photo.

    A map wider than one legible photo is cut between stages (1–5, 6–10), into as few parts
    as keep each legible; cutting stops where the parts become taller than wide, since a
    narrower part would be no easier to read. A tall map stays one photo (scaled down: the
    document carries the detail), as does a map of one stage."""
    count = len(journey_map.stages)
    if count < 2 or legible(whole, limits) or whole.height >= whole.width:
        return None
    chosen: list[Layout] | None = None
    for parts in range(2, min(count, 10) + 1):
        layouts = [build_layout(journey_map, lang, group) for group in balanced(count, parts)]
        chosen = layouts
        if all(legible(p, limits) for p in layouts):
            break
        if max(p.height for p in layouts) >= max(p.width for p in layouts):
            break
    return chosen


def within(size: tuple[int, int], length: int, limits: PhotoLimits) -> bool:
    """Whether a picture of this size and file length may be sent as a photo as it is."""
    width, height = size
    return (
        width + height <= limits.max_side_sum
        and max(width, height) / min(width, height) <= limits.max_ratio
        and length <= limits.max_bytes
    )


def fit_photo(image: Image.Image, limits: PhotoLimits) -> Image.Image:
    """The picture as the messenger takes a photo: scaled down (never up) to its long side and
    its side sum, and widened with page colour rather than cut when it is longer than the
    ratio allows."""
    width, height = image.size
    scale = min(1.0, limits.long_side / max(width, height))
    scale = min(scale, (limits.max_side_sum - 2) / (width + height))
    if scale < 1.0:
        # A box filter: each pixel the mean of the ones it covers. For the small factors a
        # photo needs (a 200 dpi map to 2,560 px) it keeps text as crisp as Lanczos does, in a
        # third of the time (measured: 108 ms against 386 ms for a 7.5 MP map).
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    width, height = image.size
    if max(width, height) / min(width, height) > limits.max_ratio:
        padded = (
            (width, math.ceil(width / limits.max_ratio))
            if width > height
            else (math.ceil(height / limits.max_ratio), height)
        )
        canvas = Image.new("RGB", (max(padded[0], width), max(padded[1], height)), th.PAGE)
        canvas.paste(image, (0, 0))
        image = canvas
    return image


def photo_bytes(image: Image.Image, limits: PhotoLimits) -> bytes:
    """A photo as JPEG, which the messenger turns every photo into anyway: a tenth of the PNG's
    encoding time. Full colour resolution (4:4:4) keeps coloured text sharp; the quality drops
    only if the file would pass the size limit."""
    for quality in (92, 80, 65):
        buffer = io.BytesIO()
        image.save(buffer, format="jpeg", quality=quality, subsampling=0)
        if buffer.tell() <= limits.max_bytes:
            break
    return buffer.getvalue()


def render_pictures(
    journey_map: JourneyMap, lang: str | None = None, limits: PhotoLimits | None = None
) -> MapPictures:
    """Everything the bot sends for a map, each picture drawn once: the whole map at full
    resolution for the document (PNG), and the photo from that same picture — the PNG itself
    when it is already within the photo limits, else downsized with Pillow (JPEG) — or, for a
    map too wide for one legible photo, one photo per part, drawn at the photo's size."""
    limits = limits or PREVIEW
    lang = language_of(journey_map, lang)
    whole = build_layout(journey_map, lang)
    drawing = draw_layout(journey_map, whole, lang, "raster")
    title = drawing.title
    full = rasterize(drawing, full_dpi(whole))
    full_png = encode_png(full, title)
    parts = plan_parts(journey_map, lang, whole, limits)
    images: list[Image.Image] = []
    spans: list[tuple[int, int]] = []
    if parts is None:
        spans.append((1, max(len(journey_map.stages), 1)))
        if within(full.size, len(full_png), limits):
            # Already a valid photo: sent as it is, and the messenger scales it to its own
            # size (2,560 px for Telegram) as it does every photo. Scaling it here first
            # would cost a third of the render for the same picture on the phone.
            images.append(full)
            photos = [full_png]
        else:
            photo = fit_photo(full, limits)
            images.append(photo)
            photos = [photo_bytes(photo, limits)]
    else:
        photos = []
        for layout in parts:
            part = draw_layout(journey_map, layout, lang, "raster")
            image = fit_photo(rasterize(part, preview_dpi(layout, limits.long_side)), limits)
            images.append(image)
            spans.append((layout.stages[0] + 1, layout.stages[-1] + 1))
            photos.append(photo_bytes(image, limits))
    return MapPictures(
        photos=photos,
        full_png=full_png,
        parts=spans,
        full_size=full.size,
        photo_sizes=[image.size for image in images],
    )
