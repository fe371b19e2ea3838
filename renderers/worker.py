"""What runs inside a render worker process. Importing this module imports matplotlib and the
renderers, so the pool's fork server preloads it once and every worker starts warm."""

from __future__ import annotations

import gc
import os
import resource

from flows.model import Author, Item, JourneyMap, Persona, Rating, Stage
from renderers.document import Checklist
from renderers.export import export_map
from renderers.image import render_pictures, render_png
from renderers.pictures import MapPictures, PhotoLimits


def background() -> None:
    """Renders get the CPU only when nothing else wants it. On a two-core machine with two
    busy workers the bot's event loop otherwise waits for a scheduler slice when it wakes:
    measured here, 70 ms at equal priority, ~6 ms at nice 10, under 1.5 ms as SCHED_IDLE."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        os.nice(10)


def warm_up() -> None:
    """The worker's initializer: loads the fonts and their metrics and draws every kind of
    artist once, so the first real render costs what any other does."""
    background()
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
        # Validated where it came in (the bot, the CLI); the limits need no second check here.
        journey_map = JourneyMap.from_json(map_json, limits=None)
        return export_map(journey_map, fmt, lang=lang, checklist=checklist)
    finally:
        # A figure is a web of reference cycles holding its pixel buffer (tens of MB at full
        # resolution): collected now, a worker stays near 140 MB instead of growing by one
        # buffer per render until the cyclic collector happens to run. Costs ~30 ms.
        gc.collect()


def pictures_job(map_json: str, lang: str | None, limits: PhotoLimits) -> MapPictures:
    """The bot's pictures of a map: the photo(s) and the full-resolution PNG, drawn once."""
    try:
        journey_map = JourneyMap.from_json(map_json, limits=None)
        return render_pictures(journey_map, lang, limits)
    finally:
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


def matrix_job(map_json: str, rated: list, numbers: dict[str, int], lang: str | None) -> bytes:
    """The map's opportunities on the priority matrix (renderers.matrix)."""
    from renderers.matrix import render_matrix

    try:
        return render_matrix(JourneyMap.from_json(map_json, limits=None), rated, numbers, lang)
    finally:
        gc.collect()
