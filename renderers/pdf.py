"""PDF export: the map on the first page (vector, any zoom stays sharp), then every answer in
full on A4 pages, then the checklist when there is one."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from flows.model import JourneyMap
from renderers import theme as th
from renderers.document import Checklist, Entry, Report, Section, build_report
from renderers.image import draw_lines, draw_map, points_transform
from renderers.labels import tr
from renderers.layout import Line, text_block
from renderers.textfit import fit, wrap

WIDTH, HEIGHT = th.A4
LEFT, TOP = th.DOC_MARGIN, th.DOC_MARGIN
BOTTOM = HEIGHT - th.DOC_MARGIN
TEXT_W = WIDTH - 2 * th.DOC_MARGIN
MARK_W = 14.0  # room for the bullet or the checkbox before an entry


@dataclass
class Pages:
    """Lines flowed onto pages, top to bottom."""

    pages: list[list[Line]] = field(default_factory=lambda: [[]])
    y: float = TOP

    def room(self, height: float) -> bool:
        return self.y + height <= BOTTOM

    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP

    def put(self, lines: list[str], style: th.TextStyle, x: float = LEFT) -> None:
        """Lines go where there is room, onto the next page when there is none."""
        for text in lines:
            if not self.room(style.pitch):
                self.new_page()
            self.pages[-1] += text_block(x, self.y, [text], style)
            self.y += style.pitch

    def mark(self, glyph: str, style: th.TextStyle) -> None:
        """The bullet or box in front of the entry whose first line comes next."""
        if not self.room(style.pitch):
            self.new_page()
        self.pages[-1] += text_block(LEFT, self.y, [glyph], style)


def _entry_text(entry: Entry) -> str:
    return f"{entry.text} — {entry.author}" if entry.author else entry.text


def _flow_section(pages: Pages, section: Section) -> None:
    if section.level == 1:
        style, space = th.DOC_PART, 10.0
    else:
        colour = section.lane.colour if section.lane else th.INK
        style, space = th.TextStyle(th.DOC_LANE.size, bold=True, color=colour), 4.0
    heading = wrap(section.heading, TEXT_W, style)
    first = (
        wrap(_entry_text(section.entries[0]), TEXT_W - MARK_W, th.DOC_BODY)[:1]
        if section.entries
        else []
    )
    # A heading never ends a page alone.
    if not pages.room(space + len(heading) * style.pitch + len(first) * th.DOC_BODY.pitch):
        pages.new_page()
    elif pages.y > TOP:
        pages.y += space
    pages.put(heading, style)
    for entry in section.entries:
        body = th.DOC_MUTED if entry.muted else th.DOC_BODY
        lines = wrap(_entry_text(entry), TEXT_W - MARK_W, body)
        if not lines:
            continue
        glyph = "•" if entry.ticked is None else ("☑" if entry.ticked else "☐")
        pages.mark(glyph, body)
        pages.put(lines, body, LEFT + MARK_W)
        pages.y += 1.5


def flow_report(report: Report) -> list[list[Line]]:
    pages = Pages()
    pages.put(fit(report.title, TEXT_W, th.DOC_TITLE, 3)[0], th.DOC_TITLE)
    for key, value in report.facts:
        pages.put(wrap(f"{key}: {value}" if key else value, TEXT_W, th.DOC_FACT), th.DOC_FACT)
    pages.y += 6
    pages.put([tr(report.lang, "render.details")], th.TextStyle(11, bold=True, color=th.MUTED))
    for section in report.sections:
        _flow_section(pages, section)
    return pages.pages


def _page(lines: list[Line], footer: str) -> Figure:
    figure = Figure(figsize=(WIDTH / 72, HEIGHT / 72))
    FigureCanvasAgg(figure)
    transform = points_transform(figure, HEIGHT)
    draw_lines(figure, transform, lines)
    note = text_block(WIDTH - LEFT, BOTTOM + 14, [footer], th.FOOTER, ha="right")
    draw_lines(figure, transform, note)
    return figure


def pdf_bytes(
    journey_map: JourneyMap, lang: str | None = None, checklist: Checklist = None
) -> bytes:
    drawing = draw_map(journey_map, lang)
    report = build_report(journey_map, lang, checklist)
    pages = flow_report(report)
    buffer = io.BytesIO()
    metadata = {"Title": report.document_title, "Creator": "journeybot"}
    # Type 42 embeds the TrueType font itself: the text stays selectable and searchable.
    with rc_context({"pdf.fonttype": 42}), PdfPages(buffer, metadata=metadata) as pdf:
        pdf.savefig(drawing.figure)
        total = len(pages) + 1
        for number, lines in enumerate(pages, start=2):
            footer = tr(report.lang, "render.page", page=number, pages=total)
            pdf.savefig(_page(lines, f"{report.title} · {footer}"))
    return buffer.getvalue()
