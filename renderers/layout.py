"""Where everything on the map goes, computed before anything is drawn.

Pure geometry in points, y growing downwards from the top-left corner: every text is already
wrapped and cut to its cell here, so drawing is a plain walk over the result and the tests can
hold each drawn text against the cell it was placed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flows.model import Item, JourneyMap, Stage
from flows.spec import EMOTION_MAX, EMOTION_MIN, Lane, MapType
from renderers import theme as th
from renderers.labels import (
    date_text,
    lane_label,
    lanes_of,
    map_type_label,
    persona_names,
    score_text,
    stage_name,
    title_of,
    tr,
)
from renderers.textfit import fit, text_width, with_ellipsis, wrap

# The tallest accent above and deepest tail below the baseline among the Latin letters the
# three languages use (Ś, Ż, ą, ę, „), in em: a line's slot holds them with room to spare.
ASCENT = 0.93
DESCENT = 0.24
# The emotion plot leaves this much of the scale free above +2 and below −2 for the faces.
SCALE_MARGIN = 0.6


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
    stage: int | None = None
    lane: Lane | None = None
    persona: int | None = None
    truncated: bool = False


@dataclass(frozen=True)
class Chevron:
    box: Box
    at: float  # 0 at the first stage, 1 at the last: picks the colour and the time of day
    first: bool
    icon: str | None = None  # "sun" or "moon" for a day in the life


@dataclass(frozen=True)
class EmotionArea:
    box: Box
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
    blocks: list[list[str]], capacity: float, style: th.TextStyle, width: float
) -> tuple[list[list[str]], bool]:
    """As many wrapped items as the height holds; the last one shown ends in "…" when some
    text is left out."""
    shown: list[list[str]] = []
    used = 0.0
    for lines in blocks:
        gap = th.ITEM_GAP if shown else 0.0
        room = int((capacity - used - gap) / style.pitch + 1e-6)
        if room >= len(lines):
            shown.append(lines)
            used += gap + len(lines) * style.pitch
            continue
        if room >= 1:
            cut = lines[:room]
            cut[-1] = with_ellipsis(cut[-1], width, style)
            shown.append(cut)
        elif shown:
            shown[-1][-1] = with_ellipsis(shown[-1][-1], width, style)
        return shown, True
    return shown, False


def natural_height(blocks: list[list[str]], style: th.TextStyle) -> float:
    if not blocks:
        return 0.0
    return sum(len(b) for b in blocks) * style.pitch + (len(blocks) - 1) * th.ITEM_GAP


class _Builder:
    def __init__(self, journey_map: JourneyMap, lang: str) -> None:
        self.map = journey_map
        self.lang = lang
        self.stages: list[Stage] = journey_map.stages
        columns = max(len(self.stages), 1)
        narrow = max(th.MIN_COL_W, min(th.COL_W, th.GRID_BUDGET / columns))
        self.col_w = max(narrow, (th.MIN_GRID_W - (columns - 1) * th.GAP) / columns)
        self.grid_x = th.MARGIN + th.LABEL_W + th.GAP
        self.grid_w = columns * self.col_w + (columns - 1) * th.GAP
        self.width = self.grid_x + self.grid_w + th.MARGIN
        self.content_w = self.width - 2 * th.MARGIN
        self.layout = Layout(
            width=self.width,
            height=0.0,
            map_type=journey_map.map_type,
            personas=persona_names(journey_map),
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
        date_w = text_width(date, th.DATE)
        date_box = Box(self.width - th.MARGIN - date_w, self.y, date_w, pill_h)
        lines = text_block(date_box.right, self.y + 3, [date], th.DATE, ha="right")
        self.add(Cell(Kind.DATE, date_box, lines))
        self.y += pill_h + 8

        title, _ = fit(title_of(self.map, self.lang), self.content_w, th.TITLE, 2)
        box = Box(th.MARGIN, self.y, self.content_w, len(title) * th.TITLE.pitch)
        self.add(Cell(Kind.TITLE, box, text_block(box.x, box.y, title, th.TITLE)))
        self.y = box.bottom + 8

        headings = {
            "goal": tr(self.lang, "render.goal"),
            "personas": tr(self.lang, "render.personas"),
        }
        key_w = max(text_width(h, th.HEADING) for h in headings.values()) + 12
        if self.map.goal.strip():
            goal, _ = fit(self.map.goal, self.content_w - key_w, th.GOAL, 3)
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
        descriptions = {p.name: p.description for p in self.map.personas}
        count = len(self.layout.personas)
        chip_w = min(250.0, (width - (count - 1) * th.GAP) / count)
        text_x, text_w = 30.0, chip_w - 30.0 - th.PAD
        chips = []
        for name in self.layout.personas:
            title, _ = fit(name, text_w, th.PERSONA_NAME, 1)
            about, _ = fit(descriptions.get(name, ""), text_w, th.PERSONA_TEXT, 2)
            chips.append((title, about))
        rows = max(len(about) for _, about in chips)
        height = 2 * 5 + th.PERSONA_NAME.pitch + rows * th.PERSONA_TEXT.pitch
        for index, (title, about) in enumerate(chips):
            box = Box(x + index * (chip_w + th.GAP), self.y, chip_w, height)
            lines = text_block(box.x + text_x, box.y + 5, title, th.PERSONA_NAME)
            top = box.y + 5 + th.PERSONA_NAME.pitch
            lines += text_block(box.x + text_x, top, about, th.PERSONA_TEXT)
            self.add(Cell(Kind.PERSONA, box, lines, persona=index))
        return height

    # -- stages ---------------------------------------------------------------------------
    def chevrons(self) -> None:
        day = self.map.map_type == MapType.DAY_IN_LIFE
        icon_w = 20.0 if day else 0.0
        inset = th.CHEVRON_TIP + 4
        text_w = self.col_w - 2 * inset - icon_w
        names = [
            fit(stage_name(self.lang, s, i), text_w, th.STAGE, 2)[0]
            for i, s in enumerate(self.stages)
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
        last = max(len(self.stages) - 1, 1)
        for index, lines in enumerate(names):
            x = self.col_x(index)
            at = index / last
            icon = ("sun" if at < 0.6 else "moon") if day else None
            self.layout.chevrons.append(
                Chevron(Box(x, self.y, self.col_w, height), at, index == 0, icon)
            )
            box = Box(x + inset + icon_w, self.y, text_w, height)
            top = self.y + (height - len(lines) * th.STAGE.pitch) / 2
            placed = text_block(box.x + text_w / 2, top, lines, th.STAGE, ha="center")
            self.add(Cell(Kind.STAGE, box, placed, stage=index))
        self.y += height + th.GAP

    # -- lanes ----------------------------------------------------------------------------
    def label(self, lane: Lane, height: float, reserve: float = 0.0) -> Cell:
        box = Box(th.MARGIN, self.y, th.LABEL_W, height)
        lines, _ = fit(
            lane_label(self.lang, lane), th.LABEL_W - 2 * th.PAD - reserve, th.LANE_LABEL, 3
        )
        top = self.y + (height - len(lines) * th.LANE_LABEL.pitch) / 2
        placed = text_block(box.x + th.PAD, top, lines, th.LANE_LABEL)
        return self.add(Cell(Kind.LABEL, box, placed, lane=lane))

    @staticmethod
    def label_height(lines: int) -> float:
        return lines * th.LANE_LABEL.pitch + 2 * th.PAD

    def items_of(self, stage: Stage, lane: Lane) -> list[Item]:
        if lane == Lane.OWNER:
            return [stage.owner] if stage.owner else []
        return stage.items(lane)

    def list_lane(self, lane: Lane) -> None:
        style = th.PAIN if lane == Lane.PAINS else th.BODY
        bulleted = lane != Lane.OWNER
        text_w = self.col_w - 2 * th.PAD - (th.BULLET_INDENT if bulleted else 0.0)
        wrapped = [
            [b for b in (wrap(i.text, text_w, style) for i in self.items_of(s, lane)) if b]
            for s in self.stages
        ] or [[]]
        capacity = th.MAX_LINES[lane] * style.pitch + 2 * th.ITEM_GAP
        needed = max(natural_height(blocks, style) for blocks in wrapped)
        inner = min(max(needed, th.MIN_LINES * style.pitch), capacity)
        label_lines = len(
            fit(lane_label(self.lang, lane), th.LABEL_W - 2 * th.PAD, th.LANE_LABEL, 3)[0]
        )
        height = max(inner + 2 * th.PAD, self.label_height(label_lines))
        self.label(lane, height)
        for index, blocks in enumerate(wrapped):
            box = Box(self.col_x(index), self.y, self.col_w, height)
            shown, cut = fill(blocks, height - 2 * th.PAD, style, text_w)
            lines, bullets = self.place(box.x + th.PAD, box.y + th.PAD, shown, style, bulleted)
            stage = index if self.stages else None
            self.add(Cell(Kind.LANE, box, lines, bullets, stage, lane, truncated=cut))
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

    def emotion_lane(self) -> None:
        height = th.EMOTION_H
        label = self.label(Lane.EMOTION, height, reserve=18)  # room for the scale
        box = Box(self.grid_x, self.y, self.grid_w, height)
        self.add(Cell(Kind.EMOTION, box, lane=Lane.EMOTION))
        count = len(self.layout.personas)
        step = min(2 * th.FACE_RADIUS + 3, (self.col_w - 4 * th.FACE_RADIUS) / max(count - 1, 1))
        offsets = tuple((j - (count - 1) / 2) * step for j in range(count))
        centres = tuple(self.col_x(i) + self.col_w / 2 for i in range(len(self.stages)))
        area = EmotionArea(box, centres, offsets)
        self.layout.emotion = area
        # The scale, written on the lane's label at the height of each whole score.
        right = label.box.right - 6
        for score in (EMOTION_MAX, 0, EMOTION_MIN):
            top = area.score_y(score) - th.SCALE.pitch / 2
            label.lines += text_block(right, top, [score_text(score)], th.SCALE, ha="right")
        self.y += height + th.GAP

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
        for lane in lanes_of(self.map):
            if lane == Lane.EMOTION:
                self.emotion_lane()
                continue
            if lane == Lane.BACKSTAGE:
                self.visibility()
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
            title, _ = fit(tr(self.lang, key), half - 2 * th.PAD, heading, 1)
            blocks = [b for b in (wrap(i.text, text_w, th.BODY) for i in items) if b]
            columns.append((title, blocks))
        capacity = 8 * th.BODY.pitch + 2 * th.ITEM_GAP
        inner = min(max(natural_height(b, th.BODY) for _, b in columns), capacity)
        inner = max(inner, th.BODY.pitch)
        height = max(2 * th.PAD + heading.pitch + 2 + inner, self.label_height(1))
        box = Box(th.MARGIN, self.y, th.LABEL_W, height)
        name = fit(tr(self.lang, "render.needs"), th.LABEL_W - 2 * th.PAD, th.LANE_LABEL, 2)[0]
        top = self.y + (height - len(name) * th.LANE_LABEL.pitch) / 2
        self.add(Cell(Kind.LABEL, box, text_block(box.x + th.PAD, top, name, th.LANE_LABEL)))
        for index, (title, blocks) in enumerate(columns):
            box = Box(self.grid_x + index * (half + th.GAP), self.y, half, height)
            shown, cut = fill(blocks, inner, th.BODY, text_w)
            top = box.y + th.PAD + heading.pitch + 2
            lines, bullets = self.place(box.x + th.PAD, top, shown, th.BODY, bulleted=True)
            lines = text_block(box.x + th.PAD, box.y + th.PAD, title, heading) + lines
            self.add(Cell(Kind.NEEDS, box, lines, bullets, truncated=cut))
        self.y += height + th.GAP

    def footer(self) -> None:
        names = ", ".join(a.name for a in self.map.contributors())
        if not names:
            return
        text = tr(self.lang, "render.contributors", names=names)
        lines, _ = fit(text, self.content_w, th.FOOTER, 2)
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


def build_layout(journey_map: JourneyMap, lang: str) -> Layout:
    return _Builder(journey_map, lang).build()
