"""Vector faces for the emotion lane (Agg cannot draw colour emoji) and the score colours."""

from __future__ import annotations

from functools import cache

from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.patches import Circle, PathPatch
from matplotlib.path import Path
from matplotlib.transforms import Transform

from flows.spec import EMOTION_MAX, EMOTION_MIN
from renderers import theme as th


@cache
def _ramp() -> LinearSegmentedColormap:
    return LinearSegmentedColormap.from_list("score", th.SCORE_RAMP)


def score_colour(score: float) -> str:
    """Red at the bottom of the scale, amber in the middle, green at the top."""
    position = (score - EMOTION_MIN) / (EMOTION_MAX - EMOTION_MIN)
    return to_hex(_ramp()(min(max(position, 0.0), 1.0)))


def _mouth(score: float, r: float) -> Path:
    """A curve that smiles for a positive score, frowns for a negative one, flat at 0."""
    bend = score / max(EMOTION_MAX, -EMOTION_MIN)  # −1 … +1
    half, y = 0.42 * r, -0.30 * r - 0.08 * r * min(bend, 0)
    control = y - 0.55 * r * bend
    return Path([(-half, y), (0, control), (half, y)], [Path.MOVETO, Path.CURVE3, Path.CURVE3])


def _eyes(r: float) -> Path:
    eye = 0.12 * r
    return Path.make_compound_path(
        Path.circle((-0.34 * r, 0.22 * r), eye), Path.circle((0.34 * r, 0.22 * r), eye)
    )


def face(score: float, edge: str, transform: Transform, radius: float = th.FACE_RADIUS) -> list:
    """The patches of one face, drawn in points around the origin of `transform`."""
    disc = Circle(
        (0, 0),
        radius,
        facecolor=score_colour(score),
        edgecolor=edge,
        linewidth=1.8,
        transform=transform,
    )
    ink = {"transform": transform, "edgecolor": th.FACE_INK, "capstyle": "round"}
    eyes = PathPatch(_eyes(radius), facecolor=th.FACE_INK, linewidth=0, **ink)
    mouth = PathPatch(_mouth(score, radius), facecolor="none", linewidth=1.3, **ink)
    return [disc, eyes, mouth]
