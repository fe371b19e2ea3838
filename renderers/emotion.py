"""The emotion lane: one curve per persona over the scale — each in its own colour and line
style, its faces side by side within the stage's column — a face at every rated stage, in a
group map the spread of the members' ratings behind each face, a legend for both, and each
stage's emotion words after a small face of their persona."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.transforms import Affine2D

from flows.model import Stage
from flows.spec import EMOTION_SCORES
from renderers import theme as th
from renderers.faces import face
from renderers.layout import WORD_FACE_RADIUS, EmotionArea, Layout

CURVE_WIDTH = 2.4
SPREAD_WIDTH = 2 * th.FACE_RADIUS - 3


def line_style(persona: int) -> Literal["solid"] | tuple[float, tuple[float, ...]]:
    """The persona's line style (theme.PERSONA_DASHES), as matplotlib takes it."""
    dashes = th.PERSONA_DASHES[persona % len(th.PERSONA_DASHES)]
    return "solid" if dashes is None else (0.0, dashes)


@dataclass(frozen=True)
class PlacedFace:
    persona: str
    stage: int
    score: float  # the mean of everyone's ratings
    x: float  # in points, the axes' data unit across
    disc: Circle


def eased(xs: list[float], ys: list[float], samples: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """A curve through the points that rests flat at each one (smoothstep between them): it
    never overshoots the scale, and each face sits on a level stretch of its persona's line."""
    if len(xs) < 2:
        return np.asarray(xs, float), np.asarray(ys, float)
    t = np.linspace(0.0, 1.0, samples)
    ease = t * t * (3 - 2 * t)
    parts_x, parts_y = [], []
    for k in range(len(xs) - 1):
        parts_x.append(xs[k] + (xs[k + 1] - xs[k]) * t)
        parts_y.append(ys[k] + (ys[k + 1] - ys[k]) * ease)
    return np.concatenate(parts_x), np.concatenate(parts_y)


def runs(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive rated stages, (index, value) each: a curve breaks where a stage is not
    rated."""
    out: list[list[tuple[int, float]]] = []
    for index, value in enumerate(values):
        if value is None:
            continue
        if out and out[-1][-1][0] == index - 1:
            out[-1].append((index, value))
        else:
            out.append([(index, value)])
    return out


def emotion_axes(fig: Figure, layout: Layout, area: EmotionArea) -> Axes:
    box = area.box
    rect = (
        box.x / layout.width,
        1 - box.bottom / layout.height,
        box.w / layout.width,
        box.h / layout.height,
    )
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.set_xlim(box.x, box.right)
    ax.set_ylim(area.low, area.high)
    ax.set_zorder(2)  # over the cell backgrounds, under the texts
    return ax


def draw_emotion(
    painter, layout: Layout, stages: list[Stage], colours: list[str]
) -> tuple[list[Line2D], list[PlacedFace]]:
    """The grid, the curves, the spread bars and the faces, straight onto the figure in the
    layout's points (no Axes: a score is a height in the lane, see EmotionArea.score_y). The
    lines drawn (curves, spreads) and the faces placed."""
    area = layout.emotion
    assert area is not None
    box = area.box
    per_score = box.h / (area.high - area.low)
    # (x in points, score) -> the layout's points (y down) -> display
    scores = Affine2D().scale(1, -per_score).translate(0, box.y + area.high * per_score)
    to_display = scores + painter.pt
    figure = painter.figure

    def line(xs, ys, **style) -> Line2D:
        drawn = Line2D(xs, ys, transform=to_display, **style)
        figure.add_artist(drawn)
        return drawn

    for score in EMOTION_SCORES:
        if score:
            line([box.x, box.right], [score, score], color="#f1e4b8", linewidth=0.6, zorder=1.2)
    line(
        [box.x, box.right], [0, 0], color=th.ZERO_LINE, linewidth=0.9,
        linestyle=(0, (4, 3)), zorder=1.2,
    )  # fmt: skip
    for left in area.centres[1:]:
        x = left - layout_col_pitch(area) / 2
        line([x, x], [area.low, area.high], color="#eee3c4", linewidth=0.6, zorder=1.2)

    drawn: list[Line2D] = []
    placed: list[PlacedFace] = []
    for j, persona in enumerate(layout.personas):
        colour = colours[j]
        xs = [c + area.offsets[j] for c in area.centres]
        means = [s.emotion_of(persona) for s in stages]
        for run in runs(means):
            cx, cy = eased([xs[i] for i, _ in run], [mean for _, mean in run])
            drawn.append(
                line(
                    cx, cy, color=colour, linewidth=CURVE_WIDTH, linestyle=line_style(j),
                    solid_capstyle="round", dash_capstyle="round", zorder=1.6,
                )
            )  # fmt: skip
        for i, stage in enumerate(stages):
            mean, spread = means[i], stage.emotion_spread(persona)
            if mean is None or spread is None:
                continue
            if spread[0] != spread[1]:
                bar = line(
                    [xs[i], xs[i]], list(spread), color=colour, alpha=th.SPREAD_ALPHA,
                    linewidth=SPREAD_WIDTH, solid_capstyle="round", zorder=1.4,
                )  # fmt: skip
                drawn.append(bar)
            at = Affine2D().scale(1, -1).translate(xs[i], area.score_y(mean)) + painter.pt
            patches = face(mean, colour, at)
            for patch in patches:
                patch.set_zorder(1.8)
                figure.add_artist(patch)
            placed.append(PlacedFace(persona, i, mean, xs[i], patches[0]))
    return drawn, placed


def layout_col_pitch(area: EmotionArea) -> float:
    """The distance between two stage centres (one column and its gap)."""
    if len(area.centres) < 2:
        return area.box.w
    return area.centres[1] - area.centres[0]


def draw_swatches(painter, layout: Layout, colours: list[str]) -> None:
    """The legend's line samples and spread bar, and the faces before the emotion words; in
    the layout's points (painter.pt: y down)."""
    for swatch in layout.swatches:
        colour = colours[swatch.persona] if swatch.persona < len(colours) else th.MUTED
        if swatch.kind == "line":
            x, y = swatch.x, swatch.y
            painter.add(
                Line2D(
                    [x, x + 24], [y, y], color=colour, linewidth=CURVE_WIDTH,
                    linestyle=line_style(swatch.persona), dash_capstyle="round", zorder=2.5,
                )
            )  # fmt: skip
            painter.add(
                Line2D(
                    [x + 12], [y], marker="o", markersize=6, markerfacecolor=colour,
                    markeredgecolor="white", markeredgewidth=1.0, zorder=2.6,
                )
            )  # fmt: skip
        elif swatch.kind == "spread":
            x, y = swatch.x + 12, swatch.y
            bar = Line2D(
                [x, x], [y - 5, y + 5], color=th.MUTED, alpha=th.SPREAD_ALPHA * 1.6,
                linewidth=SPREAD_WIDTH * 0.8, solid_capstyle="round", zorder=2.5,
            )  # fmt: skip
            painter.add(bar)
        elif swatch.kind == "face":
            at = Affine2D().scale(1, -1).translate(swatch.x, swatch.y) + painter.pt
            for patch in face(swatch.score, colour, at, radius=WORD_FACE_RADIUS):
                patch.set_zorder(2.6)
                patch.set_linewidth(min(patch.get_linewidth(), 1.1))
                painter.figure.add_artist(patch)
