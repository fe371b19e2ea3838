"""Standalone HTML export: opens anywhere offline, the picture inside, the text selectable."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from flows.model import JourneyMap
from renderers.document import Checklist, Section, build_report
from renderers.image import draw_map, full_dpi, png_bytes
from renderers.labels import tr

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Part:
    """A stage (or the personas, the needs, the checklist) with the lanes under it."""

    heading: Section | None
    lanes: list[dict] = field(default_factory=list)


def parts_of(sections: list[Section]) -> list[Part]:
    parts: list[Part] = []
    for section in sections:
        if section.level == 1:
            parts.append(Part(section))
            continue
        if not parts:
            parts.append(Part(None))
        colour = section.lane.colour if section.lane else None
        parts[-1].lanes.append({"section": section, "colour": colour})
    return parts


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html_text(journey_map: JourneyMap, lang: str | None = None, checklist: Checklist = None) -> str:
    report = build_report(journey_map, lang, checklist)
    drawing = draw_map(journey_map, report.lang, text="raster")
    # The full resolution, so zooming into the page stays sharp.
    image = base64.b64encode(png_bytes(drawing, full_dpi(drawing.layout))).decode("ascii")
    return (
        environment()
        .get_template("map.html.j2")
        .render(
            report=report,
            parts=parts_of(report.sections),
            image_base64=image,
            image_alt=tr(report.lang, "render.image_alt", title=report.title),
            details=tr(report.lang, "render.details"),
            made_with=tr(report.lang, "render.made_with"),
        )
    )
