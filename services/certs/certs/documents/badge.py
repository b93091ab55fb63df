"""The logo of a certification as geometry: one design, drawn as SVG and as PNG.

The badge is laid out once, in a 512 × 512 design box, as circles, polygons
and centred text lines; `logo.py` only serialises it. So the two formats show
the same thing, and wrapping and shrinking are decided in one place.

Text is measured with DejaVu Sans Bold, the face the PNG is drawn with and the
first the SVG asks for. DejaVu is wider than the usual fallbacks (Verdana
aside, which has nearly its metrics), so an SVG viewer substituting Arial or
Helvetica still fits every line inside the badge.

The design: a disc in the secondary colour ringed in the primary; the program
name at the top; the certification name in the middle, wrapped to at most four
lines and shrunk until it fits; the level on a ribbon in the primary colour
that runs past the disc; below it one star per level rank (entry 1 … expert 5).
Text colours are chosen for contrast (WCAG ratio) against what they sit on,
since catalog colours range from dark navy to bright yellow.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from certs.catalog.expressions import LEVEL_RANK
from certs.catalog.model import Certification
from certs.documents import fonts

BOX = 512
CENTRE = BOX / 2
TEXT_FACE: fonts.Face = "sans-bold"
CAP_HEIGHT = 0.73  # of DejaVu Sans, in ems: centres a line of capitals and lower case on a y
LINE_HEIGHT = 1.12  # in ems, between the lines of a wrapped name
INK = "#1A1A1A"
WHITE = "#FFFFFF"


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 0.0


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]
    fill: str


@dataclass(frozen=True)
class TextLine:
    """One line centred on x = 256 (SVG `text-anchor="middle"`, Pillow anchor "ms")."""

    text: str
    baseline: float
    size: int
    fill: str


@dataclass(frozen=True)
class Badge:
    title: str  # what the logo says, for the SVG <title> and screen readers
    shapes: tuple[Circle | Polygon, ...]
    lines: tuple[TextLine, ...]


def design_badge(certification: Certification, program_name: str) -> Badge:
    primary = certification.logo.primary.upper()
    secondary = certification.logo.secondary.upper()
    name = _clean(certification.name)
    program = _clean(program_name)
    level = certification.level.upper()

    on_disc = most_readable(secondary, (WHITE, INK))
    on_ribbon = most_readable(primary, (WHITE, secondary, INK))
    shapes: list[Circle | Polygon] = [
        Circle(CENTRE, CENTRE, 236, fill=secondary, stroke=primary, stroke_width=16),
        Circle(CENTRE, CENTRE, 212, stroke=mix(secondary, on_disc, 0.35), stroke_width=2),
        Polygon(_ribbon(top=338, bottom=406, left=14, right=BOX - 14, notch=22), fill=primary),
        Polygon(((CENTRE - 52, 158), (CENTRE + 52, 158), (CENTRE + 52, 162), (CENTRE - 52, 162)), fill=primary),
    ]
    shapes += [Polygon(_star(cx, 446, 13), fill=primary) for cx in _spread(LEVEL_RANK[certification.level] + 1, 34)]

    lines = [_single_line(program.upper() or " ", centre_y=128, width=300, sizes=(30, 12), fill=on_disc)]
    lines += _wrapped_block(name, centre_y=250, width=330, height=150, sizes=(60, 14), max_lines=4, fill=on_disc)
    lines.append(_single_line(level, centre_y=372, width=380, sizes=(32, 12), fill=on_ribbon))
    return Badge(
        title=f"{name} ({certification.level.capitalize()}) — {program}",
        shapes=tuple(shapes),
        lines=tuple(lines),
    )


def measure(text: str, size: int) -> float:
    return fonts.pillow_font(TEXT_FACE, size).getlength(text)


def _clean(text: str) -> str:
    """One line of printable text: control characters are not allowed in XML and draw as boxes."""
    printable = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(printable.split())


def _baseline(centre_y: float, size: int) -> float:
    return centre_y + CAP_HEIGHT * size / 2


def _single_line(text: str, *, centre_y: float, width: float, sizes: tuple[int, int], fill: str) -> TextLine:
    largest, smallest = sizes
    for size in range(largest, smallest - 1, -1):
        if measure(text, size) <= width:
            return TextLine(text, _baseline(centre_y, size), size, fill)
    return TextLine(_truncate(text, smallest, width), _baseline(centre_y, smallest), smallest, fill)


def _wrapped_block(text: str, *, centre_y: float, width: float, height: float, sizes: tuple[int, int],
                   max_lines: int, fill: str) -> list[TextLine]:
    """The largest size at which `text` wraps into the box; at the smallest, the rest is cut with "…"."""
    largest, smallest = sizes
    for size in range(largest, smallest - 1, -1):
        if any(measure(word, size) > width for word in text.split()):
            continue  # shrink rather than break a word ("JNCIA-Jun / os")
        rows = wrap(text, size, width)
        if len(rows) <= max_lines and _block_height(len(rows), size) <= height:
            break
    else:
        size = smallest
        rows = wrap(text, size, width)
        fit = max(1, min(max_lines, int((height / size - 1) / LINE_HEIGHT) + 1))
        if len(rows) > fit:
            rows = rows[: fit - 1] + [_truncate(" ".join(rows[fit - 1:]), size, width)]
    top = centre_y - (len(rows) - 1) * LINE_HEIGHT * size / 2
    return [TextLine(row, _baseline(top + i * LINE_HEIGHT * size, size), size, fill) for i, row in enumerate(rows)]


def _block_height(rows: int, size: int) -> float:
    return size + (rows - 1) * LINE_HEIGHT * size


def wrap(text: str, size: int, width: float) -> list[str]:
    """Greedy word wrap; a lone dash stays with the word before it, and a word wider than the line is split."""
    words: list[str] = []
    for word in text.split():
        if word in {"-", "–", "—"} and words:
            words[-1] += " " + word
        else:
            words.append(word)
    rows: list[str] = []
    for word in words:
        candidate = f"{rows[-1]} {word}" if rows else word
        if rows and measure(candidate, size) <= width:
            rows[-1] = candidate
        else:
            rows += _split_word(word, size, width)
    return rows


def _split_word(word: str, size: int, width: float) -> list[str]:
    pieces = [""]
    for ch in word:
        if pieces[-1] and measure(pieces[-1] + ch, size) > width:
            pieces.append("")
        pieces[-1] += ch
    return pieces


def _truncate(text: str, size: int, width: float) -> str:
    while text and measure(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _ribbon(*, top: float, bottom: float, left: float, right: float, notch: float) -> tuple[tuple[float, float], ...]:
    """A band with swallowtail ends."""
    middle = (top + bottom) / 2
    return ((left, top), (right, top), (right - notch, middle), (right, bottom), (left, bottom), (left + notch, middle))


def _star(cx: float, cy: float, outer: float) -> tuple[tuple[float, float], ...]:
    inner = outer * 0.42
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((round(cx + radius * math.cos(angle), 2), round(cy + radius * math.sin(angle), 2)))
    return tuple(points)


def _spread(count: int, step: float) -> list[float]:
    return [CENTRE + (i - (count - 1) / 2) * step for i in range(count)]


# Colour arithmetic: WCAG 2 relative luminance and contrast ratio.

def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def most_readable(background: str, candidates: tuple[str, ...]) -> str:
    return max(candidates, key=lambda colour: contrast(background, colour))


def mix(a: str, b: str, share_of_b: float) -> str:
    """An opaque blend, so the PNG needs no alpha compositing inside the badge."""
    channels = (round(x + (y - x) * share_of_b) for x, y in zip(_rgb(a), _rgb(b)))
    return "#" + "".join(f"{c:02X}" for c in channels)
