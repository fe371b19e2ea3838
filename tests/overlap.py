"""Texts of a drawing that overlap one another: the check the map and the matrix share."""

from __future__ import annotations

from typing import Any

import numpy as np

TOLERANCE = 0.5  # pixels: rounding of the extents, not room for a real overflow


def overlapping(placed: list[tuple[Any, Any]]) -> list[tuple[str, str]]:
    """Pairs of (text artist, extent) whose extents overlap by more than the tolerance."""
    boxes = np.array([[b.x0, b.y0, b.x1, b.y1] for _, b in placed])
    across = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(
        boxes[:, None, 0], boxes[None, :, 0]
    )
    down = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(
        boxes[:, None, 1], boxes[None, :, 1]
    )
    clash = (across > TOLERANCE) & (down > TOLERANCE)
    np.fill_diagonal(clash, False)
    return [
        (placed[i][0].get_text(), placed[j][0].get_text())
        for i, j in zip(*np.nonzero(clash), strict=True)
    ]
