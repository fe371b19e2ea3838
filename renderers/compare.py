"""Two versions of a map in one picture: per persona, the emotion curve of `before` (dashed,
lighter) and of `after` (solid) over the stages of both, then the biggest changes in words.

Stages are matched by name, case-insensitively (`flows.analysis.match_stages`); the x axis is
`after`'s stages in its order, then the ones only `before` has. The picture is laid out in
points like the map (`renderers.layout`) and drawn with the map's painter, faces and colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.lines import Line2D
from matplotlib.transforms import Affine2D, Affine2DBase, ScaledTranslation

from flows.analysis import Comparison, EmotionChange, compare, fold, match_stages, personas_of
from flows.model import JourneyMap, Stage
from flows.spec import EMOTION_MAX, EMOTION_MIN, EMOTION_SCORES, ratings_lane
from renderers import theme as th
from renderers.emotion import eased, emotion_axes, runs
from renderers.faces import face, score_colour
from renderers.image import (
    DrawnCell,
    MapDrawing,
    Painter,
    draw_lines,
    persona_colours,
    png_bytes,
    preview_dpi,
)
from renderers.labels import (
    lane_label,
    language_of,
    map_type_label,
    score_text,
    stage_name,
    title_of,
    tr,
)
from renderers.layout import Box, Cell, Chevron, EmotionArea, Kind, Layout, text_block
from renderers.textfit import clean, fit

Version = Literal["before", "after"]

# Geometry, in points. The comparison has no text lanes, so its columns can be narrower than
# the map's: a stage name in two lines is all they hold.
COL_W = 150.0
MIN_COL_W = 104.0
GRID_BUDGET = 1500.0
MIN_GRID_W = 3 * COL_W + 2 * th.GAP
# One panel per persona; with many personas they get lower (never below MIN_PANEL_H).
PANEL_BUDGET = 640.0
MIN_PANEL_H = 112.0
# Before and after faces at the same stage sit this far left and right of its centre, so an
# unchanged score still shows both; the curves rest flat there (renderers.emotion.eased).
FACE_SHIFT = 0.8 * th.FACE_RADIUS
BEFORE_FACE_RADIUS = 0.8 * th.FACE_RADIUS
BEFORE_FADE = 0.45  # how far the before curve and faces are mixed with white
BEFORE_WIDTH, AFTER_WIDTH = 1.8, 2.4  # line widths; the after one as the map's curves
BEFORE_DASH = (5.0, 3.0)  # dash and gap, in line widths (matplotlib scales dashes)
# The legend's sample line holds three whole dashes of the before curve.
LEGEND_SAMPLE_W = (3 * BEFORE_DASH[0] + 2 * BEFORE_DASH[1]) * BEFORE_WIDTH
MAX_CHANGES = 6  # lines in the list of biggest changes

# The emotion lane's grid, as renderers.emotion draws it.
SCORE_GRID = "#f1e4b8"
COLUMN_GRID = "#eee3c4"

TAG = th.TextStyle(th.SCALE.size, bold=True, color=th.WHITE)
GHOST_STAGE = th.TextStyle(th.STAGE.size, bold=True, color=th.MUTED, leading=th.STAGE.leading)
GHOST_TAG = th.TextStyle(th.SCALE.size, bold=True, color=th.MUTED)
LEGEND = th.TextStyle(th.GOAL.size, color=th.INK)
CHANGE = th.GOAL
NOTE = th.TextStyle(th.GOAL.size, color=th.MUTED)


@dataclass(frozen=True)
class Column:
    """One stage on the x axis: its index in each map (None where the map lacks it)."""

    name: str
    before: int | None
    after: int | None
    x: float  # the column's centre, in points (the panels' data unit across)


@dataclass(frozen=True)
class Curve:
    """One persona's curve in one of the maps, as drawn."""

    persona: str
    version: Version
    line: Line2D  # one line per curve; NaN lifts the pen where a stage is not rated
    scores: tuple[float | None, ...]  # per column; None where unrated or the stage is missing


@dataclass
class ComparisonDrawing(MapDrawing):
    """The figure plus what was placed where, for the PNG and for tests."""

    comparison: Comparison = field(default_factory=Comparison)
    columns: list[Column] = field(default_factory=list)
    personas: list[str] = field(default_factory=list)
    curves: list[Curve] = field(default_factory=list)
    changes: list[EmotionChange] = field(default_factory=list)  # the ones listed, biggest first
    labels: tuple[str, str] = ("", "")  # the legend's names of before and after

    def curve(self, persona: str, version: Version) -> Curve:
        return next(c for c in self.curves if c.persona == persona and c.version == version)


def _name_key(name: str) -> str:
    """Persona names match as in `flows.analysis.compare`: case- and space-insensitively."""
    return " ".join(name.casefold().split())


def _lighter(colour: str, amount: float = BEFORE_FADE) -> str:
    r, g, b = to_rgb(colour)
    return to_hex((r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount))


def _one_line(text: str, width: float, style: th.TextStyle, fallback: str = "") -> str:
    lines, _ = fit(text, width, style, 1)
    if lines:
        return lines[0]
    return fit(fallback, width, style, 1)[0][0] if clean(fallback) else ""


def default_labels(before: JourneyMap, after: JourneyMap, lang: str) -> tuple[str, str]:
    """The legend's names: the maps' titles; when they are equal, the map types (current
    state, future state) or "before" and "after" tell them apart."""
    before_title, after_title = title_of(before, lang), title_of(after, lang)
    if fold(before_title) != fold(after_title):
        return before_title, after_title
    if before.map_type and after.map_type and before.map_type != after.map_type:
        return (
            tr(lang, "compare.label_type", title=before_title,
               type=map_type_label(lang, before.map_type)),
            tr(lang, "compare.label_type", title=after_title,
               type=map_type_label(lang, after.map_type)),
        )  # fmt: skip
    return (
        tr(lang, "compare.label_before", title=before_title),
        tr(lang, "compare.label_after", title=after_title),
    )


def biggest_changes(comparison: Comparison, columns: list[Column]) -> list[EmotionChange]:
    """Scores that moved at stages both maps have, largest move first, then in stage order."""
    order = {c.after: k for k, c in enumerate(columns) if c.after is not None}
    moved = [e for e in comparison.emotion_changes if e.delta is not None]
    return sorted(moved, key=lambda e: (-abs(e.delta or 0), order.get(e.after_stage, 0)))


class _Sheet:
    """The comparison's layout in points, y growing downwards, as `renderers.layout` does."""

    def __init__(
        self,
        before: JourneyMap,
        after: JourneyMap,
        lang: str,
        labels: tuple[str, str],
    ) -> None:
        self.before, self.after, self.lang, self.labels = before, after, lang, labels
        self.comparison = compare(before, after)
        self.pairs = match_stages(before, after)
        count = max(len(self.pairs), 1)
        narrow = max(MIN_COL_W, min(COL_W, GRID_BUDGET / count))
        self.col_w = max(narrow, (MIN_GRID_W - (count - 1) * th.GAP) / count)
        self.grid_x = th.MARGIN + th.LABEL_W + th.GAP
        self.grid_w = count * self.col_w + (count - 1) * th.GAP
        self.width = self.grid_x + self.grid_w + th.MARGIN
        self.content_w = self.width - 2 * th.MARGIN
        self.columns = [
            Column(self._stage(b, a).name, b, a, self.col_x(k) + self.col_w / 2)
            for k, (b, a) in enumerate(self.pairs)
        ]
        self.personas = self._personas()
        self.layout = Layout(
            width=self.width, height=0.0, map_type=after.map_type, personas=self.personas
        )
        self.panels: list[tuple[str | None, EmotionArea]] = []
        self.legend_y = 0.0
        self.change_markers: list[tuple[float, float, float]] = []  # x, y, delta
        self.title = ""
        self.y = th.MARGIN

    def _stage(self, b: int | None, a: int | None) -> Stage:
        if a is not None:
            return self.after.stages[a]
        assert b is not None
        return self.before.stages[b]

    def _personas(self) -> list[str]:
        """Every persona of either map, after's spelling and order first, as `compare` does."""
        names = personas_of(self.after)
        keys = {_name_key(n) for n in names}
        return names + [n for n in personas_of(self.before) if _name_key(n) not in keys]

    def col_x(self, index: int) -> float:
        return self.grid_x + index * (self.col_w + th.GAP)

    def add(self, cell: Cell) -> Cell:
        self.layout.cells.append(cell)
        return cell

    # -- header ---------------------------------------------------------------------------
    def header(self) -> None:
        heading = _one_line(tr(self.lang, "compare.heading"), self.content_w, th.HEADING)
        box = Box(th.MARGIN, self.y, self.content_w, th.HEADING.pitch)
        self.add(Cell(Kind.HEADING, box, text_block(box.x, box.y, [heading], th.HEADING)))
        self.y = box.bottom + 2

        before_title, after_title = (
            title_of(self.before, self.lang),
            title_of(self.after, self.lang),
        )
        if fold(before_title) == fold(after_title):
            title = after_title
        else:
            title = tr(self.lang, "compare.title_two", before=before_title, after=after_title)
        self.title = clean(title)
        lines, _ = fit(title, self.content_w, th.TITLE, 2)
        box = Box(th.MARGIN, self.y, self.content_w, len(lines) * th.TITLE.pitch)
        self.add(Cell(Kind.TITLE, box, text_block(box.x, box.y, lines, th.TITLE)))
        self.y = box.bottom + 8

    def legend(self) -> None:
        """A dashed and a solid sample line, each with the name of its map."""
        half = (self.content_w - th.GAP) / 2
        text_w = half - LEGEND_SAMPLE_W - 8
        self.legend_y = self.y + LEGEND.pitch / 2
        for k, label in enumerate(self.labels):
            x = th.MARGIN + k * (half + th.GAP) + LEGEND_SAMPLE_W + 8
            shown = _one_line(label, text_w, LEGEND, "—")
            box = Box(x, self.y, text_w, LEGEND.pitch)
            self.add(Cell(Kind.HEADING, box, text_block(x, self.y, [shown], LEGEND)))
        self.y += LEGEND.pitch + 10

    def legend_x(self, k: int) -> float:
        return th.MARGIN + k * ((self.content_w - th.GAP) / 2 + th.GAP)

    # -- stages ---------------------------------------------------------------------------
    def chevrons(self) -> None:
        inset = th.CHEVRON_TIP + 4
        text_w = self.col_w - 2 * inset
        names = []
        for k, (b, a) in enumerate(self.pairs):
            index = a if a is not None else b
            assert index is not None
            style = th.STAGE if a is not None else GHOST_STAGE
            fitted = fit(stage_name(self.lang, self._stage(b, a), index), text_w, style, 2)[0]
            names.append(fitted or [tr(self.lang, "render.stage_number", number=k + 1)])
        tagged = any(b is None or a is None for b, a in self.pairs)
        rows = max((len(n) for n in names), default=1)
        height = max(32.0, 2 * 7 + rows * th.STAGE.pitch + (TAG.pitch if tagged else 0.0))
        if not self.pairs:
            box = Box(self.grid_x, self.y, self.grid_w, height)
            text = tr(self.lang, "render.no_stages")
            top = self.y + (height - th.STAGE.pitch) / 2
            empty = th.TextStyle(th.STAGE.size, bold=True, color=th.FAINT, leading=th.STAGE.leading)
            lines = text_block(box.x + box.w / 2, top, [text], empty, ha="center")
            self.add(Cell(Kind.STAGE, box, lines))
        last = max(len(self.pairs) - 1, 1)
        for k, ((b, a), name_lines) in enumerate(zip(self.pairs, names, strict=True)):
            x = self.col_x(k)
            if a is not None:  # only the stages after has are chevrons; a removed one is a ghost
                self.layout.chevrons.append(
                    Chevron(Box(x, self.y, self.col_w, height), k / last, k == 0)
                )
            style, tag_style = (th.STAGE, TAG) if a is not None else (GHOST_STAGE, GHOST_TAG)
            tag = None
            if b is None:
                tag = tr(self.lang, "compare.stage_added")
            elif a is None:
                tag = tr(self.lang, "compare.stage_removed")
            block = len(name_lines) * style.pitch + (tag_style.pitch if tag else 0.0)
            top = self.y + (height - block) / 2
            box = Box(x + inset, self.y, text_w, height)
            placed = text_block(box.x + text_w / 2, top, name_lines, style, ha="center")
            if tag:
                tag_line = _one_line(tag, text_w, tag_style)
                placed += text_block(
                    box.x + text_w / 2, top + len(name_lines) * style.pitch, [tag_line], tag_style,
                    ha="center",
                )  # fmt: skip
            # A ghost's cell is the whole column: its dashed outline is drawn from it.
            cell_box = box if a is not None else Box(x, self.y, self.col_w, height)
            self.add(Cell(Kind.STAGE, cell_box, placed, stage=k if a is not None else None))
        self.y += height + th.GAP

    # -- panels ---------------------------------------------------------------------------
    def persona_panels(self) -> None:
        count = max(len(self.personas), 1)
        height = max(MIN_PANEL_H, min(th.EMOTION_H, PANEL_BUDGET / count))
        added = {_name_key(p) for p in self.comparison.personas_added}
        removed = {_name_key(p) for p in self.comparison.personas_removed}
        for index, persona in enumerate(self.personas or [None]):
            tag = None
            if persona is not None and _name_key(persona) in added:
                tag = tr(self.lang, "compare.persona_added")
            elif persona is not None and _name_key(persona) in removed:
                tag = tr(self.lang, "compare.persona_removed")
            name = persona if persona is not None else lane_label(self.lang, ratings_lane())
            self.panel(index, persona, name, tag, height)

    def panel(
        self, index: int, persona: str | None, name: str, tag: str | None, height: float
    ) -> None:
        label = Box(th.MARGIN, self.y, th.LABEL_W, height)
        text_w = th.LABEL_W - 2 * th.PAD - 18  # the scale is written on the right
        lines = fit(name, text_w, th.LANE_LABEL, 3)[0] or ["—"]
        tag_lines = fit(tag, text_w, TAG, 2)[0] if tag else []
        block = len(lines) * th.LANE_LABEL.pitch + len(tag_lines) * TAG.pitch
        top = self.y + (height - block) / 2
        placed = text_block(label.x + th.PAD, top, lines, th.LANE_LABEL)
        placed += text_block(
            label.x + th.PAD, top + len(lines) * th.LANE_LABEL.pitch, tag_lines, TAG
        )
        area = EmotionArea(
            Box(self.grid_x, self.y, self.grid_w, height),
            tuple(c.x for c in self.columns),
            (),
        )
        right = label.right - 6
        for score in (EMOTION_MAX, 0, EMOTION_MIN):
            mid = area.score_y(score) - th.SCALE.pitch / 2
            placed += text_block(right, mid, [score_text(score)], th.SCALE, ha="right")
        self.add(Cell(Kind.LABEL, label, placed, lane=ratings_lane(), persona=index))
        cell = Cell(Kind.EMOTION, area.box, lane=ratings_lane())
        if persona is None:
            note = fit(tr(self.lang, "compare.no_personas"), area.box.w - 2 * th.PAD, NOTE, 2)[0]
            mid = area.box.y + (area.box.h - len(note) * NOTE.pitch) / 2
            cell.lines = text_block(area.box.x + area.box.w / 2, mid, note, NOTE, ha="center")
        self.add(cell)
        self.panels.append((persona, area))
        self.y += height + th.GAP

    # -- what changed ---------------------------------------------------------------------
    def changes(self) -> list[EmotionChange]:
        self.y += 6
        heading = _one_line(tr(self.lang, "compare.changes"), self.content_w, th.HEADING)
        box = Box(th.MARGIN, self.y, self.content_w, th.HEADING.pitch)
        self.add(Cell(Kind.HEADING, box, text_block(box.x, box.y, [heading], th.HEADING)))
        self.y = box.bottom + 4
        listed = biggest_changes(self.comparison, self.columns)
        indent = 14.0
        text_w = self.content_w - indent
        shown = listed[:MAX_CHANGES]
        for change in shown:
            before, after = change.before or 0.0, change.after or 0.0
            text = tr(
                self.lang,
                "compare.change",
                stage=_one_line(change.stage_name, 0.45 * text_w, CHANGE, "—"),
                persona=_one_line(change.persona, 0.25 * text_w, CHANGE, "—"),
                before=score_text(before, self.lang),
                after=score_text(after, self.lang),
                delta=score_text(after - before, self.lang),
            )
            self.change_markers.append((th.MARGIN + 5, self.y + CHANGE.pitch / 2, after - before))
            self.line(th.MARGIN + indent, _one_line(text, text_w, CHANGE), CHANGE)
        if len(listed) > len(shown):
            more = tr(self.lang, "compare.more", count=len(listed) - len(shown))
            self.line(th.MARGIN + indent, _one_line(more, text_w, NOTE), NOTE)
        if not listed:
            rated = any(s.emotions for m in (self.before, self.after) for s in m.stages)
            key = "compare.no_changes" if rated else "compare.no_ratings"
            for text in fit(tr(self.lang, key), self.content_w, NOTE, 2)[0]:
                self.line(th.MARGIN, text, NOTE)
        return shown

    def line(self, x: float, text: str, style: th.TextStyle) -> None:
        """One line of the list under the chart."""
        box = Box(x, self.y, th.MARGIN + self.content_w - x, style.pitch)
        self.add(Cell(Kind.FOOTER, box, text_block(x, self.y, [text], style)))
        self.y = box.bottom

    def build(self) -> list[EmotionChange]:
        self.header()
        self.legend()
        self.chevrons()
        self.persona_panels()
        listed = self.changes()
        self.layout.height = self.y + th.MARGIN
        return listed


def _version_scores(
    journey_map: JourneyMap, indices: list[int | None], persona: str
) -> list[float | None]:
    """The persona's score in one map at each column (None: unrated, or no such stage)."""
    names = {_name_key(n): n for n in personas_of(journey_map)}
    name = names.get(_name_key(persona))
    return [
        None if i is None or name is None else journey_map.stages[i].emotion_of(name)
        for i in indices
    ]


def _curve_points(
    xs: list[float], scores: list[float | None], present: list[bool]
) -> tuple[np.ndarray, np.ndarray]:
    """The eased curve through the rated stages of one map, NaN between runs. A stage the map
    does not have is stepped over (its neighbours were neighbours in that map); a stage it
    has but nobody rated breaks the curve, as on the map."""
    kept = [k for k in range(len(xs)) if present[k]]
    parts_x: list[np.ndarray] = []
    parts_y: list[np.ndarray] = []
    for run in runs([scores[k] for k in kept]):
        cx, cy = eased([xs[kept[i]] for i, _ in run], [score for _, score in run])
        if parts_x:
            parts_x.append(np.array([np.nan]))
            parts_y.append(np.array([np.nan]))
        parts_x.append(cx)
        parts_y.append(cy)
    if not parts_x:
        return np.array([]), np.array([])
    return np.concatenate(parts_x), np.concatenate(parts_y)


def draw_comparison(
    before: JourneyMap,
    after: JourneyMap,
    lang: str | None = None,
    *,
    before_label: str | None = None,
    after_label: str | None = None,
) -> ComparisonDrawing:
    """Lay the comparison out and draw it; the figure is not rendered to pixels yet. The
    language is `lang`, else `after`'s; the legend names the maps `before_label` and
    `after_label`, else by their titles (see `default_labels`)."""
    lang = language_of(after, lang)
    defaults = default_labels(before, after, lang)
    labels = (before_label or defaults[0], after_label or defaults[1])
    sheet = _Sheet(before, after, lang, labels)
    listed = sheet.build()
    layout = sheet.layout
    painter = Painter(layout)
    fig = painter.figure
    colours = persona_colours(len(sheet.personas))
    drawing = ComparisonDrawing(
        fig,
        layout,
        comparison=sheet.comparison,
        columns=sheet.columns,
        personas=sheet.personas,
        changes=listed,
        labels=labels,
    )
    for chevron in layout.chevrons:
        painter.chevron(chevron)
    for cell in layout.cells:
        if cell.kind == Kind.STAGE and cell.stage is None and sheet.pairs:
            painter.box(cell.box, "none", th.FAINT, 1.0, linestyle=(0, (4, 3)))  # a ghost
        elif cell.kind == Kind.STAGE and cell.stage is None:
            painter.background(cell, colours)  # "no stages yet"
        elif cell.kind == Kind.LABEL:
            # A persona's panel in its colour; the one empty panel in the emotion lane's.
            emotion = ratings_lane().colour
            colour = colours[cell.persona or 0] if sheet.personas else emotion
            painter.box(cell.box, colour)
        elif cell.kind == Kind.EMOTION:
            painter.background(cell, colours)
        texts = draw_lines(fig, painter.pt, cell.lines)
        drawing.cells.append(DrawnCell(cell, texts, painter.pt))
    _draw_legend(sheet, painter)
    _draw_change_markers(sheet, painter)
    for persona, area in sheet.panels:
        if persona is None:
            continue  # the empty panel holds only its note: a grid would strike it through
        ax = emotion_axes(fig, layout, area)
        for score in EMOTION_SCORES:
            if score:
                ax.axhline(score, color=SCORE_GRID, linewidth=0.6, zorder=0)
        ax.axhline(0, color=th.ZERO_LINE, linewidth=0.9, linestyle=(0, (4, 3)), zorder=0)
        for column in sheet.columns[1:]:
            ax.axvline(column.x - (sheet.col_w + th.GAP) / 2, color=COLUMN_GRID, linewidth=0.6)
        colour = colours[sheet.personas.index(persona)]
        drawing.curves += _draw_persona(drawing, ax, persona, colour, before, after)
    fig.set_label(sheet.title)
    return drawing


def _draw_legend(sheet: _Sheet, painter: Painter) -> None:
    """The line samples before the two names: dashed and light for before, solid for after."""
    y = sheet.legend_y
    samples: tuple[tuple[str, dict[str, Any]], ...] = (
        (_lighter(th.INK), {"linestyle": (0, BEFORE_DASH), "linewidth": BEFORE_WIDTH}),
        (th.INK, {"linewidth": AFTER_WIDTH}),
    )
    for k, (colour, style) in enumerate(samples):
        x = sheet.legend_x(k)
        painter.add(Line2D([x, x + LEGEND_SAMPLE_W], [y, y], color=colour, zorder=2, **style))
        dot = Line2D(
            [x + LEGEND_SAMPLE_W / 2], [y], marker="o", markersize=6.5 if k else 5.2,
            markerfacecolor=colour, markeredgecolor="white", markeredgewidth=1.0, zorder=2.5,
        )  # fmt: skip
        painter.add(dot)


def _draw_change_markers(sheet: _Sheet, painter: Painter) -> None:
    """A green triangle up for a better score, a red one down for a worse one."""
    for x, y, delta in sheet.change_markers:
        colour = score_colour(EMOTION_MAX if delta > 0 else EMOTION_MIN)
        marker = Line2D(
            [x], [y], marker="^" if delta > 0 else "v", markersize=7, markerfacecolor=colour,
            markeredgecolor="none", linestyle="none", zorder=2.5,
        )  # fmt: skip
        painter.add(marker)


def _draw_persona(
    drawing: ComparisonDrawing,
    ax: Axes,
    persona: str,
    colour: str,
    before: JourneyMap,
    after: JourneyMap,
) -> list[Curve]:
    """The persona's two curves and their faces; the before faces smaller and paler, and
    shifted left of the after ones where both maps rate the stage."""
    columns = drawing.columns
    xs = [c.x for c in columns]
    scores = {
        "before": _version_scores(before, [c.before for c in columns], persona),
        "after": _version_scores(after, [c.after for c in columns], persona),
    }
    present = {
        "before": [c.before is not None for c in columns],
        "after": [c.after is not None for c in columns],
    }
    styles: dict[str, dict[str, Any]] = {
        "before": {
            "color": _lighter(colour), "linewidth": BEFORE_WIDTH, "linestyle": (0, BEFORE_DASH),
            "dash_capstyle": "round", "zorder": 2,
        },
        "after": {
            "color": colour, "linewidth": AFTER_WIDTH, "solid_capstyle": "round", "zorder": 2.5,
        },
    }  # fmt: skip
    fig = drawing.figure
    points = Affine2D().scale(1 / 72) + fig.dpi_scale_trans
    curves = []
    versions: tuple[Version, Version] = ("before", "after")
    for version in versions:
        cx, cy = _curve_points(xs, scores[version], present[version])
        (line,) = ax.plot(cx, cy, **styles[version])
        line.set_gid(f"{version}:{persona}")
        curves.append(Curve(persona, version, line, tuple(scores[version])))
    for k, x in enumerate(xs):
        both = scores["before"][k] is not None and scores["after"][k] is not None
        for version, shift in (("before", -FACE_SHIFT), ("after", FACE_SHIFT)):
            score = scores[version][k]
            if score is None:
                continue
            # Any transform will do (it is only asked to transform the point); matplotlib's
            # stubs name the affine base class.
            to_data = cast(Affine2DBase, ax.transData)
            at = points + ScaledTranslation(x + (shift if both else 0.0), score, to_data)
            if version == "before":
                patches = face(score, _lighter(colour), at, BEFORE_FACE_RADIUS)
                patches[0].set_facecolor(_lighter(score_colour(score)))
                for patch in patches[1:]:
                    patch.set_alpha(0.6)
                z = 3.0
            else:
                patches = face(score, colour, at)
                z = 3.5
            for patch in patches:
                patch.set_zorder(z)
                ax.add_artist(patch)
    return curves


def render_comparison(
    before: JourneyMap,
    after: JourneyMap,
    lang: str | None = None,
    *,
    before_label: str | None = None,
    after_label: str | None = None,
) -> bytes:
    """The comparison as a PNG sized like the map's preview, so sendPhoto takes it: the long
    side at most `theme.PREVIEW_LONG_SIDE` pixels (width + height ≤ 10000, well under 10 MB)."""
    drawing = draw_comparison(
        before, after, lang, before_label=before_label, after_label=after_label
    )
    return png_bytes(drawing, preview_dpi(drawing.layout))
