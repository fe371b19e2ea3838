"""One entry point for every export, for the bot, the worker pool and the CLI
(`journeybot render MAP.json -o OUT [--lang L]`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from flows.model import JourneyMap
from renderers.document import Checklist

# format -> (file extension, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "preview": (".png", "image/png"),  # for sendPhoto: fits Telegram's limits, legible on a phone
    "png": (".png", "image/png"),  # full resolution, to send as a document
    "pdf": (".pdf", "application/pdf"),
    "html": (".html", "text/html; charset=utf-8"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "json": (".json", "application/json"),
}
# The format a file name asks for; a .png file gets the full resolution.
BY_EXTENSION = {
    ".png": "png",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".json": "json",
}


def _exporter(fmt: str) -> Callable[[JourneyMap, str | None, Checklist], bytes]:
    # Imported on demand: the JSON and CSV exports need no matplotlib.
    if fmt in ("preview", "png"):
        from renderers.image import render_png

        return lambda m, lang, _: render_png(m, lang=lang, preview=fmt == "preview")
    if fmt == "pdf":
        from renderers.pdf import pdf_bytes

        return pdf_bytes
    if fmt == "html":
        from renderers.htmlpage import html_text

        return lambda m, lang, checklist: html_text(m, lang, checklist).encode("utf-8")
    if fmt == "csv":
        from renderers.tabular import csv_bytes

        return lambda m, lang, _: csv_bytes(m, lang)
    if fmt == "json":
        return lambda m, _lang, _checklist: m.to_json().encode("utf-8")
    raise ValueError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")


def export_map(
    journey_map: JourneyMap, fmt: str, *, lang: str | None = None, checklist: Checklist = None
) -> bytes:
    """The map in `fmt` (see FORMATS). `lang` overrides the map's language for the labels;
    `checklist` (sections of (text, ticked) items, or plain text) goes into the PDF and HTML."""
    return _exporter(fmt)(journey_map, lang, checklist)


def format_for(path: Path) -> str:
    fmt = BY_EXTENSION.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(BY_EXTENSION))
        raise ValueError(
            f"Cannot export to {path.name!r}: the file name must end in one of {known}"
        )
    return fmt


def render_file(src: Path, out: Path, lang: str | None = None) -> Path:
    """Read a map saved as JSON and write it to `out`, in the format its extension names."""
    fmt = format_for(out)
    journey_map = JourneyMap.from_json(Path(src).read_bytes())
    out.write_bytes(export_map(journey_map, fmt, lang=lang))
    return out


def file_name(journey_map: JourneyMap, fmt: str) -> str:
    """A file name for sending the export as a document: the title, made safe."""
    slug = re.sub(r"[^\w]+", "-", journey_map.title.lower(), flags=re.UNICODE).strip("-")[:60]
    extension = FORMATS[fmt][0]
    suffix = "-preview" if fmt == "preview" else ""
    return f"{slug or 'journey-map'}{suffix}{extension}"
