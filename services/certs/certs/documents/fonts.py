"""Where the documents find their TrueType faces.

DejaVu is the family looked for: it ships with most Linux images
(`fonts-dejavu-core`) and covers Latin, Greek and Cyrillic, so names such as
"Łukasz Żółć" render. When a face is missing the renderers fall back (Pillow's
built-in scalable font for logos, Helvetica/Times for certificates), so a
machine without fonts still produces a document rather than an error.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import ImageFont

Face = Literal["sans", "sans-bold", "serif", "serif-bold"]

FONT_DIRECTORIES = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)

FILENAMES: dict[str, str] = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
}


@lru_cache(maxsize=None)
def font_file(face: Face) -> Path | None:
    """The TrueType file of `face`, or None when the machine has none."""
    filename = FILENAMES[face]
    for directory in FONT_DIRECTORIES:
        if directory.is_dir():
            for path in sorted(directory.rglob(filename)):
                return path
    return None


@lru_cache(maxsize=256)
def pillow_font(face: Face, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """`face` at `size` pixels for Pillow: the TrueType file, else Pillow's own scalable font."""
    path = font_file(face)
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(path), size)


def forget() -> None:
    """Drop what was found and loaded (after the font directories change)."""
    font_file.cache_clear()
    pillow_font.cache_clear()
