"""Telegram's limits, in one place (the renderers take them as parameters, never import them)."""

from __future__ import annotations

from renderers.pictures import PhotoLimits

# sendPhoto: width + height at most 10,000 px, ratio at most 20, at most 10 MB; Telegram keeps
# (and a phone shows) a photo at most 2,560 px on its long side.
PHOTO = PhotoLimits(max_side_sum=10_000, max_ratio=20.0, max_bytes=10 * 1024 * 1024, long_side=2560)
# sendDocument from a bot: at most 50 MB.
DOCUMENT_BYTES = 50 * 1024 * 1024
# (The 4,096 characters of a message and 1,024 of a caption are in bot/replies.py.)
