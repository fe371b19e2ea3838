"""What the map's pictures are sent as, and what they must fit: plain data, no matplotlib, so
the bot can ask for pictures without importing the renderers' drawing code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhotoLimits:
    """What a picture sent as a photo may be. The bot passes its messenger's numbers
    (bot/telegram_limits.py); the renderers' own PREVIEW below is what the CLI's preview
    export and the README pictures use."""

    max_side_sum: int  # width + height, in pixels
    max_ratio: float  # long side / short side
    max_bytes: int
    long_side: int  # the largest side the messenger keeps and a phone shows (bigger photos
    # within the limits are scaled to it by the messenger; past them, by the renderer)


@dataclass(frozen=True)
class MapPictures:
    """What the bot sends for a map: `photos` for sendPhoto (one, or one per part when the map
    is too big for one legible photo: `parts` names each part's stages, 1-based), and
    `full_png`, the whole map at full resolution, for sendDocument."""

    photos: list[bytes]
    full_png: bytes
    parts: list[tuple[int, int]]  # (first stage, last stage), one per photo
    full_size: tuple[int, int]  # pixels
    photo_sizes: list[tuple[int, int]]


# A phone screen's worth of picture, for the renderers' own previews.
PREVIEW = PhotoLimits(max_side_sum=5120, max_ratio=20.0, max_bytes=10 * 1024 * 1024, long_side=2560)
