"""How long answering takes, by one simple model: reading a question takes 4 s, a tap 2 s, a
typed message 20 s. The progress line's "~N min left" and the effort benchmark
(benchmarks/bench_effort.py) both count with it, so what the interview promises is what the
benchmark measures."""

from __future__ import annotations

import math

READ_SECONDS = 4
TAP_SECONDS = 2
TYPED_SECONDS = 20


def seconds(questions: int, taps: int, typed: int) -> int:
    return questions * READ_SECONDS + taps * TAP_SECONDS + typed * TYPED_SECONDS


def minutes(total_seconds: float) -> int:
    """Whole minutes, rounded up (a promise of "~5 min" should not run over)."""
    return max(1, math.ceil(total_seconds / 60)) if total_seconds > 0 else 0


# What answering one question is expected to cost (seconds, reading included): the progress
# line's "~N min left". A list with suggestions: two taps and Next; without: two typed items
# and a tap to go on.
_EXPECTED = {
    "choice": READ_SECONDS + TAP_SECONDS,
    "emotion": READ_SECONDS + TAP_SECONDS,
    "review": READ_SECONDS + TAP_SECONDS,
    "text": READ_SECONDS + TYPED_SECONDS,
    "list": READ_SECONDS + 2 * TYPED_SECONDS + TAP_SECONDS,
}
_EXPECTED_OFFERED = {
    "text": READ_SECONDS + TAP_SECONDS,
    "list": READ_SECONDS + 3 * TAP_SECONDS,
}


def expected_seconds(kind: str, offered: bool) -> int:
    """A question of this kind (flows.steps.Kind's value); `offered`: it shows suggestions."""
    if offered and kind in _EXPECTED_OFFERED:
        return _EXPECTED_OFFERED[kind]
    return _EXPECTED[kind]
