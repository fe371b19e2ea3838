"""The look of the map: fonts, sizes and colours. Every length is in typographic points (1/72 in),
so the layout is the same at any resolution and only the export decides the pixel size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

from flows.spec import MapType

# DejaVu Sans ships with matplotlib and covers Latin Extended (ą ę ł ż ó „ ” –), Greek and
# Cyrillic; Noto Emoji (bundled, OFL: renderers/fonts/) draws the emoji DejaVu lacks. Using the
# files by path, for drawing and for measuring alike, keeps a user's matplotlibrc out of it.
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
REGULAR_FONT = FONT_DIR / "DejaVuSans.ttf"
BOLD_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"
EMOJI_FONT = Path(__file__).parent / "fonts" / "NotoEmoji-Regular.ttf"
# Each face and the fonts that draw what it lacks, in the order they are tried.
FONT_CHAIN: dict[bool, tuple[Path, ...]] = {
    False: (REGULAR_FONT, EMOJI_FONT),
    True: (BOLD_FONT, EMOJI_FONT),
}

INK = "#1f2933"
MUTED = "#5f6b7a"
FAINT = "#9aa5b1"
PAGE = "#ffffff"
WHITE = "#ffffff"


@dataclass(frozen=True)
class TextStyle:
    size: float
    bold: bool = False
    color: str = INK
    # Distance between baselines as a multiple of the size: leaves room for Polish accents
    # above capitals (Ż, Ś) and ogonki below (ą, ę) without lines' boxes touching.
    leading: float = 1.3

    @property
    def pitch(self) -> float:
        return self.size * self.leading


TITLE = TextStyle(20, bold=True, color="#111827", leading=1.25)
PILL = TextStyle(8.5, bold=True, color=WHITE)
DATE = TextStyle(8.5, color=MUTED)
HEADING = TextStyle(9.5, bold=True, color=MUTED)
GOAL = TextStyle(10.5, color="#27303a")
PERSONA_NAME = TextStyle(9.5, bold=True)
PERSONA_TEXT = TextStyle(8, color=MUTED)
STAGE = TextStyle(10.5, bold=True, color=WHITE, leading=1.25)
LANE_LABEL = TextStyle(9.5, bold=True, color=WHITE, leading=1.25)
SCALE = TextStyle(7.5, bold=True, color=WHITE)
BODY = TextStyle(8.5)
PAIN = TextStyle(8.5, color="#7d1414")
VISIBILITY = TextStyle(7.5, bold=True, color=MUTED)
FOOTER = TextStyle(7.5, color=MUTED)

# The text pages of the PDF.
DOC_TITLE = TextStyle(18, bold=True, color="#111827", leading=1.25)
DOC_FACT = TextStyle(9.5, color="#27303a")
DOC_PART = TextStyle(13, bold=True, color="#111827", leading=1.35)
DOC_LANE = TextStyle(9.5, bold=True)
DOC_BODY = TextStyle(9.5)
DOC_MUTED = TextStyle(9.5, color=FAINT)
A4 = (595.0, 842.0)
DOC_MARGIN = 50.0

# Geometry, in points.
MARGIN = 22.0
LABEL_W = 108.0  # the lane-name column
GAP = 6.0  # between cells
COL_W = 178.0  # one stage column
MIN_GRID_W = 3 * COL_W + 2 * GAP  # a one- or two-stage map still leaves room for its header
PAD = 7.0  # inside a cell
ITEM_GAP = 3.0  # between two items in a cell
BULLET_INDENT = 9.0
CHEVRON_TIP = 12.0
EMOTION_H = 156.0
VISIBILITY_GAP = 22.0  # the band the line of visibility is drawn in
CORNER = 4.0

# A cell grows to hold all its text. Only past this many lines — far beyond what the
# interview's limits allow (12 items of 300 characters are ~130 lines in the narrowest
# column) — does it stop, saying how many items are left for the PDF.
MAX_CELL_LINES = 400
MIN_LINES = 2  # an empty lane keeps a visible row

# A lane's colours (its label's, and the tint of its cells) are declared with the lane
# (flows/spec.py: LaneSpec.colour, LaneSpec.tint).
CELL_EDGE = "#dde3ea"
PAIN_EDGE = "#e03131"
NEEDS_COLOURS = ("#5c5f66", "#f8f9fa")
PILL_COLOURS: dict[MapType | None, str] = {
    MapType.CURRENT: "#364fc7",
    MapType.FUTURE: "#0c8599",
    MapType.DAY_IN_LIFE: "#e67700",
    MapType.BLUEPRINT: "#5f3dc4",
    None: "#868e96",
}

# Chevrons run from indigo to green along the journey. A day in the life goes from dawn through
# day, afternoon and dusk to night instead, so the colour itself tells the time of day; those
# are picked, not blended (orange blended into blue is grey).
JOURNEY_RAMP = ("#3b4cca", "#1c6bb5", "#0b7a8a", "#0f8a55", "#4c8f1c")
DAY_STEPS = ("#f08c00", "#1c7ed6", "#3b5bdb", "#862e9c", "#25316d")
SUN = "#ffd43b"
MOON = "#f1f3f5"

# One colour and one line style per persona (at most five), so the curves are told apart
# even where colours are hard to tell; kept apart from the red-to-green of the scores.
PERSONA_COLOURS = ("#1c64f2", "#c2255c", "#0ca678", "#7048e8", "#8d5524")
PERSONA_DASHES: tuple[tuple[float, ...] | None, ...] = (
    None,  # solid
    (3.2, 1.6),  # dashed (in line widths)
    (0.1, 1.6),  # dotted
    (3.2, 1.4, 0.1, 1.4),  # dash-dot
    (6.0, 1.6),  # long dash
)

# Emotion: faces go from red through amber to green.
SCORE_RAMP = ("#d92d2d", "#f76707", "#f5b700", "#82c91e", "#2f9e44")
FACE_RADIUS = 8.5
EMOTION_PLOT_H = 150.0  # the curves' part of the emotion lane
EMOTION_WORD = TextStyle(7.5, color="#3d4651")
EMOTION_LEGEND = TextStyle(7.5, color=MUTED)
FACE_INK = "#212529"
ZERO_LINE = "#868e96"
SPREAD_ALPHA = 0.25

# Preview: the long side Telegram keeps for a photo; it is what a phone shows.
PREVIEW_LONG_SIDE = 2560
FULL_DPI = 200
# The full-resolution PNG stays under this many pixels (a tall map gets a lower dpi rather
# than a 500 MB pixel buffer); 200 dpi up to about a 4,500 × 8,800 px map.
FULL_MAX_PIXELS = 40_000_000
# Body text at least this tall on the photo a phone shows; a map that would be smaller is sent
# as parts (stages 1–5, 6–10).
MIN_BODY_PX = 12.0
