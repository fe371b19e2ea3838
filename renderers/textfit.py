"""Fitting user text into cells: cleaning it for the font, measuring, wrapping, cutting with "…".

Widths come from the fonts' own advance tables (fontTools) rather than from matplotlib, which
would lay every candidate line out again: wrapping a whole map this way costs a few
milliseconds. Kerning only ever narrows a Latin line here, so the sums are a safe upper bound.
A character DejaVu lacks is measured (and drawn) in the emoji font that falls back for it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from renderers.theme import FONT_CHAIN, TextStyle

ELLIPSIS = "…"
# Measured widths are stretched a little: Agg's hinting may widen a line by a pixel or two at
# the small preview resolution, and nothing may touch its cell's edge.
WIDTH_SAFETY = 1.03
# Emoji glue (variation selectors, joiner, keycap) and skin-tone modifiers: the emoji font
# draws each emoji by its own code point, so these would only come out as boxes or swatches.
GLUE = frozenset(chr(c) for c in (*range(0xFE00, 0xFE10), 0x200D, 0x20E3, *range(0x1F3FB, 0x1F400)))


@dataclass(frozen=True)
class FontMetrics:
    """Advance widths in em, by character, for one face and the fonts it falls back to; and
    which font of the chain draws each character."""

    advances: dict[str, float]
    font_of: dict[str, int]  # index into the chain
    fallback: float  # for a character no font has (never drawn: `clean` removes those)

    @classmethod
    def load(cls, paths: tuple[Path, ...]) -> FontMetrics:
        advances: dict[str, float] = {}
        font_of: dict[str, int] = {}
        for index, path in enumerate(paths):
            with TTFont(path, lazy=True) as font:
                units = font["head"].unitsPerEm
                hmtx = font["hmtx"]
                for code, glyph in font.getBestCmap().items():
                    ch = chr(code)
                    if ch not in advances:
                        advances[ch] = hmtx[glyph][0] / units
                        font_of[ch] = index
        return cls(advances, font_of, fallback=advances.get("M", 0.8))

    def width(self, text: str, size: float) -> float:
        get = self.advances.get
        return sum(get(ch, self.fallback) for ch in text) * size * WIDTH_SAFETY

    def runs(self, text: str) -> list[tuple[int, str]]:
        """The text cut where the drawing font changes: (index into the chain, piece)."""
        out: list[tuple[int, str]] = []
        which = self.font_of
        for ch in text:
            index = which.get(ch, 0)
            if out and out[-1][0] == index:
                out[-1] = (index, out[-1][1] + ch)
            else:
                out.append((index, ch))
        return out


@cache
def metrics(bold: bool) -> FontMetrics:
    return FontMetrics.load(FONT_CHAIN[bold])


@cache
def drawable() -> frozenset[str]:
    """Characters both faces (with their fallbacks) can draw; anything else would come out
    as an empty box."""
    both = frozenset(metrics(False).advances) & frozenset(metrics(True).advances)
    return both - GLUE


_SPACES = re.compile(r"[ \t\u00a0]+")
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+([,.;:!?…])")


def clean(text: str) -> str:
    """Text the fonts can draw: emoji come from Noto Emoji (monochrome), joiners, variation
    selectors and skin tones are dropped, and so is any glyph no bundled font has (the exports
    keep it)."""
    text = unicodedata.normalize("NFC", text)
    ok = drawable()
    if ok.issuperset(text):  # the usual case, checked at C speed
        kept = text
    else:
        kept = "".join(ch for ch in text if ch == "\n" or (ch in ok and ch.isprintable()))
    if len(kept) != len(text):  # "late 🫠!" should not become "late !"
        kept = _SPACE_BEFORE_MARK.sub(r"\1", kept)
    lines = (_SPACES.sub(" ", line).strip() for line in kept.split("\n"))
    return "\n".join(line for line in lines if line)


def text_width(text: str, style: TextStyle) -> float:
    return metrics(style.bold).width(text, style.size)


def _break_word(word: str, width: float, style: TextStyle) -> list[str]:
    """A word wider than the line (a URL, a long compound) is cut between characters."""
    advance = metrics(style.bold).advances.get
    fallback = metrics(style.bold).fallback
    scale = style.size * WIDTH_SAFETY
    pieces, current, used = [], "", 0.0
    for ch in word:
        step = advance(ch, fallback) * scale
        if current and used + step > width:
            pieces.append(current)
            current, used = ch, step
        else:
            current, used = current + ch, used + step
    return [*pieces, current] if current else pieces


def wrap(text: str, width: float, style: TextStyle) -> list[str]:
    """Greedy word wrap; explicit newlines start a new line. Widths are added up word by word
    (a line's width is the sum of its characters' advances), never measured again."""
    lines: list[str] = []
    measure = metrics(style.bold).width
    space = measure(" ", style.size)
    for paragraph in clean(text).split("\n"):
        current, used = "", 0.0
        for word in paragraph.split(" "):
            word_w = measure(word, style.size)
            if current and used + space + word_w <= width:
                current, used = f"{current} {word}", used + space + word_w
                continue
            if not current and word_w <= width:
                current, used = word, word_w
                continue
            if current:
                lines.append(current)
            pieces = _break_word(word, width, style)
            lines.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
            used = measure(current, style.size)
        if current:
            lines.append(current)
    return lines


def with_ellipsis(line: str, width: float, style: TextStyle) -> str:
    """The line shortened until it ends in "…" within the width, at a word end when that
    keeps most of the line."""
    line = line.rstrip(" .,;:…")
    while line and text_width(line + ELLIPSIS, style) > width:
        cut = line.rfind(" ")
        at_word = cut > len(line) * 0.6
        line = (line[:cut] if at_word else line[:-1]).rstrip(" .,;:")
    return line + ELLIPSIS


def fit(text: str, width: float, style: TextStyle, max_lines: int) -> tuple[list[str], bool]:
    """The wrapped lines, at most `max_lines`, and whether the text had to be cut (the
    comparison chart's labels and the PDF's title; the map itself cuts nothing)."""
    lines = wrap(text, width, style)
    if len(lines) <= max_lines:
        return lines, False
    if max_lines <= 0:
        return [], True
    kept = lines[:max_lines]
    kept[-1] = with_ellipsis(kept[-1], width, style)
    return kept, True
