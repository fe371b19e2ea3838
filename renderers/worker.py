"""What runs inside a render worker process. Importing this module imports matplotlib and the
renderers, so the pool's fork server preloads it once and every worker starts warm."""

from __future__ import annotations

import gc
import os
import resource

from flows.model import Author, Item, JourneyMap, Persona, Rating, Stage
from renderers.document import Checklist
from renderers.export import export_map
from renderers.image import render_png


def warm_up() -> None:
    """The worker's initializer: loads the fonts and their metrics and draws every kind of
    artist once, so the first real render costs what any other does. It also lowers the
    worker's priority: on a small machine the bot's event loop must win the CPU when it wakes,
    or its latency grows by a scheduler slice while renders run."""
    os.nice(10)
    who = Author(id="0", name="warm-up")
    stage = Stage(
        name="Ą ż",
        touchpoints=[Item(text="Łódź „x” – y", author=who)],
        owner=Item(text="x", author=who),
    )
    stage.rate(Rating(persona="P", score=1, author=who))
    sample = JourneyMap(
        title="warm-up", goal="x", personas=[Persona(name="P", author=who)], stages=[stage]
    )
    render_png(sample, preview=True)


def render_job(map_json: str, fmt: str, lang: str | None, checklist: Checklist) -> bytes:
    """One render: the map travels as its JSON text (small and cheap to pickle)."""
    try:
        return export_map(JourneyMap.from_json(map_json), fmt, lang=lang, checklist=checklist)
    finally:
        # A figure is a web of reference cycles holding its pixel buffer (tens of MB at full
        # resolution): collected now, a worker stays near 140 MB instead of growing by one
        # buffer per render until the cyclic collector happens to run. Costs ~30 ms.
        gc.collect()


def process_id() -> int:
    return os.getpid()


def peak_rss_kib() -> int:
    """The worker's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def compare_job(
    before_json: str, after_json: str, lang: str | None, before_label: str, after_label: str
) -> bytes:
    """Two maps' emotion curves in one picture (/compare)."""
    from renderers.compare import render_comparison

    try:
        return render_comparison(
            JourneyMap.from_json(before_json),
            JourneyMap.from_json(after_json),
            lang,
            before_label=before_label,
            after_label=after_label,
        )
    finally:
        gc.collect()
