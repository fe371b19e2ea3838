"""Where everything on the map goes, computed before anything is drawn.

Pure geometry in points, y growing downwards from the top-left corner: every text is already
wrapped here, so drawing is a plain walk over the result and the tests can hold each drawn text
against the cell it was placed in.

Nothing is cut: a row is as tall as its fullest cell, a stage name or persona wraps onto as many
lines as it needs, a title shrinks until it fits two lines. Only a cell of more than
`theme.MAX_CELL_LINES` lines — which the interview's limits never produce — stops there and says
how many items the PDF holds besides. A map can be laid out for some of its stages only
(`stages=`): the parts a map too wide for one photo is sent in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flows.model import Item, JourneyMap, Stage
from flows.spec import EMOTION_MAX, EMOTION_MIN, LaneSpec, MapType, Shape
from renderers import theme as th
from renderers.labels import (
    date_text,
    lane_holds,
    lane_label,
    lanes_of,
    map_type_label,
    persona_names,
    score_text,
    stage_name,
    title_of,
    tr,
)
from renderers.textfit import text_width, wrap

# The tallest accent above and deepest tail below the baseline among the Latin letters the
# three languages use (Ś, Ż, ą, ę, „), in em: a line's slot holds them with room to spare.
ASCENT = 0.93
DESCENT = 0.24
# The emotion plot leaves this much of the scale free above +2 and below −2 for the faces.
SCALE_MARGIN = 0.6
WORD_FACE_RADIUS = 4.2  # the face before an emotion word


class Kind(StrEnum):
    PILL = "pill"
    DATE = "date"
    TITLE = "title"
    HEADING = "heading"
    GOAL = "goal"
    PERSONA = "persona"
    STAGE = "stage"
    LABEL = "label"
    LANE = "lane"
    EMOTION = "emotion"
    VISIBILITY = "visibility"
    NEEDS = "needs"
    FOOTER = "footer"
    LEGEND = "legend"  # the emotion lane's legend
    WORDS = "words"  # a stage's emotion words, under the curves


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class Line:
    """One line of text; y is its baseline."""

    x: float
    y: float
    text: str
    style: th.TextStyle
    ha: str = "left"


@dataclass
class Cell:
    kind: Kind
    box: Box
    lines: list[Line] = field(default_factory=list)
    bullets: list[tuple[float, float]] = field(default_factory=list)
    stage: int | None = None  # the stage's index in the map (not in the part)
    lane: LaneSpec | None = None
    persona: int | None = None
    truncated: bool = False  # only past theme.MAX_CELL_LINES: the cell says so itself


@dataclass(frozen=True)
class Chevron:
    box: Box
    at: float  # 0 at the first stage, 1 at the last: picks the colour and the time of day
    first: bool
    icon: str | None = None  # "sun" or "moon" for a day in the life


@dataclass(frozen=True)
class Swatch:
    """A small drawn sign next to a text: a persona's line (legend), the spread bar (legend),
    or a face before an emotion word."""

    kind: str  # "line", "spread" or "face"
    x: float  # left end (line, spread) or centre (face)
    y: float  # middle
    persona: int = 0
    score: float = 0.0  # a face's


@dataclass(frozen=True)
class EmotionArea:
    box: Box  # the curves' part of the lane
    centres: tuple[float, ...]  # x of each stage's centre
    offsets: tuple[float, ...]  # x shift of each persona's faces, so they sit side by side
    low: float = EMOTION_MIN - SCALE_MARGIN
    high: float = EMOTION_MAX + SCALE_MARGIN

    def score_y(self, score: float) -> float:
        return self.box.y + (self.high - score) / (self.high - self.low) * self.box.h


@dataclass
class Layout:
    width: float
    height: float
    map_type: MapType | None
    personas: list[str]
    cells: list[Cell] = field(default_factory=list)
    chevrons: list[Chevron] = field(default_factory=list)
    emotion: EmotionArea | None = None
    visibility_y: tuple[float, float, float] | None = None  # y, x from, x to
    swatches: list[Swatch] = field(default_factory=list)
    stages: tuple[int, ...] = ()  # the map's stages this layout shows (all, or a part's)


def baseline(top: float, style: th.TextStyle) -> float:
    """The baseline of a line whose slot starts at `top`: the glyphs sit centred in the slot."""
    return top + (style.pitch - (ASCENT + DESCENT) * style.size) / 2 + ASCENT * style.size


def text_block(
    x: float, top: float, lines: list[str], style: th.TextStyle, ha: str = "left"
) -> list[Line]:
    return [
        Line(x, baseline(top + k * style.pitch, style), s, style, ha) for k, s in enumerate(lines)
    ]


def fill(
    blocks: list[list[str]], max_lines: int = th.MAX_CELL_LINES
) -> tuple[list[list[str]], int]:
    """The items in full while they stay within `max_lines`; past that (never within the
    interview's limits), whole items only, and how many were left for the PDF."""
    shown: list[list[str]] = []
    used = 0
    for index, lines in enumerate(blocks):
        if used + len(lines) > max_lines and index > 0:
            return shown, len(blocks) - index
        shown.append(lines[:max_lines])
        used += len(lines)
    return shown, 0


def natural_height(blocks: list[list[str]], style: th.TextStyle) -> float:
    if not blocks:
        return 0.0
    return sum(len(b) for b in blocks) * style.pitch + (len(blocks) - 1) * th.ITEM_GAP


def shrink_to(
    text: str, width: float, style: th.TextStyle, lines: int, smallest: float
) -> tuple[list[str], th.TextStyle]:
    """The text in at most `lines` lines, in the largest size down to `smallest` that fits;
    wrapped onto more lines at the smallest size when none does (it is never cut)."""
    size = style.size
    while True:
        current = th.TextStyle(size, style.bold, style.color, style.leading)
        wrapped = wrap(text, width, current)
        if len(wrapped) <= lines or size <= smallest:
            return wrapped, current
        size = max(smallest, size - 1.0)


class _Builder:
    def __init__(
        self, journey_map: JourneyMap, lang: str, stages: tuple[int, ...] | None = None
    ) -> None:
        self.map = journey_map
        self.lang = lang
        every = tuple(range(len(journey_map.stages)))
        self.indices: tuple[int, ...] = every if stages is None else stages
        self.part = stages is not None and self.indices != every
        self.stages: list[Stage] = [journey_map.stages[i] for i in self.indices]
        columns = max(len(self.stages), 1)
        self.col_w = max(th.COL_W, (th.MIN_GRID_W - (columns - 1) * th.GAP) / columns)
        self.grid_x = th.MARGIN + th.LABEL_W + th.GAP
        self.grid_w = columns * self.col_w + (columns - 1) * th.GAP
        self.width = self.grid_x + self.grid_w + th.MARGIN
        self.content_w = self.width - 2 * th.MARGIN
        self.layout = Layout(
            width=self.width,
            height=0.0,
            map_type=journey_map.map_type,
            personas=persona_names(journey_map),
            stages=self.indices,
        )
        self.y = th.MARGIN

    def col_x(self, index: int) -> float:
        return self.grid_x + index * (self.col_w + th.GAP)

    def add(self, cell: Cell) -> Cell:
        self.layout.cells.append(cell)
        return cell

    # -- header ---------------------------------------------------------------------------
    def header(self) -> None:
        pill_text = map_type_label(self.lang, self.map.map_type)
        pill_h = th.PILL.pitch + 6
        pill = Box(th.MARGIN, self.y, text_width(pill_text, th.PILL) + 18, pill_h)
        self.add(Cell(Kind.PILL, pill, text_block(pill.x + 9, pill.y + 3, [pill_text], th.PILL)))
        date = date_text(self.map.created_at, self.lang)
        if self.part:
            part = tr(
                self.lang,
                "render.part",
                first=self.indices[0] + 1,
                last=self.indices[-1] + 1,
                total=len(self.map.stages),
            )
            date = f"{part} · {date}"
        date_w = text_width(date, th.DATE)
        date_box = Box(self.width - th.MARGIN - date_w, self.y, date_w, pill_h)
        lines = text_block(date_box.right, self.y + 3, [date], th.DATE, ha="right")
        self.add(Cell(Kind.DATE, date_box, lines))
        self.y += pill_h + 8

        title, style = shrink_to(title_of(self.map, self.lang), self.content_w, th.TITLE, 2, 14)
        box = Box(th.MARGIN, self.y, self.content_w, len(title) * style.pitch)
        self.add(Cell(Kind.TITLE, box, text_block(box.x, box.y, title, style)))
        self.y = box.bottom + 8

        headings = {
            "goal": tr(self.lang, "render.goal"),
            "personas": tr(self.lang, "render.personas"),
        }
        key_w = max(text_width(h, th.HEADING) for h in headings.values()) + 12
        if self.map.goal.strip():
            goal = wrap(self.map.goal, self.content_w - key_w, th.GOAL)
            self.keyed_row(headings["goal"], key_w, len(goal) * th.GOAL.pitch)
            box = Box(th.MARGIN + key_w, self.y, self.content_w - key_w, len(goal) * th.GOAL.pitch)
            self.add(Cell(Kind.GOAL, box, text_block(box.x, box.y, goal, th.GOAL)))
            self.y = box.bottom + 8
        if self.layout.personas:
            height = self.persona_chips(th.MARGIN + key_w, self.content_w - key_w)
            self.keyed_row(headings["personas"], key_w, height)
            self.y += height + 12
        else:
            self.y += 4

    def keyed_row(self, heading: str, key_w: float, height: float) -> None:
        """The small grey word before a header row ("Goal", "Personas")."""
        box = Box(th.MARGIN, self.y, key_w - 12, max(height, th.HEADING.pitch))
        top = self.y + (th.GOAL.pitch - th.HEADING.pitch) / 2
        self.add(Cell(Kind.HEADING, box, text_block(box.x, top, [heading], th.HEADING)))

    def persona_chips(self, x: float, width: float) -> float:
        """One chip per persona, name and description in full; rows of chips when a row of
        all of them would make each too narrow to read."""
        descriptions = {p.name: p.description for p in self.map.personas}
        count = len(self.layout.personas)
        per_row = max(1, min(count, int((width + th.GAP) // (170.0 + th.GAP))))
        chip_w = min(250.0, (width - (per_row - 1) * th.GAP) / per_row)
        text_x, text_w = 30.0, chip_w - 30.0 - th.PAD
        chips = []
        for name in self.layout.personas:
            title = wrap(name, text_w, th.PERSONA_NAME) or [""]
            about = wrap(descriptions.get(name, ""), text_w, th.PERSONA_TEXT)
            chips.append((title, about))
        top = self.y
        for start in range(0, count, per_row):
            row = chips[start : start + per_row]
            height = max(
                2 * 5 + len(t) * th.PERSONA_NAME.pitch + len(a) * th.PERSONA_TEXT.pitch
                for t, a in row
            )
            for k, (title, about) in enumerate(row):
                index = start + k
                box = Box(x + k * (chip_w + th.GAP), top, chip_w, height)
                lines = text_block(box.x + text_x, box.y + 5, title, th.PERSONA_NAME)
                below = box.y + 5 + len(title) * th.PERSONA_NAME.pitch
                lines += text_block(box.x + text_x, below, about, th.PERSONA_TEXT)
                self.add(Cell(Kind.PERSONA, box, lines, persona=index))
            top += height + th.GAP
        return top - th.GAP - self.y

    # -- stages ---------------------------------------------------------------------------
    def chevrons(self) -> None:
        day = self.map.map_type == MapType.DAY_IN_LIFE
        icon_w = 20.0 if day else 0.0
        inset = th.CHEVRON_TIP + 4
        text_w = self.col_w - 2 * inset - icon_w
        flag = f"⭐ {tr(self.lang, 'render.moment_of_truth')}"
        names = [
            wrap(stage_name(self.lang, s, i), text_w, th.STAGE)
            + (wrap(flag, text_w, th.STAGE) if s.moment_of_truth else [])
            for i, s in zip(self.indices, self.stages, strict=True)
        ]
        rows = max((len(n) for n in names), default=1)
        height = max(32.0, 2 * 7 + rows * th.STAGE.pitch)
        if not self.stages:
            box = Box(self.grid_x, self.y, self.grid_w, height)
            text = tr(self.lang, "render.no_stages")
            top = self.y + (height - th.STAGE.pitch) / 2
            empty = th.TextStyle(th.STAGE.size, bold=True, color=th.FAINT, leading=th.STAGE.leading)
            lines = text_block(box.x + box.w / 2, top, [text], empty, ha="center")
            self.add(Cell(Kind.STAGE, box, lines))
        last = max(len(self.map.stages) - 1, 1)
        for column, (index, name_lines) in enumerate(zip(self.indices, names, strict=True)):
            x = self.col_x(column)
            at = index / last  # the colour and time of day of its place in the whole map
            icon = ("sun" if at < 0.6 else "moon") if day else None
            self.layout.chevrons.append(
                Chevron(Box(x, self.y, self.col_w, height), at, index == 0, icon)
            )
            box = Box(x + inset + icon_w, self.y, text_w, height)
            top = self.y + (height - len(name_lines) * th.STAGE.pitch) / 2
            placed = text_block(box.x + text_w / 2, top, name_lines, th.STAGE, ha="center")
            self.add(Cell(Kind.STAGE, box, placed, stage=index))
        self.y += height + th.GAP

    # -- lanes ----------------------------------------------------------------------------
    def label(self, lane: LaneSpec, height: float, reserve: float = 0.0) -> Cell:
        box = Box(th.MARGIN, self.y, th.LABEL_W, height)
        lines = self.label_lines(lane, reserve)
        top = self.y + (height - len(lines) * th.LANE_LABEL.pitch) / 2
        placed = text_block(box.x + th.PAD, top, lines, th.LANE_LABEL)
        return self.add(Cell(Kind.LABEL, box, placed, lane=lane))

    def label_lines(self, lane: LaneSpec, reserve: float = 0.0) -> list[str]:
        return wrap(lane_label(self.lang, lane), th.LABEL_W - 2 * th.PAD - reserve, th.LANE_LABEL)

    @staticmethod
    def label_height(lines: int) -> float:
        return lines * th.LANE_LABEL.pitch + 2 * th.PAD

    def list_lane(self, lane: LaneSpec) -> None:
        """A lane of text: a list lane's items bulleted, a one-answer lane's answer plain;
        problems (pain points) in their own colour."""
        style = th.PAIN if lane.problems else th.BODY
        bulleted = lane.shape == Shape.LIST
        text_w = self.col_w - 2 * th.PAD - (th.BULLET_INDENT if bulleted else 0.0)
        cells = []
        columns: list[Stage | None] = [*self.stages] or [None]  # no stages: one empty column
        for stage in columns:
            items: list[Item] = stage.items(lane) if stage is not None else []
            blocks = [b for b in (wrap(i.text, text_w, style) for i in items) if b]
            shown, left = fill(blocks)
            if left:
                more = tr(self.lang, "render.more_in_pdf", count=left)
                shown.append(wrap(more, text_w, th.TextStyle(style.size, color=th.MUTED)))
            cells.append((shown, left))
        needed = max(natural_height(shown, style) for shown, _ in cells)
        inner = max(needed, th.MIN_LINES * style.pitch)
        height = max(inner + 2 * th.PAD, self.label_height(len(self.label_lines(lane))))
        self.label(lane, height)
        for column, (shown, left) in enumerate(cells):
            box = Box(self.col_x(column), self.y, self.col_w, height)
            lines, bullets = self.place(box.x + th.PAD, box.y + th.PAD, shown, style, bulleted)
            if left:  # the note is muted and has no bullet
                note = shown[-1]
                lines = lines[: len(lines) - len(note)]
                lines += text_block(
                    box.x + th.PAD + (th.BULLET_INDENT if bulleted else 0.0),
                    box.y + th.PAD + natural_height(shown, style) - len(note) * style.pitch,
                    note,
                    th.TextStyle(style.size, color=th.MUTED),
                )
                bullets = bullets[:-1]
            index = self.indices[column] if self.stages else None
            self.add(Cell(Kind.LANE, box, lines, bullets, index, lane, truncated=bool(left)))
        self.y += height + th.GAP

    @staticmethod
    def place(
        x: float, top: float, blocks: list[list[str]], style: th.TextStyle, bulleted: bool
    ) -> tuple[list[Line], list[tuple[float, float]]]:
        """Items one under the other from (x, top): their lines and their bullets."""
        lines: list[Line] = []
        bullets: list[tuple[float, float]] = []
        text_x = x + (th.BULLET_INDENT if bulleted else 0.0)
        for block in blocks:
            lines += text_block(text_x, top, block, style)
            if bulleted:
                # On the middle of the first line's lowercase letters.
                bullets.append((x + 3, baseline(top, style) - 0.3 * style.size))
            top += len(block) * style.pitch + th.ITEM_GAP
        return lines, bullets

    def emotion_lane(self, lane: LaneSpec) -> None:
        """The legend (each persona's line, the spread bar), the curves with a face per rated
        stage, and under them each stage's emotion words, each after its persona's face."""
        top = self.y
        legend_h = self.emotion_legend(top + th.PAD, lane)
        plot = Box(self.grid_x, top + th.PAD + legend_h, self.grid_w, th.EMOTION_PLOT_H)
        count = len(self.layout.personas)
        room = self.col_w - 2 * th.FACE_RADIUS - 16
        step = min(2 * th.FACE_RADIUS + 5, room / max(count - 1, 1))
        offsets = tuple((j - (count - 1) / 2) * step for j in range(count))
        centres = tuple(self.col_x(i) + self.col_w / 2 for i in range(len(self.stages)))
        area = EmotionArea(plot, centres, offsets)
        self.layout.emotion = area
        words_h = self.emotion_words(plot.bottom + 2, lane)
        height = plot.bottom + 2 + words_h + th.PAD - top
        label_h = self.label_height(len(self.label_lines(lane, 18)))
        height = max(height, label_h)
        label = self.label(lane, height, reserve=18)  # room for the scale
        self.add(Cell(Kind.EMOTION, Box(self.grid_x, top, self.grid_w, height), lane=lane))
        # The scale, written on the lane's label at the height of each whole score.
        right = label.box.right - 6
        for score in (EMOTION_MAX, 0, EMOTION_MIN):
            mark = area.score_y(score) - th.SCALE.pitch / 2
            label.lines += text_block(right, mark, [score_text(score)], th.SCALE, ha="right")
        self.y = top + height + th.GAP

    def emotion_legend(self, top: float, lane: LaneSpec) -> float:
        """Each persona's line as it is drawn, with the name, and the spread bar when a group
        rated: in rows across the lane. Its height."""
        style = th.EMOTION_LEGEND
        entries: list[tuple[Swatch, list[str]]] = []
        sample_w, name_w = 24.0, 200.0
        for j, name in enumerate(self.layout.personas):
            entries.append((Swatch("line", 0.0, 0.0, persona=j), wrap(name, name_w, style)))
        spread = any(
            (low_high := s.emotion_spread(p)) is not None and low_high[0] != low_high[1]
            for s in self.stages
            for p in self.layout.personas
        )
        if spread:
            words = wrap(tr(self.lang, "render.spread"), name_w, style)
            entries.append((Swatch("spread", 0.0, 0.0), words))
        if not entries:
            return 0.0
        left, right = self.grid_x + th.PAD, self.grid_x + self.grid_w - th.PAD
        x, y, row_h = left, top, 0.0
        cell_lines: list[Line] = []
        for swatch, lines in entries:
            width = sample_w + 6 + max(text_width(line, style) for line in lines)
            if x > left and x + width > right:
                x, y, row_h = left, y + row_h + 2, 0.0
            middle = y + style.pitch / 2
            self.layout.swatches.append(
                Swatch(swatch.kind, x, middle, persona=swatch.persona, score=swatch.score)
            )
            cell_lines += text_block(x + sample_w + 6, y, lines, style)
            row_h = max(row_h, len(lines) * style.pitch)
            x += width + 16
        box = Box(self.grid_x, top, self.grid_w, y + row_h - top)
        self.add(Cell(Kind.LEGEND, box, cell_lines, lane=lane))
        return y + row_h - top + 4

    def emotion_words(self, top: float, lane: LaneSpec) -> float:
        """Per stage, each persona's words (everyone's, once each), after a small face in the
        persona's colour with the persona's score: in full, wrapped. Their height."""
        style = th.EMOTION_WORD
        named = len(self.layout.personas) > 1
        indent = 2 * WORD_FACE_RADIUS + 4
        tallest = 0.0
        for column, stage in enumerate(self.stages):
            x = self.col_x(column) + th.PAD
            text_w = self.col_w - 2 * th.PAD - indent
            y = top
            lines: list[Line] = []
            for j, persona in enumerate(self.layout.personas):
                words = list(dict.fromkeys(w.strip() for w in stage.words_for(persona)))
                mean = stage.emotion_of(persona)
                if not words or mean is None:
                    continue
                said = ", ".join(w for w in words if w)
                text = tr(self.lang, "render.persona_words", persona=persona, words=said)
                wrapped = wrap(text if named else said, text_w, style)
                if not wrapped:
                    continue
                if y > top:
                    y += th.ITEM_GAP
                face_y = baseline(y, style) - 0.35 * style.size
                self.layout.swatches.append(
                    Swatch("face", x + WORD_FACE_RADIUS, face_y, persona=j, score=mean)
                )
                lines += text_block(x + indent, y, wrapped, style)
                y += len(wrapped) * style.pitch
            if lines:
                box = Box(self.col_x(column), top, self.col_w, y - top)
                index = self.indices[column]
                self.add(Cell(Kind.WORDS, box, lines, stage=index, lane=lane))
            tallest = max(tallest, y - top)
        return tallest

    def visibility(self) -> None:
        """The line of visibility: what lies under it the customer never sees."""
        box = Box(th.MARGIN, self.y - th.GAP, self.content_w, th.VISIBILITY_GAP)
        top = box.y + (box.h - th.VISIBILITY.pitch) / 2
        name = tr(self.lang, "render.line_of_visibility")
        hint = tr(self.lang, "render.line_of_visibility_hint")
        name_w = text_width(name, th.VISIBILITY)
        hint_style = th.TextStyle(th.VISIBILITY.size, color=th.FAINT)
        lines = text_block(box.x, top, [name], th.VISIBILITY)
        hint_w = text_width(hint, hint_style)
        if name_w + hint_w + 80 < box.w:
            lines += text_block(box.right, top, [hint], hint_style, ha="right")
        else:
            hint_w = 0.0
        self.add(Cell(Kind.VISIBILITY, box, lines))
        mid = box.y + box.h / 2
        self.layout.visibility_y = (
            mid,
            box.x + name_w + 8,
            box.right - hint_w - (8 if hint_w else 0),
        )
        self.y = box.bottom + th.GAP

    def lanes(self) -> None:
        """Every lane of the map in order; the line of visibility above the first lane the
        customer does not see."""
        # A lane nobody filled in any stage is left out: a quick map asks three lanes, and
        # rows of empty boxes would only push the answers apart.
        shown = [lane for lane in lanes_of(self.map) if lane_holds(self.map, lane)]
        if all(lane.shape == Shape.RATINGS for lane in shown):
            shown = list(lanes_of(self.map))  # nothing listed yet: the grid shows what is to come
        visible = True
        for lane in [*(x for x in shown if not x.hidden), *(x for x in shown if x.hidden)]:
            if lane.hidden and visible:
                self.visibility()
                visible = False
            if lane.shape == Shape.RATINGS:
                self.emotion_lane(lane)
            else:
                self.list_lane(lane)

    # -- footer ---------------------------------------------------------------------------
    def needs(self) -> None:
        needs = self.map.needs
        if not (needs.have or needs.need):
            return
        half = (self.grid_w - th.GAP) / 2
        text_w = half - 2 * th.PAD - th.BULLET_INDENT
        heading = th.TextStyle(th.BODY.size, bold=True)
        columns = []
        for key, items in (("render.needs_have", needs.have), ("render.needs_need", needs.need)):
            title = wrap(tr(self.lang, key), half - 2 * th.PAD, heading)
            blocks = [b for b in (wrap(i.text, text_w, th.BODY) for i in items) if b]
            columns.append((title, blocks))
        title_h = max(len(t) for t, _ in columns) * heading.pitch
        inner = max(max(natural_height(b, th.BODY) for _, b in columns), th.BODY.pitch)
        name = wrap(tr(self.lang, "render.needs"), th.LABEL_W - 2 * th.PAD, th.LANE_LABEL)
        height = max(2 * th.PAD + title_h + 2 + inner, self.label_height(len(name)))
        box = Box(th.MARGIN, self.y, th.LABEL_W, height)
        top = self.y + (height - len(name) * th.LANE_LABEL.pitch) / 2
        self.add(Cell(Kind.LABEL, box, text_block(box.x + th.PAD, top, name, th.LANE_LABEL)))
        for index, (title, blocks) in enumerate(columns):
            box = Box(self.grid_x + index * (half + th.GAP), self.y, half, height)
            top = box.y + th.PAD + title_h + 2
            lines, bullets = self.place(box.x + th.PAD, top, blocks, th.BODY, bulleted=True)
            lines = text_block(box.x + th.PAD, box.y + th.PAD, title, heading) + lines
            self.add(Cell(Kind.NEEDS, box, lines, bullets))
        self.y += height + th.GAP

    def footer(self) -> None:
        names = ", ".join(a.name for a in self.map.contributors())
        if not names:
            return
        text = tr(self.lang, "render.contributors", names=names)
        lines = wrap(text, self.content_w, th.FOOTER)
        box = Box(th.MARGIN, self.y + 2, self.content_w, len(lines) * th.FOOTER.pitch)
        self.add(Cell(Kind.FOOTER, box, text_block(box.x, box.y, lines, th.FOOTER)))
        self.y = box.bottom

    def build(self) -> Layout:
        self.header()
        self.chevrons()
        self.lanes()
        self.needs()
        self.footer()
        self.layout.height = self.y + th.MARGIN
        return self.layout


def build_layout(
    journey_map: JourneyMap, lang: str, stages: tuple[int, ...] | None = None
) -> Layout:
    """The map laid out whole, or for the given stages only (a part: its header says which)."""
    return _Builder(journey_map, lang, stages).build()
