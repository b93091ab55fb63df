"""A certification's logo as SVG and as PNG, both drawn from `badge.design_badge`."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw

from certs.catalog.model import Certification
from certs.documents import fonts
from certs.documents.badge import BOX, CENTRE, Badge, Circle, Polygon, design_badge

SVG_FONT_FAMILY = "'DejaVu Sans', Verdana, 'Helvetica Neue', Arial, sans-serif"
PNG_SIZES = range(16, 4097)
SUPERSAMPLED_PIXELS = 4096  # Pillow draws shapes without anti-aliasing: draw larger, then scale down


def render_logo_svg(certification: Certification, program_name: str) -> str:
    badge = design_badge(certification, program_name)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BOX}" height="{BOX}" viewBox="0 0 {BOX} {BOX}"'
        f' role="img" aria-label={quoteattr(badge.title)}>',
        f"<title>{escape(badge.title)}</title>",
    ]
    parts += [_svg_shape(shape) for shape in badge.shapes]
    parts.append(f'<g font-family="{SVG_FONT_FAMILY}" font-weight="bold" text-anchor="middle">')
    parts += [
        f'<text x="{_n(CENTRE)}" y="{_n(line.baseline)}" font-size="{line.size}" fill="{line.fill}">'
        f"{escape(line.text)}</text>"
        for line in badge.lines
    ]
    parts += ["</g>", "</svg>", ""]
    return "\n".join(parts)


def render_logo_png(certification: Certification, program_name: str, size: int = 512) -> bytes:
    if size not in PNG_SIZES:
        raise ValueError(f"a logo is {PNG_SIZES.start} to {PNG_SIZES.stop - 1} pixels wide, not {size}")
    badge = design_badge(certification, program_name)
    factor = max(1, min(4, SUPERSAMPLED_PIXELS // size))
    image = _draw_png(badge, size * factor)
    if factor > 1:
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _draw_png(badge: Badge, pixels: int) -> Image.Image:
    scale = pixels / BOX
    image = Image.new("RGBA", (pixels, pixels), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for shape in badge.shapes:
        if isinstance(shape, Circle):
            # SVG centres a stroke on the radius; Pillow draws an outline inward from the box.
            outer = shape.r + shape.stroke_width / 2
            box = [(shape.cx - outer) * scale, (shape.cy - outer) * scale,
                   (shape.cx + outer) * scale, (shape.cy + outer) * scale]
            width = round(shape.stroke_width * scale) if shape.stroke else 0
            draw.ellipse(box, fill=shape.fill, outline=shape.stroke, width=width)
        else:
            draw.polygon([(x * scale, y * scale) for x, y in shape.points], fill=shape.fill)
    for line in badge.lines:
        font = fonts.pillow_font("sans-bold", max(1, round(line.size * scale)))
        draw.text((CENTRE * scale, line.baseline * scale), line.text, font=font, fill=line.fill, anchor="ms")
    return image


def _svg_shape(shape: Circle | Polygon) -> str:
    if isinstance(shape, Polygon):
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in shape.points)
        return f'<polygon points="{points}" fill="{shape.fill}"/>'
    stroke = f' stroke="{shape.stroke}" stroke-width="{_n(shape.stroke_width)}"' if shape.stroke else ""
    return f'<circle cx="{_n(shape.cx)}" cy="{_n(shape.cy)}" r="{_n(shape.r)}" fill="{shape.fill or "none"}"{stroke}/>'


def _n(value: float) -> str:
    """A coordinate without float noise: 256 rather than 256.0, 12.35 rather than 12.349999."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
